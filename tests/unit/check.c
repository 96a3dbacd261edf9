/* check: see check.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

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

long long
check_store_sql(const char *dir, const char *sql)
{
	char path[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/mgmtd.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -2;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}
