/* Unit tests of the token buckets that limit access requests. */
#include <errno.h>
#include <stdio.h>

#include "../../mgmtd/mgmtd.h"
#include "check.h"

/* Three at once, then one every 20 s (3 per minute). */
static void
test_burst_and_refill(void)
{
	struct ratelimit *rl;

	CHECK_INT(ratelimit_new(&rl, 64, 3, 60000), ==, 0);
	CHECK_INT(ratelimit_take(rl, "+4930123", 1000), ==, 0);
	CHECK_INT(ratelimit_take(rl, "+4930123", 1000), ==, 0);
	CHECK_INT(ratelimit_take(rl, "+4930123", 1000), ==, 0);
	CHECK_INT(ratelimit_take(rl, "+4930123", 1000), ==, 20);
	/* Another key has its own bucket. */
	CHECK_INT(ratelimit_take(rl, "+4930999", 1000), ==, 0);
	/* 10 s on, half a token: 10 s more to wait. */
	CHECK_INT(ratelimit_take(rl, "+4930123", 11000), ==, 10);
	CHECK_INT(ratelimit_take(rl, "+4930123", 21000), ==, 0);
	CHECK_INT(ratelimit_take(rl, "+4930123", 21000), ==, 20);
	/* Long idle: full again, but never more than the burst. */
	CHECK_INT(ratelimit_take(rl, "+4930123", 10000000), ==, 0);
	CHECK_INT(ratelimit_take(rl, "+4930123", 10000000), ==, 0);
	CHECK_INT(ratelimit_take(rl, "+4930123", 10000000), ==, 0);
	CHECK_INT(ratelimit_take(rl, "+4930123", 10000000), >, 0);
	ratelimit_free(rl);
}

/* A flood of new keys evicts idle buckets and never grows the table. */
static void
test_flood_of_keys(void)
{
	struct ratelimit *rl;
	char key[32];
	int i, refused = 0;

	CHECK_INT(ratelimit_new(&rl, 64, 1, 3600000), ==, 0);
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
		if (ratelimit_take(rl, key, 5000 + (uint64_t)i) != 0)
			refused++;
	}
	/* Each key is new: none waits. */
	CHECK_INT(refused, ==, 0);
	/* A busy key keeps being limited while the flood goes on. */
	CHECK_INT(ratelimit_take(rl, "victim", 200000), ==, 0);
	CHECK_INT(ratelimit_take(rl, "victim", 200001), >, 0);
	ratelimit_free(rl);
}

static void
test_bad_arguments(void)
{
	struct ratelimit *rl;

	CHECK_INT(ratelimit_new(&rl, 64, 0, 1000), ==, EINVAL);
	CHECK_INT(ratelimit_new(&rl, 64, 1, 0), ==, EINVAL);
}

CHECK_MAIN(
	CHECK_CASE(test_burst_and_refill),
	CHECK_CASE(test_flood_of_keys),
	CHECK_CASE(test_bad_arguments),
)
