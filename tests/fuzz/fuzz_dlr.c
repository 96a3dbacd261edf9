/*
 * fuzz_dlr: Kannel's delivery reports to mgmtd's report listener
 * (sms_kannel_dlr_parse() and sms_kannel_dlr_token_ok() of
 * mgmtd/sms_kannel.c), without the listener, the store or an SMS.  The
 * listener takes them from anyone who reaches it, so every byte is the
 * sender's.
 *
 * The first byte picks what the rest is: bit 0 clear, the query string
 * itself; bit 0 set, the request target of a GET line, split by libevent
 * as evhttp does (EVHTTP_URI_NONCONFORMANT) into its query, if any.  The
 * rest is the bytes, up to the first NUL.  A report must be refused with
 * EINVAL, a reason a client can be sent (non-empty, not cut short,
 * printable ASCII) and nothing kept; or taken with an id of 0 or more and
 * a status Kannel defines for dlr-mask 31 (1, 2, 4, 8, 16), both equal to
 * what the query says, the state the status leads to, a token that is
 * the one given or "", and a reply of printable ASCII that fits.  The
 * token is accepted exactly when it is the SMS's.  No leak.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "../../mgmtd/mgmtd.h"
#include "fuzz.h"

/* The token of the SMS the reports are checked against. */
static const char sms_token[] = "0123456789abcdef0123456789abcdef";

/* Whether s is non-empty printable ASCII shorter than max. */
static FUZZ_NO_COVERAGE bool
printable(const char *s, size_t max)
{
	size_t i, len = strnlen(s, max);

	if (len >= max)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* A refusal: see the header. */
static FUZZ_NO_COVERAGE void
check_refused(int rc, const struct sms_dlr *d, const char *why,
    size_t whylen)
{
	static const struct sms_dlr zero;
	size_t len = strnlen(why, whylen);

	FUZZ_CHECK(rc == EINVAL);
	FUZZ_CHECK(memcmp(d, &zero, sizeof(zero)) == 0);
	/* Not cut short: a reason that fills the buffer may have been. */
	FUZZ_CHECK(len > 0 && len < whylen - 1);
	FUZZ_CHECK(printable(why, whylen));
	FUZZ_CHECK(why[0] != ' ' && why[len - 1] != ' ');
}

/* What an accepted report holds, against libevent's own reading of it. */
static FUZZ_NO_COVERAGE void
check_taken(const char *query, const struct sms_dlr *d)
{
	struct evkeyvalq q;
	const char *id, *status, *t, *a;
	char detail[MGMTD_SMS_ERR_MAX];
	size_t i;
	int n;

	FUZZ_CHECK(query != NULL);
	TAILQ_INIT(&q);
	FUZZ_CHECK(evhttp_parse_query_str(query, &q) == 0);
	id = evhttp_find_header(&q, "id");
	status = evhttp_find_header(&q, "status");
	t = evhttp_find_header(&q, "t");
	a = evhttp_find_header(&q, "a");
	FUZZ_CHECK(id != NULL && status != NULL && t != NULL);
	FUZZ_CHECK(d->id >= 0 && d->id == strtoll(id, NULL, 10));
	FUZZ_CHECK(d->type == 1 || d->type == 2 || d->type == 4 ||
	    d->type == 8 || d->type == 16);
	FUZZ_CHECK(d->type == strtoll(status, NULL, 10));
	FUZZ_CHECK((int)d->state == sms_dlr_state(d->type));
	FUZZ_CHECK(d->state == SMS_SENT || d->state == SMS_BUFFERED ||
	    d->state == SMS_DELIVERED || d->state == SMS_FAILED);
	if (strlen(t) == MGMTD_SMS_TOKEN_LEN)
		FUZZ_CHECK(strcmp(d->token, t) == 0);
	else
		FUZZ_CHECK(d->token[0] == '\0');
	FUZZ_CHECK(memchr(d->reply, '\0', sizeof(d->reply)) != NULL);
	FUZZ_CHECK(d->reply[0] == '\0' || printable(d->reply,
	    sizeof(d->reply)));
	/* The reply is a's first line, with '?' for what is not printable. */
	for (i = 0; d->reply[i] != '\0'; i++)
		FUZZ_CHECK(a != NULL && (d->reply[i] == a[i] ||
		    d->reply[i] == '?'));
	FUZZ_CHECK(a == NULL || i == strlen(a) || i == MGMTD_SMS_REPLY_MAX ||
	    a[i] == '\n' || a[i] == '\r');
	/* The reason sms_on_dlr() gives the new state fits it. */
	n = snprintf(detail, sizeof(detail), "delivery report %d%s%s",
	    d->type, d->reply[0] ? ": " : "", d->reply);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(detail));
	evhttp_clear_headers(&q);
}

/* The token comparison agrees with strcmp() whatever the report holds. */
static FUZZ_NO_COVERAGE void
check_token(struct sms_dlr *d)
{
	bool same = strcmp(d->token, sms_token) == 0;
	char other[MGMTD_SMS_TOKEN_LEN + 1];

	FUZZ_CHECK(sms_kannel_dlr_token_ok(d, sms_token) == same);
	FUZZ_CHECK(!sms_kannel_dlr_token_ok(d, ""));
	if (d->token[0] == '\0')
		return;
	FUZZ_CHECK(sms_kannel_dlr_token_ok(d, d->token));
	/* One changed character, at the end where a strcmp() stops last. */
	memcpy(other, d->token, sizeof(other));
	other[MGMTD_SMS_TOKEN_LEN - 1] ^= 1;
	FUZZ_CHECK(!sms_kannel_dlr_token_ok(d, other));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evhttp_uri *uri = NULL;
	struct sms_dlr d;
	const char *query;
	char *buf, why[256];
	int rc;

	if (size < 1)
		return 0;
	/* An exact-size string, so that a read past its end is caught. */
	buf = malloc(size);
	if (buf == NULL)
		abort();
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	query = buf;
	if (data[0] & 1) {
		uri = evhttp_uri_parse_with_flags(buf,
		    EVHTTP_URI_NONCONFORMANT);
		if (uri == NULL) {
			free(buf);
			return 0;
		}
		query = evhttp_uri_get_query(uri);
	}
	memset(why, 0, sizeof(why));
	memset(&d, 0xa5, sizeof(d));
	rc = sms_kannel_dlr_parse(query, &d, why, sizeof(why));
	if (rc != 0)
		check_refused(rc, &d, why, sizeof(why));
	else {
		check_taken(query, &d);
		check_token(&d);
	}
	if (uri != NULL)
		evhttp_uri_free(uri);
	free(buf);
	return 0;
}
