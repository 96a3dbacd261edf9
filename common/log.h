/*
 * log: levelled logging to stderr (foreground) or syslog (journald).
 *
 * One line per event, always naming the module that speaks.  Like syslog(3)
 * itself, the destination and level are process-wide: they are set once at
 * start and changed only by a configuration reload.
 */
#ifndef LOG_H
#define LOG_H

#include <stdint.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_NOTICE,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* A rate limit for logging from per-packet paths; zero-initialise it. */
struct log_rl {
	uint64_t	window_start;	/* monotonic ms */
	unsigned	count;		/* lines logged in this window */
	unsigned	suppressed;	/* lines dropped in this window */
};

/* Starts logging as ident; to stderr when foreground, else to syslog. */
void	log_init(const char *ident, int foreground, enum log_level level);
/* Changes the level at run time (SIGHUP). */
void	log_set_level(enum log_level level);
/* The current level. */
enum log_level log_get_level(void);
/* Whether a message at this level would be written. */
int	log_enabled(enum log_level level);
/* Parses "err", "warning", "notice", "info" or "debug"; -1 when unknown. */
int	log_level_parse(const char *name);
/* The name of a level. */
const char *log_level_name(enum log_level level);
/* Writes one line: "module: message". */
void	log_msg(enum log_level level, const char *module, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Writes a debug line unless this limiter passed 10 lines this second. */
void	log_debug_rl(struct log_rl *rl, const char *module, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Logs at LOG_LVL_ERR and exits with status; only for startup failures. */
void	fatal(int status, const char *module, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4), noreturn));

#define log_err(m, ...)		log_msg(LOG_LVL_ERR, m, __VA_ARGS__)
#define log_warn(m, ...)	log_msg(LOG_LVL_WARN, m, __VA_ARGS__)
#define log_notice(m, ...)	log_msg(LOG_LVL_NOTICE, m, __VA_ARGS__)
#define log_info(m, ...)	log_msg(LOG_LVL_INFO, m, __VA_ARGS__)
#define log_debug(m, ...) do {						\
	if (log_enabled(LOG_LVL_DEBUG))					\
		log_msg(LOG_LVL_DEBUG, m, __VA_ARGS__);			\
} while (0)

#endif
