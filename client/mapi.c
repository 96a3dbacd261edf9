/*
 * mapi: a small client of mgmtd's HTTPS JSON API (docs/api.md).
 *
 * confcli sends one request at a time and waits for it, so each request
 * runs the event loop until its answer (or failure) arrives and then gets
 * a connection of its own, freed after the loop returns, never inside the
 * request's callback.  The server's certificate is verified against the
 * CA file given, or the system's CAs, and must name the host of the URL:
 * its IP address when the URL has one, else its DNS name.  When no answer
 * comes, the message says why in a person's words: nothing listens there,
 * no answer in time, or a certificate that is not trusted.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <netdb.h>
#include <poll.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "confcli.h"

#define MAPI_MAX_BODY	(4 * 1024 * 1024)
#define MAPI_HOST_MAX	256

struct mapi {
	struct event_base	*base;		/* borrowed */
	SSL_CTX			*ssl;		/* owned; NULL: plain HTTP */
	char			 url[CONFCLI_URL_MAX];	/* for messages */
	char			 host[MAPI_HOST_MAX];
	int			 port;
	bool			 ip_host;	/* host is an address */
	char			 auth[CONFCLI_KEY_MAX + 8];	/* wiped */
	int			 timeout_s;
};

/* One request in flight, on the stack of mapi_call(). */
struct mapi_req {
	struct event_base	*base;
	struct mapi_res		*res;
	bool			 done;
	int			 error;		/* enum evhttp_request_error */
	bool			 failed;
};

/* Whether host names this machine, so that plain HTTP stays on it. */
static bool
mapi_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

int
mapi_url_parse(const char *url, bool *tls, char *host, size_t hostlen,
    int *port, char *why, size_t whylen)
{
	struct evhttp_uri *u;
	const char *scheme, *h, *path;
	int err = EINVAL;

	if ((u = evhttp_uri_parse_with_flags(url, 0)) == NULL) {
		snprintf(why, whylen, "'%s' is not a URL such as %s", url,
		    CONFCLI_URL_DEFAULT);
		return EINVAL;
	}
	scheme = evhttp_uri_get_scheme(u);
	h = evhttp_uri_get_host(u);
	path = evhttp_uri_get_path(u);
	if (scheme == NULL || (strcmp(scheme, "https") != 0 &&
	    strcmp(scheme, "http") != 0) || h == NULL || h[0] == '\0') {
		snprintf(why, whylen, "'%s' is not a URL such as %s", url,
		    CONFCLI_URL_DEFAULT);
		goto out;
	}
	if (evhttp_uri_get_userinfo(u) != NULL ||
	    evhttp_uri_get_query(u) != NULL ||
	    evhttp_uri_get_fragment(u) != NULL ||
	    (path != NULL && path[0] != '\0' && strcmp(path, "/") != 0)) {
		snprintf(why, whylen, "'%s': give mgmtd's URL without a path, "
		    "user or query, such as %s", url, CONFCLI_URL_DEFAULT);
		goto out;
	}
	if (strlen(h) >= hostlen) {
		snprintf(why, whylen, "'%s': the host name is too long", url);
		goto out;
	}
	/* evhttp_uri keeps an IPv6 literal in its brackets. */
	if (h[0] == '[') {
		snprintf(host, hostlen, "%s", h + 1);
		host[strcspn(host, "]")] = '\0';
	} else
		snprintf(host, hostlen, "%s", h);
	*tls = strcmp(scheme, "https") == 0;
	*port = evhttp_uri_get_port(u);
	if (*port == -1)
		*port = *tls ? 443 : 80;
	if (*port < 1 || *port > 65535) {
		snprintf(why, whylen, "'%s': the port is not 1..65535", url);
		goto out;
	}
	if (!*tls && !mapi_loopback(host)) {
		snprintf(why, whylen, "'%s': plain HTTP would show the API "
		    "key to the network; use https:// (plain HTTP is only for "
		    "a mgmtd on this machine)", url);
		goto out;
	}
	err = 0;
out:
	evhttp_uri_free(u);
	return err;
}

/* Sets up TLS towards mgmtd: its certificate must name m->host. */
static int
mapi_tls(struct mapi *m, const char *ca, char *why, size_t whylen)
{
	X509_VERIFY_PARAM *vp;
	int ok;

	if ((m->ssl = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(why, whylen, "cannot create a TLS context");
		return ENOMEM;
	}
	SSL_CTX_set_min_proto_version(m->ssl, TLS1_2_VERSION);
	SSL_CTX_set_verify(m->ssl, SSL_VERIFY_PEER, NULL);
	if (ca[0] != '\0') {
		if (access(ca, R_OK) != 0) {
			snprintf(why, whylen, "cannot read the CA file %s: %s",
			    ca, strerror(errno));
			return ENOENT;
		}
		ok = SSL_CTX_load_verify_locations(m->ssl, ca, NULL);
	} else
		ok = SSL_CTX_set_default_verify_paths(m->ssl);
	if (ok != 1) {
		snprintf(why, whylen, "cannot load the CA certificates %s%s",
		    ca[0] != '\0' ? "of " : "of the system", ca);
		return EINVAL;
	}
	vp = SSL_CTX_get0_param(m->ssl);
	ok = m->ip_host ? X509_VERIFY_PARAM_set1_ip_asc(vp, m->host) :
	    X509_VERIFY_PARAM_set1_host(vp, m->host, 0);
	if (ok != 1) {
		snprintf(why, whylen, "cannot check certificates for %s",
		    m->host);
		return EINVAL;
	}
	return 0;
}

int
mapi_new(struct mapi **out, struct event_base *base,
    const struct settings *s, char *why, size_t whylen)
{
	struct in6_addr a6;
	struct mapi *m;
	bool tls;
	int err;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	m->base = base;
	m->timeout_s = CONFCLI_TIMEOUT_S;
	snprintf(m->url, sizeof(m->url), "%s", s->url);
	if ((err = mapi_url_parse(s->url, &tls, m->host, sizeof(m->host),
	    &m->port, why, whylen)) != 0)
		goto fail;
	m->ip_host = inet_pton(AF_INET, m->host, &a6) == 1 ||
	    inet_pton(AF_INET6, m->host, &a6) == 1;
	if (tls && (err = mapi_tls(m, s->ca, why, whylen)) != 0)
		goto fail;
	snprintf(m->auth, sizeof(m->auth), "Bearer %s", s->key);
	*out = m;
	return 0;
fail:
	mapi_free(m);
	return err;
}

void
mapi_free(struct mapi *m)
{
	if (m == NULL)
		return;
	if (m->ssl != NULL)
		SSL_CTX_free(m->ssl);
	sodium_memzero(m->auth, sizeof(m->auth));
	free(m);
}

/* A new connection for one request, or NULL. */
static struct evhttp_connection *
mapi_connect(struct mapi *m)
{
	struct evhttp_connection *conn;
	struct bufferevent *bev;
	SSL *ssl;

	if (m->ssl != NULL) {
		if ((ssl = SSL_new(m->ssl)) == NULL)
			return NULL;
		/* SNI, for a mgmtd behind a name-based TLS front. */
		if (!m->ip_host)
			SSL_set_tlsext_host_name(ssl, m->host);
		bev = bufferevent_openssl_socket_new(m->base, -1, ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
		if (bev == NULL) {
			SSL_free(ssl);
			return NULL;
		}
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else if ((bev = bufferevent_socket_new(m->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	conn = evhttp_connection_base_bufferevent_new(m->base, NULL, bev,
	    m->host, (unsigned short)m->port);
	if (conn == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	evhttp_connection_set_timeout(conn, m->timeout_s);
	evhttp_connection_set_retries(conn, 0);
	evhttp_connection_set_max_body_size(conn, MAPI_MAX_BODY);
	return conn;
}

static void
mapi_on_error(enum evhttp_request_error error, void *arg)
{
	struct mapi_req *r = arg;

	r->failed = true;
	r->error = (int)error;
}

static void
mapi_on_done(struct evhttp_request *req, void *arg)
{
	struct mapi_req *r = arg;
	struct evbuffer *in;
	json_error_t jerr;
	size_t len;

	r->done = true;
	/* Keep-alive leaves the connection's events pending: leave now. */
	event_base_loopbreak(r->base);
	if (req != NULL && evhttp_request_get_response_code(req) != 0) {
		r->res->status = evhttp_request_get_response_code(req);
		in = evhttp_request_get_input_buffer(req);
		len = evbuffer_get_length(in);
		if (len > 0)
			r->res->body = json_loadb((const char *)
			    evbuffer_pullup(in, -1), len,
			    JSON_REJECT_DUPLICATES, &jerr);
	}
}

/*
 * Connects to mgmtd once more, without TLS or HTTP, to learn why a
 * request got no answer; 0 when something listens, an errno, or an
 * EAI_* value (negative) when the name does not resolve.
 */
static int
mapi_probe(const struct mapi *m)
{
	struct addrinfo hints, *ai = NULL;
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	char port[8];
	int fd, err = 0, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", m->port);
	if ((rc = getaddrinfo(m->host, port, &hints, &ai)) != 0)
		return rc;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		err = errno;
	else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		err = errno;
		if (err == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			err = poll(&pfd, 1, 3000) <= 0 ? ETIMEDOUT :
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) ==
			    -1 ? errno : err;
		}
	}
	if (fd != -1)
		close(fd);
	freeaddrinfo(ai);
	return err;
}

/*
 * Why no answer came, for a person: the certificate, the address, the
 * time.  ssl is the connection's TLS session, or NULL.
 */
static void
mapi_why_none(const struct mapi *m, const struct mapi_req *r, SSL *ssl,
    struct mapi_res *res)
{
	unsigned long e;
	long v;
	int err;

	if (ssl != NULL && (v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		snprintf(res->msg, sizeof(res->msg), "the certificate of "
		    "mgmtd at %s is not trusted: %s%s", m->url,
		    X509_verify_cert_error_string(v),
		    v == X509_V_ERR_IP_ADDRESS_MISMATCH ||
		    v == X509_V_ERR_HOSTNAME_MISMATCH ? "" : " (give the CA "
		    "that signed it with --ca or CONFCLI_CA)");
		return;
	}
	if (r->failed && r->error == EVREQ_HTTP_TIMEOUT) {
		snprintf(res->msg, sizeof(res->msg), "mgmtd at %s does not "
		    "answer: nothing came back within %d s", m->url,
		    m->timeout_s);
		return;
	}
	/* evhttp drops the socket's error: one more try finds it. */
	err = mapi_probe(m);
	if (err < 0) {
		snprintf(res->msg, sizeof(res->msg), "mgmtd at %s does not "
		    "answer: cannot find %s: %s", m->url, m->host,
		    gai_strerror(err));
		return;
	}
	if (err != 0) {
		snprintf(res->msg, sizeof(res->msg), "mgmtd at %s does not "
		    "answer: %s", m->url, err == ECONNREFUSED ? "nothing "
		    "listens at that port (connection refused)" :
		    strerror(err));
		return;
	}
	if (ssl != NULL && (e = ERR_peek_last_error()) != 0) {
		snprintf(res->msg, sizeof(res->msg), "no TLS connection to "
		    "mgmtd at %s: %s", m->url, ERR_reason_error_string(e) ?
		    ERR_reason_error_string(e) : "handshake failed");
		return;
	}
	snprintf(res->msg, sizeof(res->msg), "mgmtd at %s does not answer: "
	    "the connection failed or was closed%s", m->url, m->ssl != NULL ?
	    "" : " (if it speaks HTTPS, use https://)");
}

int
mapi_call(struct mapi *m, enum evhttp_cmd_type type, const char *path,
    json_t *body, struct mapi_res *res)
{
	struct evhttp_connection *conn;
	struct evhttp_request *req;
	struct bufferevent *bev;
	struct evkeyvalq *h;
	struct mapi_req r;
	char hostport[MAPI_HOST_MAX + 16], *text = NULL;
	SSL *ssl;
	int err = 0;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.res = res;
	r.base = m->base;
	ERR_clear_error();
	if ((conn = mapi_connect(m)) == NULL ||
	    (req = evhttp_request_new(mapi_on_done, &r)) == NULL) {
		snprintf(res->msg, sizeof(res->msg), "out of memory");
		if (conn != NULL)
			evhttp_connection_free(conn);
		return ENOMEM;
	}
	evhttp_request_set_error_cb(req, mapi_on_error);
	h = evhttp_request_get_output_headers(req);
	snprintf(hostport, sizeof(hostport), strchr(m->host, ':') ?
	    "[%s]:%d" : "%s:%d", m->host, m->port);
	evhttp_add_header(h, "Host", hostport);
	/* confcli moved needs no key: then none is sent. */
	if (strcmp(m->auth, "Bearer ") != 0)
		evhttp_add_header(h, "Authorization", m->auth);
	evhttp_add_header(h, "Accept", "application/json");
	if (body != NULL) {
		if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
			evhttp_request_free(req);
			evhttp_connection_free(conn);
			snprintf(res->msg, sizeof(res->msg), "out of memory");
			return ENOMEM;
		}
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), text,
		    strlen(text));
		free(text);
	}
	if (evhttp_make_request(conn, req, type, path) != 0) {
		/* On failure evhttp has freed the request. */
		evhttp_connection_free(conn);
		snprintf(res->msg, sizeof(res->msg), "cannot send a request to "
		    "mgmtd at %s", m->url);
		return EIO;
	}
	/* 1: nothing is pending any more, so nothing will come. */
	while (!r.done && event_base_dispatch(m->base) == 0)
		;
	if (!r.done) {
		evhttp_cancel_request(req);
		r.failed = true;
	}
	bev = evhttp_connection_get_bufferevent(conn);
	ssl = m->ssl != NULL && bev != NULL ? bufferevent_openssl_get_ssl(bev) :
	    NULL;
	if (res->status == 0) {
		mapi_why_none(m, &r, ssl, res);
		err = r.failed && r.error == EVREQ_HTTP_TIMEOUT ? ETIMEDOUT :
		    EHOSTUNREACH;
	} else
		mapi_res_explain(res);
	evhttp_connection_free(conn);
	return err;
}

void
mapi_res_explain(struct mapi_res *res)
{
	const char *code = NULL, *msg = NULL;

	res->code[0] = '\0';
	if (res->status >= 200 && res->status < 300) {
		res->msg[0] = '\0';
		return;
	}
	if (res->body != NULL)
		json_unpack(res->body, "{s:{s?s, s?s}}", "error", "code",
		    &code, "message", &msg);
	if (code != NULL)
		snprintf(res->code, sizeof(res->code), "%s", code);
	if (msg != NULL && msg[0] != '\0')
		snprintf(res->msg, sizeof(res->msg), "%s", msg);
	else
		snprintf(res->msg, sizeof(res->msg), "mgmtd answered HTTP %d "
		    "without saying why", res->status);
}

int
mapi_exit(const struct mapi_res *res)
{
	int s = res->status;

	if (s == 0)
		return CONFCLI_EX_UNAVAILABLE;
	if (s >= 200 && s < 300)
		return CONFCLI_EX_OK;
	if (s == 401 || s == 403)
		return CONFCLI_EX_NOPERM;
	if (s == 409 && strcmp(res->code, "no_capacity") == 0)
		return CONFCLI_EX_NOCAPACITY;
	/* What was asked is wrong, or names what does not (now) exist. */
	if (s == 400 || s == 404 || (s == 409 &&
	    (strcmp(res->code, "cancelled") == 0 ||
	    strcmp(res->code, "ended") == 0)))
		return CONFCLI_EX_DATAERR;
	if (s >= 500)
		return CONFCLI_EX_TEMPFAIL;
	return CONFCLI_EX_FAIL;
}

void
mapi_res_clear(struct mapi_res *res)
{
	json_decref(res->body);
	res->body = NULL;
}
