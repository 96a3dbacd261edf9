/*
 * api: the HTTP(S) server of the API.  evhttp reads requests, through
 * OpenSSL bufferevents unless [api] tls = no; this module routes them by
 * method and path, authenticates them, checks and parses their JSON bodies
 * with jansson, and writes every answer, errors included, as JSON.  The
 * handlers live in api_servers.c and api_bookings.c; docs/api.md is the
 * reference for clients.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <sodium.h>

#include "log.h"
#include "mgmtd.h"

#define API_PARAM_MAX	64	/* longest {id} in a path */
#define API_BACKLOG	1024	/* bursts of confds and clients at once */

struct api {
	struct evhttp	*http;
};

enum api_auth {
	AUTH_NONE,
	AUTH_SERVER,		/* the secret of the server in the path */
	AUTH_ORGANISER,
	AUTH_OPERATOR,
};

struct api_route {
	enum evhttp_cmd_type	 method;
	const char		*path;	/* '*' stands for one segment */
	enum api_auth		 auth;
	bool			 body;	/* takes a JSON object */
	void			(*fn)(struct api_call *);
};

static const struct api_route api_routes[] = {
	{ EVHTTP_REQ_GET, "/v1/health", AUTH_NONE, false, api_health },
	{ EVHTTP_REQ_POST, "/v1/servers/*/register", AUTH_SERVER, true,
	  api_server_register },
	{ EVHTTP_REQ_POST, "/v1/servers/*/heartbeat", AUTH_SERVER, true,
	  api_server_heartbeat },
	{ EVHTTP_REQ_GET, "/v1/servers/*/feed", AUTH_SERVER, false,
	  api_server_feed },
	{ EVHTTP_REQ_GET, "/v1/servers", AUTH_OPERATOR, false,
	  api_servers_list },
	{ EVHTTP_REQ_GET, "/v1/servers/*", AUTH_OPERATOR, false,
	  api_server_get },
	{ EVHTTP_REQ_PUT, "/v1/servers/*/state", AUTH_OPERATOR, true,
	  api_server_state },
	{ EVHTTP_REQ_POST, "/v1/bookings", AUTH_ORGANISER, true,
	  api_booking_create },
	{ EVHTTP_REQ_GET, "/v1/bookings", AUTH_ORGANISER, false,
	  api_bookings_list },
	{ EVHTTP_REQ_GET, "/v1/bookings/*", AUTH_ORGANISER, false,
	  api_booking_get },
	{ EVHTTP_REQ_DELETE, "/v1/bookings/*", AUTH_ORGANISER, false,
	  api_booking_cancel },
	{ EVHTTP_REQ_POST, "/v1/bookings/*/extend", AUTH_ORGANISER, true,
	  api_booking_extend },
	{ EVHTTP_REQ_POST, "/v1/bookings/*/access", AUTH_ORGANISER, true,
	  api_booking_access },
	{ EVHTTP_REQ_GET, "/v1/bookings/*/access", AUTH_ORGANISER, false,
	  api_access_list },
	{ EVHTTP_REQ_POST, "/v1/access/moved", AUTH_NONE, true,
	  api_access_moved },
};

#define API_NROUTES	(sizeof(api_routes) / sizeof(api_routes[0]))

static const struct {
	enum evhttp_cmd_type	 cmd;
	const char		*name;
} api_methods[] = {
	{ EVHTTP_REQ_GET, "GET" }, { EVHTTP_REQ_POST, "POST" },
	{ EVHTTP_REQ_HEAD, "HEAD" }, { EVHTTP_REQ_PUT, "PUT" },
	{ EVHTTP_REQ_DELETE, "DELETE" }, { EVHTTP_REQ_OPTIONS, "OPTIONS" },
	{ EVHTTP_REQ_TRACE, "TRACE" }, { EVHTTP_REQ_CONNECT, "CONNECT" },
	{ EVHTTP_REQ_PATCH, "PATCH" },
};

/* The name of an HTTP method, for logs and Allow. */
static const char *
api_method_name(enum evhttp_cmd_type cmd)
{
	size_t i;

	for (i = 0; i < sizeof(api_methods) / sizeof(api_methods[0]); i++)
		if (api_methods[i].cmd == cmd)
			return api_methods[i].name;
	return "?";
}

void
api_set_time(json_t *obj, const char *key, int64_t t)
{
	char buf[32];

	rfc3339_format(t, buf, sizeof(buf));
	json_object_set_new(obj, key, json_string(buf));
}

void
api_reply(struct evhttp_request *req, int status, json_t *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const struct evhttp_uri *uri;
	struct evbuffer *buf;
	const char *path;
	char *text;

	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if ((buf = evbuffer_new()) == NULL) {
		free(text);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (text == NULL) {
		status = 500;
		evbuffer_add_printf(buf, "{\"error\":{\"code\":\"no_memory\","
		    "\"message\":\"out of memory\"}}\n");
	} else
		evbuffer_add_printf(buf, "%s\n", text);
	free(text);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	/* The path only: a query may hold a secret (a report's token). */
	uri = evhttp_request_get_evhttp_uri(req);
	path = uri ? evhttp_uri_get_path(uri) : NULL;
	log_debug("api", "%s %s: %d",
	    api_method_name(evhttp_request_get_command(req)),
	    path ? path : "?", status);
	evhttp_send_reply(req, status, NULL, buf);
	evbuffer_free(buf);
}

void
api_reply_err(struct evhttp_request *req, const struct mgmtd_err *e)
{
	json_t *err, *body;

	err = json_object();
	json_object_set_new(err, "code", json_string(e->code));
	json_object_set_new(err, "message", json_string(e->msg));
	if (e->earliest >= 0)
		api_set_time(err, "earliest_start", e->earliest);
	body = json_object();
	json_object_set_new(body, "error", err);
	if (e->status == 401)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
	api_reply(req, e->status, body);
}

/* Whether a name (a region) uses only letters, digits, '-', '_', '.'. */
bool
api_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n < MGMTD_NAME_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

/* Refuses query parameters other than the names given. */
int
api_query_only(struct api_call *c, const char *const *names, size_t n,
    struct mgmtd_err *e)
{
	const struct evkeyval *kv;
	size_t i;

	for (kv = TAILQ_FIRST(c->query); kv != NULL; kv = TAILQ_NEXT(kv,
	    next)) {
		for (i = 0; i < n; i++)
			if (strcmp(kv->key, names[i]) == 0)
				break;
		if (i == n) {
			mgmtd_err_set(e, 400, "invalid_query", "unknown query "
			    "parameter '%.64s'", kv->key);
			return EINVAL;
		}
	}
	return 0;
}

json_t *
api_key_json(const uint8_t *key)
{
	char b64[sodium_base64_ENCODED_LEN(MGMTD_MASTER_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];
	json_t *v;

	sodium_bin2base64(b64, sizeof(b64), key, MGMTD_MASTER_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	v = json_string(b64);
	sodium_memzero(b64, sizeof(b64));
	return v;
}

/* A JSON type as an error message names it. */
static const char *
api_type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "true or false";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/* Whether a JSON value has the type a field wants. */
static bool
api_type_ok(const json_t *v, json_type want)
{
	switch (want) {
	case JSON_REAL:
		return json_is_number(v);
	case JSON_TRUE:
	case JSON_FALSE:
		return json_is_boolean(v);
	default:
		return json_typeof(v) == want;
	}
}

int
api_fields_check(const json_t *body, const struct api_field *f, size_t n,
    struct mgmtd_err *e)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(body)) {
		mgmtd_err_set(e, 400, "invalid_body", "the body must be a JSON "
		    "object");
		return EINVAL;
	}
	json_object_foreach((json_t *)body, key, v) {
		for (i = 0; i < n; i++)
			if (strcmp(f[i].name, key) == 0)
				break;
		if (i == n) {
			mgmtd_err_set(e, 400, "unknown_field", "unknown field "
			    "'%.64s'", key);
			return EINVAL;
		}
		if (!api_type_ok(v, f[i].type)) {
			mgmtd_err_set(e, 400, "invalid_field", "'%s' must be "
			    "%s, not %s", key, api_type_name(f[i].type),
			    api_type_name(json_typeof(v)));
			return EINVAL;
		}
	}
	for (i = 0; i < n; i++)
		if (f[i].required && json_object_get(body, f[i].name) == NULL) {
			mgmtd_err_set(e, 400, "missing_field", "'%s' is "
			    "required", f[i].name);
			return EINVAL;
		}
	return 0;
}

int
api_query_int(struct api_call *c, const char *name, int64_t min, int64_t max,
    int64_t def, int64_t *v, struct mgmtd_err *e)
{
	const char *text = evhttp_find_header(c->query, name);
	char *end;
	long long n;

	if (text == NULL) {
		*v = def;
		return 0;
	}
	errno = 0;
	n = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno == ERANGE || n < min ||
	    n > max) {
		mgmtd_err_set(e, 400, "invalid_query", "%s must be an integer "
		    "from %lld to %lld", name, (long long)min, (long long)max);
		return EINVAL;
	}
	*v = n;
	return 0;
}

/*
 * Whether path matches the pattern; a '*' segment matches one non-empty
 * segment of at most API_PARAM_MAX - 1 characters, copied to param.
 */
static bool
api_path_match(const char *pat, const char *path, char *param)
{
	size_t n;

	while (*pat != '\0') {
		if (*pat == '*') {
			n = strcspn(path, "/");
			if (n == 0 || n >= API_PARAM_MAX)
				return false;
			memcpy(param, path, n);
			param[n] = '\0';
			path += n;
			pat++;
			continue;
		}
		if (*pat++ != *path++)
			return false;
	}
	return *path == '\0';
}

/* The token of "Authorization: Bearer TOKEN", or NULL. */
static const char *
api_bearer(struct evhttp_request *req)
{
	const char *h;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	h += strspn(h, " ");
	return *h != '\0' ? h : NULL;
}

/* The organiser or operator whose key token is, in constant time. */
static const struct client_conf *
api_client(const struct mgmtd *m, const char *token, bool operator)
{
	const struct client_conf *cc, *found = NULL;
	uint8_t want[32], have[32];

	crypto_generichash(want, sizeof(want), (const unsigned char *)token,
	    strlen(token), NULL, 0);
	TAILQ_FOREACH(cc, &m->conf.clients, entry) {
		crypto_generichash(have, sizeof(have),
		    (const unsigned char *)cc->key, strlen(cc->key), NULL, 0);
		if (sodium_memcmp(want, have, sizeof(want)) == 0 &&
		    cc->operator == operator)
			found = cc;
	}
	return found;
}

/* Authenticates a call as the route wants; 0 or an error in e. */
static int
api_authenticate(struct api_call *c, enum api_auth auth, struct mgmtd_err *e)
{
	const char *token = api_bearer(c->req);
	struct server *srv;

	if (auth == AUTH_NONE)
		return 0;
	if (token == NULL) {
		mgmtd_err_set(e, 401, "unauthorized", "an Authorization: "
		    "Bearer header is required");
		return EACCES;
	}
	if (auth == AUTH_SERVER) {
		/* Unknown servers and wrong secrets look the same. */
		srv = registry_find(&c->m->reg, c->param);
		if (srv == NULL || !registry_auth(srv, token)) {
			mgmtd_err_set(e, 401, "unauthorized", "unknown server "
			    "or wrong secret");
			return EACCES;
		}
		c->srv = srv;
		return 0;
	}
	if ((c->client = api_client(c->m, token,
	    auth == AUTH_OPERATOR)) == NULL) {
		mgmtd_err_set(e, 401, "unauthorized", "the key is not an "
		    "%s's key", auth == AUTH_OPERATOR ? "operator" :
		    "organiser");
		return EACCES;
	}
	return 0;
}

/* Reads the body as the route wants it; 0 or an error in e. */
static int
api_read_body(struct api_call *c, const struct api_route *r,
    struct mgmtd_err *e)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	size_t len = evbuffer_get_length(in);
	const char *ct;

	if (len > (size_t)c->m->conf.api_max_body) {
		mgmtd_err_set(e, 413, "body_too_large", "the body has %zu "
		    "bytes; at most %d are accepted", len,
		    c->m->conf.api_max_body);
		return EMSGSIZE;
	}
	if (!r->body) {
		if (len == 0)
			return 0;
		mgmtd_err_set(e, 400, "unexpected_body", "this request takes "
		    "no body");
		return EINVAL;
	}
	ct = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	    "Content-Type");
	if (ct != NULL && strncasecmp(ct, "application/json", 16) != 0) {
		mgmtd_err_set(e, 415, "unsupported_media_type", "the body "
		    "must be application/json, not %.64s", ct);
		return EINVAL;
	}
	if (len == 0) {
		mgmtd_err_set(e, 400, "missing_body", "this request takes a "
		    "JSON object");
		return EINVAL;
	}
	return api_parse_json((const char *)evbuffer_pullup(in, -1), len,
	    &c->body, e);
}

/* evhttp's callback for every request: route, check, call the handler. */
static void
api_on_request(struct evhttp_request *req, void *arg)
{
	struct mgmtd *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const struct api_route *r = NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq query;
	struct api_call c;
	struct mgmtd_err e;
	char param[API_PARAM_MAX] = "", allow[128] = "";
	const char *path, *q;
	size_t i;

	/* A connection past [api] max_connections gets 503 and no more. */
	if (api_conn_refuse(m, req))
		return;
	TAILQ_INIT(&query);
	memset(&c, 0, sizeof(c));
	c.m = m;
	c.req = req;
	c.param = param;
	c.query = &query;
	path = uri ? evhttp_uri_get_path(uri) : NULL;
	for (i = 0; path != NULL && i < API_NROUTES; i++) {
		if (!api_path_match(api_routes[i].path, path, param))
			continue;
		if (api_routes[i].method == cmd) {
			r = &api_routes[i];
			break;
		}
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
		    "%s%s", allow[0] ? ", " : "",
		    api_method_name(api_routes[i].method));
	}
	if (r == NULL) {
		if (allow[0] != '\0') {
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Allow", allow);
			mgmtd_err_set(&e, 405, "method_not_allowed", "%s is "
			    "not allowed here; use %s", api_method_name(cmd),
			    allow);
		} else
			mgmtd_err_set(&e, 404, "not_found", "no such path");
		api_reply_err(req, &e);
		return;
	}
	q = evhttp_uri_get_query(uri);
	if (q != NULL && evhttp_parse_query_str(q, &query) != 0) {
		mgmtd_err_set(&e, 400, "invalid_query", "the query string is "
		    "malformed");
		goto fail;
	}
	if (api_authenticate(&c, r->auth, &e) != 0 ||
	    api_read_body(&c, r, &e) != 0)
		goto fail;
	r->fn(&c);
	json_decref(c.body);
	evhttp_clear_headers(&query);
	return;
fail:
	json_decref(c.body);
	evhttp_clear_headers(&query);
	api_reply_err(req, &e);
}

int
api_start(struct mgmtd *m, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct evconnlistener *lev;
	struct timeval tv;
	socklen_t sslen;
	struct api *a;
	int rc, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, m->conf.api_addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)m->conf.api_port);
		sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, m->conf.api_addr,
	    &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)m->conf.api_port);
		sslen = sizeof(*sin6);
	} else {
		snprintf(why, whylen, "[api] address: '%s' is not an address",
		    m->conf.api_addr);
		return EINVAL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->http = evhttp_new(m->base)) == NULL) {
		free(a);
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	/*
	 * evhttp refuses bodies over its own limit with a page of HTML; ours,
	 * lower, gets the JSON error.  A parked feed request must outlive the
	 * longest long-poll.
	 */
	evhttp_set_max_body_size(a->http, MGMTD_BODY_HARD_MAX);
	/* Read a body over it to the end, so that the client sees the 413. */
	evhttp_set_flags(a->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_max_headers_size(a->http, m->conf.api_max_headers);
	tv.tv_sec = (time_t)(m->conf.api_feed_timeout / 1000 + 30);
	tv.tv_usec = 0;
	evhttp_set_timeout_tv(a->http, &tv);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(a->http, api_on_request, m);
	lev = evconnlistener_new_bind(m->base, NULL, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    API_BACKLOG, (struct sockaddr *)&ss, (int)sslen);
	if (lev == NULL) {
		rc = errno;
		snprintf(why, whylen, "cannot listen on %s port %d: %s",
		    m->conf.api_addr, m->conf.api_port, strerror(rc));
		evhttp_free(a->http);
		free(a);
		return rc ? rc : EADDRINUSE;
	}
	/*
	 * Accepted sockets inherit TCP_NODELAY from the listener; without it
	 * a reply written in two TLS records waits for a delayed ACK (40 ms).
	 */
	setsockopt(evconnlistener_get_fd(lev), IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one));
	/* evhttp owns the listener from here and frees it with itself. */
	if (evhttp_bind_listener(a->http, lev) == NULL) {
		evconnlistener_free(lev);
		evhttp_free(a->http);
		free(a);
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	/* It sets the bevcb (TLS too) that counts the connections. */
	if ((rc = api_conn_start(m, a->http, lev, why, whylen)) != 0) {
		evhttp_free(a->http);
		free(a);
		return rc;
	}
	m->api = a;
	log_notice("api", "listening on %s%s%s%s:%d (%s)", m->tls ? "https://" :
	    "http://", sslen == sizeof(*sin6) ? "[" : "", m->conf.api_addr,
	    sslen == sizeof(*sin6) ? "]" : "", m->conf.api_port,
	    m->tls ? "TLS" : "plain HTTP, no TLS");
	return 0;
}

void
api_stop(struct mgmtd *m)
{
	size_t i;

	if (m->api == NULL)
		return;
	for (i = 0; i < m->reg.n; i++)
		feed_flush(m, m->reg.srv[i]);
	evhttp_free(m->api->http);
	api_conn_stop(m);
	free(m->api);
	m->api = NULL;
}
