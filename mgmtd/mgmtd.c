/*
 * mgmtd: what every module of the daemon shares: the clocks and the error
 * that a failed operation hands back to the API.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "mgmtd.h"

int64_t
mgmtd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t
mgmtd_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
mgmtd_err_set(struct mgmtd_err *e, int status, const char *code,
    const char *fmt, ...)
{
	va_list ap;

	e->status = status;
	e->code = code;
	e->earliest = -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}
