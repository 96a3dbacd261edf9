/*
 * confcli: the run of one command: the table of verbs, their usage and
 * errors, the options every verb takes, and what the run holds (its
 * settings and its event loop).  The table gives every verb's usage, so
 * `confcli help`, `confcli VERB --help` and every usage error say the
 * same.  main() is in main.c, so that unit tests can link this.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "confcli.h"
#include "log.h"

static const struct confcli_verb confcli_verbs[] = {
	{ "book", cli_book,
	  "--duration D --capacity N [--start now|TIME] [--invite PHONE]... "
	  "[--region R]",
	  "book a conference, now or later",
	  "  --start now|TIME   when it starts: now (the default) or a UTC "
	  "time such\n"
	  "                     as 2026-12-01T10:00:00Z\n"
	  "  --duration D       how long: 900 (seconds), 45m, 1h, 1h30m\n"
	  "  --capacity N       the most participants at once\n"
	  "  --invite PHONE     an invitee, in E.164 form (+4930123456); "
	  "repeat it,\n"
	  "                     or give several separated by commas\n"
	  "  --region R         the region preferred for the server\n" },
	{ "bookings", cli_bookings, "",
	  "list your bookings", "" },
	{ "booking", cli_booking, "ID",
	  "show one booking", "" },
	{ "extend", cli_extend, "ID DURATION",
	  "make a booking end later, e.g. by 15m", "" },
	{ "cancel", cli_cancel, "ID",
	  "cancel a booking", "" },
	{ "access", cli_access, "ID [PHONE]",
	  "send an invitee its codes, or list who was sent codes", "" },
	{ "codes", cli_codes, "show CODE1 CODE2",
	  "show what a standard SRTP client needs to join", "" },
	{ "join", cli_join,
	  "CODE1 CODE2 [--tone HZ | --wav FILE | --mic] [--record FILE] "
	  "[--duration S]",
	  "join a conference: send audio, record what you hear",
	  "  --tone HZ          send a sine tone of HZ Hz\n"
	  "  --wav FILE         send a 48 kHz mono sound file\n"
	  "  --loop             start the sound file over at its end\n"
	  "  --mic              send the microphone (needs PulseAudio "
	  "support)\n"
	  "  --record FILE      record what you hear to a WAV file\n"
	  "  --duration S       leave after S seconds (default: at Ctrl-C "
	  "or the end)\n"
	  "  Without --tone, --wav or --mic you listen and send silence.  "
	  "A code\n"
	  "  given as - is read from standard input.\n" },
	{ "moved", cli_moved, "CODE1",
	  "get your new code 1 when your conference moved to another server",
	  "  CODE1              your old code 1 (or - to read it from "
	  "standard input);\n"
	  "                     no API key is needed.  The new code 2 comes "
	  "by SMS.\n" },
	{ "servers", cli_servers, "",
	  "list the conference servers (operator)", "" },
	{ "server", cli_server, "SERVER",
	  "show one conference server (operator)", "" },
	{ "drain", cli_drain, "SERVER",
	  "give a server no new bookings (operator)", "" },
	{ "undrain", cli_undrain, "SERVER",
	  "let a drained server take bookings again (operator)", "" },
};

#define CONFCLI_NVERBS	(sizeof(confcli_verbs) / sizeof(confcli_verbs[0]))

static const char confcli_common_help[] =
    "options of every command:\n"
    "  --mgmtd URL        mgmtd's API (env CONFCLI_MGMTD; default "
    CONFCLI_URL_DEFAULT ")\n"
    "  --ca FILE          CA certificates that vouch for mgmtd (env "
    "CONFCLI_CA)\n"
    "  --key KEY          API key (env CONFCLI_KEY; better in the config "
    "file)\n"
    "  --config FILE      configuration file (env CONFCLI_CONFIG; default\n"
    "                     ~/.config/confcli.ini)\n"
    "  --json             machine output: mgmtd's JSON, or the codes as "
    "JSON\n"
    "  -q, --quiet        no status line, no hints\n"
    "  -v, --verbose      tell more; twice: debug\n"
    "  -h, --help         this help\n";

const struct confcli_verb *
confcli_find(const char *name)
{
	size_t i;

	for (i = 0; i < CONFCLI_NVERBS; i++)
		if (strcmp(confcli_verbs[i].name, name) == 0)
			return &confcli_verbs[i];
	return NULL;
}

void
confcli_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: confcli [OPTIONS] COMMAND [ARGS]\ncommands:\n");
	for (i = 0; i < CONFCLI_NVERBS; i++)
		fprintf(out, "  %-18s %s\n", confcli_verbs[i].name,
		    confcli_verbs[i].summary);
	fprintf(out, "  %-18s %s\n  %-18s %s\n", "help", "this help",
	    "version", "print the version");
	fprintf(out, "%s'confcli COMMAND --help' shows a command's "
	    "options; confcli(1) says more.\n", confcli_common_help);
}

void
confcli_verb_usage(FILE *out, const struct confcli_verb *v, bool full)
{
	fprintf(out, "usage: confcli %s%s%s\n", v->name, v->args[0] ? " " :
	    "", v->args);
	if (full)
		fprintf(out, "%s\n%s%s", v->summary, v->help,
		    confcli_common_help);
}

void
confcli_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "confcli: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

int
confcli_usage_err(const struct confcli *cc, const char *fmt, ...)
{
	const struct confcli_verb *v = confcli_find(cc->verb);
	va_list ap;

	fprintf(stderr, "confcli %s: ", cc->verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (v != NULL)
		confcli_verb_usage(stderr, v, false);
	return CONFCLI_EX_USAGE;
}

bool
confcli_common_opt(struct confcli *cc, int ch, const char *arg)
{
	switch (ch) {
	case CONFCLI_OPT_MGMTD:
		cc->opt_url = arg;
		return true;
	case CONFCLI_OPT_CA:
		cc->opt_ca = arg;
		return true;
	case CONFCLI_OPT_KEY:
		cc->opt_key = arg;
		return true;
	case CONFCLI_OPT_CONFIG:
		cc->opt_config = arg;
		return true;
	case CONFCLI_OPT_JSON:
		cc->json = true;
		return true;
	case 'q':
		cc->quiet = true;
		return true;
	case 'v':
		cc->verbose++;
		log_set_level(cc->verbose > 1 ? LOG_LVL_DEBUG : LOG_LVL_INFO);
		return true;
	}
	return false;
}

int
confcli_bad_opt(const struct confcli *cc, char **argv)
{
	return confcli_usage_err(cc, "'%s' is an unknown option, or needs a "
	    "value", argv[optind - 1]);
}

struct event_base *
confcli_base(struct confcli *cc)
{
	if (cc->base == NULL && (cc->base = event_base_new()) == NULL)
		confcli_err("cannot create the event loop");
	return cc->base;
}

int
confcli_settings(struct confcli *cc)
{
	char why[2048];

	if (cc->set_done)
		return CONFCLI_EX_OK;
	if (settings_resolve(&cc->set, cc->opt_url, cc->opt_ca, cc->opt_key,
	    cc->opt_config, why, sizeof(why)) != 0) {
		confcli_err("%s", why);
		return CONFCLI_EX_CONFIG;
	}
	if (cc->set.key[0] == '\0') {
		confcli_err("no API key: give --key KEY, set CONFCLI_KEY, or "
		    "put 'key = KEY' under [mgmtd] in %s",
		    cc->set.file[0] ? cc->set.file : "~/.config/confcli.ini");
		return CONFCLI_EX_CONFIG;
	}
	cc->set_done = true;
	return CONFCLI_EX_OK;
}

