/*
 * fdlimit: a daemon's file descriptor budget against RLIMIT_NOFILE.  See
 * fdlimit.h.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fdlimit.h"

int
fdlimit_plan(uint64_t need, uint64_t soft, uint64_t hard, uint64_t *soft_out)
{
	*soft_out = soft;
	if (need <= soft)
		return 0;
	if (need > hard)
		return EMFILE;
	/*
	 * All the way to the hard limit: the count of what a configuration
	 * needs is an estimate, and headroom costs nothing with epoll.
	 */
	*soft_out = hard;
	return 0;
}

/* A limit for messages: "unlimited" rather than a huge number. */
static const char *
fdlimit_text(uint64_t v, char *buf, size_t len)
{
	if (v == (uint64_t)RLIM_INFINITY)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

int
fdlimit_ensure(uint64_t need, uint64_t *soft, uint64_t *hard, char *why,
    size_t whylen)
{
	struct rlimit rl;
	uint64_t want;
	char hb[32];
	int rc;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		rc = errno;
		snprintf(why, whylen, "cannot read RLIMIT_NOFILE: %s",
		    strerror(rc));
		return rc;
	}
	if (soft != NULL)
		*soft = rl.rlim_cur;
	if (hard != NULL)
		*hard = rl.rlim_max;
	if (fdlimit_plan(need, rl.rlim_cur, rl.rlim_max, &want) != 0) {
		snprintf(why, whylen, "the configuration needs about %llu file "
		    "descriptors, but the hard limit (RLIMIT_NOFILE) is %s: "
		    "raise it (systemd: LimitNOFILE=, shell: ulimit -Hn) or "
		    "lower the limits in the configuration",
		    (unsigned long long)need,
		    fdlimit_text(rl.rlim_max, hb, sizeof(hb)));
		return EMFILE;
	}
	if (want == rl.rlim_cur)
		return 0;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		rc = errno;
		snprintf(why, whylen, "cannot raise the soft limit of file "
		    "descriptors to %s: %s", fdlimit_text(want, hb,
		    sizeof(hb)), strerror(rc));
		return rc;
	}
	if (soft != NULL)
		*soft = want;
	return 0;
}

long
fdlimit_open_count(void)
{
	struct dirent *de;
	DIR *d;
	long n = 0;

	/* opendir() itself takes a descriptor, which it lists: not counted. */
	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

uint64_t
fdlimit_soft(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return 0;
	return rl.rlim_cur;
}

bool
fdlimit_exhausted(int err)
{
	/* ENOBUFS and ENOMEM: the kernel is out of socket memory. */
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM;
}

bool
fdlimit_burst_hit(struct fdlimit_burst *b, uint64_t now_ms, uint64_t quiet_ms)
{
	bool starts;

	starts = !b->active || now_ms - b->last_ms >= quiet_ms;
	if (starts) {
		b->active = true;
		b->count = 0;
	}
	b->count++;
	b->last_ms = now_ms;
	return starts;
}

uint64_t
fdlimit_burst_end(struct fdlimit_burst *b, uint64_t now_ms, uint64_t quiet_ms)
{
	if (!b->active || now_ms - b->last_ms < quiet_ms)
		return 0;
	b->active = false;
	return b->count;
}
