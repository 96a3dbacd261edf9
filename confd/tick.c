/*
 * tick: the mixing clock and what happens on each of its ticks.
 *
 * One timer per worker serves its rooms: each room ticks every 20 ms on absolute
 * deadlines of the monotonic clock, so it does not drift, at a phase of its
 * own that follows the first packet that woke it; the timer runs only while
 * some room has participants.  On each tick, for each active room: take one frame
 * from every jitter buffer, decode only what may be heard, choose the
 * speakers, mix, encode once for all listeners and once per speaker (whose
 * mix leaves out its own voice), and send each participant its packet with
 * its own RTP header and SRTP context in one sendmmsg() per socket.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "confd.h"

#define TICK_NS		(CONFD_FRAME_MS * 1000000ULL)

const double tick_delay_bounds[CONFD_DELAY_BUCKETS] = {
	0.5, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 40, 60, 80, 100,
	INFINITY,
};
#define TICK_MAX_BEHIND	5	/* ticks; further behind, skip ahead */
#define TICK_LEAD	(2 * 1000000ULL)	/* first tick after a wake-up */
/* A participant's own audio level above this is not worth decoding. */
#define TICK_QUIET	70

uint64_t
confd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
confd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
tick_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Arms the timer for the room that is due first. */
static void
tick_schedule(struct worker *w)
{
	struct room *r = TAILQ_FIRST(&w->active);
	uint64_t now = tick_now_ns(), d;
	struct timeval tv;

	if (r == NULL)
		return;
	d = r->tick_next_ns > now ? r->tick_next_ns - now : 0;
	tv.tv_sec = (time_t)(d / 1000000000ULL);
	tv.tv_usec = (suseconds_t)((d % 1000000000ULL) / 1000);
	event_add(w->ev_tick, &tv);
}

/*
 * Runs every room that is due.  All rooms tick every 20 ms, each at its own
 * phase, so the active list stays sorted by due time when a room that ran
 * moves to its tail.
 */
static void
tick_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct room *r;
	uint64_t now = tick_now_ns(), behind, n;

	(void)fd;
	(void)what;
	for (n = (uint64_t)w->nactive; n > 0 &&
	    (r = TAILQ_FIRST(&w->active)) != NULL && r->tick_next_ns <= now;
	    n--) {
		if (now > r->tick_next_ns + TICK_NS) {
			behind = (now - r->tick_next_ns) / TICK_NS;
			w->ticks_late++;
			/* Too far behind to catch up: drop the lost ticks. */
			if (behind > TICK_MAX_BEHIND) {
				w->ticks_skipped += behind;
				r->tick_next_ns += behind * TICK_NS;
			}
		}
		r->tick_next_ns += TICK_NS;
		TAILQ_REMOVE(&w->active, r, active);
		TAILQ_INSERT_TAIL(&w->active, r, active);
		w->ticks++;
		/* tick_room() may take r off the list. */
		tick_room(r, now / 1000000ULL);
	}
	tick_schedule(w);
}

/*
 * Puts a room on the clock.  Its phase follows the packet that woke it: the
 * first tick comes TICK_LEAD after it, so that a participant whose packets
 * keep that rhythm waits TICK_LEAD, not up to a whole frame, to be mixed.
 */
void
tick_activate(struct room *r)
{
	struct worker *w = r->w;
	struct room *o;

	if (r->is_active)
		return;
	if (w->ev_tick == NULL &&
	    ((w->ev_tick = event_new(w->base, -1, 0, tick_on_timer, w)) ==
	    NULL || event_priority_set(w->ev_tick, CONFD_PRIO_TICK) != 0)) {
		log_err("tick", "cannot create the mixing clock");
		return;
	}
	r->tick_next_ns = tick_now_ns() + TICK_LEAD;
	/* Keep the list sorted by due time; newcomers are usually last. */
	TAILQ_FOREACH_REVERSE(o, &w->active, rooms, active)
		if (o->tick_next_ns <= r->tick_next_ns)
			break;
	if (o == NULL)
		TAILQ_INSERT_HEAD(&w->active, r, active);
	else
		TAILQ_INSERT_AFTER(&w->active, o, r, active);
	r->is_active = true;
	w->nactive++;
	tick_schedule(w);
}

void
tick_deactivate(struct room *r)
{
	struct worker *w = r->w;

	if (!r->is_active)
		return;
	TAILQ_REMOVE(&w->active, r, active);
	r->is_active = false;
	if (--w->nactive == 0 && w->ev_tick != NULL)
		event_del(w->ev_tick);
}

void
tick_free(struct worker *w)
{
	if (w->ev_tick != NULL)
		event_free(w->ev_tick);
	w->ev_tick = NULL;
}

/* Creates encoder e of a room, set up from the configuration. */
static OpusEncoder *
tick_encoder(struct room *r, int e)
{
	const struct confd_conf *c = &r->w->conf;
	OpusEncoder *enc;
	int err;

	if (r->enc[e] != NULL)
		return r->enc[e];
	enc = opus_encoder_create(CONFD_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (enc == NULL) {
		log_err("tick", "%s: cannot create an Opus encoder: %s",
		    r->name, opus_strerror(err));
		return NULL;
	}
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(c->bitrate));
	opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(c->complexity));
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(c->fec ? 1 : 0));
	opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(c->loss_percent));
	opus_encoder_ctl(enc, OPUS_SET_DTX(c->dtx ? 1 : 0));
	opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	r->enc[e] = enc;
	return enc;
}

/*
 * Gives each speaker an encoder of its own and takes them back from those
 * no longer speaking.  A new speaker's encoder starts as a copy of the
 * shared one, whose stream its decoder has been following, so the switch
 * is seamless; an Opus encoder is one relocatable block of memory.
 */
static void
tick_assign_encoders(struct room *r, const unsigned *spk, size_t n)
{
	struct part *p;
	size_t k;
	int e;

	for (e = 1; e < CONFD_NENC; e++) {
		if (r->enc_owner[e] == -1)
			continue;
		p = r->parts[r->enc_owner[e]];
		if (p != NULL && mix_sel_is_speaker(r->sel,
		    (unsigned)r->enc_owner[e]))
			continue;
		if (p != NULL)
			p->enc = -1;
		r->enc_owner[e] = -1;
	}
	for (k = 0; k < n; k++) {
		p = r->parts[spk[k]];
		if (p == NULL || p->enc > 0)
			continue;
		for (e = 1; e < CONFD_NENC && r->enc_owner[e] != -1; e++)
			;
		if (e == CONFD_NENC || tick_encoder(r, e) == NULL ||
		    tick_encoder(r, 0) == NULL)
			continue;
		memcpy(r->enc[e], r->enc[0], (size_t)opus_encoder_get_size(1));
		r->lim[e] = r->lim[0];
		r->enc_owner[e] = (int)spk[k];
		p->enc = e;
	}
}

/* Takes this tick's frame of a participant and decodes what may be heard. */
static uint8_t
tick_pull(struct room *r, struct part *p, uint64_t now)
{
	enum jbuf_get_status st;
	struct jbuf_stats js;
	struct jbuf_frame f;
	bool speaker = mix_sel_is_speaker(r->sel, (unsigned)p->slot);
	int n = 0;

	p->have_pcm = false;
	p->frame_arrival_us = 0;
	p->fwd_len = 0;
	st = jbuf_get(p->jb, now, &f);
	if (st != JBUF_FRAME) {
		/* The buffer knows best what was lost, skipped gaps included. */
		jbuf_get_stats(p->jb, &js);
		p->st.lost = js.lost;
	}
	switch (st) {
	case JBUF_FRAME:
		/* Its own level says it is quiet: no decode needed. */
		if (!speaker && p->ext_level > TICK_QUIET)
			return (uint8_t)p->ext_level;
		/* A packet of one or two bytes is DTX: silence, no decode. */
		if (f.len <= 2)
			return MIX_SILENCE;
		n = opus_decode(p->dec, f.data, (opus_int32)f.len, p->pcm,
		    CONFD_FRAME, 0);
		p->frame_arrival_us = p->arrival_us[f.seq % 64];
		/*
		 * Only a whole 20 ms frame keeps the listeners' timestamps
		 * in step; the data stays in the jitter buffer's slot until
		 * the next packet is put, after this tick.
		 */
		if (n == CONFD_FRAME) {
			p->fwd = f.data;
			p->fwd_len = f.len;
		}
		break;
	case JBUF_FEC:
		n = opus_decode(p->dec, f.data, (opus_int32)f.len, p->pcm,
		    CONFD_FRAME, 1);
		if (n > 0)
			p->st.fec_recovered++;
		break;
	case JBUF_LOST:
		if (!speaker)
			return MIX_NOFRAME;
		n = opus_decode(p->dec, NULL, 0, p->pcm, CONFD_FRAME, 0);
		if (n > 0)
			p->st.concealed++;
		break;
	default:
		return MIX_NOFRAME;
	}
	if (n <= 0) {
		p->st.malformed++;
		return MIX_NOFRAME;
	}
	/* A 10 ms frame leaves the rest of the tick silent. */
	if (n < CONFD_FRAME)
		memset(p->pcm + n, 0, (size_t)(CONFD_FRAME - n) * 2);
	p->st.decoded++;
	p->have_pcm = true;
	p->level = mix_level(p->pcm, CONFD_FRAME);
	return (uint8_t)p->level;
}

/* Encodes a mix with encoder e into the tick's scratch; 0 when silent. */
static int
tick_encode(struct room *r, int e, const int16_t *pcm)
{
	struct confd_io *io = r->w->io;
	OpusEncoder *enc = tick_encoder(r, e);
	int n;

	io->opus_len[e] = 0;
	if (enc == NULL)
		return 0;
	n = opus_encode(enc, pcm, CONFD_FRAME, io->opus[e], CONFD_MAX_OPUS);
	r->st.encoded++;
	/* Packets of one or two bytes are DTX: nothing worth sending. */
	if (n > 2)
		io->opus_len[e] = n;
	return io->opus_len[e];
}

/* Sends n prepared packets on one socket, in as few system calls as can be. */
static void
tick_flush(struct room *r, int fd, struct mmsghdr *msg, int n)
{
	int sent = 0, rc;

	while (sent < n) {
		rc = sendmmsg(fd, msg + sent, (unsigned)(n - sent),
		    MSG_DONTWAIT);
		if (rc <= 0) {
			/* A full socket buffer or an unreachable peer. */
			log_debug_rl(&r->rl, "tick", "%s: sendmmsg: %s",
			    r->name, strerror(errno));
			sent++;
			continue;
		}
		sent += rc;
	}
}

/* Builds, protects and queues one participant's packet for this tick. */
static int
tick_packet(struct room *r, struct part *p, int slot, const uint8_t *opus,
    size_t olen, bool marker)
{
	struct confd_io *io = r->w->io;
	struct rtp_hdr h;
	uint8_t *b = io->tbuf[slot];
	size_t len;

	memset(&h, 0, sizeof(h));
	h.pt = (uint8_t)r->w->conf.payload_type;
	h.marker = marker;
	h.seq = p->tx_seq;
	h.ts = p->tx_ts;
	h.ssrc = p->out_ssrc;
	len = rtp_write(b, CONFD_PKT_MAX, &h, NULL);
	if (len == 0 || len + olen + SRTPX_TRAILER > CONFD_PKT_MAX)
		return -1;
	memcpy(b + len, opus, olen);
	len += olen;
	if (srtpx_protect(p->tx, b, &len) != SRTPX_OK)
		return -1;
	p->tx_seq++;
	p->st.tx_packets++;
	p->st.tx_bytes += len;
	p->tx_octets += (uint32_t)olen;
	io->tiov[slot].iov_base = b;
	io->tiov[slot].iov_len = len;
	return 0;
}

/*
 * Sends every participant the mix it should hear, or with talker >= 0,
 * every other participant the talker's packet (fwd.c); a talker's packet
 * of 0 bytes is a gap.  IPv4 packets fill the batch from the front and
 * IPv6 packets from the back, one sendmmsg() each.
 */
static void
tick_send(struct room *r, bool any, int talker)
{
	struct confd_io *io = r->w->io;
	struct mmsghdr *m;
	struct part *p, *t = talker >= 0 ? r->parts[talker] : NULL;
	const uint8_t *opus;
	enum part_fed fed;
	size_t olen;
	int i, e, n4 = 0, n6 = 0;
	bool marker = any && !r->talking;

	for (i = 0; i < CONFD_MAX_PARTS; i++) {
		if ((p = r->parts[i]) == NULL || p->leaving)
			continue;
		fed = PART_FED_FWD;
		if (t != NULL) {
			opus = i == talker ? NULL : t->fwd;
			olen = i == talker ? 0 : t->fwd_len;
			/* The listener conceals it, or recovers it by FEC. */
			if (i != talker && olen == 0)
				p->tx_seq++;
		} else if (p->fwd_from >= 0) {
			opus = r->parts[p->fwd_from]->fwd;
			olen = r->parts[p->fwd_from]->fwd_len;
		} else {
			e = p->enc > 0 ? p->enc : 0;
			opus = io->opus[e];
			olen = (size_t)io->opus_len[e];
			fed = PART_FED_ENC;
		}
		if (!any || olen == 0)
			p->fed = PART_FED_NONE;
		if (any && p->addrlen != 0 && olen > 0 &&
		    tick_packet(r, p, i, opus, olen, marker) == 0) {
			p->fed = fed;
			m = p->addr.ss_family == AF_INET6 ?
			    &io->tmsg[CONFD_MAX_PARTS - ++n6] : &io->tmsg[n4++];
			memset(m, 0, sizeof(*m));
			m->msg_hdr.msg_iov = &io->tiov[i];
			m->msg_hdr.msg_iovlen = 1;
			m->msg_hdr.msg_name = &p->addr;
			m->msg_hdr.msg_namelen = p->addrlen;
		}
		/* The timestamp follows the clock, sent or not (as DTX). */
		p->tx_ts += CONFD_FRAME;
	}
	if (n4 > 0 && r->fd[0] != -1)
		tick_flush(r, r->fd[0], io->tmsg, n4);
	if (n6 > 0 && r->fd[1] != -1)
		tick_flush(r, r->fd[1], io->tmsg + CONFD_MAX_PARTS - n6, n6);
	r->talking = any;
}

/*
 * Records, for each speaker heard in this tick, how long its frame waited
 * from its arrival to the moment its mix went out.
 */
static void
tick_hist_add(struct confd_hist *h, double ms)
{
	size_t b;

	for (b = 0; ms > tick_delay_bounds[b]; b++)
		;
	h->bucket[b]++;
	h->count++;
	h->sum += ms;
}

static void
tick_delays(struct room *r, size_t n, const unsigned *spk, uint64_t start_us)
{
	struct worker *w = r->w;
	struct part *p;
	uint64_t now = confd_now_us();
	size_t k;

	if (now > start_us)
		tick_hist_add(&w->delay_work, (double)(now - start_us) /
		    1000.0);
	for (k = 0; k < n; k++) {
		p = r->parts[spk[k]];
		if (p == NULL || p->frame_arrival_us == 0 ||
		    p->frame_arrival_us > now)
			continue;
		tick_hist_add(&w->delay_mix,
		    (double)(now - p->frame_arrival_us) / 1000.0);
	}
}

/*
 * Forwards the lone talker's packet when fwd.c says so (solo: its slot, or
 * -1 when nobody or several are heard); true when the tick is done.
 */
static bool
tick_forward(struct room *r, int solo, bool any, bool *leave)
{
	struct part *p = solo >= 0 ? r->parts[solo] : NULL;
	enum fwd_action act;

	*leave = false;
	if (!r->w->conf.forward) {
		if (r->fwd.slot < 0)
			return false;
		/* Turned off by a reload while forwarding. */
		solo = -1;
		p = NULL;
	}
	act = fwd_decide(&r->fwd, p != NULL ? solo : -1,
	    p != NULL && p->fwd_len > 0, p != NULL ? p->level : MIX_SILENCE,
	    r->talking, leave);
	if (act == FWD_MIX)
		return false;
	fwd_keep(&r->fwd, p->pcm);
	if (act == FWD_SEND)
		r->st.forwarded++;
	tick_send(r, any, solo);
	return true;
}

/*
 * Hands the listeners back to the room's encoders after forwarding: the
 * shared encoder first codes the last forwarded frames, whose output is
 * dropped, so that its state follows what the listeners' decoders just
 * played; the speakers' encoders are given up and start again as copies.
 */
static void
tick_unforward(struct room *r, bool any)
{
	struct confd_io *io = r->w->io;
	struct part *p;
	unsigned k;
	int e;

	for (e = 1; e < CONFD_NENC; e++) {
		if (r->enc_owner[e] == -1)
			continue;
		if ((p = r->parts[r->enc_owner[e]]) != NULL)
			p->enc = -1;
		r->enc_owner[e] = -1;
	}
	if (!any || tick_encoder(r, 0) == NULL)
		return;
	for (k = 0; k < FWD_PRIME; k++)
		if (opus_encode(r->enc[0], r->fwd.pcm[(r->fwd.next + k) %
		    FWD_PRIME], CONFD_FRAME, io->opus[0], CONFD_MAX_OPUS) > 0)
			r->st.encoded++;
}

/*
 * Whether speaker p hears one talker alone (aud: the first two audible
 * talkers, heard: how many there are) and may get its packet as it came
 * rather than an encoded mix: as when the room forwards, this saves an
 * encode and a generation of coding loss.  Only a stream that did not
 * come from an encoder last tick switches to it (a switch from silence
 * or between forwarded streams needs no guard), so two talkers who
 * overlap each hear the other's own packets from the start.
 */
static bool
tick_hears_one(struct room *r, struct part *p, const int aud[2], int heard)
{
	struct part *x;
	int other;

	if (!r->w->conf.forward || heard < 1 || heard > 2)
		return false;
	if (heard == 1)
		other = aud[0] != p->slot ? aud[0] : -1;
	else if (aud[0] == p->slot || aud[1] == p->slot)
		other = aud[0] == p->slot ? aud[1] : aud[0];
	else
		other = -1;
	if (other < 0 || (x = r->parts[other]) == NULL || x->fwd_len == 0 ||
	    p->fed == PART_FED_ENC)
		return false;
	p->fwd_from = other;
	r->st.forwarded++;
	return true;
}

void
tick_room(struct room *r, uint64_t now)
{
	const struct confd_conf *c = &r->w->conf;
	struct confd_io *io = r->w->io;
	uint8_t level[CONFD_MAX_PARTS];
	unsigned spk[CONFD_MAX_PARTS];
	const int16_t *in[CONFD_MAX_PARTS];
	struct mix_out shared, minus[CONFD_MAX_PARTS];
	struct part *p;
	/* Counted from when the tick was due, so a busy loop shows. */
	uint64_t start_us = (r->tick_next_ns - TICK_NS) / 1000;
	bool any = false, reap = false, leave;
	size_t n, k;
	int i, solo = -1, heard = 0, aud[2] = { -1, -1 };

	for (i = 0; i < CONFD_MAX_PARTS; i++) {
		level[i] = MIX_NOFRAME;
		if ((p = r->parts[i]) == NULL)
			continue;
		if (!p->leaving && now - p->last_rx_ms > (uint64_t)c->idle_timeout) {
			p->leaving = true;
			p->leave_reason = "silent too long";
		}
		if (p->leaving) {
			reap = true;
			continue;
		}
		level[i] = tick_pull(r, p, now);
	}
	n = mix_sel_update(r->sel, level, spk);
	for (k = 0; k < n; k++) {
		p = r->parts[spk[k]];
		in[k] = p != NULL && p->have_pcm ? p->pcm : NULL;
		if (in[k] == NULL)
			continue;
		any = true;
		/*
		 * A speaker still selected but quiet adds nothing anyone
		 * could hear: it does not stop the talker being forwarded.
		 */
		if (p->level <= FWD_AUDIBLE) {
			if (heard < 2)
				aud[heard] = (int)spk[k];
			solo = heard++ == 0 ? (int)spk[k] : -1;
		}
	}
	if (tick_forward(r, solo, any, &leave)) {
		tick_delays(r, n, spk, start_us);
		goto done;
	}
	if (leave)
		tick_unforward(r, any);
	for (i = 0; i < CONFD_MAX_PARTS; i++)
		if ((p = r->parts[i]) != NULL)
			p->fwd_from = -1;
	tick_assign_encoders(r, spk, n);
	for (k = 0; k < n; k++) {
		p = r->parts[spk[k]];
		/* Without an encoder of its own it hears the shared mix. */
		if (p != NULL && p->enc > 0) {
			minus[k].pcm = io->out_pcm[p->enc];
			minus[k].lim = &r->lim[p->enc];
		} else {
			minus[k].pcm = io->discard;
			minus[k].lim = &io->discard_lim;
		}
		minus[k].flags = 0;
	}
	/* Nobody speaks: nothing is encoded and nothing is sent. */
	if (any) {
		shared.pcm = io->out_pcm[0];
		shared.lim = &r->lim[0];
		shared.flags = 0;
		mix_frame(in, n, &shared, minus);
		io->opus_len[0] = 0;
		/* Listeners exist when not everyone present is a speaker. */
		if ((size_t)r->nparts > n)
			tick_encode(r, 0, shared.pcm);
		for (k = 0; k < n; k++) {
			p = r->parts[spk[k]];
			if (p == NULL || p->enc <= 0)
				continue;
			io->opus_len[p->enc] = 0;
			if ((minus[k].flags & MIX_OUT_SILENT) ||
			    tick_hears_one(r, p, aud, heard))
				continue;
			tick_encode(r, p->enc, minus[k].pcm);
		}
	}
	tick_send(r, any, -1);
	if (any)
		tick_delays(r, n, spk, start_us);
done:
	for (i = 0; i < CONFD_MAX_PARTS; i++)
		if ((p = r->parts[i]) != NULL && !p->leaving)
			rtcp_maybe_send(p, now);
	if (reap)
		room_reap(r);
}
