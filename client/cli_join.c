/*
 * cli_join: joins a conference from its two codes.
 *
 * The codes are checked one by one and then opened together, so that a
 * typo, a swapped pair, codes of different pairs and expired codes are each
 * named before anything is sent.  The call (call.h) then runs on the
 * event loop until Ctrl-C, the --duration, or the codes' expiry: every way
 * out stops the call, which sends confd an RTCP BYE, so the seat is free
 * at once rather than after confd's idle timeout.
 *
 * On a terminal one status line, redrawn four times a second, shows the
 * level heard, whether someone is speaking, the loss and the jitter; when
 * nothing comes back it says so there.  The run ends with one summary line
 * and, when the server never answered, exit status 69.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "call.h"
#include "wav.h"
#include "confcli.h"
#include "rfc3339.h"

#define JOIN_STATUS_MS		250	/* the status line's refresh */
#define JOIN_SILENT_MS		3000	/* nothing at all yet: say so */
#define JOIN_GONE_MS		7000	/* nothing, not even confd's reports */
#define JOIN_WARN_MS		5000	/* ... on stderr, without a tty */
#define JOIN_SPEAKING		50	/* -dBov; louder is someone talking */
#define JOIN_BAR		8	/* characters of the level bar */
#define JOIN_DURATION_MAX	86400.0

enum {
	JOIN_OPT_TONE = CONFCLI_OPT_VERB,
	JOIN_OPT_WAV,
	JOIN_OPT_LOOP,
	JOIN_OPT_MIC,
	JOIN_OPT_RECORD,
	JOIN_OPT_DURATION,
};

/* One run of join. */
struct join {
	struct confcli		*cc;
	struct event_base	*base;		/* the run's, borrowed */
	struct call		*call;		/* owned */
	struct event		*ev_status, *ev_stop, *ev_expire;
	struct event		*ev_int, *ev_term;
	struct acode_cred	 cred;		/* wiped */
	char			 addr[ACODE_ADDR_MAX];
	const char		*record;
	bool			 tty;		/* draw the status line */
	bool			 line_drawn;
	bool			 warned;	/* the no-answer warning */
	bool			 gone_told;	/* the server-gone hint */
	bool			 expired;
	bool			 stopped;
	uint64_t		 start_ms;
	uint64_t		 end_ms;
	uint64_t		 last_rx;	/* RTP and RTCP received, */
	uint64_t		 last_rx_ms;	/* ... counted at this time */
	int			 failed;	/* exit status, if nonzero */
};

static uint64_t
join_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Erases the status line, so that a message starts on a clean line. */
static void
join_clear_line(struct join *j)
{
	if (j->line_drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		j->line_drawn = false;
	}
}

/* The share of frames lost, in percent, over the whole call. */
static double
join_loss(const struct call_stats *st)
{
	uint64_t n = st->received + st->lost;

	return n == 0 ? 0 : 100.0 * (double)st->lost / (double)n;
}

/*
 * Says once that a server which answered went silent, and what to do: if
 * it failed for good, mgmtd moves the conference and sends new codes.
 */
static void
join_gone_hint(struct join *j, uint64_t silent_ms)
{
	if (j->gone_told || j->cc->quiet)
		return;
	j->gone_told = true;
	join_clear_line(j);
	confcli_err("the conference server at %s port %u has not answered for "
	    "%llu s.  If it failed, the conference moves to another server: "
	    "a new code 2 comes by SMS, and 'confcli moved CODE1' (your code "
	    "1) fetches the new code 1; then join with the new codes",
	    j->addr, j->cred.port, (unsigned long long)(silent_ms / 1000));
}

/* Redraws the status line, or warns once on stderr without a terminal. */
static void
join_on_status(evutil_socket_t fd, short what, void *arg)
{
	struct join *j = arg;
	struct call_stats st;
	char bar[JOIN_BAR + 1], line[160];
	struct winsize ws;
	uint64_t now = join_now_ms(), el = now - j->start_ms;
	int i, n;

	(void)fd;
	(void)what;
	call_stats(j->call, &st);
	/*
	 * confd sends a lone participant no audio, but a report every five
	 * seconds: either shows that it answers.
	 */
	if (st.received + st.rtcp_received != j->last_rx) {
		j->last_rx = st.received + st.rtcp_received;
		j->last_rx_ms = now;
	}
	n = snprintf(line, sizeof(line), "%2llu:%02llu  ",
	    (unsigned long long)(el / 60000),
	    (unsigned long long)(el / 1000 % 60));
	if ((j->last_rx == 0 && el >= JOIN_SILENT_MS) ||
	    now - j->last_rx_ms >= JOIN_GONE_MS)
		snprintf(line + n, sizeof(line) - (size_t)n, "%s from the "
		    "conference server at %s port %u", j->last_rx == 0 ?
		    "no answer yet" : "no more answers", j->addr,
		    j->cred.port);
	else {
		/* 0 dBov fills the bar, -60 dBov or less leaves it empty. */
		for (i = 0; i < JOIN_BAR; i++)
			bar[i] = st.level < 60 - i * 60 / JOIN_BAR ? '#' : '.';
		bar[JOIN_BAR] = '\0';
		snprintf(line + n, sizeof(line) - (size_t)n, "heard [%s]%4d "
		    "dBov  %-16s  loss %4.1f%%  jitter %4.1f ms", bar,
		    -st.level, st.level <= JOIN_SPEAKING ? "someone speaking" :
		    "quiet", join_loss(&st), st.jitter_ms);
	}
	if (j->last_rx != 0 && now - j->last_rx_ms >= JOIN_GONE_MS)
		join_gone_hint(j, now - j->last_rx_ms);
	/* A line that wraps could not be redrawn in place. */
	if (j->tty && ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 1 && ws.ws_col <= sizeof(line))
		line[ws.ws_col - 1] = '\0';
	if (j->tty) {
		fprintf(stderr, "\r\033[K%s", line);
		fflush(stderr);
		j->line_drawn = true;
	} else if (!j->warned && !j->cc->quiet && j->last_rx == 0 &&
	    el >= JOIN_WARN_MS) {
		j->warned = true;
		confcli_err("no answer yet from the conference server at %s "
		    "port %u after %llu s; still trying", j->addr,
		    j->cred.port, (unsigned long long)(el / 1000));
	}
}

/* Leaves the conference: the call says BYE, then the loop ends. */
static void
join_stop(struct join *j)
{
	char why[256];

	if (j->stopped)
		return;
	j->stopped = true;
	j->end_ms = join_now_ms();
	event_del(j->ev_status);
	join_clear_line(j);
	if (call_stop(j->call, why, sizeof(why)) != 0) {
		confcli_err("the recording %s is incomplete: %s", j->record,
		    why);
		j->failed = CONFCLI_EX_FAIL;
	}
	event_base_loopbreak(j->base);
}

static void
join_on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	join_stop(arg);
}

static void
join_on_expire(evutil_socket_t fd, short what, void *arg)
{
	struct join *j = arg;

	(void)fd;
	(void)what;
	j->expired = true;
	join_stop(j);
}

/* Sets a one-shot timer of the run seconds from now. */
static void
join_timer(struct event *ev, double secs)
{
	struct timeval tv;

	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	event_add(ev, &tv);
}

/* Checks the sound file to send before the call opens it; exit status. */
static int
join_check_wav(const char *path)
{
	struct wav *w;
	char why[512];

	/* libsndfile's message for a missing file is not for people. */
	if (access(path, R_OK) != 0) {
		confcli_err("--wav: cannot read %s: %s", path,
		    strerror(errno));
		return CONFCLI_EX_NOINPUT;
	}
	if (wav_open_read(&w, path, why, sizeof(why)) != 0) {
		confcli_err("--wav: %s", why);
		return CONFCLI_EX_DATAERR;
	}
	wav_free(w);
	return CONFCLI_EX_OK;
}

/* Prints the summary line, and why when nothing came back. */
static void
join_summary(struct join *j)
{
	struct call_stats st;
	double secs = (double)(j->end_ms - j->start_ms) / 1000.0;
	char until[64], exp[32];

	call_stats(j->call, &st);
	printf("left after %.1f s: sent %llu packets, received %llu, lost "
	    "%.1f %%, jitter %.1f ms%s%s\n", secs,
	    (unsigned long long)st.sent, (unsigned long long)st.received,
	    join_loss(&st), st.jitter_ms, j->record != NULL ?
	    "; recorded to " : "", j->record != NULL ? j->record : "");
	/* Keeps the summary before the messages when both go to a file. */
	fflush(stdout);
	if (j->expired) {
		rfc3339_format(j->cred.expires, exp, sizeof(exp));
		cli_time_human(exp, until, sizeof(until));
		confcli_err("the codes expired at %s: the conference is over",
		    until);
	}
	if (st.received + st.rtcp_received > 0 || j->failed != 0)
		return;
	if (st.auth_fail > 0)
		confcli_err("the conference server at %s port %u answered, "
		    "but not with these codes' keys: %llu packets failed "
		    "authentication", j->addr, j->cred.port,
		    (unsigned long long)st.auth_fail);
	else
		confcli_err("the conference server at %s port %u does not "
		    "answer: nothing came back in %.1f s (the conference may "
		    "not have started yet, or a firewall drops UDP; if its "
		    "server failed, 'confcli moved CODE1' gets the new code 1 "
		    "of the server it moved to)", j->addr, j->cred.port, secs);
	j->failed = CONFCLI_EX_UNAVAILABLE;
}

/* Creates the call and the events of the run; an exit status. */
static int
join_setup(struct join *j, struct call_conf *conf, double duration)
{
	char why[512];
	int64_t left;
	int err;

	err = call_new(&j->call, j->base, conf, why, sizeof(why));
	call_conf_wipe(conf);
	if (err != 0) {
		confcli_err("cannot join: %s", why);
		return CONFCLI_EX_FAIL;
	}
	j->ev_status = event_new(j->base, -1, EV_PERSIST, join_on_status, j);
	j->ev_stop = evtimer_new(j->base, join_on_stop, j);
	j->ev_expire = evtimer_new(j->base, join_on_expire, j);
	j->ev_int = evsignal_new(j->base, SIGINT, join_on_stop, j);
	j->ev_term = evsignal_new(j->base, SIGTERM, join_on_stop, j);
	if (j->ev_status == NULL || j->ev_stop == NULL ||
	    j->ev_expire == NULL || j->ev_int == NULL || j->ev_term == NULL) {
		confcli_err("cannot create the events of the call");
		return CONFCLI_EX_FAIL;
	}
	event_add(j->ev_int, NULL);
	event_add(j->ev_term, NULL);
	join_timer(j->ev_status, JOIN_STATUS_MS / 1000.0);
	if (duration > 0)
		join_timer(j->ev_stop, duration);
	/* The codes are good until their expiry, that second included. */
	left = j->cred.expires + 1 - (int64_t)time(NULL);
	join_timer(j->ev_expire, left > 0 ? (double)left : 0);
	if ((err = call_start(j->call)) != 0) {
		confcli_err("cannot start the call: %s", strerror(err));
		return CONFCLI_EX_FAIL;
	}
	j->start_ms = j->last_rx_ms = join_now_ms();
	return CONFCLI_EX_OK;
}

/* Frees the run. */
static void
join_free(struct join *j)
{
	call_free(j->call);
	if (j->ev_status != NULL)
		event_free(j->ev_status);
	if (j->ev_stop != NULL)
		event_free(j->ev_stop);
	if (j->ev_expire != NULL)
		event_free(j->ev_expire);
	if (j->ev_int != NULL)
		event_free(j->ev_int);
	if (j->ev_term != NULL)
		event_free(j->ev_term);
	acode_cred_wipe(&j->cred);
}

/* Runs the call until it ends; an exit status. */
static int
join_run(struct join *j, struct call_conf *conf, double duration)
{
	char until[64], exp[32];
	int ex;

	if ((ex = join_setup(j, conf, duration)) != 0)
		return ex;
	if (!j->cc->quiet) {
		rfc3339_format(j->cred.expires, exp, sizeof(exp));
		cli_time_human(exp, until, sizeof(until));
		fprintf(stderr, "confcli: joined the conference at %s port %u "
		    "as SSRC %08x\nconfcli: the codes expire at %s; Ctrl-C "
		    "leaves\n", j->addr, j->cred.port, j->cred.ssrc, until);
	}
	event_base_dispatch(j->base);
	join_stop(j);
	join_summary(j);
	return j->failed;
}

int
cli_join(struct confcli *cc, int argc, char **argv)
{
	static const struct option opts[] = {
		CONFCLI_COMMON_LONGOPTS,
		{ "tone", required_argument, NULL, JOIN_OPT_TONE },
		{ "wav", required_argument, NULL, JOIN_OPT_WAV },
		{ "loop", no_argument, NULL, JOIN_OPT_LOOP },
		{ "mic", no_argument, NULL, JOIN_OPT_MIC },
		{ "record", required_argument, NULL, JOIN_OPT_RECORD },
		{ "duration", required_argument, NULL, JOIN_OPT_DURATION },
		{ NULL, 0, NULL, 0 },
	};
	char code1[1024], code2[1024], why[160];
	struct call_conf conf;
	struct join j;
	const char *wav = NULL;
	double tone = 0, duration = 0;
	bool mic = false, loop = false;
	char *end;
	int ch, ex, nsrc = 0;

	memset(&j, 0, sizeof(j));
	j.cc = cc;
	while ((ch = getopt_long(argc, argv, CONFCLI_COMMON_SHORTOPTS, opts,
	    NULL)) != -1) {
		switch (ch) {
		case JOIN_OPT_TONE:
			tone = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(tone >= 20 &&
			    tone <= 20000))
				return confcli_usage_err(cc, "--tone: '%s' is "
				    "not a frequency of 20..20000 Hz", optarg);
			nsrc++;
			break;
		case JOIN_OPT_WAV:
			wav = optarg;
			nsrc++;
			break;
		case JOIN_OPT_LOOP:
			loop = true;
			break;
		case JOIN_OPT_MIC:
			mic = true;
			nsrc++;
			break;
		case JOIN_OPT_RECORD:
			j.record = optarg;
			break;
		case JOIN_OPT_DURATION:
			duration = strtod(optarg, &end);
			if (end == optarg || *end != '\0' ||
			    !(duration >= 0.1 && duration <= JOIN_DURATION_MAX))
				return confcli_usage_err(cc, "--duration: '%s' "
				    "is not 0.1..%.0f seconds", optarg,
				    JOIN_DURATION_MAX);
			break;
		default:
			if (!confcli_common_opt(cc, ch, optarg))
				return confcli_bad_opt(cc, argv);
		}
	}
	if (argc - optind != 2)
		return confcli_usage_err(cc, argc - optind < 2 ? "give both "
		    "codes: code 1 first, then code 2 (from the SMS)" :
		    "'%s' is one argument too many", argv[optind + 2]);
	if (nsrc > 1)
		return confcli_usage_err(cc, "send one of --tone, --wav and "
		    "--mic");
	if (loop && wav == NULL)
		return confcli_usage_err(cc, "--loop goes with --wav");
	if (mic) {
		confcli_err("microphone input needs PulseAudio support, which "
		    "this confcli was built without; send a sound file with "
		    "--wav or a tone with --tone");
		return CONFCLI_EX_UNAVAILABLE;
	}
	if (cli_code_arg(argv[optind], 1, code1, sizeof(code1), why,
	    sizeof(why)) != 0 || cli_code_arg(argv[optind + 1], 2, code2,
	    sizeof(code2), why, sizeof(why)) != 0) {
		confcli_err("%s", why);
		ex = CONFCLI_EX_DATAERR;
		goto out;
	}
	ex = cli_codes_decode(code1, code2, (int64_t)time(NULL), &j.cred);
	if (ex != 0 || (wav != NULL && (ex = join_check_wav(wav)) != 0))
		goto out;
	if ((j.base = confcli_base(cc)) == NULL) {
		ex = CONFCLI_EX_FAIL;
		goto out;
	}
	(void)acode_addr_text(&j.cred, j.addr, sizeof(j.addr));
	j.tty = !cc->quiet && isatty(STDERR_FILENO);
	call_conf_default(&conf);
	conf.server_addr = j.addr;
	conf.server_port = j.cred.port;
	conf.ssrc = j.cred.ssrc;
	conf.suite = SRTPX_AES_CM_128_HMAC_SHA1_80;
	memcpy(conf.tx_key, j.cred.key_c2s, sizeof(j.cred.key_c2s));
	memcpy(conf.rx_key, j.cred.key_s2c, sizeof(j.cred.key_s2c));
	if (tone > 0) {
		conf.source = CALL_SRC_TONE;
		conf.tone_hz = tone;
	} else if (wav != NULL) {
		conf.source = CALL_SRC_WAV;
		conf.wav_path = wav;
		conf.wav_loop = loop;
	}
	conf.send_level = true;
	conf.record_path = j.record;
	/* join_setup() wipes conf's keys whatever happens. */
	ex = join_run(&j, &conf, duration);
out:
	join_free(&j);
	sodium_memzero(code1, sizeof(code1));
	sodium_memzero(code2, sizeof(code2));
	return ex;
}
