/*
 * tload: the load generator of `make bench`.
 *
 * Plays P participants in conferences of S on consecutive ports of one
 * confd, from one thread, as cheaply as honesty allows: the Opus is encoded
 * once, so what is left per packet is the RTP header, SRTP and the system
 * calls (SRTP through Debian's libsrtp2, which makes an NSS HMAC context
 * per packet, is most of it: one core drives about 850 participants).
 * Every packet is what a real client sends: Opus at
 * 48 kHz mono in 20 ms frames, 32 kbit/s, complexity 5, in-band FEC, with
 * the RFC 6464 audio level, each SRTP-protected with its participant's own
 * context, 50 packets a second, never skipped while the generator keeps up.
 *
 * The Opus packets are encoded once at start, not per participant: a few
 * seconds of four synthetic voices (a harmonic tone with vibrato, slow
 * intonation and syllable-rate amplitude modulation) and a second of
 * near-silence (white noise at about -75 dBFS).  Each participant replays
 * them under its own RTP header (SSRC, sequence number, timestamp, marker)
 * and level.  Who talks follows a random but repeatable pattern per
 * conference: mostly one speaker at a time, sometimes two or three
 * overlapping, sometimes a pause; a talker sends speech with its real
 * level (about 20..35 -dBov), the others send the near-silence marked as
 * silence (level 127), as a client whose voice activity detector says
 * "quiet" would.
 *
 * Each conference sends at its own phase of the 20 ms period, spread evenly
 * over it (or, with -o, each participant at its own, as independent
 * clients do), on absolute deadlines of the monotonic clock (a timerfd),
 * so the load is drift-free and does not come in one burst; joins are
 * spread over the first half of the warm-up.  Participants share a
 * handful of sockets: confd latches an address per SSRC, so several SSRCs
 * may come from one port, and the mix of each comes back to it under the
 * complement of its SSRC.  Sends and receives go through sendmmsg() and
 * recvmmsg().  Every packet received is authenticated and decrypted;
 * losses are counted from sequence gaps of each stream confd sends, and
 * for one participant of some conferences the mix is decoded to check that
 * it is audio, not silence.
 *
 *	tload -a ADDR -p BASEPORT -r ROOMS -S SIZE -P PARTICIPANTS -k KEY
 *	      -d SECONDS [options]
 *
 * It prints "measure start" and "measure end" when the measured window
 * (after the warm-up) opens and closes, so that a benchmark can read the
 * server's counters at the same moments, then one JSON line with the
 * figures of the window.  Exit status: 0 after the run, 1 on a failure at
 * run time (with a message), 64 on a usage error.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <opus/opus.h>
#include <sodium.h>

#include "log.h"
#include "mix.h"
#include "rtp.h"
#include "srtpx.h"
#include "tone.h"

#define TLOAD_EX_USAGE		64
#define TLOAD_RATE		48000
#define TLOAD_FRAME		960		/* samples per 20 ms */
#define TLOAD_TICK_NS		20000000ULL
#define TLOAD_MAX_BEHIND	5		/* ticks; further: skip */
#define TLOAD_COALESCE_NS	200000ULL	/* rooms due this soon go too */
#define TLOAD_VOICES		4
#define TLOAD_SPEECH_FRAMES	200		/* 4 s of each voice */
#define TLOAD_QUIET_FRAMES	50		/* 1 s of near-silence */
#define TLOAD_OPUS_MAX		400		/* a 32 kbit/s frame fits */
#define TLOAD_PKT		600		/* header, Opus and tag */
#define TLOAD_BATCH		64		/* datagrams per system call */
#define TLOAD_MAX_SOCKS		256
#define TLOAD_SSRC_BITS		20		/* participant index bits */
#define TLOAD_MAX_PARTS		(1 << TLOAD_SSRC_BITS)
#define TLOAD_MAX_SALT		2047		/* keeps SSRCs below 2^31 */
#define TLOAD_OVERLAPS		2		/* talkers besides the main */
#define TLOAD_LOUD		45		/* a checked frame this loud */
						/* or louder is audio */

/* One precomputed Opus frame and the level of the audio it holds. */
struct tload_frame {
	uint8_t		data[TLOAD_OPUS_MAX];
	uint16_t	len;
	uint8_t		level;
};

/* What is checked of the mix one participant hears. */
struct tload_check {
	OpusDecoder	*dec;		/* owned */
	uint64_t	 expected;	/* frames with another talking */
	uint64_t	 frames;	/* decoded in the window */
	uint64_t	 loud;		/* of which at least TLOAD_LOUD */
	uint64_t	 errors;	/* that Opus refused */
	double		 energy;	/* sum of squares, full scale 1 */
};

/* One participant. */
struct tload_part {
	struct srtpx	*tx, *rx;	/* owned */
	uint32_t	 ssrc;		/* what it sends; it hears ~ssrc */
	uint32_t	 ts0;
	uint16_t	 seq;
	uint16_t	 voice;
	uint16_t	 pos;		/* next speech frame */
	bool		 started;	/* the marker went out */
	int		 sock;
	/* The stream it receives, in the window. */
	struct rtp_seq	 rxseq;
	bool		 have_first;
	uint32_t	 first_ext, max_ext;
	uint64_t	 received;
	struct tload_check *check;	/* owned; NULL for most */
};

/* One conference: its port, its members and who of them talks. */
struct tload_room {
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	size_t		 first, n;	/* participants first .. first+n-1 */
	uint64_t	 stepped;	/* frames of talk pattern made */
	uint64_t	 rng;
	int		 main;		/* member talking, or -1 */
	int		 main_left;	/* frames it goes on */
	int		 pause_left;	/* frames of nobody, then a new main */
	int		 ov[TLOAD_OVERLAPS];	/* overlapping talkers, or -1 */
	int		 ov_left[TLOAD_OVERLAPS];
};

/*
 * Members of a conference that send together, at one phase of the period:
 * all of them by default, or each on its own (-o).
 */
struct tload_sender {
	struct tload_room *room;
	size_t		 first, n;	/* members first .. first+n-1 */
	uint64_t	 next_ns;	/* deadline of its next frame */
	uint64_t	 tick;		/* number of that frame */
	uint64_t	 start_tick;	/* its first frame: joins are spread */
};

/* A socket shared by some participants, with its batch of sends. */
struct tload_sock {
	int		 fd;
	int		 n;		/* datagrams queued */
	struct mmsghdr	 msg[TLOAD_BATCH];
	struct iovec	 iov[TLOAD_BATCH];
	uint8_t		 buf[TLOAD_BATCH][TLOAD_PKT];
	uint32_t	 drops0, drops;	/* SO_RXQ_OVFL: at the window, now */
	bool		 have_drops0;
};

/* The counters of the measured window. */
struct tload_stats {
	uint64_t	sent, send_errors, skipped;
	uint64_t	received, auth_fail, replay, malformed, foreign;
	uint64_t	rtcp_received;
	uint64_t	talk_expected;	/* frames a member should hear */
	uint64_t	talkers[4];	/* room frames with 0..3+ talking */
	uint64_t	late_2ms, late_10ms;	/* frames sent late by */
	uint64_t	late_max_ns;
};

struct tload {
	/* The command line. */
	const char	*addr;
	int		 base_port;
	int		 nrooms_max;
	int		 size;
	size_t		 nparts;
	enum srtpx_suite suite;
	uint8_t		 key[SRTPX_MAX_MASTER];	/* wiped */
	double		 seconds, warmup, join;
	int		 nsocks;
	int		 nchecks;
	unsigned	 salt;
	int		 pt;
	int		 level_id;
	uint64_t	 seed;
	bool		 own_phase;	/* -o: each participant its own */

	struct tload_frame *speech;	/* [TLOAD_VOICES][SPEECH_FRAMES] */
	struct tload_frame *quiet;	/* [TLOAD_QUIET_FRAMES] */
	struct tload_part *parts;	/* owned */
	struct tload_room *rooms;	/* owned */
	size_t		 nrooms;
	struct tload_sender *senders;	/* owned, in order of phase */
	size_t		 nsenders;
	struct tload_sock *socks;	/* owned */
	int		 ep, tfd, sfd;
	bool		 measuring, interrupted;
	struct tload_stats st;
	struct rusage	 ru0;

	/* Receive scratch, one batch. */
	struct mmsghdr	 rmsg[TLOAD_BATCH];
	struct iovec	 riov[TLOAD_BATCH];
	uint8_t		 rbuf[TLOAD_BATCH][1500];
	uint8_t		 rctl[TLOAD_BATCH][CMSG_SPACE(sizeof(uint32_t))];
	int16_t		 pcm[5760];
};

static uint64_t
tload_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: cheap, repeatable, good enough for a talk pattern. */
static uint32_t
tload_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (uint32_t)((*s * 2685821657736338717ULL) >> 32);
}

/* A random whole number in [lo, hi]. */
static int
tload_between(uint64_t *s, int lo, int hi)
{
	return lo + (int)(tload_rand(s) % (uint32_t)(hi - lo + 1));
}

/* Whether an event of probability p (0..1) happens. */
static bool
tload_chance(uint64_t *s, double p)
{
	return tload_rand(s) < (uint32_t)(p * 4294967295.0);
}

static void
tload_usage(FILE *out)
{
	fprintf(out,
	    "usage: tload -a ADDR -p BASEPORT -r ROOMS -S SIZE -P N\n"
	    "             -k BASE64KEY -d SECONDS [-s SUITE] [-w WARMUP] "
	    "[-n SOCKETS]\n"
	    "             [-c CHECKS] [-x SALT] [-t PT] [-L EXT_ID] "
	    "[-R SEED] [-o]\n"
	    "             [-J SECONDS]\n"
	    "  -a ADDR      the conference server, an IPv4 or IPv6 literal\n"
	    "  -p BASEPORT  the port of the first conference\n"
	    "  -r ROOMS     conferences on BASEPORT, BASEPORT+1, ...\n"
	    "  -S SIZE      participants per conference (2..64)\n"
	    "  -P N         participants in all, filling conferences in order\n"
	    "  -k KEY       the master key and salt of every conference, "
	    "base64\n"
	    "  -s SUITE     AES_CM_128_HMAC_SHA1_80 (default) or "
	    "AEAD_AES_128_GCM\n"
	    "  -d SECONDS   the measured window, after the warm-up\n"
	    "  -w SECONDS   the warm-up, not measured (2)\n"
	    "  -J SECONDS   joins are spread over the first SECONDS of the "
	    "warm-up\n"
	    "               (half of it)\n"
	    "  -n SOCKETS   UDP sockets the participants share (16)\n"
	    "  -c CHECKS    conferences where one participant decodes the mix "
	    "(16)\n"
	    "  -x SALT      0..%d, part of every SSRC: runs against one "
	    "server\n"
	    "               in a row must use different salts (0)\n"
	    "  -t PT        the Opus payload type (111)\n"
	    "  -L EXT_ID    the audio level extension id, 1..14 (1)\n"
	    "  -R SEED      seed of the talk pattern (1)\n"
	    "  -o           each participant sends at a phase of its own, as\n"
	    "               independent clients do; by default a "
	    "conference's\n"
	    "               participants send together at its phase\n"
	    "Prints \"measure start\" and \"measure end\" around the window, "
	    "then one\nJSON line of its figures.\n", TLOAD_MAX_SALT);
}

/* Reports a usage error and exits. */
static void __attribute__((noreturn, format(printf, 1, 2)))
tload_bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tload: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	tload_usage(stderr);
	exit(TLOAD_EX_USAGE);
}

/* Reports a failure at run time and exits. */
static void __attribute__((noreturn, format(printf, 1, 2)))
tload_fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tload: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* Parses a number in [lo, hi]; false if it is not one. */
static bool
tload_num(const char *s, double lo, double hi, double *out)
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

/* Parses a decimal whole number in [lo, hi]; false if it is not one. */
static bool
tload_int(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull() would take a sign or blanks in front. */
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Reads the command line into tl, or exits with a usage error. */
static void
tload_args(struct tload *tl, int argc, char **argv)
{
	const char *key = NULL;
	struct in6_addr in6;
	struct in_addr in;
	char why[256];
	uint64_t v;
	int ch, suite;

	tl->suite = SRTPX_AES_CM_128_HMAC_SHA1_80;
	tl->warmup = 2;
	tl->join = -1;
	tl->nsocks = 16;
	tl->nchecks = 16;
	tl->pt = 111;
	tl->level_id = 1;
	tl->seed = 1;
	while ((ch = getopt(argc, argv,
	    "a:p:r:S:P:k:s:d:w:n:c:x:t:L:R:oJ:h")) != -1) {
		switch (ch) {
		case 'a':
			tl->addr = optarg;
			break;
		case 'p':
			if (!tload_int(optarg, 1, 65535, &v))
				tload_bad("-p: '%s' is not a port", optarg);
			tl->base_port = (int)v;
			break;
		case 'r':
			if (!tload_int(optarg, 1, 65535, &v))
				tload_bad("-r: '%s' is not 1..65535", optarg);
			tl->nrooms_max = (int)v;
			break;
		case 'S':
			if (!tload_int(optarg, 2, 64, &v))
				tload_bad("-S: '%s' is not 2..64", optarg);
			tl->size = (int)v;
			break;
		case 'P':
			if (!tload_int(optarg, 1, TLOAD_MAX_PARTS, &v))
				tload_bad("-P: '%s' is not 1..%d", optarg,
				    TLOAD_MAX_PARTS);
			tl->nparts = (size_t)v;
			break;
		case 'k':
			key = optarg;
			break;
		case 's':
			if ((suite = srtpx_suite_parse(optarg)) < 0)
				tload_bad("-s: unknown SRTP suite '%s'",
				    optarg);
			tl->suite = (enum srtpx_suite)suite;
			break;
		case 'd':
			if (!tload_num(optarg, 0.1, 86400, &tl->seconds))
				tload_bad("-d: '%s' is not 0.1..86400 "
				    "seconds", optarg);
			break;
		case 'w':
			if (!tload_num(optarg, 0, 3600, &tl->warmup))
				tload_bad("-w: '%s' is not 0..3600 seconds",
				    optarg);
			break;
		case 'n':
			if (!tload_int(optarg, 1, TLOAD_MAX_SOCKS, &v))
				tload_bad("-n: '%s' is not 1..%d", optarg,
				    TLOAD_MAX_SOCKS);
			tl->nsocks = (int)v;
			break;
		case 'c':
			if (!tload_int(optarg, 0, 65535, &v))
				tload_bad("-c: '%s' is not 0..65535", optarg);
			tl->nchecks = (int)v;
			break;
		case 'x':
			if (!tload_int(optarg, 0, TLOAD_MAX_SALT, &v))
				tload_bad("-x: '%s' is not 0..%d", optarg,
				    TLOAD_MAX_SALT);
			tl->salt = (unsigned)v;
			break;
		case 't':
			/* RFC 5761: 64..95 would read as RTCP on one port. */
			if (!tload_int(optarg, 0, 127, &v) ||
			    (v >= 64 && v <= 95))
				tload_bad("-t: '%s' is not 0..63 or 96..127",
				    optarg);
			tl->pt = (int)v;
			break;
		case 'L':
			if (!tload_int(optarg, 1, 14, &v))
				tload_bad("-L: '%s' is not 1..14", optarg);
			tl->level_id = (int)v;
			break;
		case 'R':
			if (!tload_int(optarg, 0, UINT64_MAX, &tl->seed))
				tload_bad("-R: '%s' is not a seed", optarg);
			break;
		case 'o':
			tl->own_phase = true;
			break;
		case 'J':
			if (!tload_num(optarg, 0, 3600, &tl->join))
				tload_bad("-J: '%s' is not 0..3600 seconds",
				    optarg);
			break;
		case 'h':
			tload_usage(stdout);
			exit(0);
		default:
			tload_usage(stderr);
			exit(TLOAD_EX_USAGE);
		}
	}
	if (optind != argc)
		tload_bad("unexpected argument '%s'", argv[optind]);
	if (tl->join < 0)
		tl->join = tl->warmup / 2;
	if (tl->join > tl->warmup)
		tload_bad("-J: the joins would go on after the warm-up");
	if (tl->addr == NULL || tl->base_port == 0 || tl->nrooms_max == 0 ||
	    tl->size == 0 || tl->nparts == 0 || key == NULL ||
	    tl->seconds == 0)
		tload_bad("-a, -p, -r, -S, -P, -k and -d are required");
	if (inet_pton(AF_INET, tl->addr, &in) != 1 &&
	    inet_pton(AF_INET6, tl->addr, &in6) != 1)
		tload_bad("-a: '%s' is not an IPv4 or IPv6 address", tl->addr);
	tl->nrooms = (tl->nparts + (size_t)tl->size - 1) / (size_t)tl->size;
	if (tl->nrooms > (size_t)tl->nrooms_max)
		tload_bad("%zu participants in conferences of %d need %zu "
		    "conferences; -r gives %d", tl->nparts, tl->size,
		    tl->nrooms, tl->nrooms_max);
	if ((size_t)tl->base_port + tl->nrooms - 1 > 65535)
		tload_bad("the conferences' ports would pass 65535");
	/* Last, so that no other usage error leaves the key in memory. */
	if (srtpx_key_decode(tl->suite, key, tl->key, why, sizeof(why)) != 0)
		tload_bad("-k: %s", why);
}

/* An Opus encoder set up as confd's defaults and confcli's are. */
static OpusEncoder *
tload_encoder(void)
{
	OpusEncoder *enc;
	int err;

	enc = opus_encoder_create(TLOAD_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (enc == NULL)
		tload_fatal("cannot create an Opus encoder: %s",
		    opus_strerror(err));
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
	opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(5));
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(10));
	opus_encoder_ctl(enc, OPUS_SET_DTX(0));
	opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	return enc;
}

/*
 * Encodes n frames of pcm into out, each with the RFC 6464 level of its
 * audio.
 */
static void
tload_encode(const int16_t *pcm, size_t n, struct tload_frame *out)
{
	OpusEncoder *enc = tload_encoder();
	size_t i;
	int len;

	for (i = 0; i < n; i++) {
		len = opus_encode(enc, pcm + i * TLOAD_FRAME, TLOAD_FRAME,
		    out[i].data, TLOAD_OPUS_MAX);
		if (len <= 0)
			tload_fatal("Opus cannot encode: %s",
			    opus_strerror(len));
		out[i].len = (uint16_t)len;
		out[i].level = mix_level(pcm + i * TLOAD_FRAME, TLOAD_FRAME);
	}
	opus_encoder_destroy(enc);
}

/*
 * A voice-like signal: the first harmonics of f0, falling with their
 * order, with a vibrato of 5.3 Hz, a slow intonation, and an envelope at
 * the rate of syllables (about 4 a second) that never quite closes, so
 * that a talker is heard throughout its turn.  Scaled to an RMS of
 * -24 dBFS, the level of speech from a headset.
 */
static void
tload_voice(int16_t *pcm, size_t n, double f0, uint64_t *rng)
{
	const double tau = 2 * M_PI, target = pow(10, -24 / 20.0);
	double *x, ph[9] = { 0 }, f, t, env, s, sum2 = 0, gain;
	size_t i;
	int h;

	if ((x = calloc(n, sizeof(*x))) == NULL)
		tload_fatal("out of memory");
	for (i = 0; i < n; i++) {
		t = (double)i / TLOAD_RATE;
		f = f0 * (1 + 0.03 * sin(tau * 5.3 * t)) *
		    (1 + 0.1 * sin(tau * 0.37 * t));
		env = 0.5 - 0.5 * cos(tau * 4.1 * t + 0.8 * sin(tau * 0.9 * t));
		env = 0.25 + 0.75 * env * env;
		s = 0;
		for (h = 1; h <= 8; h++) {
			ph[h] = fmod(ph[h] + tau * h * f / TLOAD_RATE, tau);
			s += sin(ph[h]) / h;
		}
		/* A breath of noise, as a real voice has. */
		s += 0.02 * ((double)tload_rand(rng) / 2147483648.0 - 1);
		x[i] = env * s;
		sum2 += x[i] * x[i];
	}
	gain = target * 32767 / sqrt(sum2 / (double)n);
	for (i = 0; i < n; i++)
		pcm[i] = (int16_t)lrint(fmax(-32767, fmin(32767, x[i] * gain)));
	free(x);
}

/* Encodes the voices and the near-silence that every participant replays. */
static void
tload_precompute(struct tload *tl)
{
	static const double f0[TLOAD_VOICES] = { 115, 145, 190, 235 };
	size_t ns = (size_t)TLOAD_SPEECH_FRAMES * TLOAD_FRAME;
	size_t nq = (size_t)TLOAD_QUIET_FRAMES * TLOAD_FRAME, i;
	uint64_t rng = tl->seed * 0x9e3779b97f4a7c15ULL + 1;
	int16_t *pcm;
	int v;

	tl->speech = calloc((size_t)TLOAD_VOICES * TLOAD_SPEECH_FRAMES,
	    sizeof(*tl->speech));
	tl->quiet = calloc(TLOAD_QUIET_FRAMES, sizeof(*tl->quiet));
	if ((pcm = calloc(ns, sizeof(*pcm))) == NULL || tl->speech == NULL ||
	    tl->quiet == NULL)
		tload_fatal("out of memory");
	for (v = 0; v < TLOAD_VOICES; v++) {
		tload_voice(pcm, ns, f0[v], &rng);
		tload_encode(pcm, TLOAD_SPEECH_FRAMES,
		    tl->speech + (size_t)v * TLOAD_SPEECH_FRAMES);
	}
	/* White noise of +-10: about -75 dBFS, a quiet room. */
	for (i = 0; i < nq; i++)
		pcm[i] = (int16_t)((int)(tload_rand(&rng) % 21) - 10);
	tload_encode(pcm, TLOAD_QUIET_FRAMES, tl->quiet);
	free(pcm);
}

/* Fills ss from an address literal and a port; 0 or EINVAL. */
static int
tload_sockaddr(const char *addr, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return 0;
	}
	return EINVAL;
}

/*
 * Opens the shared sockets on the loopback address of the server's family
 * when the server is on this host, so that the load never leaves it.  The
 * buffers are made large, so that a burst of mixes coming back while this
 * process is busy sending is not dropped here and counted against confd.
 */
static void
tload_sockets(struct tload *tl)
{
	struct sockaddr_storage server, ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&server;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&server;
	struct epoll_event ev;
	const char *local;
	socklen_t len;
	int i, on = 1, buf = 8 << 20, fd;

	if (tload_sockaddr(tl->addr, tl->base_port, &server, &len) != 0)
		tload_fatal("'%s' is not an address", tl->addr);
	if (server.ss_family == AF_INET)
		local = (ntohl(sin->sin_addr.s_addr) >> 24) == 127 ?
		    "127.0.0.1" : "0.0.0.0";
	else
		local = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ? "::1" : "::";
	if ((tl->socks = calloc((size_t)tl->nsocks, sizeof(*tl->socks))) ==
	    NULL)
		tload_fatal("out of memory");
	for (i = 0; i < tl->nsocks; i++) {
		fd = socket(server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1)
			tload_fatal("socket: %s", strerror(errno));
		tl->socks[i].fd = fd;
		if (server.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		/* The FORCE variants pass rmem_max when we may; else cap. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf,
		    sizeof(buf)) == -1)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf,
			    sizeof(buf));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf,
		    sizeof(buf)) == -1)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf,
			    sizeof(buf));
		/* Drops at our own socket are not confd's losses. */
		setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
		tload_sockaddr(local, 0, &ss, &len);
		if (bind(fd, (struct sockaddr *)&ss, len) == -1)
			tload_fatal("cannot bind %s: %s", local,
			    strerror(errno));
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(tl->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
			tload_fatal("epoll_ctl: %s", strerror(errno));
	}
}

/*
 * Lists who sends at which phase.  With a phase per participant, the
 * order takes one member of each conference, then the next member of
 * each, so that the members of a conference are spread over the period.
 */
static void
tload_senders(struct tload *tl)
{
	struct tload_sender *sd;
	size_t j, m;

	tl->nsenders = tl->own_phase ? tl->nparts : tl->nrooms;
	if ((tl->senders = calloc(tl->nsenders, sizeof(*tl->senders))) ==
	    NULL)
		tload_fatal("out of memory");
	sd = tl->senders;
	if (!tl->own_phase) {
		for (j = 0; j < tl->nrooms; j++, sd++) {
			sd->room = &tl->rooms[j];
			sd->first = 0;
			sd->n = tl->rooms[j].n;
		}
		return;
	}
	for (m = 0; m < (size_t)tl->size; m++)
		for (j = 0; j < tl->nrooms; j++) {
			if (m >= tl->rooms[j].n)
				continue;
			sd->room = &tl->rooms[j];
			sd->first = m;
			sd->n = 1;
			sd++;
		}
}

/*
 * Makes the participants and the conferences.  SSRCs are salt << 20 |
 * index, all below 2^31, so no SSRC is the complement of another (the
 * complements, which confd sends under, are all 2^31 or more): with one
 * key for every conference no two streams ever share a keystream, and a
 * packet received names its participant directly.
 */
static void
tload_setup(struct tload *tl)
{
	struct tload_part *p;
	struct tload_room *r;
	uint64_t rng = tl->seed ^ 0x5851f42d4c957f2dULL;
	size_t i, j, step;
	int err;

	tl->parts = calloc(tl->nparts, sizeof(*tl->parts));
	tl->rooms = calloc(tl->nrooms, sizeof(*tl->rooms));
	if (tl->parts == NULL || tl->rooms == NULL)
		tload_fatal("out of memory");
	for (j = 0; j < tl->nrooms; j++) {
		r = &tl->rooms[j];
		tload_sockaddr(tl->addr, tl->base_port + (int)j, &r->addr,
		    &r->addrlen);
		r->first = j * (size_t)tl->size;
		r->n = tl->nparts - r->first < (size_t)tl->size ?
		    tl->nparts - r->first : (size_t)tl->size;
		r->rng = (tl->seed + j + 1) * 0x9e3779b97f4a7c15ULL;
		r->main = -1;
		/* Conferences start their talk at different moments. */
		r->pause_left = tload_between(&r->rng, 0, 100);
		r->ov[0] = r->ov[1] = -1;
	}
	for (i = 0; i < tl->nparts; i++) {
		p = &tl->parts[i];
		p->ssrc = (uint32_t)tl->salt << TLOAD_SSRC_BITS | (uint32_t)i;
		p->ts0 = tload_rand(&rng);
		p->seq = (uint16_t)tload_rand(&rng);
		p->voice = (uint16_t)(i % TLOAD_VOICES);
		p->pos = (uint16_t)(tload_rand(&rng) % TLOAD_SPEECH_FRAMES);
		p->sock = (int)(i % (size_t)tl->nsocks);
		if ((err = srtpx_new(&p->tx, tl->suite, tl->key, SRTPX_OUT,
		    p->ssrc)) != 0 || (err = srtpx_new(&p->rx, tl->suite,
		    tl->key, SRTPX_IN, ~p->ssrc)) != 0)
			tload_fatal("cannot create SRTP contexts: %s",
			    strerror(err));
	}
	sodium_memzero(tl->key, sizeof(tl->key));
	tload_senders(tl);
	/* The first participant of conferences spread over all of them. */
	if (tl->nchecks > 0) {
		step = tl->nrooms / (size_t)tl->nchecks;
		if (step == 0)
			step = 1;
		for (j = 0; j < tl->nrooms && j / step < (size_t)tl->nchecks;
		    j += step) {
			p = &tl->parts[tl->rooms[j].first];
			if ((p->check = calloc(1, sizeof(*p->check))) == NULL ||
			    (p->check->dec = opus_decoder_create(TLOAD_RATE, 1,
			    &err)) == NULL)
				tload_fatal("cannot create an Opus decoder");
		}
	}
}

/* Another member than those given, or -1 when there is none. */
static int
tload_other(struct tload_room *r, int a, int b, int c)
{
	int m, tries;

	for (tries = 0; tries < 16; tries++) {
		m = tload_between(&r->rng, 0, (int)r->n - 1);
		if (m != a && m != b && m != c)
			return m;
	}
	return -1;
}

/*
 * Moves the talk pattern of a conference on by one frame.  A main talker
 * holds the floor for 1..6 s; when it stops, a pause of 0.1..0.8 s comes
 * one time in four before the next one starts.  While someone talks,
 * another may chime in for 0.3..2 s, and rarely a third: about one frame
 * in six has two talkers or more.
 */
static void
tload_talk_step(struct tload_room *r)
{
	int k;

	if (r->main >= 0 && --r->main_left <= 0) {
		r->main = -1;
		if (tload_chance(&r->rng, 0.25))
			r->pause_left = tload_between(&r->rng, 5, 40);
	}
	if (r->main < 0 && (r->pause_left == 0 || --r->pause_left == 0)) {
		r->main = tload_other(r, r->ov[0], r->ov[1], -1);
		r->main_left = tload_between(&r->rng, 50, 300);
	}
	for (k = 0; k < TLOAD_OVERLAPS; k++)
		if (r->ov[k] >= 0 && --r->ov_left[k] <= 0)
			r->ov[k] = -1;
	if (r->main < 0 || r->n < 2)
		return;
	if (r->ov[0] < 0 && tload_chance(&r->rng, 0.004)) {
		r->ov[0] = tload_other(r, r->main, r->ov[1], -1);
		r->ov_left[0] = tload_between(&r->rng, 15, 100);
	} else if (r->ov[0] >= 0 && r->ov[1] < 0 && r->n > 2 &&
	    tload_chance(&r->rng, 0.003)) {
		r->ov[1] = tload_other(r, r->main, r->ov[0], -1);
		r->ov_left[1] = tload_between(&r->rng, 15, 60);
	}
}

/* Sends every queued datagram of a socket. */
static void
tload_flush(struct tload *tl, struct tload_sock *s)
{
	int sent = 0, rc;

	while (sent < s->n) {
		rc = sendmmsg(s->fd, s->msg + sent, (unsigned)(s->n - sent), 0);
		if (rc <= 0) {
			if (tl->measuring)
				tl->st.send_errors++;
			sent++;
			continue;
		}
		if (tl->measuring)
			tl->st.sent += (uint64_t)rc;
		sent += rc;
	}
	s->n = 0;
}

/* Builds, protects and queues one participant's packet of this frame. */
static void
tload_packet(struct tload *tl, struct tload_room *r, struct tload_part *p,
    uint64_t tick, bool talking)
{
	struct tload_sock *s = &tl->socks[p->sock];
	const struct tload_frame *f;
	struct rtp_level lvl;
	struct rtp_hdr h;
	uint8_t *b;
	size_t len;

	if (talking) {
		f = &tl->speech[(size_t)p->voice * TLOAD_SPEECH_FRAMES +
		    p->pos];
		p->pos = (uint16_t)((p->pos + 1) % TLOAD_SPEECH_FRAMES);
		lvl.level = f->level;
		lvl.vad = true;
	} else {
		f = &tl->quiet[tick % TLOAD_QUIET_FRAMES];
		lvl.level = MIX_SILENCE;
		lvl.vad = false;
	}
	lvl.id = (uint8_t)tl->level_id;
	memset(&h, 0, sizeof(h));
	h.pt = (uint8_t)tl->pt;
	h.marker = !p->started;
	h.seq = p->seq;
	h.ts = p->ts0 + (uint32_t)(tick * TLOAD_FRAME);
	h.ssrc = p->ssrc;
	b = s->buf[s->n];
	len = rtp_write(b, TLOAD_PKT, &h, &lvl);
	memcpy(b + len, f->data, f->len);
	len += f->len;
	if (srtpx_protect(p->tx, b, &len) != SRTPX_OK) {
		if (tl->measuring)
			tl->st.send_errors++;
		return;
	}
	p->started = true;
	p->seq++;
	s->iov[s->n].iov_base = b;
	s->iov[s->n].iov_len = len;
	memset(&s->msg[s->n], 0, sizeof(s->msg[s->n]));
	s->msg[s->n].msg_hdr.msg_iov = &s->iov[s->n];
	s->msg[s->n].msg_hdr.msg_iovlen = 1;
	s->msg[s->n].msg_hdr.msg_name = &r->addr;
	s->msg[s->n].msg_hdr.msg_namelen = r->addrlen;
	if (++s->n == TLOAD_BATCH)
		tload_flush(tl, s);
}

/*
 * Sends one frame of the members of a sender that is due.  One more than a
 * few frames behind skips the frames it missed, as a real client's clock
 * would; the skipped frames are counted, since a run that skips measures
 * the generator rather than the server.  The talk pattern of the
 * conference moves on with the first of its senders to reach a frame.
 */
static void
tload_send(struct tload *tl, struct tload_sender *sd, uint64_t now)
{
	struct tload_room *r = sd->room;
	struct tload_part *p;
	uint64_t late, behind;
	size_t i;
	int ntalk, k;
	bool talk;

	/* Senders due very soon go early, with those due now. */
	late = now > sd->next_ns ? now - sd->next_ns : 0;
	if (late > TLOAD_MAX_BEHIND * TLOAD_TICK_NS) {
		behind = late / TLOAD_TICK_NS;
		if (tl->measuring)
			tl->st.skipped += behind * sd->n;
		sd->next_ns += behind * TLOAD_TICK_NS;
		sd->tick += behind;
		late -= behind * TLOAD_TICK_NS;
	}
	if (tl->measuring) {
		if (late > tl->st.late_max_ns)
			tl->st.late_max_ns = late;
		if (late > 2000000)
			tl->st.late_2ms++;
		if (late > 10000000)
			tl->st.late_10ms++;
	}
	/* Not joined yet: its clock runs, nothing is sent. */
	if (sd->tick < sd->start_tick) {
		sd->tick++;
		sd->next_ns += TLOAD_TICK_NS;
		return;
	}
	while (r->stepped <= sd->tick) {
		tload_talk_step(r);
		r->stepped++;
		ntalk = (r->main >= 0) + (r->ov[0] >= 0) + (r->ov[1] >= 0);
		if (tl->measuring)
			tl->st.talkers[ntalk > 3 ? 3 : ntalk]++;
	}
	ntalk = (r->main >= 0) + (r->ov[0] >= 0) + (r->ov[1] >= 0);
	for (i = sd->first; i < sd->first + sd->n; i++) {
		p = &tl->parts[r->first + i];
		talk = (int)i == r->main;
		for (k = 0; k < TLOAD_OVERLAPS; k++)
			talk = talk || (int)i == r->ov[k];
		tload_packet(tl, r, p, sd->tick, talk);
		/* Whether someone else talks: this one should hear a mix. */
		if (tl->measuring && ntalk > (talk ? 1 : 0)) {
			tl->st.talk_expected++;
			if (p->check != NULL)
				p->check->expected++;
		}
	}
	sd->tick++;
	sd->next_ns += TLOAD_TICK_NS;
}

/* The participant that receives ssrc (confd sends under ~ours), or NULL. */
static struct tload_part *
tload_lookup(struct tload *tl, uint32_t rx_ssrc)
{
	uint32_t ssrc = ~rx_ssrc, idx = ssrc & (TLOAD_MAX_PARTS - 1);

	if (ssrc >> TLOAD_SSRC_BITS != tl->salt || idx >= tl->nparts)
		return NULL;
	return &tl->parts[idx];
}

static uint32_t
tload_get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* Decodes a mix heard by a checked participant and measures it. */
static void
tload_check_frame(struct tload *tl, struct tload_check *c,
    const struct rtp_hdr *h)
{
	int n;

	n = opus_decode(c->dec, h->payload, (opus_int32)h->payload_len,
	    tl->pcm, (int)(sizeof(tl->pcm) / sizeof(tl->pcm[0])), 0);
	if (n <= 0) {
		c->errors++;
		return;
	}
	c->frames++;
	if (mix_level(tl->pcm, (size_t)n) <= TLOAD_LOUD)
		c->loud++;
	c->energy += tone_energy(tl->pcm, (size_t)n);
}

/* Handles one datagram from confd. */
static void
tload_receive(struct tload *tl, uint8_t *b, size_t len)
{
	struct tload_part *p;
	struct rtp_hdr h;
	uint32_t ext;
	int rc;

	if (len < RTP_HDR_LEN || (b[0] >> 6) != RTP_VERSION) {
		tl->st.malformed += tl->measuring;
		return;
	}
	if (rtp_is_rtcp(b, len)) {
		if ((p = tload_lookup(tl, tload_get32(b + 4))) == NULL) {
			tl->st.foreign += tl->measuring;
			return;
		}
		rc = srtpx_unprotect_rtcp(p->rx, b, &len);
		if (!tl->measuring)
			return;
		if (rc == SRTPX_OK)
			tl->st.rtcp_received++;
		else if (rc == SRTPX_E_AUTH)
			tl->st.auth_fail++;
		else if (rc == SRTPX_E_REPLAY)
			tl->st.replay++;
		else
			tl->st.malformed++;
		return;
	}
	if ((p = tload_lookup(tl, tload_get32(b + 8))) == NULL) {
		tl->st.foreign += tl->measuring;
		return;
	}
	rc = srtpx_unprotect(p->rx, b, &len);
	if (rc != SRTPX_OK) {
		if (!tl->measuring)
			return;
		if (rc == SRTPX_E_AUTH)
			tl->st.auth_fail++;
		else if (rc == SRTPX_E_REPLAY)
			tl->st.replay++;
		else
			tl->st.malformed++;
		return;
	}
	if (rtp_parse(b, len, &h) != 0 || h.pt != tl->pt) {
		tl->st.malformed += tl->measuring;
		return;
	}
	if (rtp_seq_update(&p->rxseq, h.seq, &ext) != 0 || !tl->measuring)
		return;
	if (!p->have_first) {
		p->have_first = true;
		p->first_ext = p->max_ext = ext;
	} else if (ext > p->max_ext)
		p->max_ext = ext;
	p->received++;
	tl->st.received++;
	if (p->check != NULL)
		tload_check_frame(tl, p->check, &h);
}

/*
 * Reads one batch of what a socket holds; returns how many datagrams.  One
 * batch at a time, so that a burst of mixes coming back never holds up the
 * next conference's send by more than a batch's work.
 */
static int
tload_read(struct tload *tl, struct tload_sock *s)
{
	struct cmsghdr *cm;
	struct msghdr *mh;
	uint32_t drops;
	int i, n;

	for (i = 0; i < TLOAD_BATCH; i++) {
		tl->riov[i].iov_base = tl->rbuf[i];
		tl->riov[i].iov_len = sizeof(tl->rbuf[i]);
		memset(&tl->rmsg[i], 0, sizeof(tl->rmsg[i]));
		mh = &tl->rmsg[i].msg_hdr;
		mh->msg_iov = &tl->riov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = tl->rctl[i];
		mh->msg_controllen = sizeof(tl->rctl[i]);
	}
	n = recvmmsg(s->fd, tl->rmsg, TLOAD_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		mh = &tl->rmsg[i].msg_hdr;
		for (cm = CMSG_FIRSTHDR(mh); cm != NULL;
		    cm = CMSG_NXTHDR(mh, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SO_RXQ_OVFL) {
				memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
				s->drops = drops;
			}
		if (mh->msg_flags & MSG_TRUNC) {
			tl->st.malformed += tl->measuring;
			continue;
		}
		tload_receive(tl, tl->rbuf[i], tl->rmsg[i].msg_len);
	}
	return n;
}

/* Opens the measured window: the counters start from zero. */
static void
tload_measure_start(struct tload *tl)
{
	size_t i;
	int k;

	memset(&tl->st, 0, sizeof(tl->st));
	for (i = 0; i < tl->nparts; i++) {
		tl->parts[i].have_first = false;
		tl->parts[i].received = 0;
	}
	for (k = 0; k < tl->nsocks; k++)
		tl->socks[k].drops0 = tl->socks[k].drops;
	getrusage(RUSAGE_SELF, &tl->ru0);
	tl->measuring = true;
	printf("measure start\n");
	fflush(stdout);
}

/* Arms the timer for an absolute monotonic deadline. */
static void
tload_arm(struct tload *tl, uint64_t deadline)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(deadline / 1000000000ULL);
	its.it_value.tv_nsec = (long)(deadline % 1000000000ULL);
	if (timerfd_settime(tl->tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		tload_fatal("timerfd_settime: %s", strerror(errno));
}

/*
 * Sends the frame of every sender that is due, at most one round of them,
 * and flushes the batches.
 */
static void
tload_send_due(struct tload *tl, size_t *cur)
{
	uint64_t now = tload_now_ns();
	size_t done;
	int k;

	if (tl->senders[*cur].next_ns > now + TLOAD_COALESCE_NS)
		return;
	for (done = 0; done < tl->nsenders && tl->senders[*cur].next_ns <=
	    now + TLOAD_COALESCE_NS; done++) {
		tload_send(tl, &tl->senders[*cur], now);
		*cur = (*cur + 1) % tl->nsenders;
	}
	for (k = 0; k < tl->nsocks; k++)
		if (tl->socks[k].n > 0)
			tload_flush(tl, &tl->socks[k]);
}

/*
 * The run: senders send in turn at their phases, sockets are read as
 * soon as anything comes, a batch at a time with the sends due in between,
 * and the window opens after the warm-up.
 */
static void
tload_run(struct tload *tl)
{
	struct epoll_event evs[64];
	struct signalfd_siginfo si;
	uint64_t t0, start_ns, end_ns, now, next, exp;
	size_t cur = 0;
	ssize_t rd;
	int i, k, n;

	t0 = tload_now_ns() + 50000000ULL;
	start_ns = t0 + (uint64_t)(tl->warmup * 1e9);
	end_ns = start_ns + (uint64_t)(tl->seconds * 1e9);
	/*
	 * Phases spread evenly over the period, in the senders' order; joins
	 * spread over the first part of the warm-up, as people do not all
	 * come in the same 20 ms and a server's join work should not pile up.
	 */
	for (i = 0; i < (int)tl->nsenders; i++) {
		tl->senders[i].next_ns = t0 + (uint64_t)i * TLOAD_TICK_NS /
		    tl->nsenders;
		tl->senders[i].start_tick = (uint64_t)(tl->join * 1e9 /
		    TLOAD_TICK_NS * i / (double)tl->nsenders);
	}
	for (;;) {
		now = tload_now_ns();
		if (!tl->measuring && now >= start_ns)
			tload_measure_start(tl);
		if (now >= end_ns || tl->interrupted)
			break;
		tload_send_due(tl, &cur);
		next = tl->senders[cur].next_ns;
		if (!tl->measuring && start_ns < next)
			next = start_ns;
		if (end_ns < next)
			next = end_ns;
		tload_arm(tl, next);
		n = epoll_wait(tl->ep, evs, 64, -1);
		if (n == -1 && errno != EINTR)
			tload_fatal("epoll_wait: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 == UINT32_MAX - 1) {
				rd = read(tl->tfd, &exp, sizeof(exp));
				(void)rd;
			} else if (evs[i].data.u32 == UINT32_MAX) {
				rd = read(tl->sfd, &si, sizeof(si));
				(void)rd;
				tl->interrupted = true;
			} else {
				tload_read(tl, &tl->socks[evs[i].data.u32]);
				tload_send_due(tl, &cur);
			}
		}
	}
	for (k = 0; k < tl->nsocks; k++)
		while (tload_read(tl, &tl->socks[k]) > 0)
			;
	tl->measuring = false;
	printf("measure end\n");
	fflush(stdout);
}

/*
 * Says goodbye for every participant with an SRTCP BYE, so that confd
 * frees them at once and the next run finds the conferences empty.
 */
static void
tload_bye(struct tload *tl)
{
	struct tload_part *p;
	struct tload_room *r;
	uint8_t buf[256];
	size_t i, j, len;

	for (j = 0; j < tl->nrooms; j++) {
		r = &tl->rooms[j];
		for (i = 0; i < r->n; i++) {
			p = &tl->parts[r->first + i];
			len = rtcp_write_bye(buf, sizeof(buf) -
			    SRTPX_RTCP_TRAILER, p->ssrc, NULL, 0, "tload",
			    "end of the load");
			if (len == 0 || srtpx_protect_rtcp(p->tx, buf, &len) !=
			    SRTPX_OK)
				continue;
			if (sendto(tl->socks[p->sock].fd, buf, len, 0,
			    (struct sockaddr *)&r->addr, r->addrlen) == -1)
				tl->st.send_errors++;
		}
		/* Small steps, so that no socket buffer overflows. */
		if (j % 64 == 63)
			usleep(1000);
	}
}

/* Prints the figures of the window as one JSON line. */
static void
tload_report(struct tload *tl)
{
	struct tload_stats *st = &tl->st;
	struct tload_part *p;
	struct rusage ru;
	uint64_t expected = 0, lost, drops = 0, checked = 0, ok = 0;
	uint64_t cframes = 0, cloud = 0, cerr = 0, rooms_t = 0;
	double cenergy = 0, cpu, loss;
	json_t *o, *talk;
	char *line;
	size_t i;
	int k;

	for (i = 0; i < tl->nparts; i++) {
		p = &tl->parts[i];
		if (p->have_first)
			expected += p->max_ext - p->first_ext + 1;
		/* One that talked nearly all the time had little to hear. */
		if (p->check == NULL || p->check->expected < 25)
			continue;
		checked++;
		cframes += p->check->frames;
		cloud += p->check->loud;
		cerr += p->check->errors;
		cenergy += p->check->energy;
		/*
		 * Real audio: a mix came for most of the frames in which
		 * another talked, Opus took them all, and most are as loud
		 * as speech (the rest are the ends of turns, which confd
		 * still mixes while it holds a speaker).
		 */
		if (p->check->frames * 10 >= p->check->expected * 8 &&
		    p->check->errors == 0 &&
		    p->check->loud * 2 >= p->check->frames)
			ok++;
	}
	for (k = 0; k < tl->nsocks; k++)
		drops += tl->socks[k].drops - tl->socks[k].drops0;
	lost = expected > st->received ? expected - st->received : 0;
	loss = expected > 0 ? 100.0 * (double)lost / (double)expected : 0;
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)(ru.ru_utime.tv_sec - tl->ru0.ru_utime.tv_sec +
	    ru.ru_stime.tv_sec - tl->ru0.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec - tl->ru0.ru_utime.tv_usec +
	    ru.ru_stime.tv_usec - tl->ru0.ru_stime.tv_usec) / 1e6;
	for (k = 0; k < 4; k++)
		rooms_t += st->talkers[k];
	if ((talk = json_array()) == NULL)
		tload_fatal("out of memory");
	for (k = 0; k < 4; k++)
		json_array_append_new(talk, json_real(rooms_t > 0 ?
		    (double)st->talkers[k] / (double)rooms_t : 0));
	o = json_pack("{s:I, s:I, s:i, s:b, s:s, s:f, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o, s:I, "
	    "s:I, s:I, s:I, s:f, s:I, s:I, s:f, s:f}",
	    "participants", (json_int_t)tl->nparts,
	    "rooms", (json_int_t)tl->nrooms,
	    "size", tl->size,
	    "own_phase", tl->own_phase,
	    "suite", srtpx_suite_name(tl->suite),
	    "seconds", tl->seconds,
	    "sent", (json_int_t)st->sent,
	    "send_errors", (json_int_t)st->send_errors,
	    "skipped", (json_int_t)st->skipped,
	    "received", (json_int_t)st->received,
	    "expected", (json_int_t)expected,
	    "lost", (json_int_t)lost,
	    "loss_pct", loss,
	    "auth_fail", (json_int_t)st->auth_fail,
	    "replay", (json_int_t)st->replay,
	    "malformed", (json_int_t)st->malformed,
	    "foreign", (json_int_t)st->foreign,
	    "rtcp_received", (json_int_t)st->rtcp_received,
	    "rx_drops", (json_int_t)drops,
	    "talk_expected", (json_int_t)st->talk_expected,
	    "coverage", st->talk_expected > 0 ? (double)st->received /
	    (double)st->talk_expected : 0.0,
	    "talkers", talk,
	    "checked", (json_int_t)checked,
	    "check_ok", (json_int_t)ok,
	    "check_frames", (json_int_t)cframes,
	    "check_errors", (json_int_t)cerr,
	    "check_loud_share", cframes > 0 ? (double)cloud /
	    (double)cframes : 0.0,
	    "late_2ms", (json_int_t)st->late_2ms,
	    "late_10ms", (json_int_t)st->late_10ms,
	    "late_max_ms", (double)st->late_max_ns / 1e6,
	    "cpu_pct", 100.0 * cpu / tl->seconds);
	if (o == NULL)
		tload_fatal("out of memory");
	if (cframes > 0)
		json_object_set_new(o, "check_level_dbov", json_real(
		    -10 * log10(fmax(cenergy / (double)cframes / TLOAD_FRAME,
		    1e-13))));
	line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (line == NULL)
		tload_fatal("out of memory");
	printf("%s\n", line);
	fflush(stdout);
	free(line);
}

/* Frees the run. */
static void
tload_free(struct tload *tl)
{
	size_t i;
	int k;

	for (i = 0; tl->parts != NULL && i < tl->nparts; i++) {
		srtpx_free(tl->parts[i].tx);
		srtpx_free(tl->parts[i].rx);
		if (tl->parts[i].check != NULL) {
			opus_decoder_destroy(tl->parts[i].check->dec);
			free(tl->parts[i].check);
		}
	}
	for (k = 0; tl->socks != NULL && k < tl->nsocks; k++)
		close(tl->socks[k].fd);
	free(tl->parts);
	free(tl->rooms);
	free(tl->senders);
	free(tl->socks);
	free(tl->speech);
	free(tl->quiet);
	if (tl->ep != -1)
		close(tl->ep);
	if (tl->tfd != -1)
		close(tl->tfd);
	if (tl->sfd != -1)
		close(tl->sfd);
	sodium_memzero(tl->key, sizeof(tl->key));
}

/* The timer and the signals, as events of the loop. */
static void
tload_events(struct tload *tl)
{
	struct epoll_event ev;
	sigset_t set;

	if ((tl->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		tload_fatal("epoll_create1: %s", strerror(errno));
	if ((tl->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1)
		tload_fatal("timerfd_create: %s", strerror(errno));
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((tl->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		tload_fatal("signalfd: %s", strerror(errno));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = UINT32_MAX - 1;
	if (epoll_ctl(tl->ep, EPOLL_CTL_ADD, tl->tfd, &ev) == -1)
		tload_fatal("epoll_ctl: %s", strerror(errno));
	ev.data.u32 = UINT32_MAX;
	if (epoll_ctl(tl->ep, EPOLL_CTL_ADD, tl->sfd, &ev) == -1)
		tload_fatal("epoll_ctl: %s", strerror(errno));
}

int
main(int argc, char **argv)
{
	struct tload *tl;
	bool interrupted;

	/* Too big for the stack: the receive batch alone is 96 KiB. */
	if ((tl = calloc(1, sizeof(*tl))) == NULL)
		tload_fatal("out of memory");
	tl->ep = tl->tfd = tl->sfd = -1;
	log_init("tload", 1, LOG_LVL_WARN);
	if (srtpx_init() != 0)
		tload_fatal("cannot initialise libsrtp");
	tload_args(tl, argc, argv);
	tload_events(tl);
	tload_precompute(tl);
	tload_sockets(tl);
	tload_setup(tl);
	tload_run(tl);
	tload_bye(tl);
	tload_report(tl);
	interrupted = tl->interrupted;
	tload_free(tl);
	free(tl);
	if (interrupted) {
		fprintf(stderr, "tload: interrupted before the end of the "
		    "run\n");
		return 1;
	}
	return 0;
}
