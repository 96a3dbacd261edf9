/*
 * cli_moved: `confcli moved CODE1`, for a participant whose conference
 * server failed.  mgmtd moves the conference to another server and sends
 * a new code 2 by SMS; the new code 1 waits at mgmtd, sealed so that only
 * the holder of the old code 1 can open it (docs/access-codes.md), and
 * this verb fetches it.  It needs no API key: the old code 1 is the proof.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "confcli.h"

/* Prints the answer for a person: the new code 1, and what to do next. */
static void
cli_moved_print(const struct confcli *cc, const json_t *mv)
{
	const json_t *sms = json_object_get(mv, "sms");
	char at[64], until[64];

	cli_time_human(cli_str(mv, "moved_at"), at, sizeof(at));
	cli_time_human(cli_str(mv, "expires"), until, sizeof(until));
	printf("%s\n", cli_str(mv, "code1"));
	if (cc->quiet)
		return;
	fprintf(stderr, "confcli: the conference moved to another server at "
	    "%s; above is your new code 1 (valid until %s).\n"
	    "confcli: a new code 2 was sent by SMS to your phone%s%s%s; join "
	    "with: confcli join NEW-CODE1 NEW-CODE2\n", at, until,
	    json_is_object(sms) ? " (SMS " : "",
	    json_is_object(sms) ? cli_str(sms, "state") : "",
	    json_is_object(sms) ? ")" : "");
}

/* Asks mgmtd for the new code 1 of code1; an exit status. */
static int
cli_moved_ask(struct confcli *cc, const char *code1)
{
	struct event_base *base;
	struct mapi_res res;
	struct mapi *m;
	json_t *req, *mv;
	char why[2048];
	int ex, err;

	/* No key is needed, so none is asked for: only the URL and CA. */
	if (settings_resolve(&cc->set, cc->opt_url, cc->opt_ca, cc->opt_key,
	    cc->opt_config, why, sizeof(why)) != 0) {
		confcli_err("%s", why);
		return CONFCLI_EX_CONFIG;
	}
	if ((base = confcli_base(cc)) == NULL)
		return CONFCLI_EX_FAIL;
	if ((err = mapi_new(&m, base, &cc->set, why, sizeof(why))) != 0) {
		confcli_err("%s", why);
		return CONFCLI_EX_CONFIG;
	}
	req = json_pack("{s:s}", "code1", code1);
	(void)mapi_call(m, EVHTTP_REQ_POST, "/v1/access/moved", req, &res);
	json_decref(req);
	mapi_free(m);
	ex = mapi_exit(&res);
	if (ex == CONFCLI_EX_OK && (mv = json_object_get(res.body,
	    "moved")) != NULL && json_is_string(json_object_get(mv,
	    "code1"))) {
		if (cc->json)
			ex = cli_print_json(res.body);
		else
			cli_moved_print(cc, mv);
	} else {
		if (cc->json && res.body != NULL)
			(void)cli_print_json(res.body);
		if (ex == CONFCLI_EX_OK) {
			confcli_err("mgmtd's answer has no code 1");
			ex = CONFCLI_EX_FAIL;
		} else
			confcli_err("no new code 1: %s", res.msg);
	}
	/* The answer holds the new code 1: wipe it before it is freed. */
	if ((mv = json_object_get(res.body, "moved")) != NULL &&
	    json_is_string(json_object_get(mv, "code1")))
		sodium_memzero((char *)json_string_value(json_object_get(mv,
		    "code1")), json_string_length(json_object_get(mv,
		    "code1")));
	mapi_res_clear(&res);
	return ex;
}

int
cli_moved(struct confcli *cc, int argc, char **argv)
{
	char code1[1024], why[160];
	char **pos;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 1, 1, &pos)) != 0)
		return ex;
	/* A typo is told here, before mgmtd is asked. */
	if (cli_code_arg(pos[0], 1, code1, sizeof(code1), why,
	    sizeof(why)) != 0 || acode_check(code1, 1, why, sizeof(why)) !=
	    ACODE_OK) {
		confcli_err("%s", why);
		ex = CONFCLI_EX_DATAERR;
		goto out;
	}
	ex = cli_moved_ask(cc, code1);
out:
	sodium_memzero(code1, sizeof(code1));
	return ex;
}
