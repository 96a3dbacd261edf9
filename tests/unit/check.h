/*
 * check: a small table-driven unit-test runner.
 *
 * Each test binary lists its cases in a table and calls check_run().  Every
 * case prints one TAP-style line ("ok - name" or "not ok - name") that
 * tests/run counts; a failed CHECK prints where and why, then ends the case.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stddef.h>
#include <stdint.h>

struct check_case {
	const char	*name;
	void		(*fn)(void);
};

/* Records a failed assertion of the running case; used by the macros. */
void	check_fail(const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Whether the running case has failed so far. */
int	check_failed(void);
/* Runs every case of the table; returns the process exit status. */
int	check_run(const struct check_case *cases, size_t ncases);
/*
 * Runs one SQL statement on the SQLite file dir/mgmtd.db, as a test reads
 * mgmtd's store behind its back: its first integer, -1 if it has none, -2
 * if the file cannot be opened.
 */
long long check_store_sql(const char *dir, const char *sql);

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		check_fail(__FILE__, __LINE__, "%s", #cond);		\
		return;							\
	}								\
} while (0)

#define CHECK_INT(a, op, b) do {					\
	long long check_a_ = (long long)(a), check_b_ = (long long)(b);	\
	if (!(check_a_ op check_b_)) {					\
		check_fail(__FILE__, __LINE__, "%s %s %s (%lld vs %lld)", \
		    #a, #op, #b, check_a_, check_b_);			\
		return;							\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *check_a_ = (a), *check_b_ = (b);			\
	if (check_a_ == NULL || check_b_ == NULL ||			\
	    strcmp(check_a_, check_b_) != 0) {				\
		check_fail(__FILE__, __LINE__, "%s == %s (\"%s\" vs \"%s\")", \
		    #a, #b, check_a_ ? check_a_ : "(null)",		\
		    check_b_ ? check_b_ : "(null)");			\
		return;							\
	}								\
} while (0)

#define CHECK_CASE(fn)	{ #fn, fn }
#define CHECK_MAIN(...)							\
int main(void)								\
{									\
	static const struct check_case cases_[] = { __VA_ARGS__ };	\
	return check_run(cases_, sizeof(cases_) / sizeof(cases_[0]));	\
}

#endif
