/*
 * cli_util: what the verbs share: parsing arguments as a person writes
 * them, showing mgmtd's times and durations to a person, and sending one
 * request to mgmtd with the run's settings.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "confcli.h"
#include "rfc3339.h"

int
cli_int(const char *text, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	/* strtoll() would take blanks and a sign in front. */
	if (!isdigit((unsigned char)text[0]) && !(text[0] == '-' &&
	    isdigit((unsigned char)text[1])))
		return EINVAL;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end != '\0' || errno != 0 || v < lo || v > hi)
		return EINVAL;
	*out = v;
	return 0;
}

int
cli_duration(const char *text, int64_t *secs)
{
	const char *p = text;
	int64_t total = 0, v, unit;
	int last = 4;		/* h, m, s must come in this order */
	int rank;

	if (*p == '\0')
		return EINVAL;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			return EINVAL;
		for (v = 0; isdigit((unsigned char)*p); p++) {
			v = v * 10 + (*p - '0');
			if (v > 100000000)
				return EINVAL;
		}
		switch (*p) {
		case '\0':
			/* A bare number is seconds, and only alone. */
			if (total != 0 || last != 4)
				return EINVAL;
			unit = 1;
			rank = 0;
			break;
		case 'h':
			unit = 3600;
			rank = 3;
			break;
		case 'm':
			unit = 60;
			rank = 2;
			break;
		case 's':
			unit = 1;
			rank = 1;
			break;
		default:
			return EINVAL;
		}
		if (rank != 0) {
			if (rank >= last)
				return EINVAL;
			last = rank;
			p++;
		}
		total += v * unit;
	}
	if (total <= 0)
		return EINVAL;
	*secs = total;
	return 0;
}

bool
cli_phone_ok(const char *s)
{
	size_t n;

	if (s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	n = strspn(s + 1, "0123456789");
	return n >= 6 && n <= 15 && s[1 + n] == '\0';
}

bool
cli_booking_id_ok(const char *s)
{
	return strlen(s) == 20 && strspn(s, "0123456789abcdef") == 20;
}

bool
cli_name_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

	return n >= 1 && n <= 63 && s[n] == '\0';
}

void
cli_time_human(const char *text, char *buf, size_t len)
{
	struct tm tm;
	int64_t t;
	time_t tt;

	if (text == NULL) {
		snprintf(buf, len, "never");
		return;
	}
	if (rfc3339_parse(text, &t) != 0 || (tt = (time_t)t,
	    gmtime_r(&tt, &tm) == NULL)) {
		snprintf(buf, len, "%s", text);
		return;
	}
	/* Whole minutes, as the codes say their expiry; else seconds. */
	if (strftime(buf, len, tm.tm_sec == 0 ? "%Y-%m-%d %H:%M UTC" :
	    "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%s", text);
}

void
cli_duration_human(int64_t secs, char *buf, size_t len)
{
	int64_t h = secs / 3600, m = secs % 3600 / 60, s = secs % 60;

	if (h > 0 && m == 0 && s == 0)
		snprintf(buf, len, "%lld h", (long long)h);
	else if (h > 0 && s == 0)
		snprintf(buf, len, "%lld h %lld min", (long long)h,
		    (long long)m);
	else if (h == 0 && m > 0 && s == 0)
		snprintf(buf, len, "%lld min", (long long)m);
	else
		snprintf(buf, len, "%lld s", (long long)secs);
}

int
cli_print_json(json_t *v)
{
	if (json_dumpf(v, stdout, JSON_INDENT(2)) != 0 ||
	    putchar('\n') == EOF || fflush(stdout) != 0) {
		confcli_err("cannot write to standard output");
		return CONFCLI_EX_FAIL;
	}
	return CONFCLI_EX_OK;
}

/* A hint after mgmtd refused the key: which setting to look at. */
static void
cli_key_hint(const struct confcli *cc, const struct mapi_res *res)
{
	if (res->status != 401)
		return;
	fprintf(stderr, "confcli: the API key came from %s; %s needs %s "
	    "key\n", cc->set.key_from, cc->verb,
	    strcmp(cc->verb, "servers") == 0 ||
	    strcmp(cc->verb, "server") == 0 ||
	    strcmp(cc->verb, "drain") == 0 ||
	    strcmp(cc->verb, "undrain") == 0 ? "an operator's" :
	    "an organiser's");
}

int
cli_request(struct confcli *cc, enum evhttp_cmd_type type, const char *path,
    json_t *req, const char *what, json_t **body)
{
	struct event_base *base;
	struct mapi_res res;
	struct mapi *m;
	char why[512];
	int ex, err;

	*body = NULL;
	if ((ex = confcli_settings(cc)) != 0)
		return ex;
	if ((base = confcli_base(cc)) == NULL)
		return CONFCLI_EX_FAIL;
	if ((err = mapi_new(&m, base, &cc->set, why, sizeof(why))) != 0) {
		confcli_err("%s", why);
		return err == ENOMEM ? CONFCLI_EX_FAIL : CONFCLI_EX_CONFIG;
	}
	if (cc->verbose > 0)
		fprintf(stderr, "confcli: %s %s%s (the URL from %s, the CA "
		    "from %s, the key from %s)\n", type == EVHTTP_REQ_GET ?
		    "GET" : type == EVHTTP_REQ_POST ? "POST" :
		    type == EVHTTP_REQ_PUT ? "PUT" : "DELETE", cc->set.url,
		    path, cc->set.url_from, cc->set.ca[0] != '\0' ?
		    cc->set.ca_from : "the system", cc->set.key_from);
	(void)mapi_call(m, type, path, req, &res);
	mapi_free(m);
	ex = mapi_exit(&res);
	if (ex == CONFCLI_EX_OK && res.body == NULL) {
		confcli_err("%s: mgmtd's answer is not JSON", what);
		mapi_res_clear(&res);
		return CONFCLI_EX_FAIL;
	}
	if (ex != CONFCLI_EX_OK) {
		/* Machine output keeps mgmtd's error object for programs. */
		if (cc->json && res.body != NULL)
			(void)cli_print_json(res.body);
		confcli_err("%s: %s", what, res.msg);
		cli_key_hint(cc, &res);
		mapi_res_clear(&res);
		return ex;
	}
	*body = res.body;
	return CONFCLI_EX_OK;
}

int
cli_args(struct confcli *cc, int argc, char **argv, int nmin, int nmax,
    char ***pos)
{
	static const struct option opts[] = {
		CONFCLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int ch, n;

	while ((ch = getopt_long(argc, argv, CONFCLI_COMMON_SHORTOPTS, opts,
	    NULL)) != -1)
		if (!confcli_common_opt(cc, ch, optarg))
			return confcli_bad_opt(cc, argv);
	n = argc - optind;
	if (n < nmin)
		return confcli_usage_err(cc, "%s", n == 0 ? "an argument is "
		    "missing" : "too few arguments");
	if (n > nmax)
		return confcli_usage_err(cc, "'%s' is one argument too many",
		    argv[optind + nmax]);
	*pos = argv + optind;
	return CONFCLI_EX_OK;
}

const char *
cli_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && s[0] != '\0' ? s : "-";
}
