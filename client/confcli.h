/*
 * confcli: the conference client's internal header.
 *
 * One process runs one command (a "verb"): it books and manages conferences
 * through mgmtd's HTTPS API (mapi.c), reads and shows access codes
 * (cli_codes.c) and joins a conference from its two codes (cli_join.c, on
 * the media module call.c).  All state of the run lives in one struct
 * confcli, made in main.c and passed down.
 *
 * Every verb returns the process's exit status, one of the CONFCLI_EX_*
 * below (documented in confcli(1)), after printing what went wrong in
 * words a person understands.
 */
#ifndef CONFCLI_H
#define CONFCLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <getopt.h>

#include <event2/http.h>
#include <jansson.h>

#include "acode.h"

#define CONFCLI_VERSION		"0.2"

/* Exit statuses; the values of sysexits(3) where one fits. */
#define CONFCLI_EX_OK		0
#define CONFCLI_EX_FAIL		1	/* anything below does not cover */
#define CONFCLI_EX_NOCAPACITY	3	/* no server has room for it */
#define CONFCLI_EX_USAGE	64	/* a wrong command line */
#define CONFCLI_EX_DATAERR	65	/* a bad or expired code, bad data */
#define CONFCLI_EX_NOINPUT	66	/* a file to read cannot be opened */
#define CONFCLI_EX_UNAVAILABLE	69	/* mgmtd or confd does not answer */
#define CONFCLI_EX_TEMPFAIL	75	/* mgmtd failed for now: try again */
#define CONFCLI_EX_NOPERM	77	/* the API key is refused */
#define CONFCLI_EX_CONFIG	78	/* the settings are missing or wrong */

#define CONFCLI_URL_DEFAULT	"https://127.0.0.1:8443"
#define CONFCLI_URL_MAX		256
#define CONFCLI_PATH_MAX	1024
#define CONFCLI_KEY_MAX		256
#define CONFCLI_TIMEOUT_S	15	/* one request to mgmtd */

/*
 * Where mgmtd is and how to talk to it.  Each comes from the command line,
 * else the environment, else the configuration file, else the default;
 * *_from says which, for messages.
 */
struct settings {
	char		 url[CONFCLI_URL_MAX];
	char		 ca[CONFCLI_PATH_MAX];	/* "": the system's CAs */
	char		 key[CONFCLI_KEY_MAX];	/* wiped by settings_wipe() */
	const char	*url_from, *ca_from, *key_from;
	char		 file[CONFCLI_PATH_MAX];	/* "": none was read */
};

/* The long options every verb takes, beside -q, -v and -h. */
enum confcli_opt {
	CONFCLI_OPT_MGMTD = 256,
	CONFCLI_OPT_CA,
	CONFCLI_OPT_KEY,
	CONFCLI_OPT_CONFIG,
	CONFCLI_OPT_JSON,
	CONFCLI_OPT_VERB,		/* the first of a verb's own */
};

#define CONFCLI_COMMON_SHORTOPTS	"qv"
#define CONFCLI_COMMON_LONGOPTS						\
	{ "mgmtd", required_argument, NULL, CONFCLI_OPT_MGMTD },	\
	{ "ca", required_argument, NULL, CONFCLI_OPT_CA },		\
	{ "key", required_argument, NULL, CONFCLI_OPT_KEY },		\
	{ "config", required_argument, NULL, CONFCLI_OPT_CONFIG },	\
	{ "json", no_argument, NULL, CONFCLI_OPT_JSON },		\
	{ "quiet", no_argument, NULL, 'q' },				\
	{ "verbose", no_argument, NULL, 'v' },				\
	{ "help", no_argument, NULL, 'h' }

/* The run: what the command line asks and what it holds. */
struct confcli {
	const char		*verb;
	/* Given on the command line; NULL when not. */
	const char		*opt_url, *opt_ca, *opt_key, *opt_config;
	bool			 json;		/* machine output */
	bool			 quiet;
	int			 verbose;
	struct settings		 set;		/* after confcli_settings() */
	bool			 set_done;
	struct event_base	*base;		/* made on first use */
};

/* The answer of mgmtd to one request. */
struct mapi_res {
	int		 status;	/* HTTP status; 0: no answer */
	json_t		*body;		/* owned; NULL: none, or not JSON */
	char		 code[64];	/* mgmtd's error code, or "" */
	char		 msg[1024];	/* what went wrong, for a person */
};

struct mapi;

/* One verb: its function, and what its help says. */
struct confcli_verb {
	const char	*name;
	int		(*fn)(struct confcli *, int, char **);
	const char	*args;		/* after "confcli VERB" */
	const char	*summary;	/* one line for `confcli help` */
	const char	*help;		/* the options, for VERB --help */
};

/* confcli.c */
/* The verb called name, or NULL. */
const struct confcli_verb *confcli_find(const char *name);
/* Prints the usage of every verb. */
void	confcli_usage(FILE *out);
/* Prints the usage of one verb, with its options when full. */
void	confcli_verb_usage(FILE *out, const struct confcli_verb *v,
	    bool full);
/* The event base of the run, made on first use; NULL with a message. */
struct event_base *confcli_base(struct confcli *cc);
/* Resolves the settings of the run; an exit status. */
int	confcli_settings(struct confcli *cc);
/* Handles an option every verb takes; true if ch was one. */
bool	confcli_common_opt(struct confcli *cc, int ch, const char *arg);
/* Reports the option getopt_long() refused; returns 64. */
int	confcli_bad_opt(const struct confcli *cc, char **argv);
/* Prints "confcli: " and a message to stderr. */
void	confcli_err(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* Prints a usage error and the verb's usage line; returns 64. */
int	confcli_usage_err(const struct confcli *cc, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* settings.c */
/*
 * Resolves the settings from the command line (opt_*), the environment
 * (CONFCLI_MGMTD, CONFCLI_CA, CONFCLI_KEY, CONFCLI_CONFIG) and the
 * configuration file; 0, or an errno with why.
 */
int	settings_resolve(struct settings *s, const char *opt_url,
	    const char *opt_ca, const char *opt_key, const char *opt_config,
	    char *why, size_t whylen);
/* The configuration file to read when none is named; "" if no home. */
void	settings_default_path(char *buf, size_t len);
/* Wipes the key. */
void	settings_wipe(struct settings *s);

/* mapi.c: mgmtd's API, one synchronous request at a time. */
/*
 * Splits an http:// or https:// URL into its parts; 0 or EINVAL with why.
 * Plain HTTP is taken only for a loopback host: it would show the key.
 */
int	mapi_url_parse(const char *url, bool *tls, char *host, size_t hostlen,
	    int *port, char *why, size_t whylen);
/* A client of mgmtd at s->url; 0, or an errno with why. */
int	mapi_new(struct mapi **out, struct event_base *base,
	    const struct settings *s, char *why, size_t whylen);
/*
 * Sends one request (body may be NULL) and waits for its answer; 0 when
 * an answer came, whatever its status, else an errno; res->msg says what
 * went wrong in either case.  Clear res with mapi_res_clear().
 */
int	mapi_call(struct mapi *m, enum evhttp_cmd_type type, const char *path,
	    json_t *body, struct mapi_res *res);
/* Fills res->code and res->msg from a status and an error body. */
void	mapi_res_explain(struct mapi_res *res);
/* The exit status for an answer (or no answer). */
int	mapi_exit(const struct mapi_res *res);
/* Frees the body of res. */
void	mapi_res_clear(struct mapi_res *res);
/* Frees the client, wiping the key it holds. */
void	mapi_free(struct mapi *m);

/* cli_util.c */
/* Parses "900", "900s", "15m", "1h", "1h30m" into seconds; 0 or EINVAL. */
int	cli_duration(const char *text, int64_t *secs);
/* Parses a decimal integer in [lo, hi]; 0 or EINVAL. */
int	cli_int(const char *text, long long lo, long long hi, long long *out);
/* Whether s is an E.164 number: '+', 6 to 15 digits, no leading 0. */
bool	cli_phone_ok(const char *s);
/* Whether s is a booking id: 20 lowercase hex digits. */
bool	cli_booking_id_ok(const char *s);
/* Whether s is a server name: 1..63 letters, digits, '-', '_', '.'. */
bool	cli_name_ok(const char *s);
/* An RFC 3339 time of mgmtd as "2026-12-01 10:00 UTC", or as it is. */
void	cli_time_human(const char *rfc3339, char *buf, size_t len);
/* Seconds as "1 h 30 min", "15 min", "45 s". */
void	cli_duration_human(int64_t secs, char *buf, size_t len);
/*
 * Parses a verb's command line that takes only the common options and
 * nmin..nmax arguments, pointed to by *pos; an exit status.
 */
int	cli_args(struct confcli *cc, int argc, char **argv, int nmin,
	    int nmax, char ***pos);
/* The string member key of o, or "-" when it has none or "". */
const char *cli_str(const json_t *o, const char *key);
/* Prints a JSON value to stdout, indented; an exit status. */
int	cli_print_json(json_t *v);
/*
 * Sends one request to mgmtd with the run's settings and waits; an exit
 * status.  On 0 *body holds the answer (the caller frees it); otherwise
 * the failure was reported, starting with what (e.g. "cannot book").
 */
int	cli_request(struct confcli *cc, enum evhttp_cmd_type type,
	    const char *path, json_t *req, const char *what, json_t **body);

/* cli_book.c: an organiser's verbs. */
int	cli_book(struct confcli *cc, int argc, char **argv);
int	cli_bookings(struct confcli *cc, int argc, char **argv);
int	cli_booking(struct confcli *cc, int argc, char **argv);
int	cli_cancel(struct confcli *cc, int argc, char **argv);
int	cli_extend(struct confcli *cc, int argc, char **argv);
int	cli_access(struct confcli *cc, int argc, char **argv);

/* cli_ops.c: an operator's verbs. */
int	cli_servers(struct confcli *cc, int argc, char **argv);
int	cli_server(struct confcli *cc, int argc, char **argv);
int	cli_drain(struct confcli *cc, int argc, char **argv);
int	cli_undrain(struct confcli *cc, int argc, char **argv);

/* cli_codes.c: access codes as a participant types them. */
/*
 * Reads a code argument into buf: the text itself, the code out of a
 * pasted SMS ("Conference code 2: ... valid until ..."), or with "-" one
 * line of standard input.  0, or EINVAL with why.
 */
int	cli_code_arg(const char *arg, int which, char *buf, size_t len,
	    char *why, size_t whylen);
/*
 * Checks each code alone, then the pair, at now; an exit status (65 with
 * the reason printed) and on 0 the credential in cred, for the caller to
 * wipe.
 */
int	cli_codes_decode(const char *code1, const char *code2, int64_t now,
	    struct acode_cred *cred);
/* The ffmpeg command line that sends in.wav with cred into a conference. */
int	cli_ffmpeg_cmd(const struct acode_cred *cred, const char *wav,
	    char *buf, size_t len);
int	cli_codes(struct confcli *cc, int argc, char **argv);

/* cli_moved.c: a participant's new code 1 after a failover. */
int	cli_moved(struct confcli *cc, int argc, char **argv);

/* cli_join.c */
int	cli_join(struct confcli *cc, int argc, char **argv);

#endif
