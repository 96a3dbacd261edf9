/* log: see log.h. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

/*
 * The destination is process-wide by nature (syslog's openlog() is too), so
 * this is the one piece of state kept outside the daemons' contexts.  Unit
 * tests get a useful default: stderr at info level, no initialisation needed.
 * ident and foreground are set once, before any thread starts; the level
 * changes on a reload while other threads log, so it is atomic.  Each line
 * is one fprintf() (stdio locks the stream for it) or one syslog() call,
 * so lines of different threads never interleave.
 */
static struct {
	const char	*ident;
	int		 foreground;
	atomic_int	 level;
} log_state = { "conference", 1, LOG_LVL_INFO };

static const char *const log_names[] = {
	"err", "warning", "notice", "info", "debug",
};

static const int log_prio[] = {
	LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG,
};

void
log_init(const char *ident, int foreground, enum log_level level)
{
	log_state.ident = ident;
	log_state.foreground = foreground;
	atomic_store_explicit(&log_state.level, level, memory_order_relaxed);
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_state.level, level, memory_order_relaxed);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&log_state.level,
	    memory_order_relaxed);
}

int
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&log_state.level,
	    memory_order_relaxed);
}

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcmp(name, log_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof(log_names) / sizeof(log_names[0]))
		return "unknown";
	return log_names[level];
}

/* Formats one line and sends it to the destination chosen by log_init(). */
static void log_vmsg(enum log_level, const char *, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static void
log_vmsg(enum log_level level, const char *module, const char *fmt, va_list ap)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (!log_state.foreground) {
		syslog(log_prio[level], "%s: %s", module, line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s[%s] %s: %s\n", tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_state.ident,
	    log_names[level], module, line);
}

void
log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, module, fmt, ap);
	va_end(ap);
}

#define LOG_RL_BURST	10

void
log_debug_rl(struct log_rl *rl, const char *module, const char *fmt, ...)
{
	struct timespec ts;
	uint64_t now;
	va_list ap;

	if (!log_enabled(LOG_LVL_DEBUG))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	if (now - rl->window_start >= 1000) {
		if (rl->suppressed)
			log_msg(LOG_LVL_DEBUG, module,
			    "%u similar messages suppressed", rl->suppressed);
		rl->window_start = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count >= LOG_RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->count++;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_DEBUG, module, fmt, ap);
	va_end(ap);
}

void
fatal(int status, const char *module, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, module, fmt, ap);
	va_end(ap);
	exit(status);
}
