/*
 * booking: conferences booked on a server and a port for a span of time,
 * the participant credentials issued for them from their access codes, and
 * the in-memory indexes (by id, and per server for the feed).
 *
 * Every change follows one order: check against the idle table, write the
 * store and commit, and only then change memory and tell the feed.  The
 * event loop runs one request at a time, so nothing can slip between the
 * check and the commit: capacity is never booked twice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "mgmtd.h"

static const char *const booking_names[] = { "booked", "cancelled" };

const char *
booking_state_name(enum booking_state st)
{
	return booking_names[st];
}

struct booking *
booking_new(void)
{
	struct booking *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	TAILQ_INIT(&b->creds);
	return b;
}

void
booking_cred_free(struct credential *c)
{
	sms_free(c->sms);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

void
booking_free(struct booking *b)
{
	struct credential *c;

	if (b == NULL)
		return;
	while ((c = TAILQ_FIRST(&b->creds)) != NULL) {
		TAILQ_REMOVE(&b->creds, c, entry);
		booking_cred_free(c);
	}
	free(b->invitees);
	free(b);
}

/* FNV-1a of an id: the ids are random already, this only spreads them. */
static size_t
booking_hash(const char *id, size_t nbucket)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return (size_t)(h % nbucket);
}

int
booking_index_init(struct booking_index *ix)
{
	size_t i;

	memset(ix, 0, sizeof(*ix));
	TAILQ_INIT(&ix->all);
	ix->nbucket = 1024;
	if ((ix->bucket = calloc(ix->nbucket, sizeof(*ix->bucket))) == NULL)
		return ENOMEM;
	for (i = 0; i < ix->nbucket; i++)
		LIST_INIT(&ix->bucket[i]);
	return 0;
}

void
booking_index_free(struct booking_index *ix)
{
	struct booking *b;

	while ((b = TAILQ_FIRST(&ix->all)) != NULL) {
		TAILQ_REMOVE(&ix->all, b, all);
		booking_free(b);
	}
	free(ix->bucket);
	ix->bucket = NULL;
}

/* Doubles the buckets once there are as many bookings as buckets. */
static void
booking_rehash(struct booking_index *ix)
{
	struct booking_bucket *nb;
	struct booking *b;
	size_t i, n = ix->nbucket * 2;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;		/* longer chains, still correct */
	for (i = 0; i < n; i++)
		LIST_INIT(&nb[i]);
	TAILQ_FOREACH(b, &ix->all, all) {
		LIST_REMOVE(b, hash);
		LIST_INSERT_HEAD(&nb[booking_hash(b->id, n)], b, hash);
	}
	free(ix->bucket);
	ix->bucket = nb;
	ix->nbucket = n;
}

/* Puts a booking into the indexes, which own it from then on. */
static void
booking_index_add(struct mgmtd *m, struct booking *b)
{
	struct booking_index *ix = &m->bookings;

	LIST_INSERT_HEAD(&ix->bucket[booking_hash(b->id, ix->nbucket)], b,
	    hash);
	TAILQ_INSERT_TAIL(&ix->all, b, all);
	TAILQ_INSERT_TAIL(&b->srv->bookings, b, on_server);
	if (++ix->n > ix->nbucket)
		booking_rehash(ix);
}

struct booking *
booking_find(const struct mgmtd *m, const char *id)
{
	const struct booking_index *ix = &m->bookings;
	struct booking *b;

	LIST_FOREACH(b, &ix->bucket[booking_hash(id, ix->nbucket)], hash)
		if (strcmp(b->id, id) == 0)
			return b;
	return NULL;
}

/* Takes a stored booking into memory (store_bookings_load). */
static int
booking_load_one(void *arg, struct booking *b)
{
	struct mgmtd *m = arg;
	int64_t now = mgmtd_now();
	int rc;

	if ((b->srv = registry_find(&m->reg, b->server)) == NULL) {
		log_err("booking", "%s: server %s is unknown; not loaded",
		    b->id, b->server);
		booking_free(b);
		return 0;
	}
	b->ref = ++m->next_ref;
	if (b->state == BOOKING_BOOKED && b->end > now &&
	    (rc = slot_reserve(m->slots, b->srv->idx, b->start, b->end,
	    b->capacity, b->port, b->ref)) != 0) {
		booking_free(b);
		return rc;
	}
	booking_index_add(m, b);
	return 0;
}

int
booking_load(struct mgmtd *m, int64_t now, char *why, size_t whylen)
{
	slot_advance(m->slots, now);
	return store_bookings_load(m->store, now - MGMTD_RETAIN_S,
	    booking_load_one, m, why, whylen);
}

/* Fills e for a store failure, which the log explains. */
static void
booking_store_failed(struct mgmtd_err *e, const char *id, const char *why)
{
	log_err("booking", "%s: %s", id, why);
	mgmtd_err_set(e, 500, "store_failed", "the store failed; nothing was "
	    "changed");
}

/* Explains why nothing fits, naming the earliest start that would. */
static void
booking_no_room(struct mgmtd *m, const struct booking_req *req, int64_t start,
    int64_t end, uint64_t now_ms, struct mgmtd_err *e)
{
	char s1[32], s2[32], s3[32];
	int64_t at, best = -1;
	size_t i, nactive = 0;
	struct server *srv;

	for (i = 0; i < m->reg.n; i++) {
		srv = m->reg.srv[i];
		if (registry_state(m, srv, now_ms) != SERVER_ACTIVE)
			continue;
		nactive++;
		if (slot_earliest(m->slots, i, start, end - start,
		    req->capacity, &at) == 0 && (best < 0 || at < best))
			best = at;
	}
	rfc3339_format(start, s1, sizeof(s1));
	rfc3339_format(end, s2, sizeof(s2));
	if (nactive == 0) {
		mgmtd_err_set(e, 409, "no_capacity", "no conference server is "
		    "active");
		return;
	}
	if (best < 0) {
		rfc3339_format(slot_horizon_end(m->slots), s3, sizeof(s3));
		mgmtd_err_set(e, 409, "no_capacity", "no server has room for "
		    "%d participants from %s to %s, nor for that long at any "
		    "later start before the horizon (%s)", req->capacity, s1,
		    s2, s3);
		return;
	}
	rfc3339_format(best, s3, sizeof(s3));
	mgmtd_err_set(e, 409, "no_capacity", "no server has room for %d "
	    "participants from %s to %s; the earliest start that fits is %s",
	    req->capacity, s1, s2, s3);
	e->earliest = best;
}

int
booking_plan(struct mgmtd *m, const struct booking_req *req, int64_t now,
    struct booking_plan *plan, struct mgmtd_err *e)
{
	struct alloc_cand *c;
	struct server *srv;
	uint64_t now_ms = mgmtd_mono_ms();
	int64_t start, end, hend;
	char s1[32], s2[32];
	bool live;
	size_t i, n = 0;
	int k, port;

	start = req->now ? now : req->start;
	if (!req->now && start < now) {
		rfc3339_format(start, s1, sizeof(s1));
		mgmtd_err_set(e, 400, "invalid_start", "start %s is in the "
		    "past; use \"now\" to start at once", s1);
		return EINVAL;
	}
	if (req->duration <= 0 || req->duration * 1000 >
	    m->conf.max_duration) {
		mgmtd_err_set(e, 400, "invalid_duration", "duration must be "
		    "from 1 to %lld seconds", (long long)(m->conf.max_duration /
		    1000));
		return EINVAL;
	}
	end = start + req->duration;
	slot_advance(m->slots, now);
	if (end > (hend = slot_horizon_end(m->slots))) {
		rfc3339_format(end, s1, sizeof(s1));
		rfc3339_format(hend, s2, sizeof(s2));
		mgmtd_err_set(e, 400, "beyond_horizon", "the conference would "
		    "end at %s, after the booking horizon (%s)", s1, s2);
		return EINVAL;
	}
	if ((c = calloc(m->reg.n ? m->reg.n : 1, sizeof(*c))) == NULL) {
		mgmtd_err_set(e, 503, "no_memory", "out of memory");
		return ENOMEM;
	}
	/* A conference that starts now meets the load the server has now. */
	live = req->now || start <= now;
	for (i = 0; i < m->reg.n; i++) {
		srv = m->reg.srv[i];
		if (registry_state(m, srv, now_ms) != SERVER_ACTIVE ||
		    !slot_fits(m->slots, i, start, end, req->capacity))
			continue;
		if (live && srv->live_parts + req->capacity > srv->capacity)
			continue;
		c[n].idx = i;
		c[n].capacity = srv->capacity;
		c[n].used = slot_peak(m->slots, i, start, end);
		if (live) {
			if (srv->live_parts > c[n].used)
				c[n].used = srv->live_parts;
			c[n].cpu = srv->cpu;
		}
		c[n].in_region = req->region != NULL &&
		    req->region[0] != '\0' &&
		    strcmp(req->region, srv->region) == 0;
		n++;
	}
	/* A server with capacity but no free port is rare: drop it, retry. */
	while ((k = alloc_pick(m->conf.policy, m->conf.prefer_region, c, n,
	    randombytes_random())) >= 0) {
		if (slot_port_find(m->slots, c[k].idx, start, end, &port) == 0)
			break;
		c[k] = c[--n];
	}
	if (k < 0) {
		free(c);
		booking_no_room(m, req, start, end, now_ms, e);
		return ENOSPC;
	}
	plan->srv = m->reg.srv[c[k].idx];
	plan->port = port;
	plan->start = start;
	plan->end = end;
	free(c);
	return 0;
}

/* A fresh random id that no booking in memory has. */
static void
booking_new_id(const struct mgmtd *m, char *id)
{
	unsigned char raw[MGMTD_ID_LEN / 2];

	do {
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(id, MGMTD_ID_LEN + 1, raw, sizeof(raw));
	} while (booking_find(m, id) != NULL);
}

int
booking_create(struct mgmtd *m, const struct booking_req *req, int64_t now,
    struct booking **out, struct mgmtd_err *e)
{
	struct booking_plan plan;
	struct booking *b;
	char why[256], s1[32];
	size_t i;
	int rc;

	if ((rc = booking_plan(m, req, now, &plan, e)) != 0)
		return rc;
	if ((b = booking_new()) == NULL || (req->ninvitees > 0 &&
	    (b->invitees = calloc(req->ninvitees, sizeof(*b->invitees))) ==
	    NULL)) {
		booking_free(b);
		mgmtd_err_set(e, 503, "no_memory", "out of memory");
		return ENOMEM;
	}
	booking_new_id(m, b->id);
	snprintf(b->organiser, sizeof(b->organiser), "%s", req->organiser);
	snprintf(b->server, sizeof(b->server), "%s", plan.srv->name);
	snprintf(b->region, sizeof(b->region), "%s", req->region ?
	    req->region : "");
	b->srv = plan.srv;
	b->port = plan.port;
	b->start = plan.start;
	b->end = plan.end;
	b->created = now;
	b->capacity = req->capacity;
	b->state = BOOKING_BOOKED;
	b->version = m->feed_version + 1;
	b->ref = ++m->next_ref;
	for (i = 0; i < req->ninvitees; i++)
		snprintf(b->invitees[i], MGMTD_PHONE_MAX, "%s",
		    req->invitees[i]);
	b->ninvitees = req->ninvitees;
	if (slot_reserve(m->slots, b->srv->idx, b->start, b->end, b->capacity,
	    b->port, b->ref) != 0) {
		booking_free(b);
		mgmtd_err_set(e, 503, "no_memory", "out of memory");
		return ENOMEM;
	}
	if (store_begin(m->store, why, sizeof(why)) != 0 ||
	    store_booking_insert(m->store, b, why, sizeof(why)) != 0 ||
	    store_feed_set(m->store, b->version, why, sizeof(why)) != 0 ||
	    store_commit(m->store, why, sizeof(why)) != 0) {
		store_rollback(m->store);
		slot_release(m->slots, b->srv->idx, b->start, b->end,
		    b->capacity, b->ref);
		booking_store_failed(e, b->id, why);
		booking_free(b);
		return EIO;
	}
	m->feed_version = b->version;
	booking_index_add(m, b);
	rfc3339_format(b->start, s1, sizeof(s1));
	log_info("booking", "%s: %s booked %d participants on %s port %d from "
	    "%s for %lld s", b->id, b->organiser, b->capacity, b->server,
	    b->port, s1, (long long)(b->end - b->start));
	feed_notify(m, b->srv);
	*out = b;
	return 0;
}

/* Refuses a change to a booking that is cancelled or over. */
static int
booking_check_live(const struct booking *b, int64_t now, struct mgmtd_err *e)
{
	if (b->state == BOOKING_CANCELLED) {
		mgmtd_err_set(e, 409, "cancelled", "booking %s is cancelled",
		    b->id);
		return EINVAL;
	}
	if (b->end <= now) {
		mgmtd_err_set(e, 409, "ended", "booking %s has ended", b->id);
		return EINVAL;
	}
	return 0;
}

/* Writes a changed booking (and maybe a credential and its SMS) durably. */
static int
booking_store_change(struct mgmtd *m, const struct booking *b,
    const struct credential *old, struct credential *add, char *why,
    size_t whylen)
{
	if (store_begin(m->store, why, whylen) != 0 ||
	    (old != NULL && store_credential_delete(m->store, old->id, why,
	    whylen) != 0) ||
	    (add != NULL && store_credential_insert(m->store, b->id, add, why,
	    whylen) != 0) ||
	    (add != NULL && add->sms != NULL && store_sms_insert(m->store,
	    add->id, add->sms, why, whylen) != 0) ||
	    (add != NULL && add->moved_key && (store_code1_forget(m->store,
	    b->id, add->phone, why, whylen) != 0 ||
	    store_code1_insert(m->store, b->id, add, why, whylen) != 0)) ||
	    store_booking_update(m->store, b, why, whylen) != 0 ||
	    store_feed_set(m->store, b->version, why, whylen) != 0 ||
	    store_commit(m->store, why, whylen) != 0) {
		store_rollback(m->store);
		return EIO;
	}
	return 0;
}

int
booking_extend(struct mgmtd *m, struct booking *b, int64_t by, int64_t now,
    struct mgmtd_err *e)
{
	struct booking nb;
	char why[256], s1[32], s2[32];
	int64_t old_end = b->end, new_end;
	int rc;

	if ((rc = booking_check_live(b, now, e)) != 0)
		return rc;
	new_end = b->end + by;
	if (by <= 0 || new_end - b->start > m->conf.max_duration / 1000) {
		mgmtd_err_set(e, 400, "invalid_duration", "by must be positive "
		    "and the whole conference at most %lld seconds",
		    (long long)(m->conf.max_duration / 1000));
		return EINVAL;
	}
	slot_advance(m->slots, now);
	rfc3339_format(old_end, s1, sizeof(s1));
	rfc3339_format(new_end, s2, sizeof(s2));
	rc = slot_extend(m->slots, b->srv->idx, b->start, old_end, new_end,
	    b->capacity, b->ref);
	if (rc == EINVAL) {
		rfc3339_format(slot_horizon_end(m->slots), s1, sizeof(s1));
		mgmtd_err_set(e, 400, "beyond_horizon", "the conference would "
		    "end at %s, after the booking horizon (%s)", s2, s1);
		return EINVAL;
	}
	if (rc == ENOSPC) {
		mgmtd_err_set(e, 409, "no_capacity", "server %s has no room "
		    "for %d more participants from %s to %s", b->server,
		    b->capacity, s1, s2);
		return ENOSPC;
	}
	if (rc != 0) {
		mgmtd_err_set(e, 409, "no_capacity", "the port of the "
		    "conference on server %s is booked by another conference "
		    "between %s and %s", b->server, s1, s2);
		return ENOSPC;
	}
	nb = *b;
	nb.end = new_end;
	nb.version = m->feed_version + 1;
	if (booking_store_change(m, &nb, NULL, NULL, why, sizeof(why)) != 0) {
		/* Undo the extension: give all back, take the old span. */
		slot_release(m->slots, b->srv->idx, b->start, new_end,
		    b->capacity, b->ref);
		(void)slot_reserve(m->slots, b->srv->idx, b->start, old_end,
		    b->capacity, b->port, b->ref);
		booking_store_failed(e, b->id, why);
		return EIO;
	}
	b->end = new_end;
	b->version = m->feed_version = nb.version;
	log_info("booking", "%s: extended to %s", b->id, s2);
	feed_notify(m, b->srv);
	return 0;
}

int
booking_cancel(struct mgmtd *m, struct booking *b, int64_t now,
    struct mgmtd_err *e)
{
	struct booking nb;
	char why[256];
	int rc;

	if ((rc = booking_check_live(b, now, e)) != 0)
		return rc;
	nb = *b;
	nb.state = BOOKING_CANCELLED;
	nb.version = m->feed_version + 1;
	if (booking_store_change(m, &nb, NULL, NULL, why, sizeof(why)) != 0) {
		booking_store_failed(e, b->id, why);
		return EIO;
	}
	slot_advance(m->slots, now);
	slot_release(m->slots, b->srv->idx, b->start, b->end, b->capacity,
	    b->ref);
	b->state = BOOKING_CANCELLED;
	b->version = m->feed_version = nb.version;
	log_info("booking", "%s: cancelled", b->id);
	feed_notify(m, b->srv);
	sms_cancel_booking(m, b);
	return 0;
}

bool
booking_ssrc_taken(const struct booking *b, uint32_t ssrc)
{
	const struct credential *c;

	/* The server sends from ~ssrc: neither may be 0 or anyone's. */
	if (ssrc == 0 || ssrc == UINT32_MAX)
		return true;
	TAILQ_FOREACH(c, &b->creds, entry)
		if (c->ssrc == ssrc || c->ssrc == ~ssrc)
			return true;
	return false;
}

/* Refuses an access request of a phone that is not invited. */
static int
booking_check_invitee(const struct booking *b, const char *phone,
    struct mgmtd_err *e)
{
	size_t i;

	for (i = 0; i < b->ninvitees; i++)
		if (strcmp(b->invitees[i], phone) == 0)
			return 0;
	mgmtd_err_set(e, 403, "not_invited", "%s is not invited to booking %s",
	    phone, b->id);
	return EPERM;
}

/*
 * Issues a pair of codes for the server's first address and the booking's
 * port, valid until its end, into code1, code2 and ac; fresh shares until
 * the SSRC they derive clashes with no other participant's (about n in
 * 2^31 for n participants).
 */
static int
booking_issue_codes(const struct booking *b, char *code1, size_t len1,
    char *code2, size_t len2, struct acode_cred *ac, struct mgmtd_err *e)
{
	char why[ACODE_WHY_MAX];
	int rc, tries;

	for (tries = 0; tries < 64; tries++) {
		if ((rc = acode_issue(b->srv->addrs[0], (uint16_t)b->port,
		    b->end, code1, len1, code2, len2, ac, why,
		    sizeof(why))) != 0) {
			log_err("booking", "%s: cannot issue access codes: %s",
			    b->id, why);
			mgmtd_err_set(e, 500, "codes_failed", "the access codes "
			    "could not be issued: %s", why);
			return rc;
		}
		if (!booking_ssrc_taken(b, ac->ssrc))
			return 0;
		acode_cred_wipe(ac);
		sodium_memzero(code1, len1);
		sodium_memzero(code2, len2);
	}
	mgmtd_err_set(e, 500, "codes_failed", "no free SSRC was found");
	return EAGAIN;
}

bool
booking_moved_key(struct credential *c, const char *code1)
{
	uint8_t sk[MOVED_KEY_LEN];
	char why[ACODE_WHY_MAX];
	bool ok;

	ok = moved_derive(code1, c->moved_idx, c->moved_pk, sk, why,
	    sizeof(why)) == ACODE_OK;
	sodium_memzero(sk, sizeof(sk));
	if (!ok)
		log_err("booking", "cannot derive the key of a code 1: %s",
		    why);
	return ok;
}

int
booking_access(struct mgmtd *m, struct booking *b, const char *phone,
    int64_t now, struct credential **out, char *code1, size_t len1,
    struct mgmtd_err *e)
{
	struct credential *c, *old = NULL;
	struct acode_cred ac;
	struct booking nb;
	char code2[ACODE_CODE2_MAX], why[256];
	int rc;

	if ((rc = booking_check_live(b, now, e)) != 0 ||
	    (rc = booking_check_invitee(b, phone, e)) != 0)
		return rc;
	if (b->srv->naddrs == 0) {
		mgmtd_err_set(e, 409, "not_registered", "server %s has no "
		    "address to give participants", b->server);
		return ENXIO;
	}
	TAILQ_FOREACH(c, &b->creds, entry)
		if (strcmp(c->phone, phone) == 0)
			old = c;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		mgmtd_err_set(e, 503, "no_memory", "out of memory");
		return ENOMEM;
	}
	if ((rc = booking_issue_codes(b, code1, len1, code2, sizeof(code2),
	    &ac, e)) != 0) {
		booking_cred_free(c);
		return rc;
	}
	/* confd gets what the codes derive: the keys per direction. */
	snprintf(c->phone, sizeof(c->phone), "%s", phone);
	c->ssrc = ac.ssrc;
	memcpy(c->key_up, ac.key_c2s, sizeof(c->key_up));
	memcpy(c->key_down, ac.key_s2c, sizeof(c->key_down));
	c->expires = ac.expires;
	c->created = now;
	acode_cred_wipe(&ac);
	/* What finds its new code 1 should the conference move (moved.c). */
	c->moved_key = booking_moved_key(c, code1);
	/* Code 2 lives on only in the SMS text, until it is sent. */
	rc = sms_new(&m->conf, code2, c->expires, now, &c->sms);
	sodium_memzero(code2, sizeof(code2));
	if (rc != 0) {
		booking_cred_free(c);
		sodium_memzero(code1, len1);
		log_err("booking", "%s: cannot write the SMS of code 2: %s",
		    b->id, strerror(rc));
		mgmtd_err_set(e, 500, "codes_failed", "the SMS of code 2 could "
		    "not be written");
		return rc;
	}
	nb = *b;
	nb.version = m->feed_version + 1;
	if (booking_store_change(m, &nb, old, c, why, sizeof(why)) != 0) {
		booking_cred_free(c);
		sodium_memzero(code1, len1);
		booking_store_failed(e, b->id, why);
		return EIO;
	}
	/* A new request replaces the phone's earlier access and its SMS. */
	if (old != NULL) {
		TAILQ_REMOVE(&b->creds, old, entry);
		log_info("booking", "%s: access %lld replaced by a new one",
		    b->id, (long long)old->id);
		/* Its SMS text, if unsent, must leave the log too. */
		if (old->sms != NULL && old->sms->text[0] != '\0' &&
		    store_scrub(m->store, why, sizeof(why)) != 0)
			log_err("booking", "%s: %s", b->id, why);
		booking_cred_free(old);
	}
	TAILQ_INSERT_TAIL(&b->creds, c, entry);
	b->version = m->feed_version = nb.version;
	log_info("booking", "%s: access %lld issued, ssrc %08x", b->id,
	    (long long)c->id, c->ssrc);
	feed_notify(m, b->srv);
	sms_attach(m, b, c);
	*out = c;
	return 0;
}

void
booking_prune(struct mgmtd *m, int64_t now)
{
	struct booking_index *ix = &m->bookings;
	struct booking *b, *next;

	for (b = TAILQ_FIRST(&ix->all); b != NULL; b = next) {
		next = TAILQ_NEXT(b, all);
		if (b->end + MGMTD_RETAIN_S > now)
			continue;
		TAILQ_REMOVE(&ix->all, b, all);
		TAILQ_REMOVE(&b->srv->bookings, b, on_server);
		LIST_REMOVE(b, hash);
		ix->n--;
		booking_free(b);
	}
}
