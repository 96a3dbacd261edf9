/*
 * alloc: the allocation policies, which choose one server among those that
 * fit a booking.  Pure: the caller has already found the candidates (every
 * one has the capacity and a port for the whole span) and passes the random
 * number in, so each policy is tested with exact cases.
 *
 *   random        uniformly among the candidates: spreads load without
 *                 looking at it.
 *   least_loaded  the lowest share of its capacity in use at the peak of
 *                 the span; for a booking that starts now, the live load
 *                 (participants and CPU) counts as well.
 *   pack          the highest share in use, so that servers fill before
 *                 others are opened, and idle ones can be switched off.
 * With prefer_region, servers of the booking's region are chosen first and
 * the others only when none of them fits.  Ties go to the candidate listed
 * first (the order of the INI file), so decisions repeat.
 */
#include <string.h>

#include "mgmtd.h"

static const char *const alloc_names[] = { "random", "least_loaded", "pack" };

int
alloc_policy_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(alloc_names) / sizeof(alloc_names[0]); i++)
		if (strcmp(name, alloc_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
alloc_policy_name(enum alloc_policy p)
{
	if ((unsigned)p >= sizeof(alloc_names) / sizeof(alloc_names[0]))
		return "unknown";
	return alloc_names[p];
}

/* The share of a candidate's capacity in use, CPU included. */
static double
alloc_load(const struct alloc_cand *c)
{
	double share;

	share = c->capacity > 0 ? (double)c->used / c->capacity : 1.0;
	return c->cpu > share ? c->cpu : share;
}

int
alloc_pick(enum alloc_policy p, bool prefer_region,
    const struct alloc_cand *c, size_t n, uint32_t rnd)
{
	size_t i, m = 0, k;
	bool only_region = false;
	int best = -1;
	double l, bl = 0;

	if (n == 0)
		return -1;
	if (prefer_region)
		for (i = 0; i < n; i++)
			if (c[i].in_region) {
				only_region = true;
				break;
			}
	for (i = 0; i < n; i++)
		if (!only_region || c[i].in_region)
			m++;
	if (p == ALLOC_RANDOM) {
		k = rnd % m;
		for (i = 0; i < n; i++) {
			if (only_region && !c[i].in_region)
				continue;
			if (k-- == 0)
				return (int)i;
		}
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (only_region && !c[i].in_region)
			continue;
		l = alloc_load(&c[i]);
		if (best < 0 || (p == ALLOC_PACK ? l > bl : l < bl)) {
			best = (int)i;
			bl = l;
		}
	}
	return best;
}
