/*
 * tls: the OpenSSL context of the HTTPS API, and the bufferevents that
 * evhttp reads and writes through it (evhttp_set_bevcb).  TLS 1.2 is the
 * least accepted; the certificate and key are read once, at start, so that
 * a bad file stops mgmtd before it serves anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mgmtd.h"

struct tls {
	SSL_CTX	*ctx;
};

/* Fills why with what went wrong and OpenSSL's first error. */
static int
tls_fail(const char *what, const char *path, char *why, size_t whylen)
{
	char err[256];
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "unknown error");
	snprintf(why, whylen, "%s%s%s: %s", path ? path : "", path ? ": " : "",
	    what, err);
	ERR_clear_error();
	return EINVAL;
}

int
tls_new(struct tls **out, const char *cert, const char *key, char *why,
    size_t whylen)
{
	struct tls *t;
	int rc;

	/* OpenSSL's messages for a missing file are obscure; be plain. */
	if (access(cert, R_OK) != 0 || access(key, R_OK) != 0) {
		rc = errno;
		snprintf(why, whylen, "%s: cannot read: %s", access(cert,
		    R_OK) != 0 ? cert : key, strerror(rc));
		return rc;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	if ((t->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		rc = tls_fail("cannot create a TLS context", NULL, why, whylen);
		goto fail;
	}
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1) {
		rc = tls_fail("not a PEM certificate", cert, why, whylen);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1) {
		rc = tls_fail("not a PEM private key of the certificate", key,
		    why, whylen);
		goto fail;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		rc = tls_fail("the key does not match the certificate", key,
		    why, whylen);
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tls_free(t);
	return rc;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

struct bufferevent *
tls_bevcb(struct event_base *base, void *arg)
{
	struct tls *t = arg;
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(t->ctx)) == NULL)
		return NULL;
	/* The bufferevent owns ssl from here and frees it with itself. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* A client that closes without close_notify loses only itself. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}
