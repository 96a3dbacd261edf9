/*
 * confcli: the conference client.  Books conferences, requests access codes
 * and joins a conference from its two codes; an operator also lists and
 * drains conference servers.
 *
 * main() reads the options every command takes, finds the command (the
 * "verb") in the table of confcli.c and hands it the rest of the command
 * line.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "confcli.h"
#include "log.h"
#include "srtpx.h"

/* Whether the command line asks for help before any "--". */
static bool
confcli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		CONFCLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const struct confcli_verb *v;
	struct confcli cc;
	int ch, status;

	memset(&cc, 0, sizeof(cc));
	cc.verb = "";
	log_init("confcli", 1, LOG_LVL_WARN);
	opterr = 0;
	/* "+": the options before the command are confcli's own. */
	while ((ch = getopt_long(argc, argv, "+" CONFCLI_COMMON_SHORTOPTS "h",
	    opts, NULL)) != -1) {
		if (ch == 'h') {
			confcli_usage(stdout);
			return CONFCLI_EX_OK;
		}
		if (!confcli_common_opt(&cc, ch, optarg)) {
			confcli_err("'%s' is an unknown option, or needs a "
			    "value", argv[optind - 1]);
			confcli_usage(stderr);
			return CONFCLI_EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		confcli_err("no command given");
		confcli_usage(stderr);
		return CONFCLI_EX_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc > 1 && (v = confcli_find(argv[1])) != NULL) {
			confcli_verb_usage(stdout, v, true);
			return CONFCLI_EX_OK;
		}
		confcli_usage(stdout);
		return CONFCLI_EX_OK;
	}
	if (strcmp(argv[0], "version") == 0) {
		printf("confcli %s\n", CONFCLI_VERSION);
		return CONFCLI_EX_OK;
	}
	if ((v = confcli_find(argv[0])) == NULL) {
		confcli_err("unknown command '%s'", argv[0]);
		confcli_usage(stderr);
		return CONFCLI_EX_USAGE;
	}
	cc.verb = v->name;
	if (confcli_wants_help(argc, argv)) {
		confcli_verb_usage(stdout, v, true);
		return CONFCLI_EX_OK;
	}
	if (sodium_init() < 0 || srtpx_init() != 0) {
		confcli_err("cannot initialise libsodium or libsrtp");
		return CONFCLI_EX_FAIL;
	}
	/* Each verb parses its own options from argv[1] on. */
	optind = 0;
	status = v->fn(&cc, argc, argv);
	settings_wipe(&cc.set);
	if (cc.base != NULL)
		event_base_free(cc.base);
	if (fflush(stdout) != 0 && status == CONFCLI_EX_OK) {
		confcli_err("cannot write to standard output");
		status = CONFCLI_EX_FAIL;
	}
	return status;
}
