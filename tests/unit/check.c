/* check: see check.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/* The test binary is a throwaway process; one case runs at a time. */
static int check_case_failed;

void
check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	check_case_failed = 1;
	fprintf(stdout, "#   %s:%d: check failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

int
check_failed(void)
{
	return check_case_failed;
}

int
check_run(const struct check_case *cases, size_t ncases)
{
	size_t i, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", ncases);
	for (i = 0; i < ncases; i++) {
		check_case_failed = 0;
		cases[i].fn();
		if (check_case_failed)
			failed++;
		printf("%s %zu - %s\n", check_case_failed ? "not ok" : "ok",
		    i + 1, cases[i].name);
	}
	return failed ? 1 : 0;
}
