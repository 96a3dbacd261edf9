/* Unit tests of the allocation policies (mgmtd/alloc.c). */
#include <stdint.h>
#include <string.h>

#include "../../mgmtd/mgmtd.h"
#include "check.h"

/* Three servers: 50 of 100 used, 10 of 20, 90 of 100. */
static const struct alloc_cand three[] = {
	{ 0, 50, 100, 0.0, false },
	{ 1, 10, 20, 0.0, false },
	{ 2, 90, 100, 0.0, false },
};

static void
test_names(void)
{
	CHECK_INT(alloc_policy_parse("random"), ==, ALLOC_RANDOM);
	CHECK_INT(alloc_policy_parse("least_loaded"), ==, ALLOC_LEAST_LOADED);
	CHECK_INT(alloc_policy_parse("pack"), ==, ALLOC_PACK);
	CHECK_INT(alloc_policy_parse("packed"), ==, -1);
	CHECK_STR(alloc_policy_name(ALLOC_PACK), "pack");
}

static void
test_least_loaded(void)
{
	/* 10 of 20 is 50 %, a tie with 50 of 100: the first listed wins. */
	CHECK_INT(alloc_pick(ALLOC_LEAST_LOADED, false, three, 3, 0), ==, 0);
	CHECK_INT(alloc_pick(ALLOC_LEAST_LOADED, false, three + 1, 2, 0), ==,
	    0);
	CHECK_INT(alloc_pick(ALLOC_LEAST_LOADED, false, three, 0, 0), ==, -1);
}

static void
test_pack(void)
{
	struct alloc_cand c[3];

	CHECK_INT(alloc_pick(ALLOC_PACK, false, three, 3, 0), ==, 2);
	/* Empty servers: the first, so that servers fill in order. */
	memset(c, 0, sizeof(c));
	c[0].capacity = c[1].capacity = c[2].capacity = 10;
	CHECK_INT(alloc_pick(ALLOC_PACK, false, c, 3, 0), ==, 0);
	c[1].used = 1;
	CHECK_INT(alloc_pick(ALLOC_PACK, false, c, 3, 0), ==, 1);
}

static void
test_random(void)
{
	int seen[3] = { 0, 0, 0 };
	uint32_t r;

	for (r = 0; r < 30; r++)
		seen[alloc_pick(ALLOC_RANDOM, false, three, 3, r)]++;
	CHECK_INT(seen[0], ==, 10);
	CHECK_INT(seen[1], ==, 10);
	CHECK_INT(seen[2], ==, 10);
	CHECK_INT(alloc_pick(ALLOC_RANDOM, false, three, 3, 4), ==, 1);
}

/* Servers of the region first; the others only when none fits. */
static void
test_region(void)
{
	struct alloc_cand c[3];

	memcpy(c, three, sizeof(c));
	c[2].in_region = true;
	CHECK_INT(alloc_pick(ALLOC_LEAST_LOADED, true, c, 3, 0), ==, 2);
	CHECK_INT(alloc_pick(ALLOC_LEAST_LOADED, false, c, 3, 0), ==, 0);
	CHECK_INT(alloc_pick(ALLOC_RANDOM, true, c, 3, 7), ==, 2);
	c[1].in_region = true;
	CHECK_INT(alloc_pick(ALLOC_PACK, true, c, 3, 0), ==, 2);
	CHECK_INT(alloc_pick(ALLOC_LEAST_LOADED, true, c, 3, 0), ==, 1);
	CHECK_INT(alloc_pick(ALLOC_RANDOM, true, c, 3, 0), ==, 1);
	CHECK_INT(alloc_pick(ALLOC_RANDOM, true, c, 3, 1), ==, 2);
	c[1].in_region = c[2].in_region = false;
	CHECK_INT(alloc_pick(ALLOC_LEAST_LOADED, true, c, 3, 0), ==, 0);
}

/* For a booking that starts now a busy CPU weighs like booked seats. */
static void
test_cpu(void)
{
	struct alloc_cand c[2] = {
		{ 0, 10, 100, 0.80, false },
		{ 1, 40, 100, 0.20, false },
	};

	CHECK_INT(alloc_pick(ALLOC_LEAST_LOADED, false, c, 2, 0), ==, 1);
	c[0].cpu = 0.0;
	CHECK_INT(alloc_pick(ALLOC_LEAST_LOADED, false, c, 2, 0), ==, 0);
}

CHECK_MAIN(
	CHECK_CASE(test_names),
	CHECK_CASE(test_least_loaded),
	CHECK_CASE(test_pack),
	CHECK_CASE(test_random),
	CHECK_CASE(test_region),
	CHECK_CASE(test_cpu),
)
