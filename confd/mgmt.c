/*
 * mgmt: confd's side of mgmtd: it registers, sends heartbeats with its
 * live load, and follows the feed of the conferences it must host.
 *
 * Each request gets a connection of its own, because an HTTPS connection
 * cannot be re-established on the same TLS bufferevent; a connection is
 * freed just after its request's callback (never inside it), or at stop.  The feed keeps exactly one long-poll open;
 * a heartbeat never waits behind it.  When mgmtd cannot be reached, confd
 * goes on serving what it has and retries with a growing delay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "confd.h"

#define MGMT_FEED_WAIT_S	25	/* long-poll wait asked of mgmtd */
#define MGMT_TIMEOUT_S		10	/* any other request */
#define MGMT_BACKOFF_MAX_MS	30000
#define MGMT_MAX_BODY		(4 * 1024 * 1024)

struct mgmt {
	struct confd		*cd;
	SSL_CTX			*ssl;		/* NULL: plain HTTP */
	struct event		*ev_retry;	/* register or feed again */
	struct event		*ev_heartbeat;
	struct evhttp_connection *conn_feed;	/* in flight, or NULL */
	struct evhttp_connection *conn_ctl;
	struct evhttp_connection *dead[4];	/* done: freed by ev_reap */
	size_t			 ndead;
	struct event		*ev_reap;
	bool			 registered;
	bool			 stopping;
	int			 backoff_ms;
	int			 heartbeat_ms;
	char			 epoch[32];
	uint64_t		 version;
	struct rusage		 ru_prev;
	uint64_t		 ru_when_us;
	struct log_rl		 rl;
};

static void mgmt_register(struct mgmt *mg);
static void mgmt_feed(struct mgmt *mg);

/* Sets up TLS towards mgmtd, verifying its certificate. */
static int
mgmt_tls(struct mgmt *mg, char *why, size_t whylen)
{
	const struct confd_conf *c = &mg->cd->conf;
	X509_VERIFY_PARAM *vp;

	if ((mg->ssl = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(why, whylen, "cannot create a TLS context");
		return ENOMEM;
	}
	SSL_CTX_set_min_proto_version(mg->ssl, TLS1_2_VERSION);
	SSL_CTX_set_verify(mg->ssl, SSL_VERIFY_PEER, NULL);
	if (c->mgmtd_ca[0] != '\0' ?
	    SSL_CTX_load_verify_locations(mg->ssl, c->mgmtd_ca, NULL) != 1 :
	    SSL_CTX_set_default_verify_paths(mg->ssl) != 1) {
		snprintf(why, whylen, "cannot load the CA certificates %s",
		    c->mgmtd_ca[0] ? c->mgmtd_ca : "of the system");
		return EINVAL;
	}
	/* mgmtd is named by its address: its certificate must carry it. */
	vp = SSL_CTX_get0_param(mg->ssl);
	if (X509_VERIFY_PARAM_set1_ip_asc(vp, c->mgmtd_addr) != 1) {
		snprintf(why, whylen, "cannot check certificates for %s",
		    c->mgmtd_addr);
		return EINVAL;
	}
	return 0;
}

/* A new connection to mgmtd, freed when its request completes. */
static struct evhttp_connection *
mgmt_connect(struct mgmt *mg, int timeout_s)
{
	const struct confd_conf *c = &mg->cd->conf;
	struct evhttp_connection *conn;
	struct bufferevent *bev;
	SSL *ssl;

	if (mg->ssl != NULL) {
		if ((ssl = SSL_new(mg->ssl)) == NULL)
			return NULL;
		bev = bufferevent_openssl_socket_new(mg->cd->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL) {
			SSL_free(ssl);
			return NULL;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else if ((bev = bufferevent_socket_new(mg->cd->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	conn = evhttp_connection_base_bufferevent_new(mg->cd->base, NULL, bev,
	    c->mgmtd_addr, (unsigned short)c->mgmtd_port);
	if (conn == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	evhttp_connection_set_timeout(conn, timeout_s);
	evhttp_connection_set_retries(conn, 0);
	evhttp_connection_set_max_body_size(conn, MGMT_MAX_BODY);
	return conn;
}

static void
mgmt_on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct mgmt *mg = arg;

	(void)fd;
	(void)what;
	while (mg->ndead > 0)
		evhttp_connection_free(mg->dead[--mg->ndead]);
}

/*
 * Hands over a connection whose request is done (or was never sent) to be
 * freed once the callback that saw it has returned.  *connp is cleared.
 */
static void
mgmt_done(struct mgmt *mg, struct evhttp_connection **connp)
{
	struct timeval now = { 0, 0 };

	if (*connp == NULL)
		return;
	/* Two connections at most are ever in flight. */
	mg->dead[mg->ndead++] = *connp;
	*connp = NULL;
	evtimer_add(mg->ev_reap, &now);
}

/* Sends one request; body may be NULL.  0, or an errno when not sent. */
static int
mgmt_send(struct mgmt *mg, struct evhttp_connection *conn,
    enum evhttp_cmd_type type, const char *uri, json_t *body,
    void (*cb)(struct evhttp_request *, void *))
{
	const struct confd_conf *c = &mg->cd->conf;
	struct evhttp_request *req;
	struct evkeyvalq *h;
	char auth[256], host[80];
	char *text;

	if ((req = evhttp_request_new(cb, mg)) == NULL)
		return ENOMEM;
	h = evhttp_request_get_output_headers(req);
	snprintf(host, sizeof(host), strchr(c->mgmtd_addr, ':') ? "[%s]:%d" :
	    "%s:%d", c->mgmtd_addr, c->mgmtd_port);
	snprintf(auth, sizeof(auth), "Bearer %s", c->mgmtd_secret);
	evhttp_add_header(h, "Host", host);
	evhttp_add_header(h, "Authorization", auth);
	sodium_memzero(auth, sizeof(auth));
	if (body != NULL) {
		if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
			evhttp_request_free(req);
			return ENOMEM;
		}
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), text,
		    strlen(text));
		free(text);
	}
	/* On failure evhttp frees the request itself. */
	return evhttp_make_request(conn, req, type, uri) == 0 ? 0 : EIO;
}

/* The status and JSON body of an answer; NULL body if none or not JSON. */
static int
mgmt_answer(struct evhttp_request *req, json_t **body)
{
	struct evbuffer *in;
	json_error_t err;
	size_t len;

	*body = NULL;
	if (req == NULL)
		return 0;
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	if (len > 0)
		*body = json_loadb((const char *)evbuffer_pullup(in, -1), len,
		    JSON_REJECT_DUPLICATES, &err);
	return evhttp_request_get_response_code(req);
}

/* Why a request failed, for the log. */
static void
mgmt_failure(int status, json_t *body, char *why, size_t whylen)
{
	const char *msg = NULL;

	if (status == 0) {
		snprintf(why, whylen, "mgmtd does not answer");
		return;
	}
	if (body != NULL)
		json_unpack(body, "{s:{s:s}}", "error", "message", &msg);
	snprintf(why, whylen, "HTTP %d%s%s", status, msg ? ": " : "",
	    msg ? msg : "");
}

/* Tries again later, each time later, up to half a minute. */
static void
mgmt_retry(struct mgmt *mg)
{
	struct timeval tv;

	if (mg->stopping)
		return;
	mg->backoff_ms = mg->backoff_ms == 0 ? 500 : mg->backoff_ms * 2;
	if (mg->backoff_ms > MGMT_BACKOFF_MAX_MS)
		mg->backoff_ms = MGMT_BACKOFF_MAX_MS;
	tv.tv_sec = mg->backoff_ms / 1000;
	tv.tv_usec = (mg->backoff_ms % 1000) * 1000;
	evtimer_add(mg->ev_retry, &tv);
}

static void
mgmt_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct mgmt *mg = arg;

	(void)fd;
	(void)what;
	if (!mg->registered)
		mgmt_register(mg);
	else
		mgmt_feed(mg);
}

/* The participants connected now, over every worker's rooms. */
static int
mgmt_participants(struct confd *cd)
{
	return atomic_load(&cd->parts_total);
}

/*
 * The share of its workers' cores this process used since the last
 * heartbeat: with N workers, N cores busy is a load of 1.
 */
static double
mgmt_cpu(struct mgmt *mg)
{
	struct rusage ru;
	uint64_t now = confd_now_us(), used;
	double share = 0;

	getrusage(RUSAGE_SELF, &ru);
	used = (uint64_t)(ru.ru_utime.tv_sec - mg->ru_prev.ru_utime.tv_sec +
	    ru.ru_stime.tv_sec - mg->ru_prev.ru_stime.tv_sec) * 1000000 +
	    (uint64_t)(ru.ru_utime.tv_usec - mg->ru_prev.ru_utime.tv_usec +
	    ru.ru_stime.tv_usec - mg->ru_prev.ru_stime.tv_usec);
	if (mg->ru_when_us != 0 && now > mg->ru_when_us)
		share = (double)used / (double)(now - mg->ru_when_us) /
		    (double)mg->cd->nworkers;
	mg->ru_prev = ru;
	mg->ru_when_us = now;
	return share < 0 ? 0 : share > 1 ? 1 : share;
}

static void
mgmt_on_heartbeat_done(struct evhttp_request *req, void *arg)
{
	struct mgmt *mg = arg;
	json_t *body;
	char why[256];
	int status;

	mgmt_done(mg, &mg->conn_ctl);
	status = mgmt_answer(req, &body);
	if (status == 409 && mg->registered) {
		/* mgmtd lost us (a new store): register again. */
		log_warn("mgmt", "mgmtd does not know this server any more; "
		    "registering again");
		mg->registered = false;
		mgmt_register(mg);
	} else if (status != 200) {
		mgmt_failure(status, body, why, sizeof(why));
		log_debug_rl(&mg->rl, "mgmt", "heartbeat: %s", why);
	}
	json_decref(body);
}

static void
mgmt_on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct mgmt *mg = arg;
	struct timeval tv;
	char uri[128];
	json_t *body;

	(void)fd;
	(void)what;
	tv.tv_sec = mg->heartbeat_ms / 1000;
	tv.tv_usec = (mg->heartbeat_ms % 1000) * 1000;
	evtimer_add(mg->ev_heartbeat, &tv);
	/* One heartbeat at a time: a slow mgmtd gets no pile of them. */
	if (mg->conn_ctl != NULL || !mg->registered)
		return;
	if ((mg->conn_ctl = mgmt_connect(mg, MGMT_TIMEOUT_S)) == NULL)
		return;
	body = json_pack("{s:i, s:f}", "participants",
	    mgmt_participants(mg->cd), "cpu", mgmt_cpu(mg));
	snprintf(uri, sizeof(uri), "/v1/servers/%s/heartbeat",
	    mg->cd->conf.server_id);
	if (body == NULL || mgmt_send(mg, mg->conn_ctl, EVHTTP_REQ_POST, uri,
	    body, mgmt_on_heartbeat_done) != 0)
		mgmt_done(mg, &mg->conn_ctl);
	json_decref(body);
}

static void
mgmt_on_registered(struct evhttp_request *req, void *arg)
{
	struct mgmt *mg = arg;
	json_int_t hb = 0;
	json_t *body;
	char why[256];
	int status;

	mgmt_done(mg, &mg->conn_ctl);
	status = mgmt_answer(req, &body);
	if (status != 200 || json_unpack(body, "{s:I}",
	    "heartbeat_interval_ms", &hb) != 0) {
		mgmt_failure(status, body, why, sizeof(why));
		log_warn("mgmt", "registration with mgmtd at %s port %d "
		    "failed: %s; trying again", mg->cd->conf.mgmtd_addr,
		    mg->cd->conf.mgmtd_port, why);
		json_decref(body);
		mgmt_retry(mg);
		return;
	}
	json_decref(body);
	mg->registered = true;
	mg->backoff_ms = 0;
	mg->heartbeat_ms = hb < 200 ? 200 : hb > 60000 ? 60000 : (int)hb;
	log_notice("mgmt", "registered with mgmtd at %s port %d",
	    mg->cd->conf.mgmtd_addr, mg->cd->conf.mgmtd_port);
	mgmt_on_heartbeat(-1, 0, mg);
	if (mg->conn_feed == NULL)
		mgmt_feed(mg);
}

/* The addresses participants reach this server at. */
static json_t *
mgmt_addresses(const struct confd_conf *c)
{
	json_t *a = json_array();

	if (c->public_ipv4[0] != '\0')
		json_array_append_new(a, json_string(c->public_ipv4));
	else if (c->ipv4[0] != '\0' && strcmp(c->ipv4, "0.0.0.0") != 0)
		json_array_append_new(a, json_string(c->ipv4));
	if (c->public_ipv6[0] != '\0')
		json_array_append_new(a, json_string(c->public_ipv6));
	else if (c->ipv6[0] != '\0' && strcmp(c->ipv6, "::") != 0)
		json_array_append_new(a, json_string(c->ipv6));
	return a;
}

static void
mgmt_register(struct mgmt *mg)
{
	const struct confd_conf *c = &mg->cd->conf;
	char uri[128];
	json_t *body;

	if (mg->stopping || mg->conn_ctl != NULL)
		return;
	if ((mg->conn_ctl = mgmt_connect(mg, MGMT_TIMEOUT_S)) == NULL) {
		mgmt_retry(mg);
		return;
	}
	body = json_pack("{s:o, s:i, s:i, s:i}", "addresses",
	    mgmt_addresses(c), "port_min", c->port_min, "port_max",
	    c->port_max, "capacity", c->capacity);
	if (body != NULL && c->region[0] != '\0')
		json_object_set_new(body, "region", json_string(c->region));
	snprintf(uri, sizeof(uri), "/v1/servers/%s/register", c->server_id);
	if (body == NULL || mgmt_send(mg, mg->conn_ctl, EVHTTP_REQ_POST, uri,
	    body, mgmt_on_registered) != 0) {
		mgmt_done(mg, &mg->conn_ctl);
		mgmt_retry(mg);
	}
	json_decref(body);
}

/* Creates or updates the room of one booked conference. */
static void
mgmt_upsert(struct confd *cd, const char *id, int port, int64_t start,
    int64_t end, int capacity, const struct cred *creds, size_t ncreds)
{
	struct room *r;
	char why[256];

	TAILQ_FOREACH(r, &cd->rooms, entry)
		if (!r->shared && strcmp(r->name, id) == 0)
			break;
	/* A moved port is a new room: the old one closes. */
	if (r != NULL && r->port != port) {
		room_release(r);
		r = NULL;
	}
	if (r == NULL) {
		if (room_new(cd, id, port, capacity,
		    SRTPX_AES_CM_128_HMAC_SHA1_80, NULL, &r, why,
		    sizeof(why)) != 0) {
			log_err("mgmt", "%s: %s", id, why);
			return;
		}
		log_info("mgmt", "%s: booked on port %d, %d participants, "
		    "%zu credentials", id, port, capacity, ncreds);
	}
	r->start_ms = start * 1000;
	r->end_ms = end * 1000;
	if (room_set_creds(r, creds, ncreds, capacity) != 0)
		log_err("mgmt", "%s: out of memory for credentials", id);
	sched_update(cd, r);
}

/* Closes a booked room that mgmtd no longer lists. */
static void
mgmt_close(struct confd *cd, const char *id, const char *reason)
{
	struct room *r;

	TAILQ_FOREACH(r, &cd->rooms, entry)
		if (!r->shared && strcmp(r->name, id) == 0) {
			log_info("mgmt", "%s: %s", id, reason);
			room_release(r);
			return;
		}
}

/*
 * Applies one feed message; 0, or EINVAL when it breaks the protocol, and
 * then nothing of it is applied.
 */
static int
mgmt_apply(struct mgmt *mg, json_t *msg, char *why, size_t whylen)
{
	struct confd *cd = mg->cd;
	const struct feedmsg_conf *fc;
	struct room *r, *next;
	struct feedmsg fm;
	size_t i;
	int err;

	if ((err = feedmsg_parse_json(msg, cd->conf.server_id, &fm, why,
	    whylen)) != 0)
		return err;
	/* A snapshot replaces everything confd holds from mgmtd. */
	if (fm.snapshot)
		for (r = TAILQ_FIRST(&cd->rooms); r != NULL; r = next) {
			next = TAILQ_NEXT(r, entry);
			r->seen = r->shared;
		}
	for (i = 0; i < fm.nconfs; i++) {
		fc = &fm.confs[i];
		if (fc->cancelled)
			mgmt_close(cd, fc->id, "cancelled");
		else
			mgmt_upsert(cd, fc->id, fc->port, fc->start, fc->end,
			    fc->capacity, fc->creds, fc->ncreds);
		TAILQ_FOREACH(r, &cd->rooms, entry)
			if (strcmp(r->name, fc->id) == 0)
				r->seen = true;
	}
	if (fm.snapshot)
		for (r = TAILQ_FIRST(&cd->rooms); r != NULL; r = next) {
			next = TAILQ_NEXT(r, entry);
			if (!r->seen) {
				log_info("mgmt", "%s: no longer booked",
				    r->name);
				room_release(r);
			}
		}
	snprintf(mg->epoch, sizeof(mg->epoch), "%s", fm.epoch);
	mg->version = fm.version;
	if (fm.snapshot || fm.nconfs > 0)
		log_info("mgmt", "feed %s %llu: %zu conference%s",
		    fm.snapshot ? "snapshot" : "changes",
		    (unsigned long long)fm.version, fm.nconfs,
		    fm.nconfs == 1 ? "" : "s");
	feedmsg_free(&fm);
	return 0;
}

static void
mgmt_on_feed(struct evhttp_request *req, void *arg)
{
	struct mgmt *mg = arg;
	json_t *body;
	char why[256];
	int status;

	mgmt_done(mg, &mg->conn_feed);
	if (mg->stopping)
		return;
	status = mgmt_answer(req, &body);
	if (status == 409) {
		mg->registered = false;
		json_decref(body);
		mgmt_register(mg);
		return;
	}
	if (status != 200 || body == NULL) {
		mgmt_failure(status, body, why, sizeof(why));
		log_warn("mgmt", "feed: %s; serving what confd has and trying "
		    "again", why);
		json_decref(body);
		mgmt_retry(mg);
		return;
	}
	if (mgmt_apply(mg, body, why, sizeof(why)) != 0) {
		/* Start over from a snapshot rather than guess. */
		log_err("mgmt", "feed message refused: %s", why);
		mg->epoch[0] = '\0';
		mg->version = 0;
		json_decref(body);
		mgmt_retry(mg);
		return;
	}
	json_decref(body);
	mg->backoff_ms = 0;
	mgmt_feed(mg);
}

static void
mgmt_feed(struct mgmt *mg)
{
	char uri[256];

	if (mg->stopping || mg->conn_feed != NULL)
		return;
	if ((mg->conn_feed = mgmt_connect(mg, MGMT_FEED_WAIT_S +
	    MGMT_TIMEOUT_S)) == NULL) {
		mgmt_retry(mg);
		return;
	}
	if (mg->epoch[0] != '\0')
		snprintf(uri, sizeof(uri), "/v1/servers/%s/feed?since=%llu&"
		    "epoch=%s&timeout=%d", mg->cd->conf.server_id,
		    (unsigned long long)mg->version, mg->epoch,
		    MGMT_FEED_WAIT_S);
	else
		snprintf(uri, sizeof(uri), "/v1/servers/%s/feed?timeout=%d",
		    mg->cd->conf.server_id, MGMT_FEED_WAIT_S);
	if (mgmt_send(mg, mg->conn_feed, EVHTTP_REQ_GET, uri, NULL,
	    mgmt_on_feed) != 0) {
		mgmt_done(mg, &mg->conn_feed);
		mgmt_retry(mg);
	}
}

int
mgmt_start(struct confd *cd, char *why, size_t whylen)
{
	struct mgmt *mg;
	int err;

	if (cd->conf.mgmtd_addr[0] == '\0')
		return 0;
	if ((mg = calloc(1, sizeof(*mg))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	mg->cd = cd;
	cd->mgmt = mg;
	if (cd->conf.mgmtd_tls && (err = mgmt_tls(mg, why, whylen)) != 0)
		return err;
	mg->ev_retry = evtimer_new(cd->base, mgmt_on_retry, mg);
	mg->ev_heartbeat = evtimer_new(cd->base, mgmt_on_heartbeat, mg);
	mg->ev_reap = evtimer_new(cd->base, mgmt_on_reap, mg);
	if (mg->ev_retry == NULL || mg->ev_heartbeat == NULL ||
	    mg->ev_reap == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	mgmt_cpu(mg);
	mgmt_register(mg);
	return 0;
}

void
mgmt_stop(struct confd *cd)
{
	struct mgmt *mg = cd->mgmt;

	if (mg == NULL)
		return;
	mg->stopping = true;
	/* Pending requests are dropped with their connections. */
	if (mg->conn_feed)
		evhttp_connection_free(mg->conn_feed);
	if (mg->conn_ctl)
		evhttp_connection_free(mg->conn_ctl);
	if (mg->ev_reap) {
		mgmt_on_reap(-1, 0, mg);
		event_free(mg->ev_reap);
	}
	if (mg->ev_retry)
		event_free(mg->ev_retry);
	if (mg->ev_heartbeat)
		event_free(mg->ev_heartbeat);
	if (mg->ssl)
		SSL_CTX_free(mg->ssl);
	free(mg);
	cd->mgmt = NULL;
}
