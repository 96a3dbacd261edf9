/*
 * call: see call.h.
 *
 * The send clock and the playout clock are two timers on absolute
 * deadlines, start + k * 20 ms, so that neither drifts however late its
 * callbacks run.  The playout clock runs half a period behind the send
 * clock so that the two callbacks do not land on the same loop iteration.
 * The RTP timestamp of frame k is ts0 + k * 960: when the loop stalls for
 * long, the periods missed are skipped rather than sent in a burst, and
 * their timestamps pass all the same, so the far end hears a pause, not a
 * change of clock.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <opus/opus.h>
#include <sodium.h>

#include "call.h"
#include "jbuf.h"
#include "log.h"
#include "mix.h"
#include "rtp.h"
#include "wav.h"

#define CALL_RATE		48000
#define CALL_FRAME		960		/* samples per 20 ms */
#define CALL_TICK_NS		20000000ULL
#define CALL_PLAY_OFFSET_NS	(CALL_TICK_NS / 2)
#define CALL_MAX_BEHIND		5		/* ticks; further: skip */
#define CALL_PKT_MAX		1500		/* largest datagram */
#define CALL_DEC_MAX		5760		/* 120 ms, the longest Opus */
#define CALL_RX_BATCH		32		/* datagrams per wake-up */
#define CALL_DELAY_SLOTS	64		/* 1 s of jitter, with room */
#define CALL_VAD_LEVEL		50		/* quieter is no voice */
#define CALL_RTCP_MAX		512

/* A packet waiting in the delay line of the impairment. */
struct call_pkt {
	uint64_t	release_ns;
	uint64_t	order;		/* ties go out in queueing order */
	size_t		len;		/* 0: a free slot */
	uint8_t		buf[CALL_PKT_MAX];
};

struct call {
	struct event_base	*base;
	struct call_conf	 conf;		/* no keys, no pointers kept */
	char			 cname[64];
	uint32_t		 rx_ssrc;
	int			 fd;
	struct sockaddr_storage	 server;
	socklen_t		 serverlen;	/* 0: no server yet */
	struct event		*ev_rx, *ev_tx, *ev_play, *ev_delay;
	struct srtpx		*tx, *rx;	/* owned */
	OpusEncoder		*enc;		/* owned */
	OpusDecoder		*dec;		/* owned */
	struct jbuf		*jb;		/* owned */
	struct tone_meter	*meter;		/* owned; NULL: no analysis */
	struct wav		*src, *rec;	/* owned */
	struct tone_gen		 gen;
	bool			 started, stopped;
	uint64_t		 start_ns;

	/* The send side. */
	uint64_t		 tx_tick;	/* frame number k */
	uint16_t		 seq;
	uint32_t		 ts0;
	bool			 marker;	/* a talkspurt starts */
	uint32_t		 sr_packets;	/* for sender reports */
	uint32_t		 sr_octets;
	uint64_t		 report_tick;	/* tx_tick of the next report */
	uint64_t		 report_ticks;

	/* The impairment. */
	struct drand48_data	 rng;
	struct call_pkt		 held;		/* goes out after the next */
	uint64_t		 order;
	struct call_pkt		 delay[CALL_DELAY_SLOTS];

	/* The receive side. */
	uint64_t		 play_tick;
	bool			 analysing;	/* a frame played: measure */
	struct rtp_rx		 rx_report;	/* for our reports */

	struct call_stats	 st;
	struct log_rl		 rl;
	/*
	 * A server that restarted sends a new stream under the same SSRC,
	 * whose sequence numbers the old context misreads: after a run of
	 * authentication failures the receiving context starts afresh.
	 */
	uint8_t			 rx_key[SRTPX_MAX_MASTER];	/* wiped */
	enum srtpx_suite	 suite;
	unsigned		 auth_streak;
	uint64_t		 last_resync_ms;
	int16_t			 txpcm[CALL_FRAME];
	int16_t			 pcm[CALL_DEC_MAX];
	uint8_t			 txbuf[CALL_PKT_MAX];
	uint8_t			 rxbuf[CALL_PKT_MAX];
};

static uint64_t
call_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Arms a one-shot timer for an absolute monotonic deadline. */
static void
call_arm(struct event *ev, uint64_t deadline_ns)
{
	uint64_t now = call_now_ns(), d;
	struct timeval tv;

	d = deadline_ns > now ? deadline_ns - now : 0;
	tv.tv_sec = (time_t)(d / 1000000000ULL);
	tv.tv_usec = (suseconds_t)((d % 1000000000ULL) / 1000);
	event_add(ev, &tv);
}

static uint32_t
call_get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

void
call_conf_default(struct call_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->suite = SRTPX_AES_CM_128_HMAC_SHA1_80;
	conf->payload_type = 111;
	conf->source = CALL_SRC_SILENCE;
	conf->tone_amp = 0.25;
	conf->level_ext_id = 1;
	conf->bitrate = 32000;
	conf->complexity = 5;
	conf->fec = true;
	conf->dtx = false;
	conf->loss_percent = 10;
	conf->jitter_max_ms = 200;
	conf->rtcp_interval_ms = 5000;
	conf->analysis_skip_ms = 500;
}

void
call_conf_wipe(struct call_conf *conf)
{
	sodium_memzero(conf->tx_key, sizeof(conf->tx_key));
	sodium_memzero(conf->rx_key, sizeof(conf->rx_key));
}

/* Fills ss from an address literal and a port; 0 or EINVAL. */
static int
call_sockaddr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return EINVAL;
}

/*
 * The address to bind when none is given: the loopback address of the
 * server's family when the server is on this host, so that a test's
 * traffic never leaves it, and the wildcard otherwise.
 */
static const char *
call_default_bind(const struct sockaddr_storage *server)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)server;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)server;

	if (server->ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127 ?
		    "127.0.0.1" : "0.0.0.0";
	return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ? "::1" : "::";
}

/* Checks what call_new() cannot leave to the libraries; 0 or EINVAL. */
static int
call_conf_check(const struct call_conf *c, char *why, size_t whylen)
{
	if (c->server_addr == NULL && c->bind_addr == NULL) {
		snprintf(why, whylen, "a call needs a server or a local "
		    "address");
		return EINVAL;
	}
	if (c->server_addr != NULL && c->server_port == 0) {
		snprintf(why, whylen, "server %s needs a port",
		    c->server_addr);
		return EINVAL;
	}
	if (c->suite != SRTPX_AES_CM_128_HMAC_SHA1_80 &&
	    c->suite != SRTPX_AEAD_AES_128_GCM) {
		snprintf(why, whylen, "unknown SRTP suite %d", (int)c->suite);
		return EINVAL;
	}
	/* RFC 5761: with the marker bit, 64..95 would read as RTCP. */
	if (c->payload_type < 0 || c->payload_type > 127 ||
	    (c->payload_type >= 64 && c->payload_type <= 95)) {
		snprintf(why, whylen, "payload type %d is not 0..63 or "
		    "96..127 (64..95 clash with RTCP on one port)",
		    c->payload_type);
		return EINVAL;
	}
	if (c->source == CALL_SRC_TONE && (!(c->tone_hz > 0 &&
	    c->tone_hz < CALL_RATE / 2) || !(c->tone_amp >= 0 &&
	    c->tone_amp <= 1))) {
		snprintf(why, whylen, "a tone needs a frequency between 0 and "
		    "%d Hz and an amplitude of 0..1", CALL_RATE / 2);
		return EINVAL;
	}
	if (c->source == CALL_SRC_WAV && c->wav_path == NULL) {
		snprintf(why, whylen, "no sound file to send");
		return EINVAL;
	}
	if (c->source != CALL_SRC_SILENCE && c->source != CALL_SRC_TONE &&
	    c->source != CALL_SRC_WAV) {
		snprintf(why, whylen, "unknown audio source %d",
		    (int)c->source);
		return EINVAL;
	}
	if (c->send_level && (c->level_ext_id < 1 || c->level_ext_id > 14)) {
		snprintf(why, whylen, "audio level extension id %d is not "
		    "1..14", c->level_ext_id);
		return EINVAL;
	}
	if (c->bitrate < 6000 || c->bitrate > 510000 || c->complexity < 0 ||
	    c->complexity > 10 || c->loss_percent < 0 ||
	    c->loss_percent > 100) {
		snprintf(why, whylen, "Opus needs a bitrate of 6000..510000, "
		    "a complexity of 0..10 and a loss of 0..100 %%");
		return EINVAL;
	}
	if (c->jitter_max_ms < 20 || c->jitter_max_ms > 20 * JBUF_FRAMES_MAX ||
	    c->rtcp_interval_ms < 100 || c->rtcp_interval_ms > 60000 ||
	    c->analysis_skip_ms < 0 || c->analysis_skip_ms > 3600000) {
		snprintf(why, whylen, "the jitter buffer holds 20..%d ms, "
		    "reports go every 100..60000 ms, and the analysis skips "
		    "0..3600000 ms", 20 * JBUF_FRAMES_MAX);
		return EINVAL;
	}
	if (!(c->loss_pct >= 0 && c->loss_pct <= 100) ||
	    !(c->reorder_pct >= 0 && c->reorder_pct <= 100) ||
	    c->jitter_ms < 0 || c->jitter_ms > 1000) {
		snprintf(why, whylen, "impairment: loss and reordering are "
		    "0..100 %% and jitter 0..1000 ms");
		return EINVAL;
	}
	return 0;
}

/* Opens and binds the call's socket; 0 or an errno with why. */
static int
call_socket(struct call *c, const struct call_conf *conf, char *why,
    size_t whylen)
{
	struct sockaddr_storage ss;
	const char *addr = conf->bind_addr;
	socklen_t len;
	int on = 1, err;

	if (addr == NULL)
		addr = call_default_bind(&c->server);
	if (call_sockaddr(addr, conf->bind_port, &ss, &len) != 0) {
		snprintf(why, whylen, "'%s' is not an IPv4 or IPv6 address",
		    addr);
		return EINVAL;
	}
	if (c->serverlen != 0 && ss.ss_family != c->server.ss_family) {
		snprintf(why, whylen, "local address %s and server %s are of "
		    "different families", addr, conf->server_addr);
		return EINVAL;
	}
	c->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (c->fd == -1) {
		err = errno;
		snprintf(why, whylen, "socket: %s", strerror(err));
		return err;
	}
	if (ss.ss_family == AF_INET6)
		setsockopt(c->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(c->fd, (struct sockaddr *)&ss, len) == -1) {
		err = errno;
		snprintf(why, whylen, "cannot bind %s%s%s:%u: %s",
		    ss.ss_family == AF_INET6 ? "[" : "", addr,
		    ss.ss_family == AF_INET6 ? "]" : "", conf->bind_port,
		    strerror(err));
		return err;
	}
	return 0;
}

/* Makes the Opus encoder and decoder; 0 or an errno with why. */
static int
call_codec(struct call *c, const struct call_conf *conf, char *why,
    size_t whylen)
{
	int err;

	c->enc = opus_encoder_create(CALL_RATE, 1, OPUS_APPLICATION_VOIP,
	    &err);
	if (c->enc == NULL) {
		snprintf(why, whylen, "cannot create the Opus encoder: %s",
		    opus_strerror(err));
		return ENOMEM;
	}
	opus_encoder_ctl(c->enc, OPUS_SET_BITRATE(conf->bitrate));
	opus_encoder_ctl(c->enc, OPUS_SET_COMPLEXITY(conf->complexity));
	opus_encoder_ctl(c->enc, OPUS_SET_INBAND_FEC(conf->fec ? 1 : 0));
	/* Opus adds FEC only when told to expect some loss. */
	opus_encoder_ctl(c->enc, OPUS_SET_PACKET_LOSS_PERC(conf->loss_percent));
	opus_encoder_ctl(c->enc, OPUS_SET_DTX(conf->dtx ? 1 : 0));
	if ((c->dec = opus_decoder_create(CALL_RATE, 1, &err)) == NULL) {
		snprintf(why, whylen, "cannot create the Opus decoder: %s",
		    opus_strerror(err));
		return ENOMEM;
	}
	return 0;
}

/* Creates the SRTP contexts of both directions; 0 or an errno with why. */
static int
call_srtp(struct call *c, const struct call_conf *conf, char *why,
    size_t whylen)
{
	int err;

	memcpy(c->rx_key, conf->rx_key, sizeof(c->rx_key));
	c->suite = conf->suite;
	if ((err = srtpx_new(&c->tx, conf->suite, conf->tx_key, SRTPX_OUT,
	    conf->ssrc)) != 0 || (err = srtpx_new(&c->rx, conf->suite,
	    conf->rx_key, SRTPX_IN, c->rx_ssrc)) != 0) {
		snprintf(why, whylen, "cannot create the SRTP contexts: %s",
		    strerror(err));
		return err;
	}
	return 0;
}

/* Opens the sound files and the meter; 0 or an errno with why. */
static int
call_media(struct call *c, const struct call_conf *conf, char *why,
    size_t whylen)
{
	int err;

	if (conf->source == CALL_SRC_TONE)
		tone_gen_init(&c->gen, conf->tone_hz, conf->tone_amp);
	if (conf->source == CALL_SRC_WAV &&
	    (err = wav_open_read(&c->src, conf->wav_path, why, whylen)) != 0)
		return err;
	if (conf->record_path != NULL && (err = wav_open_write(&c->rec,
	    conf->record_path, why, whylen)) != 0)
		return err;
	if (conf->nfreqs > 0 && (err = tone_meter_new(&c->meter, conf->freqs,
	    conf->nfreqs, (size_t)conf->analysis_skip_ms * (CALL_RATE / 1000)))
	    != 0) {
		snprintf(why, whylen, "analysis: 1..%d frequencies, each "
		    "between 0 and %d Hz", CALL_MAX_FREQS, CALL_RATE / 2);
		return err;
	}
	return 0;
}

static void	call_on_readable(evutil_socket_t, short, void *);
static void	call_on_tx(evutil_socket_t, short, void *);
static void	call_on_play(evutil_socket_t, short, void *);
static void	call_on_delay(evutil_socket_t, short, void *);

int
call_new(struct call **out, struct event_base *base,
    const struct call_conf *conf, char *why, size_t whylen)
{
	struct jbuf_conf jc;
	unsigned short seed[3];
	struct call *c;
	int err;

	*out = NULL;
	if ((err = call_conf_check(conf, why, whylen)) != 0)
		return err;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	c->base = base;
	c->fd = -1;
	/* The copy keeps the numbers only: no key, no borrowed string. */
	c->conf = *conf;
	call_conf_wipe(&c->conf);
	c->conf.server_addr = c->conf.bind_addr = c->conf.cname = NULL;
	c->conf.wav_path = c->conf.record_path = NULL;
	c->rx_ssrc = conf->rx_ssrc_set ? conf->rx_ssrc : ~conf->ssrc;
	c->st.level = MIX_SILENCE;
	c->st.rx_level = -1;
	snprintf(c->cname, sizeof(c->cname), "%s", conf->cname != NULL ?
	    conf->cname : "");
	if (c->cname[0] == '\0')
		snprintf(c->cname, sizeof(c->cname), "confcli-%08x",
		    conf->ssrc);
	seed[0] = (unsigned short)conf->seed;
	seed[1] = (unsigned short)(conf->seed >> 16);
	seed[2] = (unsigned short)(conf->seed >> 32);
	seed48_r(seed, &c->rng);

	if (conf->server_addr != NULL && call_sockaddr(conf->server_addr,
	    conf->server_port, &c->server, &c->serverlen) != 0) {
		snprintf(why, whylen, "server '%s' is not an IPv4 or IPv6 "
		    "address", conf->server_addr);
		err = EINVAL;
		goto fail;
	}
	if ((err = call_socket(c, conf, why, whylen)) != 0 ||
	    (err = call_srtp(c, conf, why, whylen)) != 0 ||
	    (err = call_codec(c, conf, why, whylen)) != 0 ||
	    (err = call_media(c, conf, why, whylen)) != 0)
		goto fail;
	jbuf_conf_default(&jc);
	jc.max_frames = conf->jitter_max_ms / 20;
	if ((c->jb = jbuf_new(&jc)) == NULL) {
		err = errno;
		snprintf(why, whylen, "cannot create the jitter buffer: %s",
		    strerror(err));
		goto fail;
	}
	c->ev_rx = event_new(base, c->fd, EV_READ | EV_PERSIST,
	    call_on_readable, c);
	c->ev_tx = event_new(base, -1, 0, call_on_tx, c);
	c->ev_play = event_new(base, -1, 0, call_on_play, c);
	c->ev_delay = event_new(base, -1, 0, call_on_delay, c);
	if (c->ev_rx == NULL || c->ev_tx == NULL || c->ev_play == NULL ||
	    c->ev_delay == NULL) {
		snprintf(why, whylen, "cannot create the call's events");
		err = ENOMEM;
		goto fail;
	}
	c->report_ticks = (uint64_t)conf->rtcp_interval_ms * 1000000ULL /
	    CALL_TICK_NS;
	if (c->report_ticks == 0)
		c->report_ticks = 1;
	*out = c;
	return 0;
fail:
	call_free(c);
	return err;
}

int
call_set_server(struct call *c, const char *addr, uint16_t port, char *why,
    size_t whylen)
{
	struct sockaddr_storage ss, local;
	socklen_t len, llen = sizeof(local);

	if (call_sockaddr(addr, port, &ss, &len) != 0) {
		snprintf(why, whylen, "server '%s' is not an IPv4 or IPv6 "
		    "address", addr);
		return EINVAL;
	}
	if (port == 0) {
		snprintf(why, whylen, "server %s needs a port", addr);
		return EINVAL;
	}
	if (getsockname(c->fd, (struct sockaddr *)&local, &llen) == -1 ||
	    local.ss_family != ss.ss_family) {
		snprintf(why, whylen, "server %s is not of the family of the "
		    "local address", addr);
		return EINVAL;
	}
	c->server = ss;
	c->serverlen = len;
	return 0;
}

uint16_t
call_local_port(const struct call *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Sends one datagram to the server; false when the kernel refused it. */
static bool
call_send(struct call *c, const uint8_t *buf, size_t len)
{
	if (sendto(c->fd, buf, len, 0, (const struct sockaddr *)&c->server,
	    c->serverlen) == -1) {
		c->st.send_errors++;
		log_debug_rl(&c->rl, "call", "%08x: sendto: %s", c->conf.ssrc,
		    strerror(errno));
		return false;
	}
	return true;
}

/* Sends an RTP packet to the server, counting it. */
static void
call_send_rtp(struct call *c, const uint8_t *buf, size_t len)
{
	if (call_send(c, buf, len))
		c->st.sent++;
}

/* The waiting packet of the delay line due first, or NULL. */
static struct call_pkt *
call_delay_first(struct call *c)
{
	struct call_pkt *p, *first = NULL;
	size_t i;

	for (i = 0; i < CALL_DELAY_SLOTS; i++) {
		p = &c->delay[i];
		if (p->len == 0)
			continue;
		if (first == NULL || p->release_ns < first->release_ns ||
		    (p->release_ns == first->release_ns &&
		    p->order < first->order))
			first = p;
	}
	return first;
}

/* Sends every delayed packet due by now, in order, and rearms the timer. */
static void
call_delay_release(struct call *c, uint64_t now)
{
	struct call_pkt *p;

	while ((p = call_delay_first(c)) != NULL && p->release_ns <= now) {
		call_send_rtp(c, p->buf, p->len);
		p->len = 0;
	}
	if (p != NULL)
		call_arm(c->ev_delay, p->release_ns);
	else
		event_del(c->ev_delay);
}

/* A uniform random number in [0, 1) from the call's own generator. */
static double
call_random(struct call *c)
{
	double r;

	drand48_r(&c->rng, &r);
	return r;
}

/*
 * Puts a packet on the delay line for a random 0..jitter_ms, but not
 * before not_before, and returns its release time.  Without jitter it
 * goes out at once.  A full line sends its first packet early to make room.
 */
static uint64_t
call_delay_put(struct call *c, const uint8_t *buf, size_t len, uint64_t now,
    uint64_t not_before)
{
	struct call_pkt *p = NULL;
	uint64_t release;
	size_t i;

	if (c->conf.jitter_ms == 0) {
		call_send_rtp(c, buf, len);
		return now;
	}
	release = now + (uint64_t)(call_random(c) * c->conf.jitter_ms *
	    1000000.0);
	if (release < not_before)
		release = not_before;
	for (i = 0; i < CALL_DELAY_SLOTS && p == NULL; i++)
		if (c->delay[i].len == 0)
			p = &c->delay[i];
	if (p == NULL) {
		p = call_delay_first(c);
		call_send_rtp(c, p->buf, p->len);
	}
	memcpy(p->buf, buf, len);
	p->len = len;
	p->release_ns = release;
	p->order = c->order++;
	call_delay_release(c, now);
	return release;
}

/*
 * Hands a protected packet to the network as the impairment settings
 * would: dropped, held back to follow the next one, or delayed.
 */
static void
call_impair(struct call *c, const uint8_t *buf, size_t len, uint64_t now)
{
	uint64_t release;

	if (c->conf.loss_pct > 0 && call_random(c) * 100 < c->conf.loss_pct) {
		c->st.dropped++;
		return;
	}
	if (c->conf.reorder_pct > 0 && c->held.len == 0 &&
	    call_random(c) * 100 < c->conf.reorder_pct) {
		memcpy(c->held.buf, buf, len);
		c->held.len = len;
		return;
	}
	release = call_delay_put(c, buf, len, now, 0);
	if (c->held.len > 0) {
		call_delay_put(c, c->held.buf, c->held.len, now, release);
		c->held.len = 0;
	}
}

/* Fills the next 20 ms of the audio source into c->txpcm. */
static void
call_source(struct call *c)
{
	size_t n = 0;

	switch (c->conf.source) {
	case CALL_SRC_TONE:
		tone_gen_fill(&c->gen, c->txpcm, CALL_FRAME);
		n = CALL_FRAME;
		break;
	case CALL_SRC_WAV:
		n = wav_read(c->src, c->txpcm, CALL_FRAME, c->conf.wav_loop);
		break;
	case CALL_SRC_SILENCE:
		break;
	}
	if (n < CALL_FRAME)
		memset(c->txpcm + n, 0, (CALL_FRAME - n) * sizeof(c->txpcm[0]));
}

/* Encodes, packs, protects and sends frame c->tx_tick. */
static void
call_send_frame(struct call *c, uint64_t now)
{
	struct rtp_level lvl;
	struct rtp_hdr h;
	size_t hlen, len, cap;
	int n;

	call_source(c);
	memset(&h, 0, sizeof(h));
	h.marker = c->marker;
	h.pt = (uint8_t)c->conf.payload_type;
	h.seq = c->seq;
	h.ts = c->ts0 + (uint32_t)(c->tx_tick * CALL_FRAME);
	h.ssrc = c->conf.ssrc;
	if (c->conf.send_level) {
		lvl.id = (uint8_t)c->conf.level_ext_id;
		lvl.level = mix_level(c->txpcm, CALL_FRAME);
		lvl.vad = lvl.level <= CALL_VAD_LEVEL;
	}
	/* The configuration was checked: the header always fits. */
	hlen = rtp_write(c->txbuf, sizeof(c->txbuf), &h,
	    c->conf.send_level ? &lvl : NULL);
	cap = sizeof(c->txbuf) - hlen - SRTPX_TRAILER;
	if (cap > JBUF_MAX_PAYLOAD)
		cap = JBUF_MAX_PAYLOAD;
	n = opus_encode(c->enc, c->txpcm, CALL_FRAME, c->txbuf + hlen,
	    (opus_int32)cap);
	if (n < 0) {
		log_debug_rl(&c->rl, "call", "%08x: cannot encode: %s",
		    c->conf.ssrc, opus_strerror(n));
		return;
	}
	/* A DTX packet of one or two bytes is silence: send nothing. */
	if (c->conf.dtx && n <= 2) {
		c->marker = true;
		return;
	}
	len = hlen + (size_t)n;
	if (srtpx_protect(c->tx, c->txbuf, &len) != SRTPX_OK) {
		log_debug_rl(&c->rl, "call", "%08x: cannot protect a packet",
		    c->conf.ssrc);
		return;
	}
	c->seq++;
	c->marker = false;
	c->sr_packets++;
	c->sr_octets += (uint32_t)n;
	call_impair(c, c->txbuf, len, now);
}

/* The report block on the stream received (RFC 3550 A.3); false if none. */
static bool
call_report_block(struct call *c, uint64_t now_ms, struct rtcp_rb *rb)
{
	struct jbuf_stats js;

	jbuf_get_stats(c->jb, &js);
	return rtp_rx_block(&c->rx_report, c->rx_ssrc, js.jitter, now_ms, rb);
}

/* Sends a sender report, or with bye a receiver report and a BYE. */
static void
call_send_report(struct call *c, bool bye)
{
	uint8_t buf[CALL_RTCP_MAX];
	struct rtcp_sender s;
	struct rtcp_rb rb;
	struct timespec ts;
	uint64_t now = call_now_ns();
	size_t len, nrb, cap = sizeof(buf) - SRTPX_RTCP_TRAILER;

	nrb = call_report_block(c, now / 1000000, &rb) ? 1 : 0;
	if (bye)
		len = rtcp_write_bye(buf, cap, c->conf.ssrc, &rb, nrb,
		    c->cname, "leaving");
	else {
		clock_gettime(CLOCK_REALTIME, &ts);
		s.ssrc = c->conf.ssrc;
		s.ntp = rtp_ntp_from_timespec(&ts);
		s.rtp_ts = c->ts0 + (uint32_t)(c->tx_tick * CALL_FRAME);
		s.packets = c->sr_packets;
		s.octets = c->sr_octets;
		len = rtcp_write_sr(buf, cap, &s, &rb, nrb, c->cname);
	}
	if (len == 0 || srtpx_protect_rtcp(c->tx, buf, &len) != SRTPX_OK) {
		log_debug_rl(&c->rl, "call", "%08x: cannot make an RTCP "
		    "report", c->conf.ssrc);
		return;
	}
	if (call_send(c, buf, len))
		c->st.rtcp_sent++;
}

static void
call_on_tx(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	uint64_t now = call_now_ns(), next, behind;

	(void)fd;
	(void)what;
	next = c->start_ns + c->tx_tick * CALL_TICK_NS;
	if (now > next + CALL_MAX_BEHIND * CALL_TICK_NS) {
		behind = (now - next) / CALL_TICK_NS;
		c->tx_tick += behind;
		c->st.ticks_skipped += behind;
		c->marker = true;
	}
	call_send_frame(c, now);
	if (c->tx_tick >= c->report_tick) {
		if (c->tx_tick > 0)
			call_send_report(c, false);
		c->report_tick = c->tx_tick + c->report_ticks;
	}
	c->tx_tick++;
	call_arm(c->ev_tx, c->start_ns + c->tx_tick * CALL_TICK_NS);
}

/* Decodes the frame of this tick into c->pcm; 20 ms, zeros if nothing. */
static void
call_play_frame(struct call *c, uint64_t now_ms)
{
	struct jbuf_frame f;
	int n = 0;

	switch (jbuf_get(c->jb, now_ms, &f)) {
	case JBUF_FRAME:
		n = opus_decode(c->dec, f.data, (opus_int32)f.len, c->pcm,
		    CALL_DEC_MAX, 0);
		break;
	case JBUF_FEC:
		/* The next packet's FEC carries this frame, at lower rate. */
		n = opus_decode(c->dec, f.data, (opus_int32)f.len, c->pcm,
		    CALL_FRAME, 1);
		if (n >= 0)
			c->st.fec++;
		break;
	case JBUF_LOST:
		n = opus_decode(c->dec, NULL, 0, c->pcm, CALL_FRAME, 0);
		if (n >= 0)
			c->st.concealed++;
		break;
	case JBUF_NONE:
		memset(c->pcm, 0, CALL_FRAME * sizeof(c->pcm[0]));
		return;
	}
	c->st.frames_played++;
	c->analysing = true;
	if (n < 0) {
		/* A packet Opus refuses is concealed like a lost one. */
		c->st.malformed++;
		log_debug_rl(&c->rl, "call", "%08x: cannot decode: %s",
		    c->conf.ssrc, opus_strerror(n));
		n = opus_decode(c->dec, NULL, 0, c->pcm, CALL_FRAME, 0);
		c->st.concealed++;
	}
	if (n < 0)
		n = 0;
	/* Frames of another length than 20 ms are not what confd sends. */
	if (n < CALL_FRAME)
		memset(c->pcm + n, 0, (size_t)(CALL_FRAME - n) *
		    sizeof(c->pcm[0]));
}

static void
call_on_play(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	uint64_t now = call_now_ns(), next, behind;

	(void)fd;
	(void)what;
	next = c->start_ns + CALL_PLAY_OFFSET_NS + c->play_tick * CALL_TICK_NS;
	if (now > next + CALL_MAX_BEHIND * CALL_TICK_NS) {
		behind = (now - next) / CALL_TICK_NS;
		c->play_tick += behind;
		c->st.ticks_skipped += behind;
	}
	call_play_frame(c, now / 1000000);
	c->st.level = mix_level(c->pcm, CALL_FRAME);
	/* A failed write is kept by wav and reported by call_stop(). */
	if (c->rec != NULL)
		(void)wav_write(c->rec, c->pcm, CALL_FRAME);
	if (c->meter != NULL && c->analysing)
		tone_meter_feed(c->meter, c->pcm, CALL_FRAME);
	c->play_tick++;
	call_arm(c->ev_play, c->start_ns + CALL_PLAY_OFFSET_NS +
	    c->play_tick * CALL_TICK_NS);
}

static void
call_on_delay(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;

	(void)fd;
	(void)what;
	call_delay_release(c, call_now_ns());
}

/* An SRTP verdict other than OK, counted; true when the packet is good. */
static bool
call_verdict(struct call *c, int rc)
{
	switch (rc) {
	case SRTPX_OK:
		return true;
	case SRTPX_E_AUTH:
		c->st.auth_fail++;
		log_debug_rl(&c->rl, "call", "%08x: authentication failed",
		    c->conf.ssrc);
		return false;
	case SRTPX_E_REPLAY:
		c->st.replay++;
		return false;
	default:
		c->st.malformed++;
		return false;
	}
}

#define CALL_RESYNC_AFTER	25	/* failed packets in a row: 0.5 s */

/*
 * Starts the receiving context afresh after half a second of packets that
 * all fail authentication or the replay check, at most once every five
 * seconds: what a server that restarted sends looks exactly like that.
 */
static void
call_resync(struct call *c, uint64_t now_ms)
{
	struct srtpx *rx;

	if (++c->auth_streak < CALL_RESYNC_AFTER ||
	    (c->last_resync_ms != 0 && now_ms - c->last_resync_ms < 5000))
		return;
	if (srtpx_new(&rx, c->suite, c->rx_key, SRTPX_IN, c->rx_ssrc) != 0)
		return;
	srtpx_free(c->rx);
	c->rx = rx;
	c->auth_streak = 0;
	c->last_resync_ms = now_ms;
	c->st.resyncs++;
	jbuf_reset(c->jb);
	memset(&c->rx_report, 0, sizeof(c->rx_report));
	log_info("call", "%08x: the server's stream restarted: listening "
	    "to the new one", c->conf.ssrc);
}

static void
call_rx_rtp(struct call *c, uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct rtp_level lvl;
	struct rtp_hdr h;
	int rc;

	if (call_get32(buf + 8) != c->rx_ssrc) {
		c->st.foreign++;
		return;
	}
	rc = srtpx_unprotect(c->rx, buf, &len);
	/* A new stream reads as forged or as too old, by where it starts. */
	if (rc == SRTPX_E_AUTH || rc == SRTPX_E_REPLAY)
		call_resync(c, now_ms);
	else if (rc == SRTPX_OK)
		c->auth_streak = 0;
	if (!call_verdict(c, rc))
		return;
	if (rtp_parse(buf, len, &h) != 0 ||
	    h.pt != (uint8_t)c->conf.payload_type) {
		c->st.malformed++;
		return;
	}
	c->st.received++;
	(void)rtp_rx_packet(&c->rx_report, h.seq);
	if (h.has_ext && rtp_ext_level(&h, (uint8_t)c->conf.level_ext_id,
	    &lvl) == 0)
		c->st.rx_level = lvl.level;
	/* Late and duplicate packets are counted by the jitter buffer. */
	(void)jbuf_put(c->jb, h.seq, h.ts, h.payload, h.payload_len, now_ms);
}

static void
call_rx_rtcp(struct call *c, uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct rtcp_info info;
	size_t i;

	if (len < 8 || call_get32(buf + 4) != c->rx_ssrc) {
		c->st.foreign++;
		return;
	}
	if (!call_verdict(c, srtpx_unprotect_rtcp(c->rx, buf, &len)))
		return;
	if (rtcp_parse(buf, len, &info) != 0) {
		c->st.malformed++;
		return;
	}
	c->st.rtcp_received++;
	if (info.has_sr) {
		rtp_rx_sr(&c->rx_report, info.sr.ntp, now_ms);
	}
	for (i = 0; i < info.nrb; i++)
		if (info.rb[i].ssrc == c->conf.ssrc)
			c->st.remote_lost = info.rb[i].lost;
	for (i = 0; i < info.nbye; i++)
		if (info.bye[i] == c->rx_ssrc)
			c->st.bye_received++;
}

static void
call_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	uint8_t *b = c->rxbuf;
	uint64_t now_ms;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < CALL_RX_BATCH; i++) {
		/* MSG_TRUNC makes an oversized datagram show its size. */
		n = recv(fd, b, sizeof(c->rxbuf), MSG_TRUNC);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_debug_rl(&c->rl, "call", "%08x: recv: %s",
				    c->conf.ssrc, strerror(errno));
			return;
		}
		if ((size_t)n > sizeof(c->rxbuf) || n < RTP_HDR_LEN ||
		    (b[0] >> 6) != RTP_VERSION) {
			c->st.malformed++;
			continue;
		}
		now_ms = call_now_ns() / 1000000;
		if (rtp_is_rtcp(b, (size_t)n))
			call_rx_rtcp(c, b, (size_t)n, now_ms);
		else
			call_rx_rtp(c, b, (size_t)n, now_ms);
	}
}

int
call_start(struct call *c)
{
	if (c->started)
		return EALREADY;
	if (c->serverlen == 0)
		return EDESTADDRREQ;
	c->started = true;
	/* RFC 3550: the first sequence number and timestamp are random. */
	c->seq = (uint16_t)randombytes_uniform(65536);
	c->ts0 = randombytes_random();
	c->marker = true;
	c->start_ns = call_now_ns();
	c->report_tick = c->report_ticks;
	event_add(c->ev_rx, NULL);
	call_arm(c->ev_tx, c->start_ns);
	call_arm(c->ev_play, c->start_ns + CALL_PLAY_OFFSET_NS);
	return 0;
}

bool
call_running(const struct call *c)
{
	return c->started && !c->stopped;
}

int
call_stop(struct call *c, char *why, size_t whylen)
{
	struct call_stats st;
	int err = 0;

	if (c->stopped || !c->started) {
		c->stopped = true;
		return 0;
	}
	c->stopped = true;
	event_del(c->ev_tx);
	event_del(c->ev_play);
	event_del(c->ev_rx);
	/* What is still in flight goes out before the BYE, in its order. */
	if (c->held.len > 0) {
		call_send_rtp(c, c->held.buf, c->held.len);
		c->held.len = 0;
	}
	call_delay_release(c, UINT64_MAX);
	call_send_report(c, true);
	if (c->rec != NULL)
		err = wav_flush(c->rec, why, whylen);
	call_stats(c, &st);
	log_info("call", "%08x: ended after %.1f s: %llu packets sent, %llu "
	    "received, %llu lost, %llu late, %llu concealed, %llu recovered "
	    "by FEC, %llu failed authentication, jitter %.1f ms",
	    c->conf.ssrc, (double)(call_now_ns() - c->start_ns) / 1e9,
	    (unsigned long long)st.sent, (unsigned long long)st.received,
	    (unsigned long long)st.lost, (unsigned long long)st.late,
	    (unsigned long long)st.concealed, (unsigned long long)st.fec,
	    (unsigned long long)st.auth_fail, st.jitter_ms);
	return err;
}

void
call_free(struct call *c)
{
	char why[256];

	if (c == NULL)
		return;
	(void)call_stop(c, why, sizeof(why));
	if (c->ev_rx != NULL)
		event_free(c->ev_rx);
	if (c->ev_tx != NULL)
		event_free(c->ev_tx);
	if (c->ev_play != NULL)
		event_free(c->ev_play);
	if (c->ev_delay != NULL)
		event_free(c->ev_delay);
	if (c->fd != -1)
		close(c->fd);
	srtpx_free(c->tx);
	srtpx_free(c->rx);
	sodium_memzero(c->rx_key, sizeof(c->rx_key));
	if (c->enc != NULL)
		opus_encoder_destroy(c->enc);
	if (c->dec != NULL)
		opus_decoder_destroy(c->dec);
	jbuf_free(c->jb);
	tone_meter_free(c->meter);
	wav_free(c->src);
	wav_free(c->rec);
	free(c);
}

void
call_stats(const struct call *c, struct call_stats *st)
{
	struct jbuf_stats js;

	*st = c->st;
	jbuf_get_stats(c->jb, &js);
	st->lost = js.lost;
	st->late = js.late;
	st->duplicates = js.duplicates;
	st->jitter_ms = js.jitter / (CALL_RATE / 1000.0);
}

double
call_tone_ratio(const struct call *c, double hz)
{
	return c->meter != NULL ? tone_meter_ratio(c->meter, hz) : -1;
}

double
call_heard_energy(const struct call *c)
{
	return c->meter != NULL ? tone_meter_energy(c->meter) : 0;
}
