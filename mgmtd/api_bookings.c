/*
 * api_bookings: the half of the API that organisers use: bookings (create,
 * list, get, extend, cancel) and access requests, which issue the two
 * access codes of one invited phone: code 1 in the answer, code 2 by SMS.
 * An organiser sees only its own bookings; another's look as if they did
 * not exist.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <sodium.h>

#include "mgmtd.h"

/* A booking as the API shows it to its organiser. */
static json_t *
api_booking_json(const struct booking *b)
{
	const struct credential *c;
	json_t *o, *a;
	size_t i, n = 0;

	o = json_object();
	json_object_set_new(o, "id", json_string(b->id));
	json_object_set_new(o, "organiser", json_string(b->organiser));
	json_object_set_new(o, "state", json_string(booking_state_name(
	    b->state)));
	json_object_set_new(o, "server", json_string(b->server));
	json_object_set_new(o, "region", json_string(b->region));
	api_set_time(o, "start", b->start);
	api_set_time(o, "end", b->end);
	json_object_set_new(o, "duration", json_integer(b->end - b->start));
	json_object_set_new(o, "capacity", json_integer(b->capacity));
	a = json_array();
	for (i = 0; i < b->ninvitees; i++)
		json_array_append_new(a, json_string(b->invitees[i]));
	json_object_set_new(o, "invitees", a);
	TAILQ_FOREACH(c, &b->creds, entry)
		n++;
	json_object_set_new(o, "credentials", json_integer((json_int_t)n));
	api_set_time(o, "created", b->created);
	/* Failover (failover.c): where it came from, or that it waits. */
	json_object_set_new(o, "placement", json_string(b->stranded ?
	    "stranded" : "placed"));
	json_object_set_new(o, "moved_from", b->moved_from[0] != '\0' ?
	    json_string(b->moved_from) : json_null());
	if (b->moved_at != 0)
		api_set_time(o, "moved_at", b->moved_at);
	else
		json_object_set_new(o, "moved_at", json_null());
	return o;
}

/* Answers {"booking": ...}; a new one also gets its Location. */
static void
api_reply_booking(struct api_call *c, int status, const struct booking *b)
{
	json_t *body = json_object();
	char loc[64];

	json_object_set_new(body, "booking", api_booking_json(b));
	if (status == 201) {
		snprintf(loc, sizeof(loc), "/v1/bookings/%s", b->id);
		evhttp_add_header(evhttp_request_get_output_headers(c->req),
		    "Location", loc);
	}
	api_reply(c->req, status, body);
}

/* POST /v1/bookings: checks the request and books it. */
void
api_booking_create(struct api_call *c)
{
	const char **invitees = NULL;
	struct booking_req req;
	struct booking *b;
	struct mgmtd_err e;

	if ((invitees = calloc(MGMTD_MAX_INVITEES, sizeof(*invitees))) ==
	    NULL) {
		mgmtd_err_set(&e, 503, "no_memory", "out of memory");
		goto fail;
	}
	if (api_parse_booking(c->body, c->m->conf.max_duration / 1000,
	    c->client->region, &req, invitees, &e) != 0)
		goto fail;
	req.organiser = c->client->name;
	if (booking_create(c->m, &req, mgmtd_now(), &b, &e) != 0)
		goto fail;
	free(invitees);
	api_reply_booking(c, 201, b);
	return;
fail:
	free(invitees);
	api_reply_err(c->req, &e);
}

/* GET /v1/bookings: the caller's bookings still listed. */
void
api_bookings_list(struct api_call *c)
{
	const struct booking *b;
	struct mgmtd_err e;
	json_t *body, *a;

	if (api_query_only(c, NULL, 0, &e) != 0) {
		api_reply_err(c->req, &e);
		return;
	}
	a = json_array();
	TAILQ_FOREACH(b, &c->m->bookings.all, all)
		if (strcmp(b->organiser, c->client->name) == 0)
			json_array_append_new(a, api_booking_json(b));
	body = json_object();
	json_object_set_new(body, "bookings", a);
	api_reply(c->req, 200, body);
}

/* The caller's booking named in the path, or NULL after a 404. */
static struct booking *
api_path_booking(struct api_call *c)
{
	struct booking *b;
	struct mgmtd_err e;

	b = booking_find(c->m, c->param);
	if (b == NULL || strcmp(b->organiser, c->client->name) != 0) {
		mgmtd_err_set(&e, 404, "not_found", "no booking '%s'",
		    c->param);
		api_reply_err(c->req, &e);
		return NULL;
	}
	return b;
}

/* GET /v1/bookings/{id}. */
void
api_booking_get(struct api_call *c)
{
	struct booking *b;

	if ((b = api_path_booking(c)) != NULL)
		api_reply_booking(c, 200, b);
}

/* POST /v1/bookings/{id}/extend: a later end, same server and port. */
void
api_booking_extend(struct api_call *c)
{
	struct booking *b;
	struct mgmtd_err e;
	int64_t by;

	if ((b = api_path_booking(c)) == NULL)
		return;
	if (api_parse_extend(c->body, c->m->conf.max_duration / 1000, &by,
	    &e) != 0)
		goto fail;
	if (booking_extend(c->m, b, by, mgmtd_now(), &e) != 0)
		goto fail;
	api_reply_booking(c, 200, b);
	return;
fail:
	api_reply_err(c->req, &e);
}

/* DELETE /v1/bookings/{id}: frees its capacity and port. */
void
api_booking_cancel(struct api_call *c)
{
	struct booking *b;
	struct mgmtd_err e;

	if ((b = api_path_booking(c)) == NULL)
		return;
	if (booking_cancel(c->m, b, mgmtd_now(), &e) != 0) {
		api_reply_err(c->req, &e);
		return;
	}
	api_reply_booking(c, 200, b);
}

/*
 * An access as the API shows it, with the state of its SMS.  code1 is
 * given only in the answer that issues it: mgmtd does not keep it.
 */
static json_t *
api_access_json(const struct booking *b, const struct credential *cred,
    const char *code1)
{
	json_t *o;

	o = json_object();
	json_object_set_new(o, "id", json_integer(cred->id));
	json_object_set_new(o, "booking", json_string(b->id));
	json_object_set_new(o, "phone", json_string(cred->phone));
	if (code1 != NULL)
		json_object_set_new(o, "code1", json_string(code1));
	if (cred->expires != 0)
		api_set_time(o, "expires", cred->expires);
	else
		json_object_set_new(o, "expires", json_null());
	api_set_time(o, "created", cred->created);
	json_object_set_new(o, "sms", cred->sms ? sms_json(cred->sms) :
	    json_null());
	return o;
}

/*
 * Whether an access request must wait: each one sends an SMS, so a phone
 * and a source address get only so many at once (429 with Retry-After).
 */
static bool
api_access_limited(struct api_call *c, const char *phone,
    struct mgmtd_err *e)
{
	struct evhttp_connection *conn;
	char *addr = NULL, after[32];
	ev_uint16_t port;
	int64_t wait;

	if ((conn = evhttp_request_get_connection(c->req)) != NULL)
		evhttp_connection_get_peer(conn, &addr, &port);
	if (addr != NULL && (wait = ratelimit_take(c->m->rl_addr, addr,
	    mgmtd_mono_ms())) > 0) {
		mgmtd_err_set(e, 429, "rate_limited", "too many access "
		    "requests from %s: try again in %lld s", addr,
		    (long long)wait);
		goto limited;
	}
	if ((wait = ratelimit_take(c->m->rl_phone, phone,
	    mgmtd_mono_ms())) > 0) {
		mgmtd_err_set(e, 429, "rate_limited", "too many access "
		    "requests for %s: try again in %lld s", phone,
		    (long long)wait);
		goto limited;
	}
	return false;
limited:
	snprintf(after, sizeof(after), "%lld", (long long)wait);
	evhttp_add_header(evhttp_request_get_output_headers(c->req),
	    "Retry-After", after);
	return true;
}

/* POST /v1/bookings/{id}/access: an invitee's access codes. */
void
api_booking_access(struct api_call *c)
{
	struct credential *cred;
	struct booking *b;
	struct mgmtd_err e;
	const char *phone;
	char code1[ACODE_CODE1_MAX];
	json_t *body;

	if ((b = api_path_booking(c)) == NULL)
		return;
	if (api_parse_access(c->body, &phone, &e) != 0)
		goto fail;
	if (api_access_limited(c, phone, &e))
		goto fail;
	if (booking_access(c->m, b, phone, mgmtd_now(), &cred, code1,
	    sizeof(code1), &e) != 0)
		goto fail;
	body = json_object();
	json_object_set_new(body, "access", api_access_json(b, cred, code1));
	sodium_memzero(code1, sizeof(code1));
	api_reply(c->req, 201, body);
	return;
fail:
	api_reply_err(c->req, &e);
}

/* GET /v1/bookings/{id}/access: the accesses issued, without codes. */
void
api_access_list(struct api_call *c)
{
	const struct credential *cred;
	struct booking *b;
	struct mgmtd_err e;
	json_t *body, *a;

	if ((b = api_path_booking(c)) == NULL)
		return;
	if (api_query_only(c, NULL, 0, &e) != 0) {
		api_reply_err(c->req, &e);
		return;
	}
	a = json_array();
	TAILQ_FOREACH(cred, &b->creds, entry)
		json_array_append_new(a, api_access_json(b, cred, NULL));
	body = json_object();
	json_object_set_new(body, "accesses", a);
	api_reply(c->req, 200, body);
}
