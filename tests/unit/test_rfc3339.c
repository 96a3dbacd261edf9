/* Unit tests of RFC 3339 times as the API writes them (mgmtd/rfc3339.c). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../mgmtd/mgmtd.h"
#include "check.h"

static void
test_parse(void)
{
	int64_t t = -1;

	CHECK_INT(rfc3339_parse("1970-01-01T00:00:00Z", &t), ==, 0);
	CHECK_INT(t, ==, 0);
	CHECK_INT(rfc3339_parse("2026-12-01T10:00:00Z", &t), ==, 0);
	CHECK_INT(t, ==, 1796119200);
	CHECK_INT(rfc3339_parse("2028-02-29T23:59:59Z", &t), ==, 0);
	CHECK_INT(t, ==, 1835481599);
}

static void
test_refused(void)
{
	static const char *const bad[] = {
		"", "now", "2026-12-01", "2026-12-01T10:00Z",
		"2026-12-01 10:00:00Z", "2026-12-01T10:00:00",
		"2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00.5Z",
		"2026-02-30T10:00:00Z", "2026-13-01T10:00:00Z",
		"2026-12-01T24:00:00Z", "2026-12-01T10:60:00Z",
		"2026-12-01t10:00:00z", " 2026-12-01T10:00:00Z",
		"2026-12-01T10:00:00Zx", "1969-12-31T23:59:59Z",
		"+026-12-01T10:00:00Z",
	};
	int64_t t = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rfc3339_parse(bad[i], &t) != EINVAL)
			printf("#   accepted '%s'\n", bad[i]);
		CHECK_INT(rfc3339_parse(bad[i], &t), ==, EINVAL);
	}
	CHECK_INT(t, ==, 42);
}

static void
test_format(void)
{
	char buf[32];

	rfc3339_format(1796119200, buf, sizeof(buf));
	CHECK_STR(buf, "2026-12-01T10:00:00Z");
	rfc3339_format(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
}

CHECK_MAIN(
	CHECK_CASE(test_parse),
	CHECK_CASE(test_refused),
	CHECK_CASE(test_format),
)
