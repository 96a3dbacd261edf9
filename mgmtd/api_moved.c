/*
 * api_moved: POST /v1/access/moved, where a participant whose conference
 * moved to another server (failover.c) picks up its new code 1 with the
 * old one.  It needs no key: holding the old code 1 is the authorisation,
 * since only its holder can find the row (its index) and open the new code
 * (its secret key), as moved.c explains.  It is rate limited per source
 * address like access requests, so that it is no oracle for guessing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/http.h>
#include <sodium.h>

#include "log.h"
#include "mgmtd.h"

/* Refuses a pickup from an address that asked too often (429). */
static bool
api_moved_limited(struct api_call *c, struct mgmtd_err *e)
{
	struct evhttp_connection *conn;
	char *addr = NULL, after[32];
	ev_uint16_t port;
	int64_t wait;

	if ((conn = evhttp_request_get_connection(c->req)) != NULL)
		evhttp_connection_get_peer(conn, &addr, &port);
	if (addr == NULL || (wait = failover_limit(c->m, addr)) == 0)
		return false;
	mgmtd_err_set(e, 429, "rate_limited", "too many requests for moved "
	    "codes from %s: try again in %lld s", addr, (long long)wait);
	snprintf(after, sizeof(after), "%lld", (long long)wait);
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Retry-After", after);
	return true;
}

/* The credential of id in b, or NULL. */
static const struct credential *
api_moved_cred(const struct booking *b, int64_t id)
{
	const struct credential *cr;

	TAILQ_FOREACH(cr, &b->creds, entry)
		if (cr->id == id)
			return cr;
	return NULL;
}

/*
 * Finds the new code 1 of an old one into code1, with its booking and
 * credential; 0 or an error in e.
 */
static int
api_moved_find(struct api_call *c, const char *old, char *code1,
    size_t len, struct booking **bp, const struct credential **crp,
    struct code1_row *row, struct mgmtd_err *e)
{
	uint8_t idx[MOVED_KEY_LEN], pk[MOVED_KEY_LEN], sk[MOVED_KEY_LEN];
	char why[256];
	int rc;

	if (moved_derive(old, idx, pk, sk, why, sizeof(why)) != ACODE_OK) {
		mgmtd_err_set(e, 400, "invalid_field", "'code1': %s", why);
		return EINVAL;
	}
	rc = store_code1_find(c->m->store, idx, row, why, sizeof(why));
	if (rc == 0 && row->sealed_len == 0) {
		mgmtd_err_set(e, 404, "not_moved", "the conference of this code "
		    "1 has not moved: join it with your two codes as they are");
		rc = ENOENT;
	} else if (rc == ENOENT)
		mgmtd_err_set(e, 404, "not_found", "no conference moved away "
		    "from this code 1: it is not a code 1 that mgmtd issued, or "
		    "a newer access replaced it");
	else if (rc != 0) {
		log_err("api", "moved: %s", why);
		mgmtd_err_set(e, 500, "store_failed", "the store failed");
	} else if ((*bp = booking_find(c->m, row->booking)) == NULL ||
	    (*crp = api_moved_cred(*bp, row->credential)) == NULL) {
		mgmtd_err_set(e, 409, "ended", "the conference of this code 1 "
		    "has ended, or a newer access replaced its codes");
		rc = ENOENT;
	} else if ((*bp)->state == BOOKING_CANCELLED) {
		mgmtd_err_set(e, 409, "cancelled", "the conference of this "
		    "code 1 was cancelled");
		rc = EINVAL;
	} else if ((*bp)->end <= mgmtd_now()) {
		mgmtd_err_set(e, 409, "ended", "the conference of this code 1 "
		    "has ended");
		rc = EINVAL;
	} else if (moved_open(row->pk, sk, row->sealed, row->sealed_len,
	    code1, len) != 0) {
		log_err("api", "moved: the code 1 sealed for access %lld does "
		    "not open", (long long)row->credential);
		mgmtd_err_set(e, 500, "codes_failed", "the new code 1 could not "
		    "be opened");
		rc = EIO;
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(idx, sizeof(idx));
	(void)pk;
	return rc;
}

/* POST /v1/access/moved: the new code 1 of a conference that moved. */
void
api_access_moved(struct api_call *c)
{
	const struct credential *cr = NULL;
	struct booking *b = NULL;
	struct code1_row row;
	struct mgmtd_err e;
	char code1[ACODE_CODE1_MAX];
	const char *old;
	json_t *o, *body;

	/*
	 * A body that holds no code 1 is refused before the rate limit, as
	 * an access request's is: it cannot find a row, so it is no guess.
	 */
	if (api_parse_moved(c->body, &old, &e) != 0 ||
	    api_moved_limited(c, &e) ||
	    api_moved_find(c, old, code1, sizeof(code1), &b, &cr, &row,
	    &e) != 0) {
		sodium_memzero(&row, sizeof(row));
		api_reply_err(c->req, &e);
		return;
	}
	o = json_object();
	json_object_set_new(o, "booking", json_string(b->id));
	json_object_set_new(o, "access", json_integer(cr->id));
	json_object_set_new(o, "code1", json_string(code1));
	api_set_time(o, "expires", cr->expires);
	api_set_time(o, "moved_at", row.moved_at);
	json_object_set_new(o, "sms", cr->sms ? sms_json(cr->sms) :
	    json_null());
	body = json_object();
	json_object_set_new(body, "moved", o);
	sodium_memzero(code1, sizeof(code1));
	sodium_memzero(&row, sizeof(row));
	log_info("api", "moved: access %lld of booking %s picked up its new "
	    "code 1", (long long)cr->id, b->id);
	api_reply(c->req, 200, body);
}
