/*
 * jbuf: see jbuf.h.
 *
 * The frames live in a ring of max_frames + 8 slots indexed from the next
 * frame to play, so a sequence number in [next_seq, next_seq + cap) has a
 * slot; one spare slot past the ring holds a possible sender restart.
 *
 * Adaptation.  Each packet's transit time (arrival minus timestamp) is
 * compared with the smallest transit of the last two to four seconds; the
 * difference is how late that packet came compared with the fastest recent
 * one.  The peak of that lateness rises at once and decays by 1/256 per
 * packet (a half-life of 3.5 s at 50 packets a second), and
 *
 *	target = clamp(1 + ceil((peak - 2 ms) / 20 ms), min_frames, max_frames)
 *
 * so that a packet as late as the peak still arrives before its tick; the
 * 2 ms ignore the millisecond clock and scheduling noise.  A talkspurt, or
 * the stream after an underrun, starts when target frames are queued or
 * when its first frame has waited (target - 1) frames past the time it
 * would have arrived over the fastest path.  So the delay grows at once
 * when the buffer runs dry, and is set back to the target, up or down, at
 * every pause of a DTX sender, where a change costs nothing.  While frames
 * play, a missing frame with the depth below target holds one tick (the
 * delay grows by a frame) before it is declared lost; and one frame is
 * dropped once the depth has stayed above target + 1 for half a second,
 * then again half a second later, for senders that never pause.
 *
 * The ticks are not where the rule above assumes, though: a packet that
 * came over the fastest path usually waits some part of a frame for its
 * tick, and lateness up to that margin costs no extra frame.  So the buffer
 * also measures, for each frame it plays, how long before the tick its
 * fastest-path arrival was (G, over windows of JBUF_G_PLAYS frames): G
 * modulo a frame is the margin, taken off the peak in the rule above; and
 * when the smallest G of a window exceeds what the lateness of that
 * window's packets needs by a whole frame in two windows in a row, the
 * buffer holds a frame it does not need (after a late packet made it
 * wait once, say) and drops one, whatever the depth rule above.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "jbuf.h"

#define JBUF_RATE_MS		48	/* timestamp units per millisecond */
#define JBUF_FRAME_MS		20
#define JBUF_SLACK		8	/* ring slots beyond max_frames */
#define JBUF_SEQ_WINDOW		1000	/* seq distance still the same stream */
#define JBUF_TRANSIT_JUMP	(10000 * JBUF_RATE_MS)	/* same, in transit */
#define JBUF_RESYNC_SEQ		8	/* how closely a restart must follow */
#define JBUF_RESYNC_TRANSIT	(1000 * JBUF_RATE_MS)
#define JBUF_FLOOR_WIN_MS	2000	/* window of the smallest transit */
#define JBUF_PEAK_SLOP		(2 * JBUF_RATE_MS)
#define JBUF_SHRINK_MARGIN	1	/* frames above target tolerated */
#define JBUF_SHRINK_TICKS	25	/* ticks above it before a drop */
#define JBUF_G_PLAYS		50	/* frames played per window of G */
#define JBUF_G_GUARD		(1 * JBUF_RATE_MS)	/* kept past the need */

enum jbuf_slot_state {
	JBUF_SLOT_EMPTY = 0,
	JBUF_SLOT_QUEUED,	/* waiting for its tick */
	JBUF_SLOT_DONE,		/* played or dropped; kept to spot duplicates */
};

struct jbuf_slot {
	int64_t		due_ms;		/* arrival over the fastest path seen */
	uint32_t	ts;
	uint16_t	seq;
	uint16_t	len;
	uint8_t		state;
	uint8_t		data[JBUF_MAX_PAYLOAD];
};

struct jbuf {
	struct jbuf_conf	conf;
	struct jbuf_stats	st;		/* the counters only */
	unsigned		cap;		/* ring slots, plus slot[cap] */
	unsigned		head;		/* the slot of next_seq */
	unsigned		queued;
	unsigned		over_ticks;	/* ticks in a row too deep */
	bool			have_stream;
	bool			playing;	/* false: silence or underrun */
	bool			fresh;		/* no tick since the start */
	bool			have_held;	/* held a tick for held_seq */
	uint16_t		held_seq;
	uint16_t		next_seq;	/* the frame of the next tick */
	uint16_t		newest;		/* valid while queued > 0 */
	uint32_t		last_ts;	/* of next_seq - 1 */

	/* Delay estimates, all in timestamp units. */
	uint32_t		floor_cur;	/* least transit, this window */
	uint32_t		floor_prev;	/* and the window before */
	uint64_t		win_start_ms;
	uint32_t		peak;		/* decaying peak lateness */
	bool			have_transit;
	uint32_t		last_transit;
	uint32_t		jitter16;	/* RFC 3550 jitter, times 16 */

	/* Fastest-path arrival to tick, of the frames played (see above). */
	uint32_t		g_min;		/* smallest of this window */
	unsigned		g_plays;	/* frames in this window */
	bool			have_g;		/* g_win and margin are known */
	uint32_t		g_win;		/* smallest of the last window */
	uint32_t		margin;		/* g_win modulo a frame */
	unsigned		g_spare;	/* windows in a row a frame spare */
	uint32_t		g_late;		/* the latest packet of this window */

	bool			cand_valid;	/* slot[cap] may be a restart */
	uint32_t		cand_transit;
	uint64_t		cand_ms;
	struct jbuf_slot	slot[];
};

void
jbuf_conf_default(struct jbuf_conf *conf)
{
	conf->min_frames = 1;
	conf->max_frames = 10;
}

struct jbuf *
jbuf_new(const struct jbuf_conf *conf)
{
	struct jbuf_conf c;
	struct jbuf *jb;
	unsigned cap;

	if (conf != NULL)
		c = *conf;
	else
		jbuf_conf_default(&c);
	if (c.min_frames < 1 || c.min_frames > c.max_frames ||
	    c.max_frames > JBUF_FRAMES_MAX) {
		errno = EINVAL;
		return NULL;
	}
	cap = (unsigned)c.max_frames + JBUF_SLACK;
	if ((jb = calloc(1, sizeof(*jb) + (cap + 1) * sizeof(jb->slot[0]))) ==
	    NULL)
		return NULL;
	jb->conf = c;
	jb->cap = cap;
	return jb;
}

void
jbuf_free(struct jbuf *jb)
{
	free(jb);
}

void
jbuf_reset(struct jbuf *jb)
{
	struct jbuf_conf c = jb->conf;
	unsigned i, cap = jb->cap;

	memset(jb, 0, offsetof(struct jbuf, slot));
	jb->conf = c;
	jb->cap = cap;
	for (i = 0; i <= cap; i++)
		jb->slot[i].state = JBUF_SLOT_EMPTY;
}

/* The slot of seq, which must lie less than cap frames from next_seq. */
static struct jbuf_slot *
jbuf_slot(struct jbuf *jb, uint16_t seq)
{
	int d = (int16_t)(seq - jb->next_seq);

	return &jb->slot[(jb->head + (unsigned)(d + (int)jb->cap)) % jb->cap];
}

/* Whether seq is queued; it must lie in [next_seq, next_seq + cap). */
static bool
jbuf_has(struct jbuf *jb, uint16_t seq)
{
	struct jbuf_slot *s = jbuf_slot(jb, seq);

	return s->state == JBUF_SLOT_QUEUED && s->seq == seq;
}

/* Lateness, in timestamp units, that the delay must absorb past the margin. */
static uint32_t
jbuf_need(const struct jbuf *jb)
{
	uint32_t free = JBUF_PEAK_SLOP + (jb->have_g ? jb->margin : 0);

	return jb->peak > free ? jb->peak - free : 0;
}

/* The depth to aim for, from the peak lateness: see the rule above. */
static unsigned
jbuf_target(const struct jbuf *jb)
{
	unsigned t = 1 + (jbuf_need(jb) + JBUF_FRAME_TS - 1) / JBUF_FRAME_TS;

	if (t < (unsigned)jb->conf.min_frames)
		t = (unsigned)jb->conf.min_frames;
	if (t > (unsigned)jb->conf.max_frames)
		t = (unsigned)jb->conf.max_frames;
	return t;
}

/* The smaller transit of the two windows, in 32-bit wrapping arithmetic. */
static uint32_t
jbuf_floor(const struct jbuf *jb)
{
	return (int32_t)(jb->floor_prev - jb->floor_cur) < 0 ?
	    jb->floor_prev : jb->floor_cur;
}

/*
 * Feeds one arrival to the estimators and returns how late the packet came
 * compared with the fastest of the last seconds, in timestamp units.  The
 * floor is a windowed minimum so that it follows a change of route or a
 * drift between the clocks within a few seconds.
 */
static uint32_t
jbuf_measure(struct jbuf *jb, uint32_t transit, uint64_t now_ms)
{
	uint32_t d, late, peak;

	if (jb->have_transit) {
		d = transit - jb->last_transit;
		if ((int32_t)d < 0)
			d = -d;
		jb->jitter16 = jb->jitter16 - ((jb->jitter16 + 8) >> 4) + d;
	}
	jb->have_transit = true;
	jb->last_transit = transit;
	if (now_ms - jb->win_start_ms >= JBUF_FLOOR_WIN_MS) {
		jb->floor_prev = jb->floor_cur;
		jb->floor_cur = transit;
		jb->win_start_ms = now_ms;
	} else if ((int32_t)(transit - jb->floor_cur) < 0)
		jb->floor_cur = transit;
	late = transit - jbuf_floor(jb);
	/*
	 * Beyond max_frames no target helps, and a freak packet must not
	 * hold the target at its maximum for long.
	 */
	peak = late;
	if (peak > (uint32_t)jb->conf.max_frames * JBUF_FRAME_TS)
		peak = (uint32_t)jb->conf.max_frames * JBUF_FRAME_TS;
	if (peak > jb->g_late)
		jb->g_late = peak;
	jb->peak -= (jb->peak + 255) >> 8;
	if (peak > jb->peak)
		jb->peak = peak;
	return late;
}

/* Begins a stream at seq with an empty ring; the estimates carry over. */
static void
jbuf_start(struct jbuf *jb, uint16_t seq, uint32_t transit, uint64_t now_ms)
{
	unsigned i;

	for (i = 0; i < jb->cap; i++)
		jb->slot[i].state = JBUF_SLOT_EMPTY;
	jb->have_stream = true;
	jb->playing = false;
	jb->fresh = true;
	jb->have_held = false;
	jb->next_seq = seq;
	jb->newest = seq;
	jb->head = 0;
	jb->queued = 0;
	jb->over_ticks = 0;
	jb->floor_cur = jb->floor_prev = transit;
	jb->win_start_ms = now_ms;
	jb->have_transit = false;
	jb->cand_valid = false;
	jb->have_g = false;
	jb->g_plays = 0;
	jb->g_spare = 0;
	jb->g_late = 0;
}

/* Queues a packet that has a slot, and measures its arrival. */
static enum jbuf_put_status
jbuf_store(struct jbuf *jb, uint16_t seq, uint32_t ts, const uint8_t *payload,
    size_t len, uint32_t transit, uint64_t now_ms)
{
	struct jbuf_slot *s = jbuf_slot(jb, seq);
	uint32_t late = jbuf_measure(jb, transit, now_ms);

	if (jb->queued == 0 || (int16_t)(seq - jb->newest) > 0)
		jb->newest = seq;
	s->due_ms = (int64_t)now_ms - late / JBUF_RATE_MS;
	s->ts = ts;
	s->seq = seq;
	s->len = (uint16_t)len;
	s->state = JBUF_SLOT_QUEUED;
	if (len > 0)
		memcpy(s->data, payload, len);
	jb->queued++;
	return JBUF_PUT_STORED;
}

/* Moves past next_seq, dropping its frame if queued; says if one was. */
static bool
jbuf_pass(struct jbuf *jb)
{
	struct jbuf_slot *s = &jb->slot[jb->head];
	bool had = s->state == JBUF_SLOT_QUEUED && s->seq == jb->next_seq;

	if (had) {
		s->state = JBUF_SLOT_DONE;
		jb->queued--;
		jb->last_ts = s->ts;
	} else
		jb->last_ts += JBUF_FRAME_TS;
	jb->next_seq++;
	jb->head = (jb->head + 1) % jb->cap;
	jb->fresh = false;
	return had;
}

/* Skips to seq: queued frames on the way are discarded, the others lost. */
static void
jbuf_skip_to(struct jbuf *jb, uint16_t seq)
{
	while (jb->next_seq != seq) {
		if (jbuf_pass(jb))
			jb->st.discarded++;
		else
			jb->st.lost++;
	}
}

/* The first queued frame from next_seq on; there must be one. */
static uint16_t
jbuf_first(struct jbuf *jb)
{
	uint16_t seq = jb->next_seq;
	unsigned i;

	for (i = 0; i < jb->cap && !jbuf_has(jb, seq); i++)
		seq++;
	return seq;
}

/*
 * A packet far from the stream is either a stray or the first of a new
 * stream from a restarted sender.  It is kept aside; if the next such
 * packet follows it closely, both start the stream anew.
 */
static enum jbuf_put_status
jbuf_outside(struct jbuf *jb, uint16_t seq, uint32_t ts,
    const uint8_t *payload, size_t len, uint32_t transit, uint64_t now_ms)
{
	struct jbuf_slot *c = &jb->slot[jb->cap];
	int d = (int16_t)(seq - c->seq);
	int32_t dt = (int32_t)(transit - jb->cand_transit);
	unsigned i;

	if (jb->cand_valid && d > 0 && d <= JBUF_RESYNC_SEQ &&
	    dt < JBUF_RESYNC_TRANSIT && dt > -JBUF_RESYNC_TRANSIT) {
		for (i = 0; i < jb->cap; i++)
			if (jb->slot[i].state == JBUF_SLOT_QUEUED)
				jb->st.discarded++;
		jb->st.resyncs++;
		jbuf_start(jb, c->seq, jb->cand_transit, jb->cand_ms);
		jbuf_store(jb, c->seq, c->ts, c->data, c->len, jb->cand_transit,
		    jb->cand_ms);
		jbuf_store(jb, seq, ts, payload, len, transit, now_ms);
		return JBUF_PUT_RESYNC;
	}
	c->seq = seq;
	c->ts = ts;
	c->len = (uint16_t)len;
	if (len > 0)
		memcpy(c->data, payload, len);
	jb->cand_valid = true;
	jb->cand_transit = transit;
	jb->cand_ms = now_ms;
	jb->st.outside++;
	return JBUF_PUT_OUTSIDE;
}

enum jbuf_put_status
jbuf_put(struct jbuf *jb, uint16_t seq, uint32_t ts, const uint8_t *payload,
    size_t len, uint64_t now_ms)
{
	struct jbuf_slot *s;
	uint32_t transit;
	int32_t jump;
	int d;

	jb->st.received++;
	if (len > JBUF_MAX_PAYLOAD) {
		jb->st.too_big++;
		return JBUF_PUT_TOOBIG;
	}
	/* RFC 3550 transit time, in timestamp units; it wraps harmlessly. */
	transit = (uint32_t)(now_ms * JBUF_RATE_MS) - ts;
	if (!jb->have_stream) {
		jbuf_start(jb, seq, transit, now_ms);
		return jbuf_store(jb, seq, ts, payload, len, transit, now_ms);
	}
	d = (int16_t)(seq - jb->next_seq);
	jump = (int32_t)(transit - jbuf_floor(jb));
	if (d <= -JBUF_SEQ_WINDOW || d >= JBUF_SEQ_WINDOW ||
	    jump > JBUF_TRANSIT_JUMP || jump < -JBUF_TRANSIT_JUMP)
		return jbuf_outside(jb, seq, ts, payload, len, transit, now_ms);
	if (d < 0 && -d < (int)jb->cap) {
		s = jbuf_slot(jb, seq);
		if (s->state != JBUF_SLOT_EMPTY && s->seq == seq) {
			jb->st.duplicates++;
			return JBUF_PUT_DUPLICATE;
		}
		/*
		 * Until the first tick passes, an earlier packet moves the
		 * start back: the first to arrive need not be the first sent.
		 */
		if (jb->fresh && jb->queued > 0 &&
		    (uint16_t)(jb->newest - seq) < jb->cap) {
			jb->head = (unsigned)(s - jb->slot);
			jb->next_seq = seq;
			return jbuf_store(jb, seq, ts, payload, len, transit,
			    now_ms);
		}
	}
	if (d < 0) {
		/* Measured all the same: lateness is what the target is for. */
		jbuf_measure(jb, transit, now_ms);
		jb->st.late++;
		return JBUF_PUT_LATE;
	}
	if (d < (int)jb->cap) {
		if (jbuf_has(jb, seq)) {
			jb->st.duplicates++;
			return JBUF_PUT_DUPLICATE;
		}
		return jbuf_store(jb, seq, ts, payload, len, transit, now_ms);
	}
	/*
	 * No room before seq: drop what falls out of the ring, store it, and
	 * skip the hole in front, since a gap that wide is not worth playing.
	 */
	jbuf_skip_to(jb, (uint16_t)(seq - jb->cap + 1));
	jbuf_store(jb, seq, ts, payload, len, transit, now_ms);
	jbuf_skip_to(jb, jbuf_first(jb));
	return JBUF_PUT_STORED;
}

/*
 * Decides whether a talkspurt, or the stream after an underrun, starts at
 * this tick.  Frames missing in front of the first queued one had their
 * ticks while the buffer waited: they are counted lost and skipped, since
 * playing them now would only add delay.
 */
static bool
jbuf_begin(struct jbuf *jb, uint64_t now_ms, unsigned target)
{
	uint16_t first = jbuf_first(jb);
	struct jbuf_slot *f = jbuf_slot(jb, first);
	unsigned span = (uint16_t)(jb->newest - first) + 1u;
	uint32_t expect;

	if (span < target && (int64_t)now_ms < f->due_ms +
	    (int64_t)(target - 1) * JBUF_FRAME_MS)
		return false;
	if (first != jb->next_seq) {
		/*
		 * A loss inside speech, rather than before a DTX pause, could
		 * not be concealed: aim for one frame more so that the next
		 * one finds its successor queued for FEC.
		 */
		expect = jb->last_ts + JBUF_FRAME_TS *
		    ((uint16_t)(first - jb->next_seq) + 1u);
		if ((int32_t)(f->ts - expect) <= JBUF_FRAME_TS / 2 &&
		    jb->peak < JBUF_FRAME_TS + JBUF_PEAK_SLOP)
			jb->peak = JBUF_FRAME_TS + JBUF_PEAK_SLOP;
		jbuf_skip_to(jb, first);
	}
	jb->playing = true;
	jb->over_ticks = 0;
	return true;
}

/*
 * Measures G for a frame played at now_ms (see the top of the file): the
 * time from its arrival over the fastest path to this tick.
 */
static void
jbuf_measure_g(struct jbuf *jb, uint32_t ts, uint64_t now_ms)
{
	int32_t g = (int32_t)((uint32_t)(now_ms * JBUF_RATE_MS) -
	    (ts + jbuf_floor(jb)));

	if (g < 0)
		g = 0;
	if (jb->g_plays == 0 || (uint32_t)g < jb->g_min)
		jb->g_min = (uint32_t)g;
	if (++jb->g_plays < JBUF_G_PLAYS)
		return;
	jb->g_win = jb->g_min;
	jb->margin = jb->g_min % JBUF_FRAME_TS;
	jb->have_g = true;
	jb->g_plays = 0;
	/*
	 * The lateness of this window's own packets, not the slowly decaying
	 * peak: one late packet should cost a frame of delay for two
	 * windows, not until the peak has decayed; steady jitter shows in
	 * every window and keeps the frame.
	 */
	if (jb->g_win >= JBUF_FRAME_TS + JBUF_G_GUARD + (jb->g_late >
	    JBUF_PEAK_SLOP ? jb->g_late - JBUF_PEAK_SLOP : 0))
		jb->g_spare++;
	else
		jb->g_spare = 0;
	jb->g_late = 0;
}

/*
 * Drops the next frame when the last window of G says a whole frame is
 * held that the peak lateness does not need, or once the depth has stayed
 * above target + margin for JBUF_SHRINK_TICKS ticks in a row; one frame
 * at a time.
 */
static void
jbuf_shrink(struct jbuf *jb, unsigned target)
{
	unsigned span = (uint16_t)(jb->newest - jb->next_seq) + 1u;

	if (jb->g_spare >= 2 && span >= 2) {
		/* Measure again at the new depth before another. */
		jb->g_spare = 0;
		jb->g_plays = 0;
		jb->over_ticks = 0;
		if (jbuf_pass(jb))
			jb->st.discarded++;
		else
			jb->st.lost++;
		return;
	}
	if (span <= target + JBUF_SHRINK_MARGIN) {
		jb->over_ticks = 0;
		return;
	}
	if (++jb->over_ticks < JBUF_SHRINK_TICKS)
		return;
	jb->over_ticks = 0;
	if (jbuf_pass(jb))
		jb->st.discarded++;
	else
		jb->st.lost++;
}

enum jbuf_get_status
jbuf_get(struct jbuf *jb, uint64_t now_ms, struct jbuf_frame *out)
{
	struct jbuf_slot *s, *n;
	unsigned target;

	memset(out, 0, sizeof(*out));
	if (jb->queued == 0) {
		/* Silence or an underrun: they look alike until a packet. */
		jb->playing = false;
		return JBUF_NONE;
	}
	if (!jb->playing && !jbuf_begin(jb, now_ms, jbuf_target(jb)))
		return JBUF_NONE;
	target = jbuf_target(jb);
	jbuf_shrink(jb, target);
	s = &jb->slot[jb->head];
	n = &jb->slot[(jb->head + 1) % jb->cap];
	out->seq = jb->next_seq;
	if (s->state == JBUF_SLOT_QUEUED && s->seq == jb->next_seq) {
		out->data = s->data;
		out->len = s->len;
		out->ts = s->ts;
		jbuf_measure_g(jb, s->ts, now_ms);
		jbuf_pass(jb);
		return JBUF_FRAME;
	}
	/*
	 * The depth is short of the target, so the missing packet may well
	 * be on its way: wait one tick for it, which grows the delay by a
	 * frame.  A lost packet costs the same tick, but only once.
	 */
	if ((uint16_t)(jb->newest - jb->next_seq) + 1u < target &&
	    (!jb->have_held || jb->held_seq != jb->next_seq)) {
		jb->have_held = true;
		jb->held_seq = jb->next_seq;
		return JBUF_NONE;
	}
	jb->st.lost++;
	jbuf_pass(jb);
	out->ts = jb->last_ts;
	/* The next packet's FEC is this frame only if no pause lies between. */
	if (n->state != JBUF_SLOT_QUEUED || n->seq != jb->next_seq ||
	    (int32_t)(n->ts - out->ts) > JBUF_FRAME_TS * 3 / 2)
		return JBUF_LOST;
	jb->st.fec_available++;
	out->data = n->data;
	out->len = n->len;
	return JBUF_FEC;
}

void
jbuf_get_stats(const struct jbuf *jb, struct jbuf_stats *st)
{
	*st = jb->st;
	st->depth = jb->queued > 0 ?
	    (uint16_t)(jb->newest - jb->next_seq) + 1u : 0;
	st->target = jbuf_target(jb);
	st->jitter = jb->jitter16 >> 4;
}
