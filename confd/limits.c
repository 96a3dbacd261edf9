/*
 * limits: how many conferences confd keeps open and how many participants
 * it takes over all of them ([media] max_rooms, max_total_participants),
 * and the file descriptors that needs, checked at startup.
 *
 * A conference costs its descriptors only while it is open (its sockets
 * bound), so max_rooms counts open rooms: mgmtd may book more for later.
 * Each refusal is logged once, where it first happens, and counted in
 * /metrics; the packets of a newcomer that does not fit are dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "confd.h"
#include "fdlimit.h"

/* The /metrics listener and its connections (Prometheus, a person). */
#define LIMITS_METRICS	16
/* The connection to mgmtd and the event loop's own descriptors. */
#define LIMITS_LOOP	8
/* A worker's event loop: epoll and its wake-up descriptors. */
#define LIMITS_WORKER	4

/* Address families the conference sockets are bound in. */
static int
limits_families(const struct confd_conf *c)
{
	return (c->ipv4[0] != '\0') + (c->ipv6[0] != '\0');
}

uint64_t
limits_fd_need(const struct confd_conf *c)
{
	const struct confd_room_conf *rc;
	uint64_t rooms = 0, booked;

	TAILQ_FOREACH(rc, &c->rooms, entry)
		rooms++;
	if (c->mgmtd_addr[0] != '\0') {
		booked = (uint64_t)(c->port_max - c->port_min + 1);
		rooms += booked;
	}
	if (rooms > (uint64_t)c->max_rooms)
		rooms = (uint64_t)c->max_rooms;
	return rooms * (uint64_t)limits_families(c) + LIMITS_METRICS +
	    LIMITS_LOOP + LIMITS_WORKER * worker_count(c) + FDLIMIT_MARGIN;
}

int
limits_fds_ensure(const struct confd_conf *c, char *why, size_t whylen)
{
	uint64_t need = limits_fd_need(c), soft, hard;
	int rc;

	if ((rc = fdlimit_ensure(need, &soft, &hard, why, whylen)) != 0)
		return rc;
	log_info("main", "file descriptors: about %llu needed ([media] "
	    "max_rooms %d), limit %llu", (unsigned long long)need,
	    c->max_rooms, (unsigned long long)soft);
	return 0;
}

int
limits_room_may_open(struct room *r, char *why, size_t whylen)
{
	struct confd *cd = r->cd;

	if (r->open || cd->nopen < cd->conf.max_rooms)
		return 0;
	cd->rooms_refused++;
	snprintf(why, whylen, "%d conferences are open, the most [media] "
	    "max_rooms allows", cd->nopen);
	return ENOSPC;
}

int
limits_may_join(struct room *r, uint32_t ssrc)
{
	struct confd *cd = r->cd;
	int total;

	if (r->nparts >= r->capacity) {
		/* Once per room; the room's closing line has the count. */
		if (r->refused_full++ == 0)
			log_notice("room", "%s: full (%d of %d): newcomer %08x "
			    "refused; later ones are counted in "
			    "confd_refused_total", r->name, r->nparts,
			    r->capacity, ssrc);
		return ENOSPC;
	}
	/*
	 * Workers join at the same time: a place is taken first and given
	 * back when over, so that the limit holds exactly without a lock.
	 */
	total = atomic_fetch_add(&cd->parts_total, 1);
	if (total >= r->w->conf.max_total_parts) {
		atomic_fetch_sub(&cd->parts_total, 1);
		r->refused_full++;
		r->w->server_full++;
		if (!atomic_exchange(&cd->server_full_logged, true))
			log_warn("room", "%s: newcomer %08x refused: %d "
			    "participants in all, the most [media] "
			    "max_total_participants allows; later ones are "
			    "counted in confd_server_full_total", r->name, ssrc,
			    total);
		return ENOSPC;
	}
	return 0;
}

void
limits_leave(struct room *r)
{
	atomic_fetch_sub(&r->cd->parts_total, 1);
}
