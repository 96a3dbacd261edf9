/*
 * sched: opens each booked conference's port when its window starts and
 * closes it when the window (plus a grace) ends.
 *
 * Rooms wait in a binary min-heap ordered by the time of their next event,
 * behind one timer: ten thousand booked conferences cost a few pointers
 * each and no CPU until one of them is due.  Times are wall-clock (a booking
 * says "from 10:00"), so the timer never sleeps more than a minute at once,
 * which bounds how late a clock step can make an event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "confd.h"

#define SCHED_MAX_SLEEP_MS	60000

int64_t
confd_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time of a room's next event: its opening, or its closing. */
static int64_t
sched_due(const struct room *r)
{
	return !r->open && !r->closing ? r->start_ms :
	    r->end_ms + r->cd->conf.close_grace;
}

static bool
sched_before(const struct room *a, const struct room *b)
{
	return sched_due(a) < sched_due(b);
}

static void
sched_swap(struct confd *cd, size_t i, size_t j)
{
	struct room *t = cd->heap[i];

	cd->heap[i] = cd->heap[j];
	cd->heap[j] = t;
	cd->heap[i]->heap_idx = i;
	cd->heap[j]->heap_idx = j;
}

static void
sched_up(struct confd *cd, size_t i)
{
	while (i > 0 && sched_before(cd->heap[i], cd->heap[(i - 1) / 2])) {
		sched_swap(cd, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
sched_down(struct confd *cd, size_t i)
{
	size_t l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < cd->nheap && sched_before(cd->heap[l], cd->heap[m]))
			m = l;
		if (l + 1 < cd->nheap && sched_before(cd->heap[l + 1],
		    cd->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		sched_swap(cd, i, m);
		i = m;
	}
}

/* Arms the timer for the earliest event, or disarms it. */
static void
sched_arm(struct confd *cd)
{
	struct timeval tv;
	int64_t d;

	if (cd->ev_sched == NULL)
		return;
	if (cd->nheap == 0) {
		event_del(cd->ev_sched);
		return;
	}
	d = sched_due(cd->heap[0]) - confd_wall_ms();
	if (d < 0)
		d = 0;
	if (d > SCHED_MAX_SLEEP_MS)
		d = SCHED_MAX_SLEEP_MS;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	event_add(cd->ev_sched, &tv);
}

/* Takes a room out of the heap. */
static void
sched_remove(struct confd *cd, struct room *r)
{
	size_t i = r->heap_idx;

	if (!r->in_heap)
		return;
	r->in_heap = false;
	if (i != cd->nheap - 1) {
		sched_swap(cd, i, cd->nheap - 1);
		cd->nheap--;
		sched_up(cd, i);
		sched_down(cd, i);
	} else
		cd->nheap--;
}

/* Opens or closes every room whose time has come. */
static void
sched_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct confd *cd = arg;
	struct room *r;
	char why[256];
	int64_t now = confd_wall_ms();

	(void)fd;
	(void)what;
	while (cd->nheap > 0 && sched_due(cd->heap[0]) <= now) {
		r = cd->heap[0];
		sched_remove(cd, r);
		if (now >= r->end_ms + cd->conf.close_grace) {
			log_info("sched", "%s: its time is over", r->name);
			room_release(r);
			continue;
		}
		if (room_open(r, why, sizeof(why)) != 0) {
			/* Bookings keep coming: one failure is not fatal. */
			log_err("sched", "%s: cannot open port %d: %s", r->name,
			    r->port, why);
			r->closing = true;
		} else
			log_info("sched", "%s: open on port %d until the end "
			    "of its booking, worker %u", r->name, r->port,
			    r->w->id);
		sched_update(cd, r);
	}
	sched_arm(cd);
}

int
sched_init(struct confd *cd)
{
	cd->ev_sched = evtimer_new(cd->base, sched_on_timer, cd);
	return cd->ev_sched == NULL ? ENOMEM : 0;
}

void
sched_update(struct confd *cd, struct room *r)
{
	struct room **nh;
	size_t ncap;

	/* Permanent rooms have no events. */
	if (r->end_ms == INT64_MAX) {
		sched_remove(cd, r);
		sched_arm(cd);
		return;
	}
	if (!r->in_heap) {
		if (cd->nheap == cd->capheap) {
			ncap = cd->capheap ? cd->capheap * 2 : 64;
			if ((nh = reallocarray(cd->heap, ncap, sizeof(*nh))) ==
			    NULL) {
				log_err("sched", "%s: out of memory", r->name);
				return;
			}
			cd->heap = nh;
			cd->capheap = ncap;
		}
		r->heap_idx = cd->nheap++;
		cd->heap[r->heap_idx] = r;
		r->in_heap = true;
	}
	sched_up(cd, r->heap_idx);
	sched_down(cd, r->heap_idx);
	sched_arm(cd);
}

void
sched_forget(struct confd *cd, struct room *r)
{
	sched_remove(cd, r);
	sched_arm(cd);
}

void
sched_free(struct confd *cd)
{
	if (cd->ev_sched)
		event_free(cd->ev_sched);
	cd->ev_sched = NULL;
	free(cd->heap);
	cd->heap = NULL;
	cd->nheap = cd->capheap = 0;
}
