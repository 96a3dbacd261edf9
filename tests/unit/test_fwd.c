/* test_fwd: when a room forwards a lone talker's packets (confd/fwd.c). */
#include <stdbool.h>

#include "../../confd/confd.h"
#include "check.h"

#define LOUD	20	/* -dBov of a talker's frame mid-word */
#define QUIET	60	/* between words */

/* One tick: talker slot or -1, its frame ready to forward, its level. */
static enum fwd_action
tick(struct fwd *f, int solo, bool ready, int level, bool sent, bool *leave)
{
	return fwd_decide(f, solo, ready, level, sent, leave);
}

/* A talk spurt that starts from silence is forwarded from its first frame. */
static void
test_from_silence(void)
{
	struct fwd f;
	bool leave;

	fwd_reset(&f);
	CHECK_INT(tick(&f, -1, false, 127, false, &leave), ==, FWD_MIX);
	CHECK(!leave);
	CHECK_INT(tick(&f, 3, true, LOUD, false, &leave), ==, FWD_SEND);
	CHECK(!leave);
	CHECK_INT(f.slot, ==, 3);
	CHECK_INT(tick(&f, 3, true, LOUD, true, &leave), ==, FWD_SEND);
}

/* A lost frame of the forwarded talker is a gap, not a switch to the mix. */
static void
test_gap(void)
{
	struct fwd f;
	bool leave;

	fwd_reset(&f);
	CHECK_INT(tick(&f, 2, true, LOUD, false, &leave), ==, FWD_SEND);
	CHECK_INT(tick(&f, 2, false, LOUD, true, &leave), ==, FWD_GAP);
	CHECK(!leave);
	CHECK_INT(tick(&f, 2, true, LOUD, true, &leave), ==, FWD_SEND);
}

/* A second talker ends forwarding, and the caller is told to prime. */
static void
test_second_talker(void)
{
	struct fwd f;
	bool leave;

	fwd_reset(&f);
	CHECK_INT(tick(&f, 1, true, LOUD, false, &leave), ==, FWD_SEND);
	CHECK_INT(tick(&f, -1, false, LOUD, true, &leave), ==, FWD_MIX);
	CHECK(leave);
	CHECK_INT(f.slot, ==, -1);
	/* Only once. */
	CHECK_INT(tick(&f, -1, false, LOUD, true, &leave), ==, FWD_MIX);
	CHECK(!leave);
}

/*
 * After a mix, the lone talker is forwarded only once it has been alone
 * FWD_HOLD ticks and then only in a quiet frame.
 */
static void
test_back_from_mix(void)
{
	struct fwd f;
	bool leave;
	int i;

	fwd_reset(&f);
	for (i = 1; i < FWD_HOLD; i++)
		CHECK_INT(tick(&f, 4, true, QUIET, true, &leave), ==, FWD_MIX);
	/* Alone long enough, but mid-word. */
	CHECK_INT(tick(&f, 4, true, LOUD, true, &leave), ==, FWD_MIX);
	CHECK_INT(tick(&f, 4, true, LOUD, true, &leave), ==, FWD_MIX);
	CHECK_INT(tick(&f, 4, true, QUIET, true, &leave), ==, FWD_SEND);
	CHECK(!leave);
	/* A valley of the talker's envelope will do as well as a pause. */
	fwd_reset(&f);
	for (i = 0; i < FWD_HOLD; i++)
		CHECK_INT(tick(&f, 4, true, LOUD, true, &leave), ==, FWD_MIX);
	CHECK_INT(tick(&f, 4, true, LOUD + FWD_VALLEY - 1, true, &leave), ==,
	    FWD_MIX);
	CHECK_INT(tick(&f, 4, true, LOUD + FWD_VALLEY, true, &leave), ==,
	    FWD_SEND);
	/* Another talker alone resets the count. */
	fwd_reset(&f);
	for (i = 1; i < FWD_HOLD; i++)
		CHECK_INT(tick(&f, 4, true, QUIET, true, &leave), ==, FWD_MIX);
	CHECK_INT(tick(&f, 5, true, QUIET, true, &leave), ==, FWD_MIX);
}

/* A talker whose frame cannot be forwarded is mixed, however long alone. */
static void
test_not_ready(void)
{
	struct fwd f;
	bool leave;
	int i;

	fwd_reset(&f);
	for (i = 0; i < 3 * FWD_HOLD; i++)
		CHECK_INT(tick(&f, 0, false, QUIET, i > 0, &leave), ==,
		    FWD_MIX);
	CHECK_INT(f.slot, ==, -1);
}

/* The frames kept for priming come back oldest first. */
static void
test_keep(void)
{
	struct fwd f;
	int16_t pcm[CONFD_FRAME];
	unsigned k;
	int i;

	fwd_reset(&f);
	for (i = 0; i < FWD_PRIME + 2; i++) {
		pcm[0] = (int16_t)i;
		fwd_keep(&f, pcm);
	}
	for (k = 0; k < FWD_PRIME; k++)
		CHECK_INT(f.pcm[(f.next + k) % FWD_PRIME][0], ==,
		    2 + (int)k);
}

CHECK_MAIN(
	CHECK_CASE(test_from_silence),
	CHECK_CASE(test_gap),
	CHECK_CASE(test_second_talker),
	CHECK_CASE(test_back_from_mix),
	CHECK_CASE(test_not_ready),
	CHECK_CASE(test_keep),
)
