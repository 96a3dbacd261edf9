/* test_fdlimit: the descriptor budget's plan and the burst tracker. */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "fdlimit.h"

static void
test_plan(void)
{
	static const struct {
		uint64_t need, soft, hard, want;
		int rc;
	} cases[] = {
		{ 100, 1024, 4096, 1024, 0 },		/* enough already */
		{ 1024, 1024, 4096, 1024, 0 },		/* exactly */
		{ 2000, 1024, 4096, 4096, 0 },		/* raised to hard */
		{ 4096, 1024, 4096, 4096, 0 },
		{ 5000, 1024, 4096, 1024, EMFILE },	/* cannot fit */
		{ 300, 256, 256, 256, EMFILE },
	};
	uint64_t out;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(fdlimit_plan(cases[i].need, cases[i].soft,
		    cases[i].hard, &out), ==, cases[i].rc);
		CHECK(out == cases[i].want);
	}
}

static void
test_burst(void)
{
	struct fdlimit_burst b = { 0, 0, false };

	CHECK(fdlimit_burst_hit(&b, 1000, 5000));	/* starts: log */
	CHECK(!fdlimit_burst_hit(&b, 1100, 5000));	/* same burst */
	CHECK(!fdlimit_burst_hit(&b, 5000, 5000));
	CHECK(fdlimit_burst_end(&b, 9000, 5000) == 0);	/* not quiet yet */
	CHECK(fdlimit_burst_end(&b, 10000, 5000) == 3);	/* over: 3 hits */
	CHECK(fdlimit_burst_end(&b, 20000, 5000) == 0);	/* once */
	CHECK(fdlimit_burst_hit(&b, 20000, 5000));	/* a new one */
	/* A hit long after the last starts a new burst even unended. */
	CHECK(fdlimit_burst_hit(&b, 40000, 5000));
	CHECK(b.count == 1);
}

static void
test_exhausted(void)
{
	CHECK(fdlimit_exhausted(EMFILE));
	CHECK(fdlimit_exhausted(ENFILE));
	CHECK(!fdlimit_exhausted(ECONNABORTED));
	CHECK(fdlimit_open_count() >= 3);
	CHECK(fdlimit_soft() > 0);
}

CHECK_MAIN(
	CHECK_CASE(test_plan),
	CHECK_CASE(test_burst),
	CHECK_CASE(test_exhausted),
)
