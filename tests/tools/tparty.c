/*
 * tparty: test participants of one conference.
 *
 * Runs N participants in one process on one event loop against one
 * conference port, each sending a sine tone (or silence) with its own SSRC
 * and measuring what it hears, and after the run prints one JSON line per
 * participant: its counters and the share of the energy it heard at the
 * frequency of every participant.  End-to-end tests read those lines to
 * check that everyone hears the others and not themselves.
 *
 *	tparty -a ADDR -p PORT -k KEY -d SECONDS [options] SSRC:FREQ ...
 *
 * Exit status: 0 after the run, 1 on a failure at run time (with a
 * message), 64 on a usage error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <sodium.h>

#include "../../client/call.h"
#include "log.h"

#define TPARTY_MAX_PARTIES	256
#define TPARTY_EX_USAGE		64

struct tparty;

/* One participant. */
struct tparty_party {
	struct tparty	*tp;
	uint32_t	 ssrc;
	double		 freq;		/* 0: silence */
	struct call	*call;		/* owned */
	struct event	*ev_start;	/* owned */
	bool		 own_keys;	/* a booked participant's credential */
	uint8_t		 key_up[SRTPX_MAX_MASTER];	/* wiped */
	uint8_t		 key_down[SRTPX_MAX_MASTER];
};

/* What the command line asks for, and the run. */
struct tparty {
	const char		*addr;
	int			 port;
	enum srtpx_suite	 suite;
	uint8_t			 key[SRTPX_MAX_MASTER];	/* wiped */
	double			 seconds;
	double			 loss, reorder;
	int			 jitter_ms;
	uint64_t		 seed;
	bool			 level;
	const char		*dir;
	int			 delay_ms;
	double			 amp;
	int			 complexity;	/* of every party's encoder */

	struct event_base	*base;
	struct tparty_party	*parties;	/* owned */
	size_t			 nparties;
	double			 freqs[CALL_MAX_FREQS];
	size_t			 nfreqs;
	struct event		*ev_stop, *ev_int, *ev_term;
	bool			 interrupted;
	int			 failed;	/* exit status if nonzero */
};

static void
tparty_usage(FILE *out)
{
	fprintf(out,
	    "usage: tparty -a ADDR -p PORT -k BASE64KEY -d SECONDS [-s SUITE]\n"
	    "              [-l LOSS%%] [-r REORDER%%] [-j JITTER_MS] [-S SEED]"
	    " [-L]\n"
	    "              [-w DIR] [-D START_DELAY_MS] [-A AMPLITUDE] "
	    "[-c COMPLEXITY]\n"
	    "              SSRC:FREQ ...\n"
	    "  -a ADDR      the conference server, an IPv4 or IPv6 literal\n"
	    "  -p PORT      the conference port\n"
	    "  -k KEY       the room's master key and salt, base64\n"
	    "  -s SUITE     AES_CM_128_HMAC_SHA1_80 (default) or "
	    "AEAD_AES_128_GCM\n"
	    "  -d SECONDS   how long the run lasts, from its start\n"
	    "  -l LOSS      percent of each party's packets dropped\n"
	    "  -r REORDER   percent of packets swapped with the next\n"
	    "  -j JITTER    extra delay of 0..JITTER ms per packet\n"
	    "  -S SEED      seed of the impairment (party i uses SEED + i)\n"
	    "  -L           send the RFC 6464 audio level (extension id 1)\n"
	    "  -w DIR       record what each party hears to "
	    "DIR/party-SSRC.wav\n"
	    "  -D MS        party i starts i * MS milliseconds after the "
	    "first\n"
	    "  -A AMP       tone amplitude, 0..1 of full scale (0.25)\n"
	    "  -F HZ        also measure HZ in what every party hears\n"
	    "  -c N         Opus encoder complexity, 0..10 (5)\n"
	    "  SSRC:FREQ    a party: its SSRC (decimal, or hex with 0x) and "
	    "its\n"
	    "               tone in Hz, 0 for silence\n"
	    "After the run, one JSON line per party on standard output.\n");
}

/* Reports a usage error and exits. */
static void __attribute__((noreturn, format(printf, 1, 2)))
tparty_bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tparty: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	tparty_usage(stderr);
	exit(TPARTY_EX_USAGE);
}

/* Parses a whole number or fraction in [lo, hi]; false if it is not. */
static bool
tparty_num(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

/* Parses an unsigned integer, hex with 0x, up to max; false if not. */
static bool
tparty_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull() would take a sign or blanks in front. */
	if (!(base == 16 ? isxdigit((unsigned char)*s) :
	    isdigit((unsigned char)*s)))
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end != '\0' || errno != 0 || v > max)
		return false;
	*out = v;
	return true;
}

/* Adds a frequency to those measured in what every party hears. */
static void
tparty_measure(struct tparty *tp, double hz)
{
	size_t i;

	for (i = 0; i < tp->nfreqs; i++)
		if (tp->freqs[i] == hz)
			return;
	if (tp->nfreqs == CALL_MAX_FREQS)
		tparty_bad("more than %d different frequencies",
		    CALL_MAX_FREQS);
	tp->freqs[tp->nfreqs++] = hz;
}

/*
 * Adds a party from "SSRC:FREQ", or "SSRC:FREQ:KEY_UP:KEY_DOWN" for a
 * participant of a booked conference with keys of its own, or exits with a
 * usage error.
 */
static void
tparty_add(struct tparty *tp, const char *arg)
{
	struct tparty_party *p;
	char ssrc[32], freq[32], up[64], down[64], why[128];
	const char *colon = strchr(arg, ':');
	uint64_t v;
	double hz;
	size_t i;
	int n;

	up[0] = down[0] = '\0';
	n = sscanf(arg, "%31[^:]:%31[^:]:%63[^:]:%63s", ssrc, freq, up, down);
	if (colon == NULL || (n != 2 && n != 4))
		tparty_bad("party '%s' is not SSRC:FREQ[:KEY_UP:KEY_DOWN]", arg);
	if (!tparty_uint(ssrc, UINT32_MAX, &v))
		tparty_bad("party '%s': '%s' is not a 32-bit SSRC", arg, ssrc);
	if (!tparty_num(freq, 0, TONE_RATE / 2 - 1, &hz))
		tparty_bad("party '%s': '%s' is not a frequency of 0..%d Hz",
		    arg, freq, TONE_RATE / 2 - 1);
	for (i = 0; i < tp->nparties; i++) {
		if (tp->parties[i].ssrc == (uint32_t)v)
			tparty_bad("SSRC %s is given twice", ssrc);
		/* confd sends each party the mix under ~ssrc. */
		if (tp->parties[i].ssrc == ~(uint32_t)v)
			tparty_bad("SSRC %s is the complement of another "
			    "party's, which confd sends that party's mix "
			    "under", ssrc);
	}
	p = &tp->parties[tp->nparties++];
	p->tp = tp;
	p->ssrc = (uint32_t)v;
	p->freq = hz;
	if (n == 4) {
		if (srtpx_key_decode(tp->suite, up, p->key_up, why,
		    sizeof(why)) != 0 || srtpx_key_decode(tp->suite, down,
		    p->key_down, why, sizeof(why)) != 0)
			tparty_bad("party %s: key: %s", ssrc, why);
		p->own_keys = true;
	}
	if (hz != 0)
		tparty_measure(tp, hz);
}

/* Reads the command line into tp, or exits with a usage error. */
static void
tparty_args(struct tparty *tp, int argc, char **argv)
{
	const char *key = NULL;
	struct in6_addr in6;
	struct in_addr in;
	char why[256];
	uint64_t v;
	double d;
	int ch, suite;

	tp->suite = SRTPX_AES_CM_128_HMAC_SHA1_80;
	tp->amp = 0.25;
	tp->complexity = 5;
	while ((ch = getopt(argc, argv, "a:p:k:s:d:l:r:j:S:Lw:D:A:F:c:h")) != -1) {
		switch (ch) {
		case 'a':
			tp->addr = optarg;
			break;
		case 'p':
			if (!tparty_uint(optarg, 65535, &v) || v == 0)
				tparty_bad("-p: '%s' is not a port", optarg);
			tp->port = (int)v;
			break;
		case 'k':
			key = optarg;
			break;
		case 's':
			if ((suite = srtpx_suite_parse(optarg)) < 0)
				tparty_bad("-s: unknown SRTP suite '%s'",
				    optarg);
			tp->suite = (enum srtpx_suite)suite;
			break;
		case 'd':
			if (!tparty_num(optarg, 0.1, 86400, &tp->seconds))
				tparty_bad("-d: '%s' is not 0.1..86400 "
				    "seconds", optarg);
			break;
		case 'l':
			if (!tparty_num(optarg, 0, 100, &tp->loss))
				tparty_bad("-l: '%s' is not a percentage",
				    optarg);
			break;
		case 'r':
			if (!tparty_num(optarg, 0, 100, &tp->reorder))
				tparty_bad("-r: '%s' is not a percentage",
				    optarg);
			break;
		case 'j':
			if (!tparty_uint(optarg, 1000, &v))
				tparty_bad("-j: '%s' is not 0..1000 ms",
				    optarg);
			tp->jitter_ms = (int)v;
			break;
		case 'S':
			if (!tparty_uint(optarg, UINT64_MAX, &tp->seed))
				tparty_bad("-S: '%s' is not a seed", optarg);
			break;
		case 'L':
			tp->level = true;
			break;
		case 'w':
			tp->dir = optarg;
			break;
		case 'D':
			if (!tparty_uint(optarg, 3600000, &v))
				tparty_bad("-D: '%s' is not 0..3600000 ms",
				    optarg);
			tp->delay_ms = (int)v;
			break;
		case 'A':
			if (!tparty_num(optarg, 0, 1, &tp->amp))
				tparty_bad("-A: '%s' is not 0..1", optarg);
			break;
		case 'F':
			if (!tparty_num(optarg, 20, 20000, &d))
				tparty_bad("-F: '%s' is not 20..20000 Hz",
				    optarg);
			tparty_measure(tp, d);
			break;
		case 'c':
			if (!tparty_uint(optarg, 10, &v))
				tparty_bad("-c: '%s' is not a complexity of "
				    "0..10", optarg);
			tp->complexity = (int)v;
			break;
		case 'h':
			tparty_usage(stdout);
			exit(0);
		default:
			tparty_usage(stderr);
			exit(TPARTY_EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (key == NULL)
		key = "";
	if (tp->addr == NULL || tp->port == 0 ||
	    tp->seconds == 0)
		tparty_bad("-a, -p and -d are required");
	if (inet_pton(AF_INET, tp->addr, &in) != 1 &&
	    inet_pton(AF_INET6, tp->addr, &in6) != 1)
		tparty_bad("-a: '%s' is not an IPv4 or IPv6 address", tp->addr);
	if (argc == 0)
		tparty_bad("no party");
	if (argc > TPARTY_MAX_PARTIES)
		tparty_bad("at most %d parties", TPARTY_MAX_PARTIES);
	d = (double)(argc - 1) * tp->delay_ms / 1000.0;
	if (d >= tp->seconds)
		tparty_bad("the last party would start after the end of the "
		    "run (%.1f s >= %.1f s)", d, tp->seconds);
	if ((tp->parties = calloc((size_t)argc, sizeof(*tp->parties))) ==
	    NULL) {
		fprintf(stderr, "tparty: out of memory\n");
		exit(1);
	}
	for (; argc > 0; argc--, argv++) {
		tparty_add(tp, *argv);
		if (!tp->parties[tp->nparties - 1].own_keys && *key == '\0')
			tparty_bad("party %s has no keys: give -k", *argv);
	}
	/* Last, so that no other usage error leaves the key in memory. */
	if (*key != '\0' &&
	    srtpx_key_decode(tp->suite, key, tp->key, why, sizeof(why)) != 0)
		tparty_bad("-k: %s", why);
}

/* Reports a party's failure; the run then exits with status 1. */
static void
tparty_fail(struct tparty *tp, const struct tparty_party *p, const char *why)
{
	fprintf(stderr, "tparty: party %08x: %s\n", p->ssrc, why);
	tp->failed = 1;
}

/* Ends the run: every call says BYE, then the loop ends. */
static void
tparty_stop(struct tparty *tp)
{
	struct tparty_party *p;
	char why[256];
	size_t i;

	for (i = 0; i < tp->nparties; i++) {
		p = &tp->parties[i];
		event_del(p->ev_start);
		if (p->call != NULL &&
		    call_stop(p->call, why, sizeof(why)) != 0)
			tparty_fail(tp, p, why);
	}
	event_base_loopbreak(tp->base);
}

static void
tparty_on_start(evutil_socket_t fd, short what, void *arg)
{
	struct tparty_party *p = arg;
	int err;

	(void)fd;
	(void)what;
	if ((err = call_start(p->call)) != 0) {
		tparty_fail(p->tp, p, strerror(err));
		tparty_stop(p->tp);
	}
}

static void
tparty_on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tparty_stop(arg);
}

static void
tparty_on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct tparty *tp = arg;

	(void)fd;
	(void)what;
	tp->interrupted = true;
	tparty_stop(tp);
}

/* Creates the calls and the events of the run; 0, or 1 with a message. */
static int
tparty_setup(struct tparty *tp)
{
	struct tparty_party *p;
	struct call_conf conf;
	struct timeval tv;
	char why[256], path[4096];
	size_t i;
	int err;

	for (i = 0; i < tp->nparties; i++) {
		p = &tp->parties[i];
		call_conf_default(&conf);
		conf.server_addr = tp->addr;
		conf.server_port = (uint16_t)tp->port;
		conf.ssrc = p->ssrc;
		conf.suite = tp->suite;
		/* A standalone room has one key for both directions. */
		memcpy(conf.tx_key, p->own_keys ? p->key_up : tp->key,
		    sizeof(conf.tx_key));
		memcpy(conf.rx_key, p->own_keys ? p->key_down : tp->key,
		    sizeof(conf.rx_key));
		if (p->freq > 0) {
			conf.source = CALL_SRC_TONE;
			conf.tone_hz = p->freq;
			conf.tone_amp = tp->amp;
		}
		conf.send_level = tp->level;
		conf.complexity = tp->complexity;
		memcpy(conf.freqs, tp->freqs, sizeof(conf.freqs));
		conf.nfreqs = tp->nfreqs;
		conf.loss_pct = tp->loss;
		conf.reorder_pct = tp->reorder;
		conf.jitter_ms = tp->jitter_ms;
		conf.seed = tp->seed + i;
		if (tp->dir != NULL) {
			snprintf(path, sizeof(path), "%s/party-%08x.wav",
			    tp->dir, p->ssrc);
			conf.record_path = path;
		}
		err = call_new(&p->call, tp->base, &conf, why, sizeof(why));
		call_conf_wipe(&conf);
		if (err != 0) {
			tparty_fail(tp, p, why);
			return 1;
		}
		if ((p->ev_start = event_new(tp->base, -1, 0, tparty_on_start,
		    p)) == NULL) {
			tparty_fail(tp, p, "cannot create an event");
			return 1;
		}
		tv.tv_sec = (time_t)(i * (size_t)tp->delay_ms / 1000);
		tv.tv_usec = (suseconds_t)(i * (size_t)tp->delay_ms % 1000 *
		    1000);
		event_add(p->ev_start, &tv);
	}
	tp->ev_stop = event_new(tp->base, -1, 0, tparty_on_stop, tp);
	tp->ev_int = evsignal_new(tp->base, SIGINT, tparty_on_signal, tp);
	tp->ev_term = evsignal_new(tp->base, SIGTERM, tparty_on_signal, tp);
	if (tp->ev_stop == NULL || tp->ev_int == NULL || tp->ev_term == NULL) {
		fprintf(stderr, "tparty: cannot create the events\n");
		return 1;
	}
	tv.tv_sec = (time_t)tp->seconds;
	tv.tv_usec = (suseconds_t)((tp->seconds - (double)tv.tv_sec) * 1e6);
	event_add(tp->ev_stop, &tv);
	event_add(tp->ev_int, NULL);
	event_add(tp->ev_term, NULL);
	return 0;
}

/* A frequency as a JSON key: "400", or "437.5". */
static void
tparty_hz_key(double hz, char *buf, size_t len)
{
	snprintf(buf, len, "%g", hz);
}

/* A number as JSON: whole numbers as integers, for tidy output. */
static json_t *
tparty_json_num(double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

/* Prints one party's line; 0, or 1 when out of memory. */
static int
tparty_print(const struct tparty *tp, const struct tparty_party *p)
{
	struct call_stats st;
	json_t *o, *ratios;
	char key[32], *line;
	size_t i;

	call_stats(p->call, &st);
	if ((ratios = json_object()) == NULL)
		return 1;
	for (i = 0; i < tp->nfreqs; i++) {
		tparty_hz_key(tp->freqs[i], key, sizeof(key));
		json_object_set_new(ratios, key,
		    json_real(call_tone_ratio(p->call, tp->freqs[i])));
	}
	o = json_pack("{s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, "
	    "s:o, s:I, s:I, s:I, s:f, s:I, s:I}",
	    "ssrc", (json_int_t)p->ssrc,
	    "freq", tparty_json_num(p->freq),
	    "sent", (json_int_t)st.sent,
	    "received", (json_int_t)st.received,
	    "lost", (json_int_t)st.lost,
	    "late", (json_int_t)st.late,
	    "concealed", (json_int_t)st.concealed,
	    "fec", (json_int_t)st.fec,
	    "auth_fail", (json_int_t)st.auth_fail,
	    "energy", call_heard_energy(p->call),
	    "ratios", ratios,
	    "dropped", (json_int_t)st.dropped,
	    "foreign", (json_int_t)st.foreign,
	    "rtcp_received", (json_int_t)st.rtcp_received,
	    "jitter_ms", st.jitter_ms,
	    "level", (json_int_t)st.level,
	    "resyncs", (json_int_t)st.resyncs);
	if (o == NULL)
		return 1;
	line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (line == NULL)
		return 1;
	printf("%s\n", line);
	free(line);
	return 0;
}

/* Frees the run. */
static void
tparty_free(struct tparty *tp)
{
	size_t i;

	for (i = 0; i < tp->nparties; i++) {
		call_free(tp->parties[i].call);
		if (tp->parties[i].ev_start != NULL)
			event_free(tp->parties[i].ev_start);
	}
	if (tp->parties != NULL)
		sodium_memzero(tp->parties, tp->nparties *
		    sizeof(*tp->parties));
	free(tp->parties);
	if (tp->ev_stop != NULL)
		event_free(tp->ev_stop);
	if (tp->ev_int != NULL)
		event_free(tp->ev_int);
	if (tp->ev_term != NULL)
		event_free(tp->ev_term);
	if (tp->base != NULL)
		event_base_free(tp->base);
	sodium_memzero(tp->key, sizeof(tp->key));
}

int
main(int argc, char **argv)
{
	struct tparty tp;
	size_t i;
	int status;

	memset(&tp, 0, sizeof(tp));
	log_init("tparty", 1, LOG_LVL_WARN);
	if (srtpx_init() != 0) {
		fprintf(stderr, "tparty: cannot initialise libsrtp\n");
		return 1;
	}
	tparty_args(&tp, argc, argv);
	if ((tp.base = event_base_new()) == NULL) {
		fprintf(stderr, "tparty: cannot create the event loop\n");
		tparty_free(&tp);
		return 1;
	}
	if ((status = tparty_setup(&tp)) == 0) {
		event_base_dispatch(tp.base);
		/* Print what was heard even after a failure or a signal. */
		for (i = 0; i < tp.nparties; i++)
			if (tparty_print(&tp, &tp.parties[i]) != 0) {
				fprintf(stderr, "tparty: out of memory\n");
				tp.failed = 1;
			}
		if (tp.interrupted) {
			fprintf(stderr, "tparty: interrupted before the end "
			    "of the run\n");
			tp.failed = 1;
		}
		status = tp.failed;
	}
	fflush(stdout);
	tparty_free(&tp);
	return status;
}
