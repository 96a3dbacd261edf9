/*
 * fdlimit: a daemon's file descriptor budget against RLIMIT_NOFILE.
 *
 * At startup a daemon works out how many descriptors its configuration can
 * hold open at once and asks fdlimit_ensure() for them: the soft limit is
 * raised as far as the hard limit allows, and a configuration that cannot
 * fit is refused before anything starts, rather than failing at 3 a.m.
 * At run time fdlimit_burst tells a loop when running out of descriptors
 * starts (log it) and when it is over, so that a flood of failing accept()
 * calls logs one line, not thousands.
 */
#ifndef FDLIMIT_H
#define FDLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Descriptors kept free for logs, the loop, libraries and surprises. */
#define FDLIMIT_MARGIN	32

/* When descriptors run out repeatedly: one burst, logged once. */
struct fdlimit_burst {
	uint64_t	last_ms;	/* the latest failure */
	uint64_t	count;		/* failures in this burst */
	bool		active;
};

/*
 * Pure: the soft limit that covers need given the current soft and hard
 * limits; 0 with *soft_out (unchanged when enough, else the hard limit), or
 * EMFILE when even the hard limit is lower than need.
 */
int	fdlimit_plan(uint64_t need, uint64_t soft, uint64_t hard,
	    uint64_t *soft_out);
/*
 * Raises the soft RLIMIT_NOFILE when it is below need; 0, or EMFILE (or
 * the errno of setrlimit) with a sentence in why.  *soft and *hard, when
 * not NULL, are the limits in force afterwards.
 */
int	fdlimit_ensure(uint64_t need, uint64_t *soft, uint64_t *hard,
	    char *why, size_t whylen);
/* The descriptors open in this process (from /proc/self/fd), or -1. */
long	fdlimit_open_count(void);
/* The soft RLIMIT_NOFILE now, or 0 when it cannot be read. */
uint64_t fdlimit_soft(void);
/* Whether an errno says the process or the system ran out of descriptors. */
bool	fdlimit_exhausted(int err);
/*
 * Records one failure at now_ms; true when it starts a burst, which is the
 * moment to log.  A burst ends after quiet_ms without a failure.
 */
bool	fdlimit_burst_hit(struct fdlimit_burst *b, uint64_t now_ms,
	    uint64_t quiet_ms);
/*
 * Ends the burst if quiet_ms passed since its last failure; returns the
 * number of failures it had (0 when no burst ended), for a closing line.
 */
uint64_t fdlimit_burst_end(struct fdlimit_burst *b, uint64_t now_ms,
	    uint64_t quiet_ms);

#endif
