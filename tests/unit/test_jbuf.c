/*
 * Unit tests of the jitter buffer (common/jbuf.c) with exact packet
 * sequences: what each 20 ms tick hands out, and what gets counted.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jbuf.h"

#define TS0	123456789u

/*
 * The bytes of packet seq.  Length and contents both follow from seq, so a
 * frame handed out under the wrong number, or half copied, is caught.
 */
static size_t
pkt_fill(uint16_t seq, uint8_t *buf)
{
	size_t i, len = (uint32_t)(seq * 2654435761u) % (JBUF_MAX_PAYLOAD + 1);

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 31u + i * 7u + 1);
	return len;
}

static bool
pkt_ok(uint16_t seq, const uint8_t *data, size_t len)
{
	uint8_t want[JBUF_MAX_PAYLOAD];
	size_t n = pkt_fill(seq, want);

	return data != NULL && len == n && memcmp(data, want, n) == 0;
}

/* Puts packet seq from a buffer that is scribbled over afterwards. */
static enum jbuf_put_status
put(struct jbuf *jb, uint16_t seq, uint32_t ts, uint64_t now)
{
	uint8_t buf[JBUF_MAX_PAYLOAD];
	enum jbuf_put_status st;

	st = jbuf_put(jb, seq, ts, buf, pkt_fill(seq, buf), now);
	memset(buf, 0xee, sizeof(buf));
	return st;
}

static struct jbuf *
jb_new(int min_frames, int max_frames)
{
	struct jbuf_conf c = { min_frames, max_frames };

	return jbuf_new(&c);
}

#define PUT(jb, seq, ts, now)						\
	CHECK_INT(put((jb), (uint16_t)(seq), (uint32_t)(ts), (now)),	\
	    ==, JBUF_PUT_STORED)

/* Takes one tick and checks its status, its frame number and its bytes. */
#define GET(jb, now, want, wseq) do {					\
	struct jbuf_frame f_;						\
	int st_ = jbuf_get((jb), (now), &f_);				\
	CHECK_INT(st_, ==, (want));					\
	if (st_ != JBUF_NONE)						\
		CHECK_INT(f_.seq, ==, (uint16_t)(wseq));		\
	if (st_ == JBUF_FRAME)						\
		CHECK(pkt_ok(f_.seq, f_.data, f_.len));			\
	if (st_ == JBUF_FEC)						\
		CHECK(pkt_ok((uint16_t)(f_.seq + 1), f_.data, f_.len));	\
	if (st_ == JBUF_LOST || st_ == JBUF_NONE)			\
		CHECK(f_.data == NULL && f_.len == 0);			\
} while (0)

static void
test_config(void)
{
	struct jbuf_conf c;
	struct jbuf *jb;
	struct jbuf_stats st;

	CHECK(jb_new(0, 10) == NULL);
	CHECK(jb_new(1, 51) == NULL);
	CHECK(jb_new(5, 4) == NULL);
	CHECK((jb = jb_new(1, 50)) != NULL);
	jbuf_free(jb);
	jbuf_conf_default(&c);
	CHECK_INT(c.min_frames, ==, 1);
	CHECK_INT(c.max_frames, ==, 10);
	CHECK((jb = jbuf_new(NULL)) != NULL);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.target, ==, 1);
	CHECK_INT(st.depth, ==, 0);
	GET(jb, 0, JBUF_NONE, 0);
	jbuf_free(jb);
	jbuf_free(NULL);
}

/* In order, with GStreamer's short first step: every frame, once. */
static void
test_in_order(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;
	uint32_t ts = TS0;
	int k;

	for (k = 0; k < 200; k++) {
		PUT(jb, 1000 + k, ts, 20 * k + 5);
		GET(jb, 20 * k + 10, JBUF_FRAME, 1000 + k);
		ts += k == 0 ? 648 : JBUF_FRAME_TS;
	}
	GET(jb, 4010, JBUF_NONE, 0);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.received, ==, 200);
	CHECK_INT(st.lost + st.late + st.duplicates + st.discarded, ==, 0);
	CHECK_INT(st.depth, ==, 0);
	CHECK_INT(st.target, <=, 2);
	CHECK_INT(st.jitter, <, 48);
	jbuf_free(jb);
}

/* Millisecond clock noise is not jitter: the target stays at one frame. */
static void
test_clock_noise(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;
	int k;

	for (k = 0; k < 500; k++) {
		PUT(jb, k, TS0 + (uint32_t)k * JBUF_FRAME_TS,
		    20 * k + k * 7 % 3);
		GET(jb, 20 * k + 5, JBUF_FRAME, k);
		jbuf_get_stats(jb, &st);
		CHECK_INT(st.target, ==, 1);
	}
	CHECK_INT(st.jitter, <=, 2 * 48);
	jbuf_free(jb);
}

/*
 * RFC 3550 jitter, in timestamp units: transit times alternating 10 ms
 * apart make every |D| 480, and J converges to 480.
 */
static void
test_jitter(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;
	int k;

	for (k = 0; k < 300; k++) {
		PUT(jb, k, TS0 + (uint32_t)k * JBUF_FRAME_TS,
		    20 * k + (k % 2) * 10);
		GET(jb, 20 * k + 15, JBUF_FRAME, k);
	}
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.jitter, >=, 479);
	CHECK_INT(st.jitter, <=, 480);
	jbuf_free(jb);
}

/* Packets 1, 3, 2, 4, with a 2-frame buffer: 1, 2, 3, 4 and no loss. */
static void
test_reorder(void)
{
	struct jbuf *jb = jb_new(2, 10);
	struct jbuf_stats st;

	PUT(jb, 1, TS0, 0);
	GET(jb, 0, JBUF_NONE, 0);
	PUT(jb, 3, TS0 + 2 * JBUF_FRAME_TS, 20);
	GET(jb, 20, JBUF_FRAME, 1);
	PUT(jb, 2, TS0 + JBUF_FRAME_TS, 25);
	PUT(jb, 4, TS0 + 3 * JBUF_FRAME_TS, 40);
	GET(jb, 40, JBUF_FRAME, 2);
	GET(jb, 60, JBUF_FRAME, 3);
	GET(jb, 80, JBUF_FRAME, 4);
	GET(jb, 100, JBUF_NONE, 0);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost + st.late, ==, 0);
	jbuf_free(jb);

	/* The first to arrive need not be the first sent. */
	jb = jb_new(2, 10);
	PUT(jb, 2, TS0 + JBUF_FRAME_TS, 0);
	GET(jb, 0, JBUF_NONE, 0);
	PUT(jb, 1, TS0, 5);
	GET(jb, 20, JBUF_FRAME, 1);
	GET(jb, 40, JBUF_FRAME, 2);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost + st.late, ==, 0);
	jbuf_free(jb);
}

static void
test_duplicate(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;

	PUT(jb, 1, TS0, 0);
	CHECK_INT(put(jb, 1, TS0, 1), ==, JBUF_PUT_DUPLICATE);
	GET(jb, 10, JBUF_FRAME, 1);
	/* Once played, a copy is still a duplicate, not a late packet. */
	CHECK_INT(put(jb, 1, TS0, 15), ==, JBUF_PUT_DUPLICATE);
	PUT(jb, 2, TS0 + JBUF_FRAME_TS, 20);
	PUT(jb, 3, TS0 + 2 * JBUF_FRAME_TS, 21);
	CHECK_INT(put(jb, 3, TS0 + 2 * JBUF_FRAME_TS, 22), ==,
	    JBUF_PUT_DUPLICATE);
	GET(jb, 30, JBUF_FRAME, 2);
	GET(jb, 50, JBUF_FRAME, 3);
	GET(jb, 70, JBUF_NONE, 0);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.duplicates, ==, 3);
	CHECK_INT(st.received, ==, 6);
	CHECK_INT(st.late + st.lost, ==, 0);
	jbuf_free(jb);
}

/* 2 comes after its tick went to FEC from 3: late, and never played. */
static void
test_late(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;

	PUT(jb, 1, TS0, 0);
	GET(jb, 0, JBUF_FRAME, 1);
	PUT(jb, 3, TS0 + 2 * JBUF_FRAME_TS, 20);
	GET(jb, 20, JBUF_FEC, 2);
	CHECK_INT(put(jb, 2, TS0 + JBUF_FRAME_TS, 25), ==, JBUF_PUT_LATE);
	GET(jb, 40, JBUF_FRAME, 3);
	GET(jb, 60, JBUF_NONE, 0);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.late, ==, 1);
	CHECK_INT(st.lost, ==, 1);
	CHECK_INT(st.fec_available, ==, 1);
	/* A packet 25 ms late asks for 25 ms more buffer: 1 + 2 frames. */
	CHECK_INT(st.target, ==, 3);
	jbuf_free(jb);
}

/* 3 and 4 lost behind a 3-frame buffer: PLC for 3, FEC from 5 for 4. */
static void
test_lost(void)
{
	struct jbuf *jb = jb_new(3, 10);
	struct jbuf_stats st;

	PUT(jb, 1, TS0, 0);
	GET(jb, 0, JBUF_NONE, 0);
	PUT(jb, 2, TS0 + JBUF_FRAME_TS, 20);
	GET(jb, 20, JBUF_NONE, 0);
	GET(jb, 40, JBUF_FRAME, 1);
	GET(jb, 60, JBUF_FRAME, 2);
	PUT(jb, 5, TS0 + 4 * JBUF_FRAME_TS, 80);
	GET(jb, 80, JBUF_LOST, 3);
	PUT(jb, 6, TS0 + 5 * JBUF_FRAME_TS, 100);
	GET(jb, 100, JBUF_FEC, 4);
	PUT(jb, 7, TS0 + 6 * JBUF_FRAME_TS, 120);
	GET(jb, 120, JBUF_FRAME, 5);
	GET(jb, 140, JBUF_FRAME, 6);
	GET(jb, 160, JBUF_FRAME, 7);
	GET(jb, 180, JBUF_NONE, 0);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost, ==, 2);
	CHECK_INT(st.fec_available, ==, 1);
	CHECK_INT(st.late + st.discarded, ==, 0);
	jbuf_free(jb);
}

/* 3 missing, 4 queued: FEC with 4's bytes, then 4 itself. */
static void
test_fec(void)
{
	struct jbuf *jb = jb_new(2, 10);
	struct jbuf_stats st;

	PUT(jb, 1, TS0, 0);
	GET(jb, 0, JBUF_NONE, 0);
	PUT(jb, 2, TS0 + JBUF_FRAME_TS, 20);
	GET(jb, 20, JBUF_FRAME, 1);
	GET(jb, 40, JBUF_FRAME, 2);
	PUT(jb, 4, TS0 + 3 * JBUF_FRAME_TS, 60);
	GET(jb, 60, JBUF_FEC, 3);
	PUT(jb, 5, TS0 + 4 * JBUF_FRAME_TS, 80);
	GET(jb, 80, JBUF_FRAME, 4);
	GET(jb, 100, JBUF_FRAME, 5);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost, ==, 1);
	CHECK_INT(st.fec_available, ==, 1);
	jbuf_free(jb);
}

/*
 * The buffer runs dry while 2 is missing: a DTX pause looks the same, so
 * no PLC; when 3 comes on time, 2 is counted lost, 3 plays at once, and
 * the target grows by a frame so that the next loss finds FEC queued.
 */
static void
test_underrun(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;

	PUT(jb, 1, TS0, 0);
	GET(jb, 0, JBUF_FRAME, 1);
	GET(jb, 20, JBUF_NONE, 0);
	PUT(jb, 3, TS0 + 2 * JBUF_FRAME_TS, 40);
	GET(jb, 40, JBUF_FRAME, 3);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost, ==, 1);
	CHECK_INT(st.target, ==, 2);
	CHECK_INT(put(jb, 2, TS0 + JBUF_FRAME_TS, 45), ==, JBUF_PUT_LATE);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost, ==, 1);
	CHECK_INT(st.late, ==, 1);
	jbuf_free(jb);
}

/*
 * Packets come 20 ms ahead of their tick.  A packet 105 ms late raises the
 * target to 7 frames; then 6 comes 30 ms late, after 7: its tick is held
 * rather than given to FEC, and 6 plays on the next one.
 */
static void
test_hold(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;
	int k;

	PUT(jb, 1, TS0, 0);
	for (k = 1; k <= 4; k++) {
		PUT(jb, k + 1, TS0 + (uint32_t)k * JBUF_FRAME_TS, 20 * (k - 1));
		GET(jb, 20 * (k - 1), JBUF_FRAME, k);
	}
	CHECK_INT(put(jb, 0, TS0 - JBUF_FRAME_TS, 65), ==, JBUF_PUT_LATE);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.target, ==, 7);
	GET(jb, 80, JBUF_FRAME, 5);
	PUT(jb, 7, TS0 + 6 * JBUF_FRAME_TS, 100);
	GET(jb, 100, JBUF_NONE, 0);
	PUT(jb, 6, TS0 + 5 * JBUF_FRAME_TS, 110);
	for (k = 6; k <= 11; k++) {
		if (k + 2 != 12)
			PUT(jb, k + 2, TS0 + (uint32_t)(k + 1) * JBUF_FRAME_TS,
			    20 * k);
		GET(jb, 20 * k, JBUF_FRAME, k);
	}
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost + st.fec_available, ==, 0);
	CHECK_INT(st.late, ==, 1);
	CHECK_INT(st.depth, ==, 2);
	/* 12 is really lost: its tick is held once, and only once. */
	PUT(jb, 14, TS0 + 13 * JBUF_FRAME_TS, 240);
	GET(jb, 240, JBUF_NONE, 0);
	PUT(jb, 15, TS0 + 14 * JBUF_FRAME_TS, 260);
	GET(jb, 260, JBUF_FEC, 12);
	PUT(jb, 16, TS0 + 15 * JBUF_FRAME_TS, 280);
	GET(jb, 280, JBUF_FRAME, 13);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost, ==, 1);
	jbuf_free(jb);
}

/*
 * A jump of 15 in a ring of 10 slots (max_frames 2): the queued frames
 * that fall out are discarded, the hole is skipped, 20 plays at once.
 */
static void
test_overflow(void)
{
	struct jbuf *jb = jb_new(1, 2);
	struct jbuf_stats st;
	int k;

	for (k = 1; k <= 4; k++) {
		PUT(jb, k, TS0 + (uint32_t)(k - 1) * JBUF_FRAME_TS,
		    20 * (k - 1));
		GET(jb, 20 * (k - 1), JBUF_FRAME, k);
	}
	PUT(jb, 5, TS0 + 4 * JBUF_FRAME_TS, 65);
	PUT(jb, 6, TS0 + 5 * JBUF_FRAME_TS, 66);
	PUT(jb, 20, TS0 + 19 * JBUF_FRAME_TS, 70);
	GET(jb, 80, JBUF_FRAME, 20);
	CHECK_INT(put(jb, 12, TS0 + 11 * JBUF_FRAME_TS, 85), ==,
	    JBUF_PUT_LATE);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.discarded, ==, 2);
	CHECK_INT(st.lost, ==, 13);
	CHECK_INT(st.depth, ==, 0);
	jbuf_free(jb);
}

/*
 * Opus DTX: seq stays contiguous while the timestamp jumps 50 frames, then
 * two comfort-noise updates 400 ms apart.  Nothing during the gaps, no loss.
 */
static void
test_dtx(void)
{
	static const int at[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 59, 60, 61, 62, 63, 83, 103,
		104, 105, 106,
	};
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;
	unsigned i = 0, none = 0, t;

	for (t = 0; t <= 110; t++) {
		if (i < sizeof(at) / sizeof(at[0]) && at[i] == (int)t) {
			PUT(jb, 500 + i, TS0 + (uint32_t)t * JBUF_FRAME_TS,
			    20 * t);
			GET(jb, 20 * t, JBUF_FRAME, 500 + i);
			i++;
		} else {
			GET(jb, 20 * t, JBUF_NONE, 0);
			none++;
		}
	}
	CHECK_INT(i, ==, sizeof(at) / sizeof(at[0]));
	CHECK_INT(none, ==, 111 - i);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost + st.late + st.discarded, ==, 0);
	CHECK_INT(st.target, ==, 1);
	jbuf_free(jb);
}

static void
test_too_big(void)
{
	static uint8_t big[JBUF_MAX_PAYLOAD + 1];
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_frame f;
	struct jbuf_stats st;

	memset(big, 0x5a, sizeof(big));
	CHECK_INT(jbuf_put(jb, 7, TS0, big, sizeof(big), 0), ==,
	    JBUF_PUT_TOOBIG);
	CHECK_INT(jbuf_put(jb, 7, TS0, big, JBUF_MAX_PAYLOAD, 0), ==,
	    JBUF_PUT_STORED);
	CHECK_INT(jbuf_get(jb, 0, &f), ==, JBUF_FRAME);
	CHECK_INT(f.len, ==, JBUF_MAX_PAYLOAD);
	CHECK(memcmp(f.data, big, JBUF_MAX_PAYLOAD) == 0);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.too_big, ==, 1);
	CHECK_INT(st.received, ==, 2);
	jbuf_reset(jb);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.received, ==, 0);
	GET(jb, 20, JBUF_NONE, 0);
	/* After a reset any numbering is a new start. */
	PUT(jb, 40000, 5, 40);
	GET(jb, 40, JBUF_FRAME, 40000);
	jbuf_free(jb);
}

/* A deterministic generator, so that a failure can be replayed. */
static uint32_t
rnd(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

struct sim_pkt {
	uint64_t	at;		/* arrival, ms */
	uint32_t	ts;
	uint16_t	seq;
	unsigned	idx;		/* keeps the sort stable */
};

/* Packets fed by arrival time to a buffer ticked every 20 ms. */
struct sim {
	struct jbuf	*jb;
	struct sim_pkt	*p;
	size_t		 n, next;
	uint64_t	 tick;
	bool		 strict;	/* one stream: order and once only */
	unsigned	 got[4];	/* by enum jbuf_get_status */
	unsigned	 puts[JBUF_PUT_RESYNC + 1];
	unsigned	 errors;
	bool		 have_last;
	uint16_t	 last;
	unsigned	 nlog;		/* first ticks: status << 16 | seq */
	uint32_t	 log[64];
	uint8_t		 played[65536];
};

static int
sim_cmp(const void *a, const void *b)
{
	const struct sim_pkt *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static struct sim *
sim_new(struct jbuf *jb, size_t cap)
{
	struct sim *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->p = calloc(cap, sizeof(*s->p))) == NULL)
		abort();
	s->jb = jb;
	s->tick = 10;
	s->strict = true;
	return s;
}

static void
sim_free(struct sim *s)
{
	free(s->p);
	free(s);
}

static void
sim_add(struct sim *s, uint16_t seq, uint32_t ts, uint64_t at)
{
	s->p[s->n].seq = seq;
	s->p[s->n].ts = ts;
	s->p[s->n].at = at;
	s->p[s->n].idx = (unsigned)s->n;
	s->n++;
}

/* Runs the ticks up to until, checking every frame handed out. */
static void
sim_run(struct sim *s, uint64_t until)
{
	struct jbuf_frame f;
	int st;

	if (s->next == 0)
		qsort(s->p, s->n, sizeof(*s->p), sim_cmp);
	for (; s->tick <= until; s->tick += 20) {
		for (; s->next < s->n && s->p[s->next].at <= s->tick; s->next++)
			s->puts[put(s->jb, s->p[s->next].seq,
			    s->p[s->next].ts, s->p[s->next].at)]++;
		st = jbuf_get(s->jb, s->tick, &f);
		s->got[st]++;
		if (s->nlog < 64)
			s->log[s->nlog++] = (uint32_t)st << 16 | f.seq;
		if ((st == JBUF_FRAME && !pkt_ok(f.seq, f.data, f.len)) ||
		    (st == JBUF_FEC &&
		    !pkt_ok((uint16_t)(f.seq + 1), f.data, f.len)))
			s->errors++;
		if (st == JBUF_NONE || !s->strict)
			continue;
		if (s->have_last && (int16_t)(f.seq - s->last) <= 0)
			s->errors++;
		if (st == JBUF_FRAME && s->played[f.seq]++ != 0)
			s->errors++;
		s->have_last = true;
		s->last = f.seq;
	}
}

/*
 * seq 65530..65535, 0..9 with a timestamp that wraps at the fourth frame;
 * 65535 never comes and 1 arrives just after 2.
 */
static void
test_wrap(void)
{
	struct jbuf *jb = jb_new(2, 10);
	struct sim *s = sim_new(jb, 16);
	struct jbuf_stats st;
	uint32_t ts0 = 0xffffffffu - 3 * JBUF_FRAME_TS + 1;
	unsigned k;

	for (k = 0; k < 16; k++)
		if (k != 5)
			sim_add(s, (uint16_t)(65530 + k),
			    ts0 + k * JBUF_FRAME_TS, k == 7 ? 165 : 20 * k);
	sim_run(s, 390);
	CHECK_INT(s->nlog, ==, 20);
	CHECK_INT(s->log[0], ==, JBUF_NONE << 16);
	for (k = 0; k < 16; k++)
		CHECK_INT(s->log[k + 1], ==, (k == 5 ? JBUF_FEC : JBUF_FRAME) <<
		    16 | (uint16_t)(65530 + k));
	CHECK_INT(s->log[17], ==, JBUF_NONE << 16);
	CHECK_INT(s->errors, ==, 0);
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.lost, ==, 1);
	CHECK_INT(st.fec_available, ==, 1);
	CHECK_INT(st.late, ==, 0);
	jbuf_free(jb);
	sim_free(s);
}

/* +-30 ms of jitter grows the target; when it stops, the delay shrinks. */
static void
test_adapt(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct sim *s = sim_new(jb, 2000);
	struct jbuf_stats st;
	uint32_t r = 42;
	unsigned k, lost;

	for (k = 0; k < 2000; k++)
		sim_add(s, (uint16_t)(7 + k), TS0 + k * JBUF_FRAME_TS,
		    20 * (uint64_t)k + (k < 500 ? rnd(&r) % 61 : 30));
	sim_run(s, 20 * 500);
	jbuf_get_stats(jb, &st);
	printf("# after jitter: target %u depth %u jitter %u lost %llu\n",
	    st.target, st.depth, st.jitter, (unsigned long long)st.lost);
	CHECK_INT(st.target, >=, 3);
	CHECK_INT(st.jitter, >, 10 * 48);
	lost = (unsigned)st.lost;
	sim_run(s, 20 * 2000 + 200);
	jbuf_get_stats(jb, &st);
	printf("# calm again: target %u depth %u jitter %u discarded %llu\n",
	    st.target, st.depth, st.jitter, (unsigned long long)st.discarded);
	CHECK_INT(st.target, <=, 2);
	CHECK_INT(st.jitter, <, 48);
	CHECK_INT(st.discarded, >, 0);
	CHECK_INT(st.lost, ==, lost);
	CHECK_INT(s->errors, ==, 0);
	CHECK_INT(s->got[JBUF_FRAME] + st.lost + st.discarded, ==, 2000);
	jbuf_free(jb);
	sim_free(s);
}

/*
 * The delay itself comes down after the jitter stops, one frame every half
 * second, until the depth is within target + 1 again.
 */
static void
test_shrunk_delay(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct sim *s = sim_new(jb, 3000);
	struct jbuf_stats st;
	uint32_t r = 7;
	unsigned k, depth;

	for (k = 0; k < 3000; k++)
		sim_add(s, (uint16_t)k, TS0 + k * JBUF_FRAME_TS,
		    20 * (uint64_t)k + (k < 500 ? rnd(&r) % 61 : 0));
	sim_run(s, 20 * 500);
	jbuf_get_stats(jb, &st);
	depth = st.depth;
	sim_run(s, 20 * 3000);
	jbuf_get_stats(jb, &st);
	printf("# depth %u after jitter, %u at the end, target %u\n", depth,
	    st.depth, st.target);
	CHECK_INT(depth, >=, 3);
	CHECK_INT(s->errors, ==, 0);
	CHECK_INT(st.target, ==, 1);
	CHECK_INT(st.depth, <=, 2);
	CHECK_INT(s->last, >=, 2998);
	jbuf_free(jb);
	sim_free(s);
}

/*
 * Ten minutes from a sender whose clock runs 0.1% fast, then one 0.1%
 * slow: the fast one's surplus of 30 frames is discarded a frame at a
 * time, the slow one's deficit is paid with ticks of nothing; no loss.
 */
static void
test_drift(void)
{
	struct jbuf *jb;
	struct sim *s;
	struct jbuf_stats st;
	unsigned k, pass;

	for (pass = 0; pass < 2; pass++) {
		jb = jb_new(1, 10);
		s = sim_new(jb, 30000);
		for (k = 0; k < 30000; k++)
			sim_add(s, (uint16_t)k, TS0 + k * JBUF_FRAME_TS,
			    (uint64_t)k * (pass == 0 ? 19980 : 20020) / 1000);
		sim_run(s, 20 * 30000 + 1000);
		jbuf_get_stats(jb, &st);
		printf("# drift %s: %u frames, %u nothing, discarded %llu\n",
		    pass == 0 ? "fast" : "slow", s->got[JBUF_FRAME],
		    s->got[JBUF_NONE], (unsigned long long)st.discarded);
		CHECK_INT(s->errors, ==, 0);
		CHECK_INT(st.lost, ==, 0);
		CHECK_INT(st.target, <=, 2);
		CHECK_INT(s->got[JBUF_FRAME] + st.discarded, ==, 30000);
		if (pass == 0)
			CHECK_INT(st.discarded, >=, 25);
		else
			CHECK_INT(st.discarded, ==, 0);
		jbuf_free(jb);
		sim_free(s);
	}
}

/* A sender restarts with new numbering; the buffer follows within ticks. */
static void
restart_case(uint16_t seq1, uint32_t ts1)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;
	int k;

	for (k = 0; k < 50; k++) {
		PUT(jb, 100 + k, TS0 + (uint32_t)k * JBUF_FRAME_TS, 20 * k);
		GET(jb, 20 * k, JBUF_FRAME, 100 + k);
	}
	/*
	 * Strays change nothing, even in a row: a restart needs two packets
	 * close both in sequence number and in transit time.
	 */
	CHECK_INT(put(jb, 30000, 77, 990), ==, JBUF_PUT_OUTSIDE);
	CHECK_INT(put(jb, 30001, 5000077, 992), ==, JBUF_PUT_OUTSIDE);
	CHECK_INT(put(jb, 20000, 5000077 + 2 * 48, 994), ==, JBUF_PUT_OUTSIDE);
	CHECK_INT(put(jb, seq1, ts1, 1000), ==, JBUF_PUT_OUTSIDE);
	GET(jb, 1000, JBUF_NONE, 0);
	CHECK_INT(put(jb, seq1 + 1, ts1 + JBUF_FRAME_TS, 1020), ==,
	    JBUF_PUT_RESYNC);
	for (k = 0; k < 20; k++) {
		if (k > 0)
			PUT(jb, seq1 + 1 + k, ts1 + (uint32_t)(k + 1) *
			    JBUF_FRAME_TS, 1020 + 20 * k);
		GET(jb, 1020 + 20 * k, JBUF_FRAME, seq1 + k);
	}
	jbuf_get_stats(jb, &st);
	CHECK_INT(st.resyncs, ==, 1);
	CHECK_INT(st.outside, ==, 4);
	CHECK_INT(st.lost + st.late, ==, 0);
	jbuf_free(jb);
}

static void
test_restart(void)
{
	restart_case(40000, 3000000000u);		/* all new */
	restart_case(120, 0x9e3779b9u);			/* seq in window */
	restart_case(60000, TS0 + 51 * JBUF_FRAME_TS);	/* ts goes on */
}

/* 10000 packets, 10% lost, reordered, duplicated, with DTX pauses. */
static void
test_stress(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct sim *s = sim_new(jb, 11000);
	struct jbuf_stats st;
	uint32_t r = 2024, ts = 0xfff00000u;
	unsigned k, stored;
	uint16_t seq0 = 65000;

	for (k = 0; k < 10000; k++) {
		if (k > 0 && rnd(&r) % 100 < 2)	/* a DTX pause */
			ts += (rnd(&r) % 60) * JBUF_FRAME_TS;
		if (k == 0 || k == 9999 || rnd(&r) % 100 >= 10) {
			sim_add(s, (uint16_t)(seq0 + k), ts, k == 0 ? 0 :
			    (ts - 0xfff00000u) / 48 + 20 + rnd(&r) % 80);
			if (rnd(&r) % 100 < 3)
				sim_add(s, (uint16_t)(seq0 + k), ts,
				    s->p[s->n - 1].at + rnd(&r) % 100);
		}
		ts += JBUF_FRAME_TS;
	}
	sim_run(s, (ts - 0xfff00000u) / 48 + 1000);
	jbuf_get_stats(jb, &st);
	printf("# stress: %u frames, %u fec, %u plc, lost %llu, late %llu, "
	    "discarded %llu, target %u\n", s->got[JBUF_FRAME],
	    s->got[JBUF_FEC], s->got[JBUF_LOST], (unsigned long long)st.lost,
	    (unsigned long long)st.late, (unsigned long long)st.discarded,
	    st.target);
	stored = s->puts[JBUF_PUT_STORED];
	CHECK_INT(s->errors, ==, 0);
	CHECK_INT(st.received, ==, s->n);
	CHECK_INT(st.depth, ==, 0);
	CHECK_INT(st.duplicates, ==, s->puts[JBUF_PUT_DUPLICATE]);
	CHECK_INT(st.late, ==, s->puts[JBUF_PUT_LATE]);
	CHECK_INT(stored + st.duplicates + st.late, ==, s->n);
	CHECK_INT(s->got[JBUF_FRAME] + st.discarded, ==, stored);
	CHECK_INT(s->got[JBUF_FRAME] + st.lost + st.discarded, ==, 10000);
	CHECK_INT(st.fec_available, ==, s->got[JBUF_FEC]);
	jbuf_free(jb);
	sim_free(s);
}

/* Anything at all, at any time: no crash, and only true bytes come out. */
static void
test_chaos(void)
{
	struct jbuf *jb = jb_new(1, 50);
	struct jbuf_frame f;
	uint8_t buf[1600];
	uint32_t r = 99, ts = 0;
	uint64_t now = 1000;
	uint16_t seq = 0;
	unsigned k, bad = 0;
	size_t len;

	for (k = 0; k < 100000; k++) {
		switch (rnd(&r) % 16) {
		case 0:
			seq = (uint16_t)rnd(&r);
			break;
		case 1:
			ts = rnd(&r) << 8;
			break;
		case 2:
			seq = (uint16_t)(seq - rnd(&r) % 40);
			break;
		case 3:
			ts += rnd(&r) % 100000;
			break;
		case 4:
			if (rnd(&r) % 1000 == 0)
				jbuf_reset(jb);
			break;
		default:
			break;
		}
		len = pkt_fill(seq, buf);
		if (rnd(&r) % 50 == 0)
			len = JBUF_MAX_PAYLOAD + 1 + rnd(&r) % 300;
		jbuf_put(jb, seq, ts, buf, len, now);
		seq++;
		ts += JBUF_FRAME_TS;
		now += rnd(&r) % 30;
		while (rnd(&r) % 3 != 0) {
			switch (jbuf_get(jb, now, &f)) {
			case JBUF_FRAME:
				bad += !pkt_ok(f.seq, f.data, f.len);
				break;
			case JBUF_FEC:
				bad += !pkt_ok((uint16_t)(f.seq + 1), f.data,
				    f.len);
				break;
			default:
				break;
			}
			now += rnd(&r) % 25;
		}
	}
	CHECK_INT(bad, ==, 0);
	jbuf_free(jb);
}

/*
 * Packets that come 15 ms before their tick, every 25th of them 10 ms
 * late (still 5 ms early): the lateness is inside the margin the ticks
 * leave, so once the buffer has measured that margin it aims for one
 * frame, plays every packet at the first tick after it, and loses none.
 */
static void
test_phase_margin(void)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_stats st;
	int k;

	for (k = 0; k < 300; k++) {
		PUT(jb, k, TS0 + (uint32_t)k * JBUF_FRAME_TS,
		    20 * k + 5 + (k % 25 == 24 ? 10 : 0));
		GET(jb, 20 * k + 20, JBUF_FRAME, k);
		jbuf_get_stats(jb, &st);
		if (k >= 2 * 50)
			CHECK_INT(st.target, ==, 1);
	}
	CHECK_INT(st.lost + st.late + st.discarded, ==, 0);
	jbuf_free(jb);
}

/*
 * Packets 5 ms before their tick, and one `after` ms past it: the buffer
 * runs dry once and plays a frame later from then on.  The depth rule
 * would keep that frame for as long as the talker never pauses; the
 * margin shows it is not needed once two windows of packets came in
 * time, and one frame is dropped to bring the delay back.
 */
static void
phase_shrink(int after)
{
	struct jbuf *jb = jb_new(1, 10);
	struct jbuf_frame f;
	struct jbuf_stats st;
	int k, late_k = 100, behind = 0, back_at = -1;

	for (k = 0; k < 700; k++) {
		if (k != late_k)
			PUT(jb, k, TS0 + (uint32_t)k * JBUF_FRAME_TS,
			    20 * k + 15);
		if (jbuf_get(jb, 20 * k + 20, &f) == JBUF_FRAME) {
			CHECK(pkt_ok(f.seq, f.data, f.len));
			behind = k - f.seq;
			if (behind == 0 && k > late_k && back_at < 0)
				back_at = k;
		}
		if (k == late_k)
			PUT(jb, k, TS0 + (uint32_t)k * JBUF_FRAME_TS,
			    20 * k + 20 + (uint64_t)after);
		if (k == late_k + 20)
			CHECK_INT(behind, ==, 1);
	}
	jbuf_get_stats(jb, &st);
	printf("# %d ms late: a frame behind from tick %d, back on time at "
	    "tick %d\n", after, late_k, back_at);
	CHECK_INT(behind, ==, 0);
	CHECK_INT(back_at, >, late_k);
	CHECK_INT(back_at, <, late_k + 200);
	CHECK_INT(st.discarded, ==, 1);
	CHECK_INT(st.lost, ==, 0);
	jbuf_free(jb);
}

/* The scenario above, one packet 5 ms then 17 ms late. */
static void
test_phase_shrink(void)
{
	phase_shrink(5);
	/*
	 * 17 ms late: the decaying peak would keep the extra frame for about
	 * nine seconds; what counts is that the windows since were calm.
	 */
	phase_shrink(17);
}

CHECK_MAIN(
	CHECK_CASE(test_config),
	CHECK_CASE(test_in_order),
	CHECK_CASE(test_clock_noise),
	CHECK_CASE(test_jitter),
	CHECK_CASE(test_reorder),
	CHECK_CASE(test_duplicate),
	CHECK_CASE(test_late),
	CHECK_CASE(test_lost),
	CHECK_CASE(test_fec),
	CHECK_CASE(test_underrun),
	CHECK_CASE(test_hold),
	CHECK_CASE(test_overflow),
	CHECK_CASE(test_dtx),
	CHECK_CASE(test_wrap),
	CHECK_CASE(test_too_big),
	CHECK_CASE(test_adapt),
	CHECK_CASE(test_shrunk_delay),
	CHECK_CASE(test_drift),
	CHECK_CASE(test_restart),
	CHECK_CASE(test_stress),
	CHECK_CASE(test_chaos),
	CHECK_CASE(test_phase_margin),
	CHECK_CASE(test_phase_shrink),
)
