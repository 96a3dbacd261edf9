/*
 * slot: the time-slotted idle table.
 *
 * Time is cut into slots of len seconds, counted from the Unix epoch, so
 * slot k is [k * len, (k + 1) * len).  The table holds n slots from the one
 * that holds "now" (the horizon); as time passes, the slots left behind are
 * zeroed and reused for the far end, so per server the booked participants
 * are one ring of n uint16 counters: 8,640 slots of 15 minutes are 17 KiB.
 *
 * Capacity is booked by whole slots: a booking [start, end) counts in every
 * slot it touches, so two bookings that share an unaligned boundary both
 * count in the slot that holds it.  That errs on the safe side.  Ports are
 * booked by exact time instead, as a short list of intervals per server,
 * so back-to-back conferences can use the same port.
 *
 * Pure: no clock, no I/O; the caller passes every time in.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mgmtd.h"

/* One port booked over [start, end) by the booking ref. */
struct slot_port {
	int64_t		start, end;
	uint64_t	ref;
	int		port;
};

struct slot_srv {
	uint16_t	 *count;	/* ring: slot k is at k % n */
	int		  capacity;
	int		  port_min, port_max;
	struct slot_port *ports;
	size_t		  nports, cap;
};

struct slot_table {
	int64_t		 len;		/* seconds */
	int64_t		 n;		/* slots held */
	int64_t		 base;		/* number of the first slot held */
	struct slot_srv	*srv;
	size_t		 nsrv, cap;
	uint64_t	 used[65536 / 64];	/* port bitmap, scratch */
};

/* The slot that holds t. */
static int64_t
slot_of(const struct slot_table *t, int64_t at)
{
	return at >= 0 ? at / t->len : -((-at + t->len - 1) / t->len);
}

/* The first slot after those that [.., end) touches. */
static int64_t
slot_after(const struct slot_table *t, int64_t end)
{
	return slot_of(t, end + t->len - 1);
}

/* The slots of [start, end) that the table holds, as [*a, *b). */
static void
slot_span(const struct slot_table *t, int64_t start, int64_t end, int64_t *a,
    int64_t *b)
{
	*a = slot_of(t, start);
	*b = slot_after(t, end);
	if (*a < t->base)
		*a = t->base;
	if (*b > t->base + t->n)
		*b = t->base + t->n;
	if (*b < *a)
		*b = *a;
}

/* The counter of server i for slot k, which the table must hold. */
static uint16_t *
slot_cell(const struct slot_table *t, size_t i, int64_t k)
{
	return &t->srv[i].count[k % t->n];
}

int
slot_table_new(struct slot_table **out, int64_t len_s, int64_t horizon_s,
    int64_t now)
{
	struct slot_table *t;

	if (len_s <= 0 || horizon_s < len_s)
		return EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ENOMEM;
	t->len = len_s;
	t->n = horizon_s / len_s;
	t->base = slot_of(t, now);
	*out = t;
	return 0;
}

void
slot_table_free(struct slot_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nsrv; i++) {
		free(t->srv[i].count);
		free(t->srv[i].ports);
	}
	free(t->srv);
	free(t);
}

int
slot_server_add(struct slot_table *t)
{
	struct slot_srv *ns;
	size_t ncap;

	if (t->nsrv == t->cap) {
		ncap = t->cap ? t->cap * 2 : 16;
		if ((ns = reallocarray(t->srv, ncap, sizeof(*ns))) == NULL)
			return ENOMEM;
		t->srv = ns;
		t->cap = ncap;
	}
	memset(&t->srv[t->nsrv], 0, sizeof(t->srv[t->nsrv]));
	if ((t->srv[t->nsrv].count = calloc((size_t)t->n,
	    sizeof(uint16_t))) == NULL)
		return ENOMEM;
	t->nsrv++;
	return 0;
}

void
slot_server_set(struct slot_table *t, size_t i, int capacity, int port_min,
    int port_max)
{
	t->srv[i].capacity = capacity;
	t->srv[i].port_min = port_min;
	t->srv[i].port_max = port_max;
}

void
slot_advance(struct slot_table *t, int64_t now)
{
	int64_t nb = slot_of(t, now), k;
	struct slot_srv *s;
	size_t i, j, w;

	if (nb <= t->base)
		return;
	for (i = 0; i < t->nsrv; i++) {
		s = &t->srv[i];
		if (nb - t->base >= t->n)
			memset(s->count, 0, (size_t)t->n * sizeof(uint16_t));
		else
			for (k = t->base; k < nb; k++)
				*slot_cell(t, i, k) = 0;
		/* Ports booked only in the past are free for good. */
		for (j = w = 0; j < s->nports; j++)
			if (s->ports[j].end > now)
				s->ports[w++] = s->ports[j];
		s->nports = w;
	}
	t->base = nb;
}

int64_t
slot_len(const struct slot_table *t)
{
	return t->len;
}

int64_t
slot_begin(const struct slot_table *t)
{
	return t->base * t->len;
}

int64_t
slot_horizon_end(const struct slot_table *t)
{
	return (t->base + t->n) * t->len;
}

bool
slot_fits(const struct slot_table *t, size_t i, int64_t start, int64_t end,
    int cap)
{
	const struct slot_srv *s = &t->srv[i];
	int64_t a, b, k;

	if (start >= end || end > slot_horizon_end(t) || cap > s->capacity)
		return false;
	slot_span(t, start, end, &a, &b);
	for (k = a; k < b; k++)
		if (*slot_cell(t, i, k) + cap > s->capacity)
			return false;
	return true;
}

int
slot_peak(const struct slot_table *t, size_t i, int64_t start, int64_t end)
{
	int64_t a, b, k;
	int peak = 0;

	slot_span(t, start, end, &a, &b);
	for (k = a; k < b; k++)
		if (*slot_cell(t, i, k) > peak)
			peak = *slot_cell(t, i, k);
	return peak;
}

int
slot_count(const struct slot_table *t, size_t i, int64_t at)
{
	int64_t k = slot_of(t, at);

	if (k < t->base || k >= t->base + t->n)
		return 0;
	return *slot_cell(t, i, k);
}

/* Marks the ports of server i booked over [start, end), but ref's own. */
static void
slot_mark_ports(struct slot_table *t, size_t i, int64_t start, int64_t end,
    uint64_t except)
{
	const struct slot_srv *s = &t->srv[i];
	const struct slot_port *p;
	size_t j;

	memset(t->used, 0, sizeof(t->used));
	for (j = 0; j < s->nports; j++) {
		p = &s->ports[j];
		if (p->start < end && start < p->end && p->ref != except)
			t->used[p->port / 64] |= 1ULL << (p->port % 64);
	}
}

/* Whether slot_mark_ports() marked port. */
static bool
slot_port_used(const struct slot_table *t, int port)
{
	return (t->used[port / 64] >> (port % 64)) & 1;
}

int
slot_port_find(struct slot_table *t, size_t i, int64_t start, int64_t end,
    int *port)
{
	const struct slot_srv *s = &t->srv[i];
	int p;

	if (s->port_min <= 0 || s->port_max < s->port_min)
		return ENOSPC;
	slot_mark_ports(t, i, start, end, 0);
	for (p = s->port_min; p <= s->port_max; p++) {
		/* Skip 64 taken ports at once on a full word. */
		if (p % 64 == 0 && p + 63 <= s->port_max &&
		    t->used[p / 64] == UINT64_MAX) {
			p += 63;
			continue;
		}
		if (!slot_port_used(t, p)) {
			*port = p;
			return 0;
		}
	}
	return ENOSPC;
}

/* Adds n to the count of server i in the slots [a, b), within 0..65535. */
static void
slot_add(struct slot_table *t, size_t i, int64_t a, int64_t b, int n)
{
	uint16_t *c;
	int64_t k;
	int v;

	for (k = a; k < b; k++) {
		c = slot_cell(t, i, k);
		v = *c + n;
		*c = (uint16_t)(v < 0 ? 0 : v > UINT16_MAX ? UINT16_MAX : v);
	}
}

int
slot_reserve(struct slot_table *t, size_t i, int64_t start, int64_t end,
    int cap, int port, uint64_t ref)
{
	struct slot_srv *s = &t->srv[i];
	struct slot_port *np;
	int64_t a, b;
	size_t ncap;

	if (s->nports == s->cap) {
		ncap = s->cap ? s->cap * 2 : 8;
		if ((np = reallocarray(s->ports, ncap, sizeof(*np))) == NULL)
			return ENOMEM;
		s->ports = np;
		s->cap = ncap;
	}
	s->ports[s->nports].start = start;
	s->ports[s->nports].end = end;
	s->ports[s->nports].ref = ref;
	s->ports[s->nports].port = port;
	s->nports++;
	slot_span(t, start, end, &a, &b);
	slot_add(t, i, a, b, cap);
	return 0;
}

void
slot_release(struct slot_table *t, size_t i, int64_t start, int64_t end,
    int cap, uint64_t ref)
{
	struct slot_srv *s = &t->srv[i];
	int64_t a, b;
	size_t j;

	for (j = 0; j < s->nports; j++)
		if (s->ports[j].ref == ref) {
			s->ports[j] = s->ports[--s->nports];
			break;
		}
	slot_span(t, start, end, &a, &b);
	slot_add(t, i, a, b, -cap);
}

int
slot_extend(struct slot_table *t, size_t i, int64_t start, int64_t old_end,
    int64_t new_end, int cap, uint64_t ref)
{
	struct slot_srv *s = &t->srv[i];
	struct slot_port *p = NULL;
	int64_t a, b, k;
	size_t j;

	(void)start;
	if (new_end <= old_end || new_end > slot_horizon_end(t))
		return EINVAL;
	for (j = 0; j < s->nports; j++)
		if (s->ports[j].ref == ref)
			p = &s->ports[j];
	if (p == NULL)
		return EINVAL;
	/* The slot that holds an unaligned old end already counts it. */
	a = slot_after(t, old_end);
	b = slot_after(t, new_end);
	if (a < t->base)
		a = t->base;
	for (k = a; k < b; k++)
		if (*slot_cell(t, i, k) + cap > s->capacity)
			return ENOSPC;
	slot_mark_ports(t, i, old_end, new_end, ref);
	if (slot_port_used(t, p->port))
		return EADDRINUSE;
	slot_add(t, i, a, b, cap);
	p->end = new_end;
	return 0;
}

int
slot_earliest(struct slot_table *t, size_t i, int64_t from, int64_t dur,
    int cap, int64_t *at)
{
	const struct slot_srv *s = &t->srv[i];
	int64_t cand = from, a, b, k, full;
	int port;

	if (cap > s->capacity || dur <= 0)
		return ENOSPC;
	if (cand < slot_begin(t))
		cand = slot_begin(t);
	while (cand + dur <= slot_horizon_end(t)) {
		slot_span(t, cand, cand + dur, &a, &b);
		/* Restart after the last full slot: no start before fits. */
		for (full = -1, k = b - 1; k >= a; k--)
			if (*slot_cell(t, i, k) + cap > s->capacity) {
				full = k;
				break;
			}
		if (full >= 0) {
			cand = (full + 1) * t->len;
			continue;
		}
		if (slot_port_find(t, i, cand, cand + dur, &port) == 0) {
			*at = cand;
			return 0;
		}
		cand = (slot_of(t, cand) + 1) * t->len;
	}
	return ENOSPC;
}
