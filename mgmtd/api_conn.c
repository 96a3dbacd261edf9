/*
 * api_conn: how many connections the API holds, and what happens past the
 * limits.
 *
 * libevent 2.1 gives evhttp no hook when a connection opens or closes.  It
 * calls our bevcb for each connection it accepts, and it frees the
 * bufferevent we return there when the connection ends: with TLS that
 * frees the SSL object, whose ex_data free callback tells us; in plain HTTP
 * (tests only) a pass-through filter bufferevent's free_context does.  A
 * filter over a TLS bufferevent is no option: libevent 2.1 leaves a reply
 * in the filter when evhttp enables writing after queueing it.
 *
 * Up to [api] max_connections a connection is served.  Past it, up to
 * API_REFUSE_MAX more are read far enough to answer 503 with a JSON error
 * and Retry-After, then closed; they get API_REFUSE_TIMEOUT_S to send their
 * request.  Past those, a connection is closed at once, unanswered.  No
 * client ever waits on a connection nobody will answer.
 *
 * When accept() fails because descriptors ran out (EMFILE, ENFILE), the
 * listener would be readable forever and the loop would spin: it is paused
 * for API_PAUSE_MS instead, one line is logged for the whole burst, and
 * accepting resumes by itself.  Connections already open are served all
 * along.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "fdlimit.h"
#include "log.h"
#include "mgmtd.h"

#define API_REFUSE_MAX		64	/* answered 503 at once, at most */
#define API_REFUSE_TIMEOUT_S	5	/* for a refused client's request */
#define API_PAUSE_MS		250	/* accepting paused when out of fds */
#define API_QUIET_MS		5000	/* a burst ends after this quiet */
#define API_TICK_MS		1000

enum api_conn_kind {
	CONN_SERVED,
	CONN_REFUSED,		/* answered 503, then closed */
	CONN_DROPPED,		/* closed unanswered */
};

/* One accepted connection, owned by its filter bufferevent. */
struct api_conn {
	LIST_ENTRY(api_conn)	 entry;	/* refused ones only */
	struct api_conns	*ac;
	struct bufferevent	*bev;	/* the one evhttp holds */
	struct event		*timer;	/* refused, dropped: its deadline */
	enum api_conn_kind	 kind;
};
LIST_HEAD(api_conn_list, api_conn);

/*
 * Shared by the API and every connection: evhttp frees a connection's
 * bufferevent, and so calls api_conn_gone(), from deferred callbacks that
 * may run after api_conn_stop(); the last reference frees it.
 */
struct api_conns {
	int			 refs;
	bool			 stopped;
	int			 max;		/* [api] max_connections */
	int			 served, refused;	/* open now */
	struct api_conn_list	 refusing;
	struct tls		*tls;
	int			 ssl_idx;	/* our SSL ex_data, or -1 */
	struct evconnlistener	*lev;
	struct event		*ev_tick;	/* bursts, and marks us */
	struct event		*ev_resume;	/* after a pause */
	struct fdlimit_burst	 full;		/* refusing connections */
	uint64_t		 full_dropped;
	struct fdlimit_burst	 nofd;		/* accept() out of fds */
	uint64_t		 nofd_soft;
};

static void	api_conn_on_tick(evutil_socket_t, short, void *);

/* Drops one reference; the last one frees. */
static void
api_conns_unref(struct api_conns *ac)
{
	if (--ac->refs > 0)
		return;
	free(ac);
}

/* Frees the timers, which must go before the event base does. */
static void
api_conns_timers_free(struct api_conns *ac)
{
	if (ac->ev_tick != NULL)
		event_free(ac->ev_tick);
	if (ac->ev_resume != NULL)
		event_free(ac->ev_resume);
	ac->ev_tick = ac->ev_resume = NULL;
}

/* evhttp has freed the connection (through its SSL or its filter). */
static void
api_conn_gone(void *arg)
{
	struct api_conn *c = arg;
	struct api_conns *ac = c->ac;

	if (c->timer != NULL)
		event_free(c->timer);
	if (c->kind == CONN_SERVED)
		ac->served--;
	else if (c->kind == CONN_REFUSED) {
		ac->refused--;
		LIST_REMOVE(c, entry);
	}
	free(c);
	api_conns_unref(ac);
}

/* Notes one connection turned away and logs the start of a burst. */
static void
api_conn_full(struct api_conns *ac, bool dropped)
{
	if (dropped)
		ac->full_dropped++;
	if (fdlimit_burst_hit(&ac->full, mgmtd_mono_ms(), API_QUIET_MS))
		log_warn("api", "%d connections open, the most [api] "
		    "max_connections allows: new ones get 503 (Retry-After) "
		    "until some close", ac->served);
}

/* SSL ex_data's free callback: the TLS connection is being freed. */
static void
api_conn_ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (ptr != NULL)
		api_conn_gone(ptr);
}

/*
 * The deadline of a connection we do not serve.  evhttp set its own
 * timeouts after our bevcb returned; these replace them, and when they
 * expire evhttp closes the connection without a reply.
 */
static void
api_conn_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct api_conn *c = arg;
	struct timeval tv = { 0, 1000 };

	(void)fd;
	(void)what;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
}

/* The bufferevent of a new connection, with the hook that counts it. */
static struct bufferevent *
api_conn_bev(struct api_conns *ac, struct event_base *base,
    struct api_conn *c)
{
	struct bufferevent *under, *bev;

	if (ac->tls != NULL) {
		if ((bev = tls_bevcb(base, ac->tls)) == NULL)
			return NULL;
		/* From here freeing bev frees c too. */
		if (SSL_set_ex_data(bufferevent_openssl_get_ssl(bev),
		    ac->ssl_idx, c) != 1) {
			bufferevent_free(bev);
			return NULL;
		}
		return bev;
	}
	if ((under = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	/* The filter owns under and c from here and frees them with itself. */
	if ((bev = bufferevent_filter_new(under, NULL, NULL,
	    BEV_OPT_CLOSE_ON_FREE, api_conn_gone, c)) == NULL)
		bufferevent_free(under);
	return bev;
}

/*
 * evhttp's bevcb: the bufferevent of a connection just accepted, counted
 * as served, refused (503) or dropped.
 */
static struct bufferevent *
api_conn_bevcb(struct event_base *base, void *arg)
{
	struct api_conns *ac = arg;
	struct api_conn *c;
	struct timeval tv = { API_REFUSE_TIMEOUT_S, 0 };

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->ac = ac;
	if (ac->served < ac->max) {
		c->kind = CONN_SERVED;
	} else if (ac->refused < API_REFUSE_MAX) {
		c->kind = CONN_REFUSED;
	} else {
		c->kind = CONN_DROPPED;
		tv.tv_sec = 0;
	}
	if (c->kind != CONN_SERVED && ((c->timer = evtimer_new(base,
	    api_conn_on_deadline, c)) == NULL || evtimer_add(c->timer,
	    &tv) != 0)) {
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		return NULL;
	}
	if ((c->bev = api_conn_bev(ac, base, c)) == NULL) {
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		return NULL;
	}
	ac->refs++;
	switch (c->kind) {
	case CONN_SERVED:
		ac->served++;
		break;
	case CONN_REFUSED:
		ac->refused++;
		LIST_INSERT_HEAD(&ac->refusing, c, entry);
		api_conn_full(ac, false);
		break;
	case CONN_DROPPED:
		api_conn_full(ac, true);
		break;
	}
	return c->bev;
}

bool
api_conn_refuse(struct mgmtd *m, struct evhttp_request *req)
{
	struct api_conns *ac = m->api_conns;
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	struct api_conn *c;
	struct mgmtd_err e;
	struct evkeyvalq *h;

	if (ac == NULL || LIST_EMPTY(&ac->refusing) ||
	    (evcon = evhttp_request_get_connection(req)) == NULL)
		return false;
	bev = evhttp_connection_get_bufferevent(evcon);
	LIST_FOREACH(c, &ac->refusing, entry)
		if (c->bev == bev)
			break;
	if (c == NULL)
		return false;
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Retry-After", "1");
	evhttp_add_header(h, "Connection", "close");
	mgmtd_err_set(&e, 503, "too_many_connections", "mgmtd serves %d "
	    "connections at once ([api] max_connections) and has no room for "
	    "another; try again in a second", ac->max);
	e.earliest = -1;
	api_reply_err(req, &e);
	return true;
}

/* Finds our state from the listener's event base: see api_conn_on_error. */
static int
api_conn_find(const struct event_base *base, const struct event *ev,
    void *arg)
{
	struct api_conns **out = arg;

	(void)base;
	if (event_get_callback(ev) != api_conn_on_tick)
		return 0;
	*out = event_get_callback_arg(ev);
	return 1;
}

/*
 * The listener's error callback: accept() failed with something other
 * than EAGAIN or EINTR.  evhttp owns the listener's callback argument, so
 * our state is found through the one event that carries it, the tick.
 */
static void
api_conn_on_error(struct evconnlistener *lev, void *arg)
{
	struct api_conns *ac = NULL;
	struct timeval tv = { 0, API_PAUSE_MS * 1000 };
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	event_base_foreach_event(evconnlistener_get_base(lev), api_conn_find,
	    &ac);
	/* Without our state, at least stop the loop from spinning. */
	evconnlistener_disable(lev);
	if (ac == NULL || ac->stopped || ac->ev_resume == NULL)
		return;
	if (fdlimit_burst_hit(&ac->nofd, mgmtd_mono_ms(), API_QUIET_MS)) {
		if (fdlimit_exhausted(err))
			log_err("api", "out of file descriptors: %ld open, limit "
			    "%llu (%s); not accepting for %d ms at a time, "
			    "open connections are served", fdlimit_open_count(),
			    (unsigned long long)fdlimit_soft(), strerror(err),
			    API_PAUSE_MS);
		else
			log_err("api", "cannot accept connections: %s; trying "
			    "again every %d ms", strerror(err), API_PAUSE_MS);
	}
	evtimer_add(ac->ev_resume, &tv);
}

/* The pause after a failed accept() is over: accept again. */
static void
api_conn_on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct api_conns *ac = arg;

	(void)fd;
	(void)what;
	if (!ac->stopped && ac->lev != NULL)
		evconnlistener_enable(ac->lev);
}

/* Every second: logs the end of a burst of refusals or failed accepts. */
static void
api_conn_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct api_conns *ac = arg;
	uint64_t now = mgmtd_mono_ms(), n;

	(void)fd;
	(void)what;
	if ((n = fdlimit_burst_end(&ac->nofd, now, API_QUIET_MS)) > 0)
		log_notice("api", "accepting connections again, after %llu "
		    "failed accept%s; %ld descriptors open",
		    (unsigned long long)n, n == 1 ? "" : "s",
		    fdlimit_open_count());
	if ((n = fdlimit_burst_end(&ac->full, now, API_QUIET_MS)) > 0) {
		log_notice("api", "below [api] max_connections again (%d open), "
		    "after turning %llu connection%s away (%llu closed "
		    "unanswered)", ac->served, (unsigned long long)n,
		    n == 1 ? "" : "s", (unsigned long long)ac->full_dropped);
		ac->full_dropped = 0;
	}
}

int
api_conn_start(struct mgmtd *m, struct evhttp *http,
    struct evconnlistener *lev, char *why, size_t whylen)
{
	struct timeval tv = { API_TICK_MS / 1000, 0 };
	struct api_conns *ac;

	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		goto nomem;
	ac->refs = 1;
	ac->max = m->conf.api_max_conns;
	ac->tls = m->tls;
	ac->lev = lev;
	ac->ssl_idx = -1;
	LIST_INIT(&ac->refusing);
	if (ac->tls != NULL && (ac->ssl_idx = SSL_get_ex_new_index(0, NULL,
	    NULL, NULL, api_conn_ssl_free)) < 0) {
		api_conns_unref(ac);
		goto nomem;
	}
	if ((ac->ev_tick = event_new(m->base, -1, EV_PERSIST,
	    api_conn_on_tick, ac)) == NULL ||
	    (ac->ev_resume = evtimer_new(m->base, api_conn_on_resume,
	    ac)) == NULL || event_add(ac->ev_tick, &tv) != 0) {
		api_conns_timers_free(ac);
		api_conns_unref(ac);
		goto nomem;
	}
	evhttp_set_bevcb(http, api_conn_bevcb, ac);
	evconnlistener_set_error_cb(lev, api_conn_on_error);
	m->api_conns = ac;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return ENOMEM;
}

void
api_conn_stop(struct mgmtd *m)
{
	struct api_conns *ac = m->api_conns;

	if (ac == NULL)
		return;
	/* The listener goes with evhttp; the timers go now. */
	ac->stopped = true;
	ac->lev = NULL;
	api_conns_timers_free(ac);
	m->api_conns = NULL;
	api_conns_unref(ac);
}

int
api_conn_count(const struct mgmtd *m)
{
	return m->api_conns != NULL ? m->api_conns->served : 0;
}
