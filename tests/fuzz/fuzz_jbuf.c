/*
 * fuzz_jbuf: one jitter buffer (common/jbuf.c) driven by a program of
 * puts and gets that the input spells out.
 *
 * Input layout: two bytes of configuration, four of start time, then
 * operations of one opcode byte and its operands (see OP_* below); an input
 * that runs dry ends with zero operands.  The clock only moves forward, as
 * confd's monotonic clock does.
 *
 * The payload of packet seq holds bytes that follow from seq and their
 * offset, and is freed right after jbuf_put(); so a frame handed out under
 * the wrong sequence number, half copied, read past its slot, or still
 * pointing into the caller's packet is caught, by the content check or by
 * ASan.  Besides, frames must play in sequence-number order until the
 * stream restarts, every put must count exactly one packet and what became
 * of it, counters never go down (but on jbuf_reset), and the depth and
 * target stay within the bounds the configuration set.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jbuf.h"

enum {
	OP_PUT_NEAR = 0,	/* seq, ts and time move by small steps */
	OP_PUT_FAR,		/* seq, ts, len and time all given in full */
	OP_GET,			/* time moves on by up to 255 ms, then get */
	OP_TICKS,		/* a run of up to 63 gets, 20 ms apart */
	OP_STREAM,		/* up to 63 in-order packets, each with a get */
	OP_RESET,		/* jbuf_reset() */
	OP_COUNT
};

struct state {
	struct jbuf		*jb;
	struct jbuf_conf	 conf;
	struct jbuf_stats	 st;	/* the counters as last seen */
	uint64_t		 now;
	uint16_t		 seq;	/* of the last put */
	uint32_t		 ts;
	uint16_t		 out_seq;	/* the last tick's frame */
	bool			 have_out;	/* since the stream began */
};

/* The byte at offset i of packet seq. */
static uint8_t
pkt_byte(uint16_t seq, size_t i)
{
	return (uint8_t)(seq * 31u + i * 7u + 1);
}

/*
 * Checks the counters after one operation against those before it.  The
 * checks of this file are not instrumented for coverage: their compares
 * would otherwise take most of the time and teach libFuzzer nothing.
 */
FUZZ_NO_COVERAGE static void
check_stats(struct state *s)
{
	struct jbuf_stats st;
	const struct jbuf_stats *o = &s->st;

	jbuf_get_stats(s->jb, &st);
	FUZZ_CHECK(st.received >= o->received);
	FUZZ_CHECK(st.duplicates >= o->duplicates);
	FUZZ_CHECK(st.late >= o->late);
	FUZZ_CHECK(st.lost >= o->lost);
	FUZZ_CHECK(st.fec_available >= o->fec_available);
	FUZZ_CHECK(st.discarded >= o->discarded);
	FUZZ_CHECK(st.too_big >= o->too_big);
	FUZZ_CHECK(st.outside >= o->outside);
	FUZZ_CHECK(st.resyncs >= o->resyncs);
	/* Every frame handed out as JBUF_FEC was also counted lost. */
	FUZZ_CHECK(st.fec_available <= st.lost);
	FUZZ_CHECK(st.target >= (unsigned)s->conf.min_frames &&
	    st.target <= (unsigned)s->conf.max_frames);
	/* The ring and its spare slot: (max_frames + 9) frames, jbuf.h. */
	FUZZ_CHECK(st.depth <= (unsigned)s->conf.max_frames + 9);
	s->st = st;
}

/* Puts one packet whose contents follow from seq, and checks the counts. */
static void
put(struct state *s, uint16_t seq, uint32_t ts, size_t len, unsigned adv)
{
	struct jbuf_stats before = s->st;
	enum jbuf_put_status rc;
	uint8_t *p;
	size_t i;

	s->now += adv;
	p = malloc(len > 0 ? len : 1);
	FUZZ_CHECK(p != NULL);
	for (i = 0; i < len; i++)
		p[i] = pkt_byte(seq, i);
	rc = jbuf_put(s->jb, seq, ts, p, len, s->now);
	/* A copy is kept, never the caller's pointer: ASan sees any use. */
	free(p);
	s->seq = seq;
	s->ts = ts;
	check_stats(s);
	FUZZ_CHECK(s->st.received == before.received + 1);
	FUZZ_CHECK((rc == JBUF_PUT_TOOBIG) == (len > JBUF_MAX_PAYLOAD));
	FUZZ_CHECK(rc >= JBUF_PUT_STORED && rc <= JBUF_PUT_RESYNC);
	switch (rc) {
	case JBUF_PUT_DUPLICATE:
		FUZZ_CHECK(s->st.duplicates == before.duplicates + 1);
		break;
	case JBUF_PUT_LATE:
		FUZZ_CHECK(s->st.late == before.late + 1);
		break;
	case JBUF_PUT_TOOBIG:
		FUZZ_CHECK(s->st.too_big == before.too_big + 1);
		break;
	case JBUF_PUT_OUTSIDE:
		FUZZ_CHECK(s->st.outside == before.outside + 1);
		break;
	case JBUF_PUT_RESYNC:
		FUZZ_CHECK(s->st.resyncs == before.resyncs + 1);
		FUZZ_CHECK(s->st.depth >= 1);
		s->have_out = false;
		break;
	case JBUF_PUT_STORED:
		FUZZ_CHECK(s->st.depth >= 1);
		break;
	}
}

/* Whether a frame holds the bytes of packet seq, read one by one. */
FUZZ_NO_COVERAGE static bool
frame_ok(const uint8_t *data, size_t len, uint16_t seq)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (data[i] != pkt_byte(seq, i))
			return false;
	return true;
}

/* Gets the frame of this tick and checks what it points at. */
static void
get(struct state *s, unsigned adv)
{
	struct jbuf_stats before = s->st;
	struct jbuf_frame f;
	enum jbuf_get_status rc;
	uint16_t seq;

	s->now += adv;
	rc = jbuf_get(s->jb, s->now, &f);
	check_stats(s);
	FUZZ_CHECK(rc >= JBUF_NONE && rc <= JBUF_LOST);
	if (rc != JBUF_NONE) {
		/* Frames play in sequence-number order, each at most once. */
		FUZZ_CHECK(!s->have_out ||
		    (int16_t)(f.seq - s->out_seq) > 0);
		s->out_seq = f.seq;
		s->have_out = true;
	}
	if (rc == JBUF_NONE || rc == JBUF_LOST) {
		FUZZ_CHECK(f.data == NULL && f.len == 0);
		FUZZ_CHECK(rc == JBUF_NONE || s->st.lost > before.lost);
		return;
	}
	FUZZ_CHECK(f.data != NULL && f.len <= JBUF_MAX_PAYLOAD);
	/* JBUF_FEC hands out the next packet, whose FEC holds this frame. */
	seq = rc == JBUF_FEC ? (uint16_t)(f.seq + 1) : f.seq;
	if (rc == JBUF_FEC)
		FUZZ_CHECK(s->st.fec_available == before.fec_available + 1);
	FUZZ_CHECK(frame_ok(f.data, f.len, seq));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct state s;
	unsigned i, n;
	uint8_t c0, c1;

	memset(&s, 0, sizeof(s));
	c0 = fuzz_u8(&in);
	c1 = fuzz_u8(&in);
	if (c0 == 0xff) {
		/* NULL stands for the defaults. */
		jbuf_conf_default(&s.conf);
		s.jb = jbuf_new(NULL);
	} else {
		s.conf.max_frames = 1 + c0 % JBUF_FRAMES_MAX;
		s.conf.min_frames = 1 + c1 % s.conf.max_frames;
		s.jb = jbuf_new(&s.conf);
	}
	FUZZ_CHECK(s.jb != NULL);
	s.now = fuzz_u32(&in);
	check_stats(&s);
	while (in.len > 0) {
		switch (fuzz_u8(&in) % OP_COUNT) {
		case OP_PUT_NEAR:
			s.seq += (uint16_t)(int8_t)fuzz_u8(&in);
			/* Quarter frames, to reach DTX jumps and odd steps. */
			s.ts += (uint32_t)((int8_t)fuzz_u8(&in) *
			    (JBUF_FRAME_TS / 4));
			/* 255 * 5 is JBUF_MAX_PAYLOAD. */
			n = fuzz_u8(&in) * 5u;
			put(&s, s.seq, s.ts, n, fuzz_u8(&in));
			break;
		case OP_PUT_FAR:
			s.seq = fuzz_u16(&in);
			s.ts = fuzz_u32(&in);
			n = fuzz_u16(&in) % (JBUF_MAX_PAYLOAD + 16);
			put(&s, s.seq, s.ts, n, fuzz_u16(&in));
			break;
		case OP_GET:
			get(&s, fuzz_u8(&in));
			break;
		case OP_TICKS:
			/* Up to 1.3 s; longer silences take several. */
			n = fuzz_u8(&in) % 64;
			for (i = 0; i < n; i++)
				get(&s, 20);
			break;
		case OP_STREAM:
			n = fuzz_u8(&in) % 64;
			for (i = 0; i < n; i++) {
				put(&s, (uint16_t)(s.seq + 1),
				    s.ts + JBUF_FRAME_TS, 60 + i % 7, 0);
				get(&s, 20);
			}
			break;
		case OP_RESET:
			jbuf_reset(s.jb);
			memset(&s.st, 0, sizeof(s.st));
			s.have_out = false;
			check_stats(&s);
			FUZZ_CHECK(s.st.received == 0 && s.st.depth == 0);
			break;
		}
	}
	jbuf_free(s.jb);
	return 0;
}

/* Bounds jbuf_new() must refuse, once per process. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct jbuf_conf bad[] = {
		{ 0, 10 }, { 5, 4 }, { 1, JBUF_FRAMES_MAX + 1 }, { -1, 1 },
	};
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		FUZZ_CHECK(jbuf_new(&bad[i]) == NULL && errno == EINVAL);
	}
	return 0;
}
