/*
 * room: a conference on one UDP port, and its participants.
 *
 * A room binds its port on the configured IPv4 and IPv6 addresses and reads
 * them from its worker's event loop.  It costs no CPU while nobody is in
 * it: only a room with participants is on the mixing clock (tick.c).  The
 * control thread makes, opens and releases rooms; their worker attaches,
 * changes and frees them when its messages say so (worker.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/event.h>
#include <sodium.h>

#include "confd.h"

int
room_new(struct confd *cd, const char *name, int port, int capacity,
    enum srtpx_suite suite, const uint8_t *shared_key, struct room **out,
    char *why, size_t whylen)
{
	struct mix_params mp;
	struct wmsg *add;
	struct room *r;
	int i, err;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (add = wmsg_new(WMSG_ADD, r)) == NULL) {
		free(r);
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	r->cd = cd;
	r->w = worker_pick(cd);
	r->msg_free.type = WMSG_FREE;
	r->msg_free.embedded = true;
	r->msg_free.room = r;
	r->fd[0] = r->fd[1] = -1;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->port = port;
	r->capacity = capacity < cd->conf.max_participants ? capacity :
	    cd->conf.max_participants;
	r->suite = suite;
	r->start_ms = 0;
	r->end_ms = INT64_MAX;
	for (i = 0; i < CONFD_NENC; i++)
		r->enc_owner[i] = -1;
	fwd_reset(&r->fwd);
	/* Any SSRC may join a room with a shared key, once authentic. */
	if (shared_key != NULL) {
		r->shared = true;
		memcpy(r->key, shared_key, srtpx_master_len(suite));
		if ((err = srtpx_new(&r->admit, suite, r->key, SRTPX_IN_ANY,
		    0)) != 0) {
			snprintf(why, whylen, "cannot create the SRTP context: "
			    "%s", strerror(err));
			goto fail;
		}
	}
	mix_params_default(&mp);
	mp.speakers = cd->conf.max_speakers;
	if ((r->sel = mix_sel_new(&mp, CONFD_MAX_PARTS)) == NULL) {
		err = errno;
		snprintf(why, whylen, "cannot create the mixer: %s",
		    strerror(err));
		goto fail;
	}
	TAILQ_INSERT_TAIL(&cd->rooms, r, entry);
	r->w->nrooms++;
	/* From here on the worker owns what the control thread does not. */
	wq_post(&r->w->q, add);
	*out = r;
	return 0;
fail:
	sodium_memzero(r->key, sizeof(r->key));
	srtpx_free(r->admit);
	free(add);
	free(r);
	return err;
}

static int
room_cred_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct cred *)a)->ssrc;
	uint32_t y = ((const struct cred *)b)->ssrc;

	return x < y ? -1 : x > y;
}

/* Wipes and frees a credential list. */
static void
room_creds_free(struct cred *creds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		srtpx_free(creds[i].rx);
	if (creds != NULL)
		sodium_memzero(creds, n * sizeof(*creds));
	free(creds);
}

int
room_set_creds(struct room *r, const struct cred *creds, size_t n,
    int capacity)
{
	struct cred *nc = NULL;
	struct wmsg *m;
	size_t i;

	if ((m = wmsg_new(WMSG_CREDS, r)) == NULL)
		return ENOMEM;
	if (n > 0) {
		if ((nc = calloc(n, sizeof(*nc))) == NULL) {
			free(m);
			return ENOMEM;
		}
		memcpy(nc, creds, n * sizeof(*nc));
		for (i = 0; i < n; i++)
			nc[i].rx = NULL;
		qsort(nc, n, sizeof(*nc), room_cred_cmp);
	}
	m->creds = nc;
	m->ncreds = n;
	m->capacity = capacity < r->cd->conf.max_participants ? capacity :
	    r->cd->conf.max_participants;
	/* The copy passes to the worker, which wipes it. */
	wq_post(&r->w->q, m);
	return 0;
}

void
room_install_creds(struct room *r, struct cred *nc, size_t n)
{
	struct cred *old;
	size_t i;

	/* Inbound contexts already made stay with their credential. */
	for (i = 0; i < n; i++)
		if ((old = room_cred(r, nc[i].ssrc)) != NULL &&
		    memcmp(old->key_up, nc[i].key_up, sizeof(old->key_up)) == 0) {
			nc[i].rx = old->rx;
			old->rx = NULL;
		}
	room_creds_free(r->creds, r->ncreds);
	r->creds = nc;
	r->ncreds = n;
}

struct cred *
room_cred(struct room *r, uint32_t ssrc)
{
	struct cred key;

	if (r->ncreds == 0)
		return NULL;
	key.ssrc = ssrc;
	return bsearch(&key, r->creds, r->ncreds, sizeof(*r->creds),
	    room_cred_cmp);
}

/* Opens one non-blocking UDP socket on addr:port; -1 with why on failure. */
static int
room_bind(const char *addr, int port, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, on = 1, rcvbuf = 1 << 20;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		snprintf(why, whylen, "'%s' is not an address", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	/* IPv4 has its own socket on the same port. */
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	/* A burst of a whole room must not overflow the default buffer. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/*
	 * The kernel's arrival time, not the time the loop got round to the
	 * socket, is what the jitter buffer and the delay figures must see.
	 */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	/* And how many datagrams it dropped, the buffer full: an operator's
	 * first sign of a flood or of a loop that falls behind. */
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		snprintf(why, whylen, "cannot bind %s%s%s:%d: %s",
		    ss.ss_family == AF_INET6 ? "[" : "", addr,
		    ss.ss_family == AF_INET6 ? "]" : "", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
room_open(struct room *r, char *why, size_t whylen)
{
	const char *addrs[2] = { r->cd->conf.ipv4, r->cd->conf.ipv6 };
	struct wmsg *m;
	int i, fd[2] = { -1, -1 }, err;

	if ((err = limits_room_may_open(r, why, whylen)) != 0)
		return err;
	if ((m = wmsg_new(WMSG_OPEN, r)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	for (i = 0; i < 2; i++) {
		if (addrs[i][0] == '\0')
			continue;
		if ((fd[i] = room_bind(addrs[i], r->port, why, whylen)) == -1) {
			if (fd[0] != -1)
				close(fd[0]);
			free(m);
			return EADDRNOTAVAIL;
		}
	}
	/*
	 * The sockets pass to the worker with the message; r->fd is the
	 * worker's from here on.
	 */
	r->fd[0] = fd[0];
	r->fd[1] = fd[1];
	r->open = true;
	r->cd->nopen++;
	wq_post(&r->w->q, m);
	return 0;
}

void
room_attach(struct room *r)
{
	int i;

	r->opened_ms = confd_now_ms();
	for (i = 0; i < 2; i++) {
		if (r->fd[i] == -1)
			continue;
		r->ev[i] = event_new(r->w->base, r->fd[i], EV_READ | EV_PERSIST,
		    rx_on_readable, r);
		/* Packets that came before a tick are read before it runs. */
		if (r->ev[i] == NULL ||
		    event_priority_set(r->ev[i], CONFD_PRIO_MEDIA) != 0 ||
		    event_add(r->ev[i], NULL) != 0)
			log_err("room", "%s: cannot watch the socket of port %d",
			    r->name, r->port);
	}
}

struct part *
room_find(struct room *r, uint32_t ssrc)
{
	int i;

	for (i = 0; i < CONFD_MAX_PARTS; i++)
		if (r->parts[i] != NULL && r->ssrcs[i] == ssrc)
			return r->parts[i];
	return NULL;
}

int
room_join(struct room *r, uint32_t ssrc, struct srtpx *rx,
    const uint8_t *key_up, const uint8_t *key_down,
    const struct sockaddr *sa, socklen_t salen, uint64_t now_ms,
    struct part **out)
{
	struct part *p;
	int i, slot = -1, err;

	*out = NULL;
	if ((err = limits_may_join(r, ssrc)) != 0) {
		srtpx_free(rx);
		return err;
	}
	/*
	 * confd sends to SSRC s from SSRC ~s under the same shared key.  A
	 * newcomer whose SSRC is the complement of a participant's would make
	 * two streams share one keystream: refuse it.
	 */
	for (i = 0; i < CONFD_MAX_PARTS; i++) {
		if (r->parts[i] == NULL) {
			if (slot == -1)
				slot = i;
			continue;
		}
		if (r->ssrcs[i] == ~ssrc) {
			srtpx_free(rx);
			limits_leave(r);
			return EEXIST;
		}
	}
	if (slot == -1) {
		srtpx_free(rx);
		limits_leave(r);
		return ENOSPC;
	}
	if ((err = part_new(r, ssrc, rx, key_up, key_down, &p)) != 0) {
		limits_leave(r);
		return err;
	}
	memcpy(&p->addr, sa, salen);
	p->addrlen = salen;
	p->slot = slot;
	p->joined_ms = p->last_rx_ms = now_ms;
	r->parts[slot] = p;
	r->ssrcs[slot] = ssrc;
	r->nparts++;
	r->joins++;
	if (!r->is_active)
		tick_activate(r);
	log_info("room", "%s: participant %08x joined (%d of %d)", r->name,
	    ssrc, r->nparts, r->capacity);
	*out = p;
	return 0;
}

void
room_reap(struct room *r)
{
	struct part *p;
	int i;

	for (i = 0; i < CONFD_MAX_PARTS; i++) {
		if ((p = r->parts[i]) == NULL || !p->leaving)
			continue;
		mix_sel_remove(r->sel, (unsigned)i);
		r->parts[i] = NULL;
		r->nparts--;
		r->leaves++;
		part_stats_add(&r->st, &p->st);
		part_free(p);
		limits_leave(r);
	}
	if (r->nparts == 0 && r->is_active)
		tick_deactivate(r);
}

void
room_free(struct room *r)
{
	int i;

	for (i = 0; i < CONFD_MAX_PARTS; i++)
		if (r->parts[i] != NULL) {
			r->parts[i]->leaving = true;
			r->parts[i]->leave_reason = "conference closed";
		}
	room_reap(r);
	if (r->open)
		log_info("room", "%s: closed after %llu s: %llu joins, %llu "
		    "unknown SSRC, %llu refused (full), %llu packets in, %llu "
		    "out", r->name,
		    (unsigned long long)((confd_now_ms() - r->opened_ms) / 1000),
		    (unsigned long long)r->joins,
		    (unsigned long long)r->unknown_ssrc,
		    (unsigned long long)r->refused_full,
		    (unsigned long long)r->st.rx_packets,
		    (unsigned long long)r->st.tx_packets);
	for (i = 0; i < 2; i++) {
		if (r->ev[i])
			event_free(r->ev[i]);
		if (r->fd[i] != -1)
			close(r->fd[i]);
	}
	for (i = 0; i < CONFD_NENC; i++)
		if (r->enc[i])
			opus_encoder_destroy(r->enc[i]);
	mix_sel_free(r->sel);
	srtpx_free(r->admit);
	room_creds_free(r->creds, r->ncreds);
	sodium_memzero(r->key, sizeof(r->key));
	TAILQ_REMOVE(&r->w->rooms, r, wentry);
	free(r);
}

/*
 * Takes the room out of everything the control thread keeps, then posts
 * its own WMSG_FREE: the worker frees it after any message posted before.
 */
void
room_release(struct room *r)
{
	sched_forget(r->cd, r);
	TAILQ_REMOVE(&r->cd->rooms, r, entry);
	if (r->open)
		r->cd->nopen--;
	r->w->nrooms--;
	wq_post(&r->w->q, &r->msg_free);
}
