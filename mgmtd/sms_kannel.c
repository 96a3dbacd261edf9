/*
 * sms_kannel: the kannel channel of the SMS of code 2.  Each attempt is
 * one GET of Kannel smsbox's sendsms interface with libevent's HTTP client
 * (plain HTTP, to the same host): 202 means sent, a 5xx or no answer a
 * retry, anything else a refusal.  With [sms] dlr_port set, Kannel calls
 * back the delivery report listener with each report of the SMS centre,
 * on the dlr-url it was given with the message; every message has a
 * random token in it, so that nobody else can move a message.
 * docs/api.md describes both sides.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sodium.h>

#include "log.h"
#include "mgmtd.h"

#define SMS_URI_MAX	2048	/* a sendsms request: 160 characters, %XX */
#define SMS_REPLY_MAX	MGMTD_SMS_REPLY_MAX	/* of an answer, as a reason */

struct sms_kannel {
	struct mgmtd		*m;
	struct evhttp_connection *conn;
	struct evhttp		*dlr;		/* the report listener */
	char			 dlr_base[96];	/* http://ADDR:PORT/dlr */
};

/* Copies the first line of a gateway's answer as printable text. */
static void
sms_reason(char *dst, size_t len, const char *src, size_t n)
{
	size_t i, j = 0;

	for (i = 0; i < n && src[i] != '\n' && src[i] != '\r' &&
	    j + 1 < len && j < SMS_REPLY_MAX; i++)
		dst[j++] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[j] = '\0';
}

/* URL-encodes text into a string the caller wipes and frees; NULL. */
static char *
sms_enc(const char *text)
{
	return evhttp_uriencode(text, -1, 0);
}

/* Wipes and frees what sms_enc() made. */
static void
sms_enc_free(char *p)
{
	if (p == NULL)
		return;
	sodium_memzero(p, strlen(p));
	free(p);
}

int
sms_kannel_uri(const struct mgmtd_conf *c, const struct sms *s,
    const char *phone, const char *dlr_base, char *buf, size_t len)
{
	char dlr[256], *user, *pass, *to, *text, *from = NULL, *url = NULL;
	int n, rc = 0;

	buf[0] = '\0';
	user = sms_enc(c->sms_kannel_user);
	pass = sms_enc(c->sms_kannel_password);
	to = sms_enc(phone);
	text = sms_enc(s->text);
	if (c->sms_sender[0] != '\0')
		from = sms_enc(c->sms_sender);
	/* Kannel puts the report type where %d is, its SMSC's reply at %A. */
	if (dlr_base[0] != '\0') {
		snprintf(dlr, sizeof(dlr), "%s?id=%lld&t=%s&status=%%d&a=%%A",
		    dlr_base, (long long)s->id, s->token);
		url = sms_enc(dlr);
		sodium_memzero(dlr, sizeof(dlr));
	}
	if (user == NULL || pass == NULL || to == NULL || text == NULL ||
	    (c->sms_sender[0] != '\0' && from == NULL) ||
	    (dlr_base[0] != '\0' && url == NULL))
		rc = ENOMEM;
	else {
		n = snprintf(buf, len, "/cgi-bin/sendsms?username=%s&"
		    "password=%s&to=%s&text=%s%s%s%s%s", user, pass, to, text,
		    from ? "&from=" : "", from ? from : "",
		    url ? "&dlr-mask=31&dlr-url=" : "", url ? url : "");
		if (n < 0 || (size_t)n >= len) {
			sodium_memzero(buf, len);
			rc = ENOSPC;
		}
	}
	sms_enc_free(user);
	sms_enc_free(pass);
	sms_enc_free(to);
	sms_enc_free(text);
	sms_enc_free(from);
	sms_enc_free(url);
	return rc;
}

/* Records what went wrong with a request to Kannel. */
static void
sms_kannel_error(enum evhttp_request_error err, void *arg)
{
	struct sms *s = arg;

	s->req_err = (int)err;
}

/* A request's error as a person reads it. */
static const char *
sms_req_err_name(int err)
{
	switch (err) {
	case EVREQ_HTTP_TIMEOUT:
		return "no answer within [sms] timeout";
	case EVREQ_HTTP_EOF:
		return "the connection was closed";
	case EVREQ_HTTP_INVALID_HEADER:
		return "an answer that is not HTTP";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "an answer too long";
	default:
		return "no connection";
	}
}

/*
 * Kannel's answer: 202 (accepted, or queued for later) is sent; a 5xx or
 * none is retried; any other (403: credentials or number, 400: number)
 * is a refusal that a retry would only repeat.
 */
static void
sms_kannel_done(struct evhttp_request *req, void *arg)
{
	struct sms *s = arg;
	const struct mgmtd_conf *c = &s->m->conf;
	struct evbuffer *in;
	char reply[SMS_REPLY_MAX + 1] = "", why[MGMTD_SMS_ERR_MAX];
	const unsigned char *p;
	int code = req ? evhttp_request_get_response_code(req) : 0;
	size_t n = 0;

	s->req = NULL;
	if (req != NULL && (in = evhttp_request_get_input_buffer(req)) !=
	    NULL && (n = evbuffer_get_length(in)) > 0) {
		if (n > SMS_REPLY_MAX)
			n = SMS_REPLY_MAX;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)n)) != NULL)
			sms_reason(reply, sizeof(reply), (const char *)p, n);
	}
	/* A delivery report may have come before the answer. */
	if (s->state != SMS_QUEUED)
		return;
	if (code >= 200 && code < 300) {
		snprintf(why, sizeof(why), "Kannel accepted it: %s", reply);
		sms_set_state(s, SMS_SENT, why);
	} else if (code == 0) {
		snprintf(why, sizeof(why), "Kannel at %s port %d: %s",
		    c->sms_kannel_addr, c->sms_kannel_port,
		    sms_req_err_name(s->req_err));
		sms_retry(s, why);
	} else if (code >= 500) {
		snprintf(why, sizeof(why), "Kannel answered %d: %s", code,
		    reply);
		sms_retry(s, why);
	} else {
		snprintf(why, sizeof(why), "Kannel refused it: %d: %s", code,
		    reply);
		sms_set_state(s, SMS_FAILED, why);
	}
}

int
sms_kannel_send(struct sms_kannel *k, struct sms *s, char *why,
    size_t whylen)
{
	const struct mgmtd_conf *c = &k->m->conf;
	struct evhttp_request *req;
	char uri[SMS_URI_MAX];
	int rc;

	if ((rc = sms_kannel_uri(c, s, s->cred->phone, k->dlr_base, uri,
	    sizeof(uri))) != 0) {
		snprintf(why, whylen, "cannot make the request: %s",
		    strerror(rc));
		return rc;
	}
	if ((req = evhttp_request_new(sms_kannel_done, s)) == NULL) {
		sodium_memzero(uri, sizeof(uri));
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	evhttp_request_set_error_cb(req, sms_kannel_error);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    c->sms_kannel_addr);
	s->req = req;
	s->req_err = -1;
	/* On failure evhttp has freed req without calling back. */
	rc = evhttp_make_request(k->conn, req, EVHTTP_REQ_GET, uri);
	sodium_memzero(uri, sizeof(uri));
	if (rc != 0) {
		s->req = NULL;
		snprintf(why, whylen, "Kannel at %s port %d: cannot connect",
		    c->sms_kannel_addr, c->sms_kannel_port);
		return EIO;
	}
	return 0;
}

/* A number of the query of a report, or -1. */
static long long
sms_query_num(const char *text)
{
	char *end;
	long long v;

	if (text == NULL || *text < '0' || *text > '9')
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	return *end != '\0' || errno != 0 ? -1 : v;
}

/*
 * Wipes the values of a parsed query before it is freed: one of them is
 * the token of a message, which evhttp_clear_headers() would leave in
 * freed memory.
 */
static void
sms_query_clear(struct evkeyvalq *query)
{
	struct evkeyval *kv;

	TAILQ_FOREACH(kv, query, next)
		sodium_memzero(kv->value, strlen(kv->value));
	evhttp_clear_headers(query);
}

/*
 * Kannel's delivery report: id=N&t=TOKEN&status=TYPE&a=REPLY.  A token of
 * another length is kept as "", so that it is refused as a wrong one is,
 * with a 404 once the message is looked up, not here.
 */
int
sms_kannel_dlr_parse(const char *query, struct sms_dlr *out, char *why,
    size_t whylen)
{
	const struct evkeyval *kv;
	struct evkeyvalq q;
	const char *token, *a;
	char key[65];
	long long id, type;
	int st, rc = EINVAL;

	memset(out, 0, sizeof(*out));
	TAILQ_INIT(&q);
	if (query == NULL || evhttp_parse_query_str(query, &q) != 0) {
		snprintf(why, whylen, "the query string is missing or "
		    "malformed");
		goto out;
	}
	TAILQ_FOREACH(kv, &q, next)
		if (strcmp(kv->key, "id") != 0 && strcmp(kv->key, "t") != 0 &&
		    strcmp(kv->key, "status") != 0 &&
		    strcmp(kv->key, "a") != 0) {
			/* Printable, so that the reason can go anywhere. */
			sms_reason(key, sizeof(key), kv->key, strlen(kv->key));
			snprintf(why, whylen, "unknown query parameter '%s'",
			    key);
			goto out;
		}
	id = sms_query_num(evhttp_find_header(&q, "id"));
	type = sms_query_num(evhttp_find_header(&q, "status"));
	token = evhttp_find_header(&q, "t");
	if (id < 0 || type < 0 || token == NULL) {
		snprintf(why, whylen, "id, t and status are required: id and "
		    "status as integers");
		goto out;
	}
	if ((st = type <= 255 ? sms_dlr_state((int)type) : -1) < 0) {
		snprintf(why, whylen, "status %lld is not a delivery report "
		    "type (1, 2, 4, 8 or 16)", type);
		goto out;
	}
	out->id = (int64_t)id;
	out->type = (int)type;
	out->state = (enum sms_state)st;
	if (strlen(token) == MGMTD_SMS_TOKEN_LEN)
		memcpy(out->token, token, MGMTD_SMS_TOKEN_LEN + 1);
	if ((a = evhttp_find_header(&q, "a")) != NULL)
		sms_reason(out->reply, sizeof(out->reply), a, strlen(a));
	rc = 0;
out:
	sms_query_clear(&q);
	return rc;
}

/*
 * Whether d carries token.  sodium_memcmp() takes as long whatever bytes
 * differ, so that the time of a 404 tells nobody how much of a guessed
 * token was right; the lengths are public (MGMTD_SMS_TOKEN_LEN).
 */
bool
sms_kannel_dlr_token_ok(const struct sms_dlr *d, const char *token)
{
	return strlen(d->token) == MGMTD_SMS_TOKEN_LEN &&
	    strlen(token) == MGMTD_SMS_TOKEN_LEN &&
	    sodium_memcmp(d->token, token, MGMTD_SMS_TOKEN_LEN) == 0;
}

/*
 * Kannel's delivery report: GET /dlr?id=N&t=TOKEN&status=TYPE&a=REPLY.
 * A report that names no message awaiting one, or with another token,
 * is refused alike: nobody else can move a message.
 */
static void
sms_on_dlr(struct evhttp_request *req, void *arg)
{
	struct sms_kannel *k = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct mgmtd_err e;
	struct sms_dlr d;
	struct sms *s;
	const char *path;
	char why[256], detail[MGMTD_SMS_ERR_MAX];
	json_t *body, *o;

	memset(&d, 0, sizeof(d));
	path = uri ? evhttp_uri_get_path(uri) : NULL;
	if (path == NULL || strcmp(path, "/dlr") != 0) {
		mgmtd_err_set(&e, 404, "not_found", "no such path");
		goto fail;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET");
		mgmtd_err_set(&e, 405, "method_not_allowed", "use GET");
		goto fail;
	}
	if (sms_kannel_dlr_parse(evhttp_uri_get_query(uri), &d, why,
	    sizeof(why)) != 0) {
		mgmtd_err_set(&e, 400, "invalid_query", "%s", why);
		goto fail;
	}
	s = sms_find_live(k->m, d.id);
	if (s == NULL || !sms_kannel_dlr_token_ok(&d, s->token)) {
		mgmtd_err_set(&e, 404, "not_found", "no SMS %lld awaits a "
		    "delivery report with that token", (long long)d.id);
		goto fail;
	}
	if (sms_may_follow(s->state, d.state)) {
		snprintf(detail, sizeof(detail), "delivery report %d%s%s",
		    d.type, d.reply[0] ? ": " : "", d.reply);
		sms_set_state(s, d.state, detail);
	} else
		log_debug("sms", "%lld: report %d after %s changes nothing",
		    (long long)d.id, d.type, sms_state_name(s->state));
	o = json_object();
	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "state", json_string(sms_state_name(
	    s->state)));
	body = json_object();
	json_object_set_new(body, "sms", o);
	sodium_memzero(&d, sizeof(d));
	api_reply(req, 200, body);
	return;
fail:
	sodium_memzero(&d, sizeof(d));
	api_reply_err(req, &e);
}

/* Listens for Kannel's delivery reports on [sms] dlr_address and port. */
static int
sms_dlr_start(struct sms_kannel *k, char *why, size_t whylen)
{
	const struct mgmtd_conf *c = &k->m->conf;
	bool v6 = strchr(c->sms_dlr_addr, ':') != NULL;

	if ((k->dlr = evhttp_new(k->m->base)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	evhttp_set_max_body_size(k->dlr, 1024);
	evhttp_set_max_headers_size(k->dlr, 8192);
	evhttp_set_timeout(k->dlr, 30);
	evhttp_set_allowed_methods(k->dlr, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(k->dlr, sms_on_dlr, k);
	if (evhttp_bind_socket_with_handle(k->dlr, c->sms_dlr_addr,
	    (uint16_t)c->sms_dlr_port) == NULL) {
		snprintf(why, whylen, "[sms] cannot listen for delivery "
		    "reports on %s port %d: %s", c->sms_dlr_addr,
		    c->sms_dlr_port, strerror(errno ? errno : EADDRINUSE));
		return EADDRINUSE;
	}
	snprintf(k->dlr_base, sizeof(k->dlr_base), "http://%s%s%s:%d/dlr",
	    v6 ? "[" : "", c->sms_dlr_addr, v6 ? "]" : "", c->sms_dlr_port);
	log_notice("sms", "delivery reports on %s", k->dlr_base);
	return 0;
}

void
sms_kannel_abandon(struct sms *s)
{
	if (s->req == NULL)
		return;
	/* Cancelling calls the error callback: s must not hear it. */
	evhttp_request_set_error_cb(s->req, NULL);
	evhttp_cancel_request(s->req);
	s->req = NULL;
}

int
sms_kannel_new(struct mgmtd *m, struct sms_kannel **out, char *why,
    size_t whylen)
{
	const struct mgmtd_conf *c = &m->conf;
	struct sms_kannel *k;
	struct timeval tv;
	int rc;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->conn = evhttp_connection_base_new(m->base, NULL,
	    c->sms_kannel_addr, (uint16_t)c->sms_kannel_port)) == NULL) {
		free(k);
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	k->m = m;
	tv.tv_sec = (time_t)(c->sms_timeout / 1000);
	tv.tv_usec = (suseconds_t)(c->sms_timeout % 1000) * 1000;
	evhttp_connection_set_timeout_tv(k->conn, &tv);
	/* mgmtd retries itself, with backoff and a record of it. */
	evhttp_connection_set_retries(k->conn, 0);
	if (c->sms_dlr_port != 0 && (rc = sms_dlr_start(k, why, whylen)) != 0) {
		sms_kannel_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void
sms_kannel_free(struct sms_kannel *k)
{
	if (k == NULL)
		return;
	evhttp_connection_free(k->conn);
	if (k->dlr != NULL)
		evhttp_free(k->dlr);
	free(k);
}
