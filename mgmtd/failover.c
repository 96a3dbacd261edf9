/*
 * failover: a conference server that stays down for [registry]
 * failover_after (after heartbeat_timeout made it down) has failed, and
 * every booking of it that has not ended, running or future, moves to
 * another active server chosen as for a new booking: the same window and
 * capacity, the booking's region first.
 *
 * Moving a booking issues every participant who had codes a fresh pair for
 * the new server and port: the new credential goes to the new confd
 * through the feed, code 2 goes to the same phone by SMS ("Conference
 * moved, new code 2: ..."), and code 1 is sealed for the holder of the old
 * code 1 (moved.c), who picks it up at POST /v1/access/moved.  Each
 * booking moves in one transaction: the booking's server and port, the
 * credentials replaced, their SMS queued and the sealed codes all commit
 * together or not at all, so a kill -9 leaves each booking either moved or
 * where it was, and the sweep after the restart carries on.
 *
 * A booking that fits nowhere is stranded: logged once, shown in the API,
 * and tried again every FAILOVER_RETRY_MS until capacity appears or its
 * server comes back.  The failed server's feed gets a snapshot when it
 * asks again, so a confd that was only cut off drops what moved away.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "mgmtd.h"

#define FAILOVER_RETRY_MS	5000	/* stranded bookings tried again */

struct failover {
	struct ratelimit	*rl;		/* pickups per source address */
	uint64_t		 start_ms;	/* mgmtd's start: down till heard */
	uint64_t		 next_retry_ms;	/* of stranded bookings */
};

/* The new codes of one participant while its booking is being moved. */
struct failover_seat {
	struct credential	*cred;		/* new; owned until committed */
	char			 code1[ACODE_CODE1_MAX];
};

int
failover_new(struct mgmtd *m)
{
	struct failover *fo;
	struct booking *b;
	struct server *srv;
	int rc;

	if ((fo = calloc(1, sizeof(*fo))) == NULL)
		return ENOMEM;
	if ((rc = ratelimit_new(&fo->rl, 4096, m->conf.access_per_address,
	    m->conf.access_address_period)) != 0) {
		free(fo);
		return rc;
	}
	fo->start_ms = mgmtd_mono_ms();
	/* A server that lost bookings must resync, even after a restart. */
	TAILQ_FOREACH(b, &m->bookings.all, all)
		if (b->moved_from[0] != '\0' &&
		    (srv = registry_find(&m->reg, b->moved_from)) != NULL &&
		    srv->resync_below < b->version)
			srv->resync_below = b->version;
	m->failover = fo;
	return 0;
}

void
failover_free(struct mgmtd *m)
{
	if (m->failover == NULL)
		return;
	ratelimit_free(m->failover->rl);
	free(m->failover);
	m->failover = NULL;
}

int64_t
failover_limit(struct mgmtd *m, const char *addr)
{
	return ratelimit_take(m->failover->rl, addr, mgmtd_mono_ms());
}

bool
failover_failed(const struct mgmtd *m, const struct server *srv,
    uint64_t now_ms)
{
	uint64_t heard;

	if (!srv->registered || registry_state(m, srv, now_ms) != SERVER_DOWN)
		return false;
	/* Every server is down at start until heard: count from then. */
	heard = srv->last_seen_ms != 0 ? srv->last_seen_ms :
	    m->failover->start_ms;
	return now_ms - heard >= (uint64_t)(m->conf.heartbeat_timeout +
	    m->conf.failover_after);
}

/*
 * Picks an active server other than b's with room for b over what is left
 * of it, and a free port; ENOSPC when none.  Like booking_plan(), a
 * running conference also meets the live load.
 */
static int
failover_plan(struct mgmtd *m, const struct booking *b, int64_t now,
    uint64_t now_ms, struct server **out, int *port)
{
	struct alloc_cand *c;
	struct server *srv;
	int64_t from = b->start > now ? b->start : now;
	bool live = b->start <= now;
	size_t i, n = 0;
	int k;

	if ((c = calloc(m->reg.n ? m->reg.n : 1, sizeof(*c))) == NULL)
		return ENOMEM;
	for (i = 0; i < m->reg.n; i++) {
		srv = m->reg.srv[i];
		if (srv == b->srv || srv->naddrs == 0 ||
		    registry_state(m, srv, now_ms) != SERVER_ACTIVE ||
		    !slot_fits(m->slots, i, from, b->end, b->capacity))
			continue;
		if (live && srv->live_parts + b->capacity > srv->capacity)
			continue;
		c[n].idx = i;
		c[n].capacity = srv->capacity;
		c[n].used = slot_peak(m->slots, i, from, b->end);
		if (live) {
			if (srv->live_parts > c[n].used)
				c[n].used = srv->live_parts;
			c[n].cpu = srv->cpu;
		}
		c[n].in_region = b->region[0] != '\0' &&
		    strcmp(b->region, srv->region) == 0;
		n++;
	}
	while ((k = alloc_pick(m->conf.policy, m->conf.prefer_region, c, n,
	    randombytes_random())) >= 0) {
		if (slot_port_find(m->slots, c[k].idx, from, b->end, port) == 0)
			break;
		c[k] = c[--n];
	}
	if (k >= 0)
		*out = m->reg.srv[c[k].idx];
	free(c);
	return k >= 0 ? 0 : ENOSPC;
}

/* Whether ssrc, or its complement, is 0, all ones or a new seat's. */
static bool
failover_ssrc_taken(const struct failover_seat *seats, size_t n,
    uint32_t ssrc)
{
	size_t i;

	if (ssrc == 0 || ssrc == UINT32_MAX)
		return true;
	for (i = 0; i < n; i++)
		if (seats[i].cred->ssrc == ssrc || seats[i].cred->ssrc == ~ssrc)
			return true;
	return false;
}

/*
 * Issues the new codes of the seat of old on srv and port into seats[n]:
 * the credential, its SMS saying the conference moved, and code 1.
 */
static int
failover_issue(struct mgmtd *m, const struct booking *b,
    const struct credential *old, struct server *srv, int port,
    int64_t now, struct failover_seat *seats, size_t n, char *why,
    size_t whylen)
{
	struct failover_seat *st = &seats[n];
	struct credential *c;
	struct acode_cred ac;
	char code2[ACODE_CODE2_MAX];
	int rc, tries;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	for (tries = 0; ; tries++) {
		if ((rc = acode_issue(srv->addrs[0], (uint16_t)port, b->end,
		    st->code1, sizeof(st->code1), code2, sizeof(code2), &ac,
		    why, whylen)) != 0)
			goto fail;
		if (!failover_ssrc_taken(seats, n, ac.ssrc))
			break;
		acode_cred_wipe(&ac);
		if (tries == 64) {
			snprintf(why, whylen, "no free SSRC was found");
			rc = EAGAIN;
			goto fail;
		}
	}
	snprintf(c->phone, sizeof(c->phone), "%s", old->phone);
	c->ssrc = ac.ssrc;
	memcpy(c->key_up, ac.key_c2s, sizeof(c->key_up));
	memcpy(c->key_down, ac.key_s2c, sizeof(c->key_down));
	c->expires = ac.expires;
	c->created = now;
	acode_cred_wipe(&ac);
	if ((rc = sms_new(&m->conf, code2, c->expires, now, &c->sms)) != 0) {
		snprintf(why, whylen, "cannot write the SMS: %s",
		    strerror(rc));
		goto fail;
	}
	/* The text that goes out says why a second code 2 comes. */
	if (c->sms->state == SMS_QUEUED && (rc = acode_sms_moved_text(code2,
	    c->expires, c->sms->text, sizeof(c->sms->text))) != 0) {
		snprintf(why, whylen, "cannot write the SMS: %s",
		    strerror(rc));
		goto fail;
	}
	c->moved_key = booking_moved_key(c, st->code1);
	sodium_memzero(code2, sizeof(code2));
	st->cred = c;
	return 0;
fail:
	sodium_memzero(code2, sizeof(code2));
	sodium_memzero(st->code1, sizeof(st->code1));
	booking_cred_free(c);
	return rc;
}

/*
 * Inside the transaction, after the new credential of a seat has its id:
 * seals its code 1 for every earlier code 1 of the seat, then records the
 * new one as not moved.
 */
static int
failover_seal_seat(struct mgmtd *m, const struct booking *b,
    const struct failover_seat *st, int64_t now, char *why, size_t whylen)
{
	struct code1_row *rows;
	size_t i, n;
	int rc;

	if ((rc = store_code1_seat(m->store, b->id, st->cred->phone, &rows, &n,
	    why, whylen)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		rows[i].credential = st->cred->id;
		rows[i].moved_at = now;
		if ((rc = moved_seal(rows[i].pk, st->code1, rows[i].sealed,
		    sizeof(rows[i].sealed), &rows[i].sealed_len)) != 0)
			snprintf(why, whylen, "cannot seal code 1: %s",
			    strerror(rc));
		else
			rc = store_code1_seal(m->store, &rows[i], why, whylen);
	}
	free(rows);
	if (rc == 0 && st->cred->moved_key)
		rc = store_code1_insert(m->store, b->id, st->cred, why, whylen);
	return rc;
}

/* Writes the move of b (as nb says) with its new seats, in one commit. */
static int
failover_store(struct mgmtd *m, const struct booking *b,
    const struct booking *nb, struct failover_seat *seats, size_t n,
    int64_t now, char *why, size_t whylen)
{
	const struct credential *c;
	size_t i;

	if (store_begin(m->store, why, whylen) != 0)
		return EIO;
	TAILQ_FOREACH(c, &b->creds, entry)
		if (store_credential_delete(m->store, c->id, why, whylen) != 0)
			goto fail;
	for (i = 0; i < n; i++)
		if (store_credential_insert(m->store, b->id, seats[i].cred, why,
		    whylen) != 0 || (seats[i].cred->sms != NULL &&
		    store_sms_insert(m->store, seats[i].cred->id,
		    seats[i].cred->sms, why, whylen) != 0) ||
		    failover_seal_seat(m, b, &seats[i], now, why, whylen) != 0)
			goto fail;
	if (store_booking_move(m->store, nb, why, whylen) != 0 ||
	    store_booking_update(m->store, nb, why, whylen) != 0 ||
	    store_feed_set(m->store, nb->version, why, whylen) != 0 ||
	    store_commit(m->store, why, whylen) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(m->store);
	return EIO;
}

/* Frees the seats of a move that did not happen, wiping their codes. */
static void
failover_seats_free(struct failover_seat *seats, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (seats[i].cred != NULL)
			booking_cred_free(seats[i].cred);
	sodium_memzero(seats, n * sizeof(*seats));
	free(seats);
}

/* After the commit: memory, the idle table and both feeds follow. */
static void
failover_apply(struct mgmtd *m, struct booking *b, const struct booking *nb,
    struct server *to, struct failover_seat *seats, size_t n)
{
	struct server *from = b->srv;
	struct credential *c;
	char why[256];
	bool scrub = false;
	size_t i;

	slot_release(m->slots, from->idx, b->start, b->end, b->capacity,
	    b->ref);
	TAILQ_REMOVE(&from->bookings, b, on_server);
	TAILQ_INSERT_TAIL(&to->bookings, b, on_server);
	while ((c = TAILQ_FIRST(&b->creds)) != NULL) {
		TAILQ_REMOVE(&b->creds, c, entry);
		/* An unsent SMS text must leave the log too. */
		scrub |= c->sms != NULL && c->sms->text[0] != '\0';
		booking_cred_free(c);
	}
	for (i = 0; i < n; i++) {
		TAILQ_INSERT_TAIL(&b->creds, seats[i].cred, entry);
		seats[i].cred = NULL;
	}
	b->srv = to;
	snprintf(b->server, sizeof(b->server), "%s", to->name);
	b->port = nb->port;
	snprintf(b->moved_from, sizeof(b->moved_from), "%s", nb->moved_from);
	b->moved_at = nb->moved_at;
	b->version = m->feed_version = nb->version;
	b->stranded = false;
	from->resync_below = nb->version;
	if (scrub && store_scrub(m->store, why, sizeof(why)) != 0)
		log_err("failover", "%s: %s", b->id, why);
	feed_notify(m, to);
	feed_notify(m, from);
	TAILQ_FOREACH(c, &b->creds, entry)
		sms_attach(m, b, c);
}

/* Moves one booking of a failed server; 0, ENOSPC (stranded) or EIO. */
static int
failover_move(struct mgmtd *m, struct booking *b, int64_t now,
    uint64_t now_ms)
{
	struct failover_seat *seats = NULL;
	struct credential *c;
	struct booking nb;
	struct server *to;
	char why[256], s1[32];
	size_t n = 0, ncred = 0;
	int port, rc;

	slot_advance(m->slots, now);
	if ((rc = failover_plan(m, b, now, now_ms, &to, &port)) != 0) {
		if (!b->stranded) {
			rfc3339_format(b->end, s1, sizeof(s1));
			log_warn("failover", "%s: server %s failed and no other "
			    "server has room for %d participants until %s: "
			    "stranded, tried again as capacity appears",
			    b->id, b->server, b->capacity, s1);
		}
		b->stranded = true;
		return rc;
	}
	TAILQ_FOREACH(c, &b->creds, entry)
		ncred++;
	if ((seats = calloc(ncred ? ncred : 1, sizeof(*seats))) == NULL)
		return ENOMEM;
	TAILQ_FOREACH(c, &b->creds, entry) {
		if ((rc = failover_issue(m, b, c, to, port, now, seats, n, why,
		    sizeof(why))) != 0)
			goto fail;
		n++;
	}
	if (slot_reserve(m->slots, to->idx, b->start, b->end, b->capacity,
	    port, b->ref) != 0) {
		snprintf(why, sizeof(why), "out of memory");
		rc = ENOMEM;
		goto fail;
	}
	nb = *b;
	snprintf(nb.server, sizeof(nb.server), "%s", to->name);
	nb.port = port;
	snprintf(nb.moved_from, sizeof(nb.moved_from), "%s", b->server);
	nb.moved_at = now;
	nb.version = m->feed_version + 1;
	if ((rc = failover_store(m, b, &nb, seats, n, now, why,
	    sizeof(why))) != 0) {
		slot_release(m->slots, to->idx, b->start, b->end, b->capacity,
		    b->ref);
		goto fail;
	}
	failover_apply(m, b, &nb, to, seats, n);
	failover_seats_free(seats, n);
	log_notice("failover", "%s: moved from failed server %s to %s port "
	    "%d; %zu participant%s sent new codes", b->id, b->moved_from,
	    b->server, b->port, n, n == 1 ? "" : "s");
	return 0;
fail:
	failover_seats_free(seats, n);
	log_err("failover", "%s: cannot move it from %s: %s; tried again "
	    "later", b->id, b->server, why);
	b->stranded = true;
	return rc;
}

void
failover_sweep(struct mgmtd *m, uint64_t now_ms)
{
	struct failover *fo = m->failover;
	struct booking *b, *next;
	struct server *srv;
	int64_t now = mgmtd_now();
	bool retry = now_ms >= fo->next_retry_ms, tried = false;
	size_t i;

	for (i = 0; i < m->reg.n; i++) {
		srv = m->reg.srv[i];
		if (!failover_failed(m, srv, now_ms)) {
			if (srv->failed && registry_state(m, srv, now_ms) !=
			    SERVER_DOWN) {
				srv->failed = false;
				TAILQ_FOREACH(b, &srv->bookings, on_server)
					b->stranded = false;
				log_notice("failover", "server %s is back; the "
				    "bookings moved away stay where they are",
				    srv->name);
			}
			continue;
		}
		if (!srv->failed) {
			srv->failed = true;
			log_warn("failover", "server %s has failed: down for "
			    "%lld ms; moving its bookings to other servers",
			    srv->name, (long long)(m->conf.heartbeat_timeout +
			    m->conf.failover_after));
		}
		for (b = TAILQ_FIRST(&srv->bookings); b != NULL; b = next) {
			next = TAILQ_NEXT(b, on_server);
			if (b->state != BOOKING_BOOKED || b->end <= now ||
			    (b->stranded && !retry))
				continue;
			tried |= b->stranded;
			(void)failover_move(m, b, now, now_ms);
		}
	}
	if (tried || retry)
		fo->next_retry_ms = now_ms + FAILOVER_RETRY_MS;
}
