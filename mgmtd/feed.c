/*
 * feed: what each confd must host, as snapshots and changes, long-polled.
 *
 * Every change to a booking (created, extended, cancelled, a credential
 * issued) takes the next feed version, stored with it.  A confd asks for
 * the changes after the version it has; when there are none, its request
 * is parked until a change on its server answers it at once, or until its
 * timeout answers it empty.  Without an epoch (the store's identity), or
 * with one that is not ours, it gets a snapshot: everything it hosts now
 * and later.  docs/api.md describes the messages.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>
#include <sodium.h>

#include "log.h"
#include "mgmtd.h"

struct feed_waiter {
	TAILQ_ENTRY(feed_waiter) entry;
	struct mgmtd		*m;
	struct server		*srv;
	struct evhttp_request	*req;	/* evhttp's; answered exactly once */
	struct event		*timer;
	uint64_t		 since;
};

/* Frees a waiter once libevent has let go of its timer. */
static void
feed_waiter_finalize(struct event *ev, void *arg)
{
	(void)ev;
	free(arg);
}

/* Unlinks w and frees it once libevent is done with its timer. */
static void
feed_waiter_free(struct feed_waiter *w)
{
	struct evhttp_connection *evcon;

	TAILQ_REMOVE(&w->srv->waiters, w, entry);
	if ((evcon = evhttp_request_get_connection(w->req)) != NULL)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	/* The timer may be the callback running: free it deferred. */
	event_free_finalize(0, w->timer, feed_waiter_finalize);
}

/* One conference as the feed describes it. */
static json_t *
feed_conference(const struct booking *b)
{
	const struct credential *c;
	json_t *o, *parts, *p;

	o = json_object();
	parts = json_array();
	json_object_set_new(o, "id", json_string(b->id));
	json_object_set_new(o, "state", json_string(booking_state_name(
	    b->state)));
	json_object_set_new(o, "version", json_integer((json_int_t)
	    b->version));
	json_object_set_new(o, "port", json_integer(b->port));
	api_set_time(o, "start", b->start);
	api_set_time(o, "end", b->end);
	json_object_set_new(o, "capacity", json_integer(b->capacity));
	json_object_set_new(o, "suite", json_string(MGMTD_SUITE));
	if (b->state == BOOKING_BOOKED)
		TAILQ_FOREACH(c, &b->creds, entry) {
			p = json_object();
			json_object_set_new(p, "id", json_integer(c->id));
			json_object_set_new(p, "ssrc", json_integer(c->ssrc));
			json_object_set_new(p, "key_up",
			    api_key_json(c->key_up));
			json_object_set_new(p, "key_down",
			    api_key_json(c->key_down));
			json_array_append_new(parts, p);
		}
	json_object_set_new(o, "participants", parts);
	return o;
}

json_t *
feed_message(struct mgmtd *m, struct server *srv, bool snapshot,
    uint64_t since, int64_t now)
{
	const struct booking *b;
	json_t *msg, *confs;

	msg = json_object();
	confs = json_array();
	json_object_set_new(msg, "type", json_string(snapshot ? "snapshot" :
	    "changes"));
	json_object_set_new(msg, "protocol", json_integer(
	    MGMTD_FEED_PROTOCOL));
	json_object_set_new(msg, "server", json_string(srv->name));
	json_object_set_new(msg, "epoch", json_string(m->epoch));
	json_object_set_new(msg, "version", json_integer((json_int_t)
	    m->feed_version));
	TAILQ_FOREACH(b, &srv->bookings, on_server) {
		if (snapshot ? b->state != BOOKING_BOOKED || b->end <= now :
		    b->version <= since)
			continue;
		json_array_append_new(confs, feed_conference(b));
	}
	json_object_set_new(msg, "conferences", confs);
	return msg;
}

/* Whether a booking of srv changed after since. */
static bool
feed_changed(const struct server *srv, uint64_t since)
{
	const struct booking *b;

	TAILQ_FOREACH(b, &srv->bookings, on_server)
		if (b->version > since)
			return true;
	return false;
}

/* Answers a parked request with what changed after its version. */
static void
feed_answer(struct feed_waiter *w)
{
	struct evhttp_request *req = w->req;
	json_t *msg;

	/* A booking moved away is not in the changes: only a snapshot
	 * tells the server to drop it. */
	msg = feed_message(w->m, w->srv, w->since < w->srv->resync_below,
	    w->since, mgmtd_now());
	feed_waiter_free(w);
	api_reply(req, 200, msg);
}

/* A parked request waited its timeout: answered empty. */
static void
feed_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	feed_answer(arg);
}

/*
 * The confd went away while parked.  evhttp has detached the request from
 * the dying connection and left it to us, unless it is closing the
 * connection itself (at shutdown), when it frees the request.
 */
static void
feed_on_close(struct evhttp_connection *evcon, void *arg)
{
	struct feed_waiter *w = arg;
	struct evhttp_request *req = w->req;

	(void)evcon;
	log_debug("feed", "%s: gone while waiting", w->srv->name);
	feed_waiter_free(w);
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_request_free(req);
}

void
feed_request(struct mgmtd *m, struct server *srv, struct evhttp_request *req,
    const char *epoch, uint64_t since, int64_t timeout_ms)
{
	struct feed_waiter *w;
	struct timeval tv;
	bool snapshot;

	/* Only a confd that names our epoch has something to build on. */
	snapshot = epoch == NULL || strcmp(epoch, m->epoch) != 0 ||
	    since > m->feed_version || since < srv->resync_below;
	if (snapshot || timeout_ms <= 0 || feed_changed(srv, since)) {
		api_reply(req, 200, feed_message(m, srv, snapshot, since,
		    mgmtd_now()));
		return;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->timer = evtimer_new(m->base, feed_on_timeout, w)) == NULL) {
		free(w);
		api_reply(req, 200, feed_message(m, srv, false, since,
		    mgmtd_now()));
		return;
	}
	w->m = m;
	w->srv = srv;
	w->req = req;
	w->since = since;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(w->timer, &tv);
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    feed_on_close, w);
	TAILQ_INSERT_TAIL(&srv->waiters, w, entry);
}

void
feed_notify(struct mgmtd *m, struct server *srv)
{
	struct feed_waiter *w;

	(void)m;
	while ((w = TAILQ_FIRST(&srv->waiters)) != NULL)
		feed_answer(w);
}

void
feed_flush(struct mgmtd *m, struct server *srv)
{
	feed_notify(m, srv);
}
