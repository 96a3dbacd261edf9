/*
 * cli_book: an organiser's verbs: book a conference, list, show, extend
 * and cancel bookings, and send an invitee its access codes.
 *
 * Each verb checks what it can before it asks mgmtd (a phone number, a
 * booking id, a duration), so that a typo is named at once rather than
 * after a round trip, and prints mgmtd's answer for a person, or with
 * --json as mgmtd gave it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confcli.h"
#include "rfc3339.h"

enum {
	CLI_OPT_START = CONFCLI_OPT_VERB,
	CLI_OPT_DURATION,
	CLI_OPT_CAPACITY,
	CLI_OPT_INVITE,
	CLI_OPT_REGION,
};

/* Prints a booking object for a person. */
static void
cli_booking_print(const json_t *b)
{
	const json_t *inv = json_object_get(b, "invitees"), *p;
	char from[64], until[64], dur[32];
	size_t i;

	cli_time_human(json_string_value(json_object_get(b, "start")), from,
	    sizeof(from));
	cli_time_human(json_string_value(json_object_get(b, "end")), until,
	    sizeof(until));
	cli_duration_human(json_integer_value(json_object_get(b, "duration")),
	    dur, sizeof(dur));
	printf("booking %s (%s)\n", cli_str(b, "id"), cli_str(b, "state"));
	printf("  server     %s", cli_str(b, "server"));
	if (strcmp(cli_str(b, "region"), "-") != 0)
		printf(" (region %s)", cli_str(b, "region"));
	printf("\n");
	printf("  from       %s\n", from);
	printf("  until      %s (%s)\n", until, dur);
	printf("  capacity   %lld participants\n",
	    (long long)json_integer_value(json_object_get(b, "capacity")));
	printf("  invitees   ");
	if (json_array_size(inv) == 0)
		printf("none");
	json_array_foreach(inv, i, p)
		printf("%s%s", i > 0 ? ", " : "", json_string_value(p) ?
		    json_string_value(p) : "?");
	printf("\n  codes      %lld issued\n",
	    (long long)json_integer_value(json_object_get(b, "credentials")));
}

/* Prints mgmtd's {"booking": ...} answer; an exit status. */
static int
cli_booking_answer(struct confcli *cc, json_t *body)
{
	json_t *b = json_object_get(body, "booking");

	if (cc->json)
		return cli_print_json(body);
	if (!json_is_object(b)) {
		confcli_err("mgmtd's answer holds no booking");
		return CONFCLI_EX_FAIL;
	}
	cli_booking_print(b);
	return CONFCLI_EX_OK;
}

/* Adds the phone numbers of one --invite (comma-separated) to list. */
static int
cli_invite(struct confcli *cc, json_t *list, const char *arg)
{
	char buf[1024], *p, *next;
	size_t i;

	if (strlen(arg) >= sizeof(buf))
		return confcli_usage_err(cc, "--invite: too long a list; "
		    "repeat --invite instead");
	snprintf(buf, sizeof(buf), "%s", arg);
	for (p = buf; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		p += strspn(p, " ");
		p[strcspn(p, " ")] = '\0';
		if (!cli_phone_ok(p))
			return confcli_usage_err(cc, "--invite: '%s' is not a "
			    "phone number in E.164 form, such as +4930123456",
			    p);
		for (i = 0; i < json_array_size(list); i++)
			if (strcmp(json_string_value(json_array_get(list, i)),
			    p) == 0)
				return confcli_usage_err(cc, "--invite: %s is "
				    "given twice", p);
		json_array_append_new(list, json_string(p));
	}
	return CONFCLI_EX_OK;
}

int
cli_book(struct confcli *cc, int argc, char **argv)
{
	static const struct option opts[] = {
		CONFCLI_COMMON_LONGOPTS,
		{ "start", required_argument, NULL, CLI_OPT_START },
		{ "duration", required_argument, NULL, CLI_OPT_DURATION },
		{ "capacity", required_argument, NULL, CLI_OPT_CAPACITY },
		{ "invite", required_argument, NULL, CLI_OPT_INVITE },
		{ "region", required_argument, NULL, CLI_OPT_REGION },
		{ NULL, 0, NULL, 0 },
	};
	const char *start = "now", *region = NULL;
	json_t *req = NULL, *invitees, *body = NULL, *b;
	long long capacity = 0;
	int64_t duration = 0, t;
	int ch, ex;

	if ((invitees = json_array()) == NULL) {
		confcli_err("out of memory");
		return CONFCLI_EX_FAIL;
	}
	while ((ch = getopt_long(argc, argv, CONFCLI_COMMON_SHORTOPTS, opts,
	    NULL)) != -1) {
		switch (ch) {
		case CLI_OPT_START:
			start = optarg;
			break;
		case CLI_OPT_DURATION:
			if (cli_duration(optarg, &duration) != 0) {
				ex = confcli_usage_err(cc, "--duration: '%s' "
				    "is not a duration such as 900, 45m, 1h "
				    "or 1h30m", optarg);
				goto out;
			}
			break;
		case CLI_OPT_CAPACITY:
			if (cli_int(optarg, 1, 65535, &capacity) != 0) {
				ex = confcli_usage_err(cc, "--capacity: '%s' "
				    "is not a number of participants, 1..65535",
				    optarg);
				goto out;
			}
			break;
		case CLI_OPT_INVITE:
			if ((ex = cli_invite(cc, invitees, optarg)) != 0)
				goto out;
			break;
		case CLI_OPT_REGION:
			if (!cli_name_ok(optarg)) {
				ex = confcli_usage_err(cc, "--region: '%s' is "
				    "not a region name (letters, digits, '-', "
				    "'_', '.')", optarg);
				goto out;
			}
			region = optarg;
			break;
		default:
			if (!confcli_common_opt(cc, ch, optarg)) {
				ex = confcli_bad_opt(cc, argv);
				goto out;
			}
		}
	}
	if (optind < argc) {
		ex = confcli_usage_err(cc, "'%s' is not an option of book",
		    argv[optind]);
		goto out;
	}
	if (duration == 0 || capacity == 0) {
		ex = confcli_usage_err(cc, "give --duration and --capacity");
		goto out;
	}
	if (strcmp(start, "now") != 0 && rfc3339_parse(start, &t) != 0) {
		ex = confcli_usage_err(cc, "--start: '%s' is not \"now\" or a "
		    "UTC time such as 2026-12-01T10:00:00Z", start);
		goto out;
	}
	req = json_pack("{s:s, s:I, s:I, s:O}", "start", start, "duration",
	    (json_int_t)duration, "capacity", (json_int_t)capacity,
	    "invitees", invitees);
	if (req != NULL && region != NULL)
		json_object_set_new(req, "region", json_string(region));
	if (req == NULL) {
		confcli_err("out of memory");
		ex = CONFCLI_EX_FAIL;
		goto out;
	}
	if ((ex = cli_request(cc, EVHTTP_REQ_POST, "/v1/bookings", req,
	    "cannot book", &body)) != 0)
		goto out;
	if (cc->json) {
		ex = cli_print_json(body);
		goto out;
	}
	if (!json_is_object(b = json_object_get(body, "booking"))) {
		confcli_err("mgmtd's answer holds no booking");
		ex = CONFCLI_EX_FAIL;
		goto out;
	}
	cli_booking_print(b);
	if (!cc->quiet)
		printf("next: 'confcli access %s PHONE' sends an invitee its "
		    "codes\n", cli_str(b, "id"));
out:
	json_decref(invitees);
	json_decref(req);
	json_decref(body);
	return ex;
}

int
cli_bookings(struct confcli *cc, int argc, char **argv)
{
	json_t *body, *list, *b;
	char from[64], until[64];
	char **pos;
	size_t i;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 0, 0, &pos)) != 0)
		return ex;
	if ((ex = cli_request(cc, EVHTTP_REQ_GET, "/v1/bookings", NULL,
	    "cannot list the bookings", &body)) != 0)
		return ex;
	list = json_object_get(body, "bookings");
	if (cc->json)
		ex = cli_print_json(body);
	else if (json_array_size(list) == 0)
		printf("no bookings\n");
	else {
		printf("%-20s  %-9s  %-23s  %-23s  %5s  %s\n", "BOOKING",
		    "STATE", "FROM", "UNTIL", "SEATS", "SERVER");
		json_array_foreach(list, i, b) {
			cli_time_human(json_string_value(json_object_get(b,
			    "start")), from, sizeof(from));
			cli_time_human(json_string_value(json_object_get(b,
			    "end")), until, sizeof(until));
			printf("%-20s  %-9s  %-23s  %-23s  %5lld  %s\n",
			    cli_str(b, "id"), cli_str(b, "state"), from, until,
			    (long long)json_integer_value(json_object_get(b,
			    "capacity")), cli_str(b, "server"));
		}
	}
	json_decref(body);
	return ex;
}

/* Checks a booking id argument; 0 or a usage error. */
static int
cli_check_id(struct confcli *cc, const char *id)
{
	if (!cli_booking_id_ok(id))
		return confcli_usage_err(cc, "'%s' is not a booking id (20 "
		    "lowercase hex digits, as book printed)", id);
	return CONFCLI_EX_OK;
}

int
cli_booking(struct confcli *cc, int argc, char **argv)
{
	char path[64], what[64];
	json_t *body;
	char **pos;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 1, 1, &pos)) != 0 ||
	    (ex = cli_check_id(cc, pos[0])) != 0)
		return ex;
	snprintf(path, sizeof(path), "/v1/bookings/%s", pos[0]);
	snprintf(what, sizeof(what), "booking %s", pos[0]);
	if ((ex = cli_request(cc, EVHTTP_REQ_GET, path, NULL, what,
	    &body)) != 0)
		return ex;
	ex = cli_booking_answer(cc, body);
	json_decref(body);
	return ex;
}

int
cli_cancel(struct confcli *cc, int argc, char **argv)
{
	char path[64], what[64];
	json_t *body;
	char **pos;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 1, 1, &pos)) != 0 ||
	    (ex = cli_check_id(cc, pos[0])) != 0)
		return ex;
	snprintf(path, sizeof(path), "/v1/bookings/%s", pos[0]);
	snprintf(what, sizeof(what), "cannot cancel %s", pos[0]);
	if ((ex = cli_request(cc, EVHTTP_REQ_DELETE, path, NULL, what,
	    &body)) != 0)
		return ex;
	if (cc->json)
		ex = cli_print_json(body);
	else
		printf("cancelled booking %s: its server and port are free "
		    "again, and its codes let nobody in\n", pos[0]);
	json_decref(body);
	return ex;
}

int
cli_extend(struct confcli *cc, int argc, char **argv)
{
	char path[80], what[64], until[64], dur[32];
	json_t *req, *body, *b;
	int64_t by;
	char **pos;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 2, 2, &pos)) != 0 ||
	    (ex = cli_check_id(cc, pos[0])) != 0)
		return ex;
	if (cli_duration(pos[1], &by) != 0)
		return confcli_usage_err(cc, "'%s' is not a duration such as "
		    "900, 15m or 1h", pos[1]);
	snprintf(path, sizeof(path), "/v1/bookings/%s/extend", pos[0]);
	snprintf(what, sizeof(what), "cannot extend %s", pos[0]);
	if ((req = json_pack("{s:I}", "by", (json_int_t)by)) == NULL) {
		confcli_err("out of memory");
		return CONFCLI_EX_FAIL;
	}
	ex = cli_request(cc, EVHTTP_REQ_POST, path, req, what, &body);
	json_decref(req);
	if (ex != 0)
		return ex;
	b = json_object_get(body, "booking");
	if (cc->json)
		ex = cli_print_json(body);
	else {
		cli_time_human(json_string_value(json_object_get(b, "end")),
		    until, sizeof(until));
		cli_duration_human(json_integer_value(json_object_get(b,
		    "duration")), dur, sizeof(dur));
		printf("booking %s now ends at %s (%s in all); codes sent "
		    "before still end at their old expiry\n", pos[0], until,
		    dur);
	}
	json_decref(body);
	return ex;
}

/*
 * Says where code 2 is, from the SMS state of an access request; an exit
 * status: 75 when the SMS failed (asking again sends new codes), 1 when
 * mgmtd sends no SMS at all.
 */
static int
cli_sms_say(const struct confcli *cc, const json_t *a)
{
	const json_t *sms = json_object_get(a, "sms");
	const char *state = cli_str(sms, "state"), *phone = cli_str(a, "phone");
	const char *reason;
	char until[64];

	cli_time_human(json_string_value(json_object_get(a, "expires")),
	    until, sizeof(until));
	reason = json_string_value(json_object_get(sms, "last_error"));
	if (!json_is_object(sms)) {
		confcli_err("mgmtd's answer says nothing of the SMS with code "
		    "2 to %s", phone);
		return CONFCLI_EX_FAIL;
	}
	if (strcmp(state, "failed") == 0) {
		confcli_err("the SMS with code 2 to %s failed%s%s; ask again "
		    "later for new codes", phone, reason ? ": " : "",
		    reason ? reason : "");
		return CONFCLI_EX_TEMPFAIL;
	}
	if (strcmp(state, "unsent") == 0) {
		confcli_err("mgmtd sends no SMS (its [sms] channel is none): "
		    "code 2 did not go to %s", phone);
		return CONFCLI_EX_FAIL;
	}
	if (cc->json)
		return CONFCLI_EX_OK;
	printf("code 2 %s by SMS to %s (SMS %s)\n", strcmp(state, "queued") ==
	    0 ? "goes" : "went", phone, state);
	printf("both codes are valid until %s\n", until);
	if (!cc->quiet)
		printf("join with: confcli join CODE1 CODE2\n");
	return CONFCLI_EX_OK;
}

/* Prints one access request: its phone, code 1 when shown, the SMS. */
static int
cli_access_print(const struct confcli *cc, const json_t *a, bool fresh)
{
	const json_t *sms = json_object_get(a, "sms");
	char until[64], asked[64];

	if (!fresh) {
		cli_time_human(json_string_value(json_object_get(a,
		    "expires")), until, sizeof(until));
		cli_time_human(json_string_value(json_object_get(a,
		    "created")), asked, sizeof(asked));
		printf("%-16s  %-9s  %-23s  %s\n", cli_str(a, "phone"),
		    cli_str(sms, "state"), until, asked);
		return CONFCLI_EX_OK;
	}
	printf("code 1 for %s:\n%s\n", cli_str(a, "phone"), cli_str(a,
	    "code1"));
	return cli_sms_say(cc, a);
}

/* The access requests of a booking: GET /v1/bookings/{id}/access. */
static int
cli_access_list(struct confcli *cc, const char *id)
{
	json_t *body, *list, *a;
	char path[80], what[80];
	size_t i;
	int ex;

	snprintf(path, sizeof(path), "/v1/bookings/%s/access", id);
	snprintf(what, sizeof(what), "cannot list the access requests of %s",
	    id);
	if ((ex = cli_request(cc, EVHTTP_REQ_GET, path, NULL, what,
	    &body)) != 0)
		return ex;
	if (cc->json) {
		ex = cli_print_json(body);
		json_decref(body);
		return ex;
	}
	if (!json_is_array(list = json_object_get(body, "accesses"))) {
		confcli_err("%s: mgmtd's answer holds no list", what);
		json_decref(body);
		return CONFCLI_EX_FAIL;
	}
	if (json_array_size(list) == 0)
		printf("no access requests for %s\n", id);
	else
		printf("%-16s  %-9s  %-23s  %s\n", "PHONE", "SMS",
		    "VALID UNTIL", "ASKED");
	json_array_foreach(list, i, a)
		(void)cli_access_print(cc, a, false);
	json_decref(body);
	return CONFCLI_EX_OK;
}

int
cli_access(struct confcli *cc, int argc, char **argv)
{
	char path[80], what[96];
	json_t *req, *body, *a;
	char **pos;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 1, 2, &pos)) != 0 ||
	    (ex = cli_check_id(cc, pos[0])) != 0)
		return ex;
	if (argc - optind == 1)
		return cli_access_list(cc, pos[0]);
	if (!cli_phone_ok(pos[1]))
		return confcli_usage_err(cc, "'%s' is not a phone number in "
		    "E.164 form, such as +4930123456", pos[1]);
	snprintf(path, sizeof(path), "/v1/bookings/%s/access", pos[0]);
	snprintf(what, sizeof(what), "no codes for %s", pos[1]);
	if ((req = json_pack("{s:s}", "phone", pos[1])) == NULL) {
		confcli_err("out of memory");
		return CONFCLI_EX_FAIL;
	}
	ex = cli_request(cc, EVHTTP_REQ_POST, path, req, what, &body);
	json_decref(req);
	if (ex != 0)
		return ex;
	a = json_object_get(body, "access");
	if (!json_is_object(a) || !json_is_string(json_object_get(a,
	    "code1"))) {
		/* Never shown: it would hold the keys. */
		if (json_object_get(body, "credential") != NULL)
			confcli_err("mgmtd at %s answered with a bare "
			    "credential, not access codes: it is older than "
			    "this confcli", cc->set.url);
		else
			confcli_err("%s: mgmtd's answer holds no code 1", what);
		json_decref(body);
		return CONFCLI_EX_FAIL;
	}
	if (cc->json && (ex = cli_print_json(body)) == 0)
		ex = cli_sms_say(cc, a);
	else if (!cc->json)
		ex = cli_access_print(cc, a, true);
	json_decref(body);
	return ex;
}
