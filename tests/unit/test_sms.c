/*
 * Unit tests of the SMS of code 2 (mgmtd/sms.c) and what the store keeps
 * of it (mgmtd/store.c): the states and the order reports may come in, the
 * backoff, the text and the Kannel request made from a code 2, the SSRC
 * clash rule of access codes, and the text leaving the store's files once
 * the SMS no longer needs it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "../../mgmtd/mgmtd.h"
#include "check.h"

/* The IPv6 vector of docs/access-codes.md. */
static const char t_code2[] = "2P2RR-V5CX9-MPPV4-BFE55-SQAXQ-VSFDZ-YQYYP-"
    "BCV9Q-46GD6-JFWFM-F2M2E-FBWTV-S8TWM-048AT-MYVCR-H000D";
static const char t_text[] = "Conference code 2: 2P2RR-V5CX9-MPPV4-BFE55-"
    "SQAXQ-VSFDZ-YQYYP-BCV9Q-46GD6-JFWFM-F2M2E-FBWTV-S8TWM-048AT-MYVCR-"
    "H000D valid until 2026-12-01 11:00 UTC";
#define T_EXPIRES	1796122800

static char t_dir[64];

static void
t_mkdir(void)
{
	snprintf(t_dir, sizeof(t_dir), "/tmp/test_sms.XXXXXX");
	if (mkdtemp(t_dir) == NULL)
		abort();
}

static void
t_rmdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
	if (system(cmd) != 0)
		printf("#   cannot remove %s\n", t_dir);
}

/* Whether the file dir/name holds the bytes of text anywhere. */
static int
t_file_has(const char *name, const char *text)
{
	char path[128], *buf;
	size_t n, len = strlen(text), i;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	if ((buf = malloc(1 << 22)) == NULL)
		abort();
	n = fread(buf, 1, 1 << 22, f);
	fclose(f);
	for (i = 0; i + len <= n && !found; i++)
		found = memcmp(buf + i, text, len) == 0;
	free(buf);
	return found;
}

/* Counts the rows of a query on the store's file. */
static long long
t_sql(const char *sql)
{
	return check_store_sql(t_dir, sql);
}

static void
test_names(void)
{
	int i;

	for (i = SMS_QUEUED; i <= SMS_CANCELLED; i++)
		CHECK_INT(sms_state_parse(sms_state_name((enum sms_state)i)),
		    ==, i);
	CHECK_STR(sms_state_name(SMS_BUFFERED), "buffered");
	CHECK_INT(sms_state_parse("Sent"), ==, -1);
	CHECK_INT(sms_state_parse(""), ==, -1);
	CHECK_STR(sms_channel_name(SMS_CH_KANNEL), "kannel");
	CHECK_STR(sms_channel_name(SMS_CH_EXEC), "exec");
	CHECK_STR(sms_channel_name(SMS_CH_NONE), "none");
	CHECK(!sms_final(SMS_QUEUED) && !sms_final(SMS_SENT) &&
	    !sms_final(SMS_BUFFERED));
	CHECK(sms_final(SMS_DELIVERED) && sms_final(SMS_FAILED) &&
	    sms_final(SMS_UNSENT) && sms_final(SMS_CANCELLED));
}

/* Kannel's report types (its dlr-mask bits) and the order they may come. */
static void
test_reports(void)
{
	CHECK_INT(sms_dlr_state(1), ==, SMS_DELIVERED);
	CHECK_INT(sms_dlr_state(2), ==, SMS_FAILED);
	CHECK_INT(sms_dlr_state(4), ==, SMS_BUFFERED);
	CHECK_INT(sms_dlr_state(8), ==, SMS_SENT);
	CHECK_INT(sms_dlr_state(16), ==, SMS_FAILED);
	CHECK_INT(sms_dlr_state(0), ==, -1);
	CHECK_INT(sms_dlr_state(3), ==, -1);
	CHECK_INT(sms_dlr_state(32), ==, -1);
	/* The fake SMS centre reports 8 and 1 at once, in either order. */
	CHECK(sms_may_follow(SMS_QUEUED, SMS_SENT));
	CHECK(sms_may_follow(SMS_QUEUED, SMS_DELIVERED));
	CHECK(sms_may_follow(SMS_SENT, SMS_DELIVERED));
	CHECK(sms_may_follow(SMS_SENT, SMS_BUFFERED));
	CHECK(sms_may_follow(SMS_BUFFERED, SMS_FAILED));
	CHECK(!sms_may_follow(SMS_SENT, SMS_SENT));
	CHECK(!sms_may_follow(SMS_BUFFERED, SMS_SENT));
	CHECK(!sms_may_follow(SMS_DELIVERED, SMS_SENT));
	CHECK(!sms_may_follow(SMS_DELIVERED, SMS_FAILED));
	CHECK(!sms_may_follow(SMS_FAILED, SMS_DELIVERED));
	CHECK(!sms_may_follow(SMS_CANCELLED, SMS_SENT));
	CHECK(!sms_may_follow(SMS_SENT, SMS_QUEUED));
}

static void
test_backoff(void)
{
	struct mgmtd_conf c;
	int n;

	memset(&c, 0, sizeof(c));
	c.sms_retry_min = 1000;
	c.sms_retry_max = 300000;
	CHECK_INT(sms_backoff(&c, 1), ==, 1000);
	CHECK_INT(sms_backoff(&c, 2), ==, 2000);
	CHECK_INT(sms_backoff(&c, 3), ==, 4000);
	CHECK_INT(sms_backoff(&c, 9), ==, 256000);
	CHECK_INT(sms_backoff(&c, 10), ==, 300000);
	/* Many attempts stay at the longest delay: no overflow. */
	for (n = 10; n <= 1000; n++)
		CHECK_INT(sms_backoff(&c, n), ==, 300000);
	c.sms_retry_min = c.sms_retry_max = 100;
	CHECK_INT(sms_backoff(&c, 1), ==, 100);
	CHECK_INT(sms_backoff(&c, 7), ==, 100);
	c.sms_retry_min = 300;
	c.sms_retry_max = 1000;
	CHECK_INT(sms_backoff(&c, 2), ==, 600);
	CHECK_INT(sms_backoff(&c, 3), ==, 1000);
}

static void
test_new(void)
{
	struct mgmtd_conf c;
	struct sms *s;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.sms_channel = SMS_CH_EXEC;
	CHECK_INT(sms_new(&c, t_code2, T_EXPIRES, 1796119200, &s), ==, 0);
	CHECK_STR(s->text, t_text);
	CHECK_INT(s->state, ==, SMS_QUEUED);
	CHECK_INT(s->channel, ==, SMS_CH_EXEC);
	CHECK_INT(s->attempts, ==, 0);
	CHECK_INT(s->next_at, ==, 1796119200LL * 1000);
	CHECK_INT(s->nhist, ==, 1);
	CHECK_INT(s->hist[0].state, ==, SMS_QUEUED);
	CHECK_INT(strlen(s->token), ==, MGMTD_SMS_TOKEN_LEN);
	for (i = 0; i < MGMTD_SMS_TOKEN_LEN; i++)
		CHECK(strchr("0123456789abcdef", s->token[i]) != NULL);
	sms_free(s);
	/* Without a channel, nothing keeps code 2. */
	c.sms_channel = SMS_CH_NONE;
	CHECK_INT(sms_new(&c, t_code2, T_EXPIRES, 1796119200, &s), ==, 0);
	CHECK_INT(s->state, ==, SMS_UNSENT);
	CHECK_STR(s->text, "");
	CHECK(strstr(s->error, "channel is none") != NULL);
	sms_free(s);
	CHECK_INT(sms_new(&c, "2P2RR V5CX9", T_EXPIRES, 0, &s), ==, EINVAL);
	CHECK(s == NULL);
}

static void
test_kannel_uri(void)
{
	struct mgmtd_conf c;
	struct sms *s;
	char buf[2048];

	memset(&c, 0, sizeof(c));
	c.sms_channel = SMS_CH_KANNEL;
	snprintf(c.sms_kannel_user, sizeof(c.sms_kannel_user), "u s");
	snprintf(c.sms_kannel_password, sizeof(c.sms_kannel_password),
	    "p+w&");
	CHECK_INT(sms_new(&c, t_code2, T_EXPIRES, 1796119200, &s), ==, 0);
	s->id = 42;
	snprintf(s->token, sizeof(s->token), "00112233445566778899aabbccddeeff");
	CHECK_INT(sms_kannel_uri(&c, s, "+4930123456", "", buf, sizeof(buf)),
	    ==, 0);
	CHECK_STR(buf, "/cgi-bin/sendsms?username=u%20s&password=p%2Bw%26&"
	    "to=%2B4930123456&text=Conference%20code%202%3A%202P2RR-V5CX9-"
	    "MPPV4-BFE55-SQAXQ-VSFDZ-YQYYP-BCV9Q-46GD6-JFWFM-F2M2E-FBWTV-"
	    "S8TWM-048AT-MYVCR-H000D%20valid%20until%202026-12-01%2011%3A00"
	    "%20UTC");
	snprintf(c.sms_sender, sizeof(c.sms_sender), "4930999");
	CHECK_INT(sms_kannel_uri(&c, s, "+4930123456",
	    "http://127.0.0.1:8080/dlr", buf, sizeof(buf)), ==, 0);
	CHECK(strstr(buf, "UTC&from=4930999&dlr-mask=31&dlr-url=http%3A%2F%2F"
	    "127.0.0.1%3A8080%2Fdlr%3Fid%3D42%26t%3D00112233445566778899aabb"
	    "ccddeeff%26status%3D%25d%26a%3D%25A") != NULL);
	CHECK(strstr(buf + strlen(buf) - 10, "%3D%25A") != NULL);
	/* Too small: nothing of the password or the code is left. */
	memset(buf, 'x', sizeof(buf));
	CHECK_INT(sms_kannel_uri(&c, s, "+4930123456", "", buf, 100), ==,
	    ENOSPC);
	CHECK_INT(buf[0], ==, 0);
	CHECK_INT(buf[99], ==, 0);
	sms_free(s);
}

/* The query of a delivery report, and its token compared. */
static void
test_kannel_dlr(void)
{
	static const char tok[] = "00112233445566778899aabbccddeeff";
	struct sms_dlr d;
	char why[256], q[256];

	snprintf(q, sizeof(q), "id=42&t=%s&status=16&a=NACK%%2F0x0b%%0Dx", tok);
	CHECK_INT(sms_kannel_dlr_parse(q, &d, why, sizeof(why)), ==, 0);
	CHECK_INT(d.id, ==, 42);
	CHECK_INT(d.type, ==, 16);
	CHECK_INT(d.state, ==, SMS_FAILED);
	CHECK_STR(d.token, tok);
	CHECK_STR(d.reply, "NACK/0x0b");
	CHECK(sms_kannel_dlr_token_ok(&d, tok));
	CHECK(!sms_kannel_dlr_token_ok(&d, "00112233445566778899aabbccddeefe"));
	CHECK(!sms_kannel_dlr_token_ok(&d, "0011"));
	/* A token of another length is none: it matches nothing. */
	CHECK_INT(sms_kannel_dlr_parse("id=1&t=0011&status=1", &d, why,
	    sizeof(why)), ==, 0);
	CHECK_STR(d.token, "");
	CHECK(!sms_kannel_dlr_token_ok(&d, tok));
	CHECK_INT(sms_kannel_dlr_parse(NULL, &d, why, sizeof(why)), ==,
	    EINVAL);
	CHECK_STR(why, "the query string is missing or malformed");
	CHECK_INT(sms_kannel_dlr_parse("id=1&status=1", &d, why,
	    sizeof(why)), ==, EINVAL);
	CHECK_STR(why, "id, t and status are required: id and status as "
	    "integers");
	CHECK_INT(sms_kannel_dlr_parse("id=1&t=x&status=3", &d, why,
	    sizeof(why)), ==, EINVAL);
	CHECK_STR(why, "status 3 is not a delivery report type (1, 2, 4, 8 "
	    "or 16)");
	/* libevent decodes the values of a query, not its keys. */
	CHECK_INT(sms_kannel_dlr_parse("id=1&t=x&status=1&x%0A=1", &d, why,
	    sizeof(why)), ==, EINVAL);
	CHECK_STR(why, "unknown query parameter 'x%0A'");
	CHECK_INT(d.id, ==, 0);
	CHECK_INT(sms_kannel_dlr_parse("id=1&t=x&status=1&\xc3\xa9\x01=1", &d,
	    why, sizeof(why)), ==, EINVAL);
	CHECK_STR(why, "unknown query parameter '?" "?" "?'");
}

static void
test_ssrc_taken(void)
{
	struct booking *b = booking_new();
	struct credential *c1, *c2;

	CHECK(b != NULL);
	c1 = calloc(1, sizeof(*c1));
	c2 = calloc(1, sizeof(*c2));
	CHECK(c1 != NULL && c2 != NULL);
	c1->ssrc = 5;
	c2->ssrc = 0x12345678;
	TAILQ_INSERT_TAIL(&b->creds, c1, entry);
	TAILQ_INSERT_TAIL(&b->creds, c2, entry);
	CHECK(booking_ssrc_taken(b, 5));
	CHECK(booking_ssrc_taken(b, 0x12345678));
	/* The server sends to a participant from its complement. */
	CHECK(booking_ssrc_taken(b, ~5U));
	CHECK(booking_ssrc_taken(b, ~0x12345678U));
	CHECK(booking_ssrc_taken(b, 0));
	CHECK(booking_ssrc_taken(b, 0xffffffffU));
	CHECK(!booking_ssrc_taken(b, 6));
	CHECK(!booking_ssrc_taken(b, 0x87654321));
	booking_free(b);
}

/* A booking with one credential and its queued SMS, stored. */
static struct booking *
t_stored_booking(struct store *s, const struct mgmtd_conf *c, int64_t end)
{
	struct booking *b = booking_new();
	struct credential *cr = calloc(1, sizeof(*cr));
	char why[256];

	if (b == NULL || cr == NULL)
		abort();
	snprintf(b->id, sizeof(b->id), "00112233445566778899");
	snprintf(b->organiser, sizeof(b->organiser), "alice");
	snprintf(b->server, sizeof(b->server), "s1");
	b->port = 40007;
	b->start = end - 3600;
	b->end = end;
	b->capacity = 2;
	snprintf(cr->phone, sizeof(cr->phone), "+4930123456");
	cr->ssrc = 7;
	cr->expires = T_EXPIRES;
	if (sms_new(c, t_code2, T_EXPIRES, b->start, &cr->sms) != 0)
		abort();
	TAILQ_INSERT_TAIL(&b->creds, cr, entry);
	if (store_begin(s, why, sizeof(why)) != 0 ||
	    store_booking_insert(s, b, why, sizeof(why)) != 0 ||
	    store_credential_insert(s, b->id, cr, why, sizeof(why)) != 0 ||
	    store_sms_insert(s, cr->id, cr->sms, why, sizeof(why)) != 0 ||
	    store_commit(s, why, sizeof(why)) != 0) {
		printf("#   %s\n", why);
		abort();
	}
	return b;
}

static int
t_take(void *arg, struct booking *b)
{
	struct booking **out = arg;

	if (*out != NULL)
		booking_free(*out);
	*out = b;
	return 0;
}

static void
test_store(void)
{
	struct mgmtd_conf c;
	struct store *s = NULL;
	struct booking *b, *back = NULL;
	struct credential *cr;
	struct sms *sms;
	char why[256];
	int n;

	t_mkdir();
	memset(&c, 0, sizeof(c));
	c.sms_channel = SMS_CH_KANNEL;
	CHECK_INT(store_open(t_dir, &s, why, sizeof(why)), ==, 0);
	b = t_stored_booking(s, &c, 1796122800);
	cr = TAILQ_FIRST(&b->creds);
	sms = cr->sms;
	CHECK(sms->id > 0);
	/* Queued: the text is on disk, to survive a restart. */
	CHECK(t_file_has("mgmtd.db-wal", t_code2));
	/* Checkpointed into the database, as a busy store would. */
	CHECK_INT(store_scrub(s, why, sizeof(why)), ==, 0);
	CHECK(t_file_has("mgmtd.db", t_code2));
	CHECK_INT(t_sql("SELECT count(*) FROM sms WHERE text IS NOT NULL"),
	    ==, 1);
	/* An attempt failed, then Kannel took it: the text goes. */
	sms->attempts = 2;
	sms->next_at = 1796119205000LL;
	snprintf(sms->error, sizeof(sms->error), "no connection");
	sms->state = SMS_SENT;
	sms->updated = 1796119204;
	memset(sms->text, 0, sizeof(sms->text));
	sms_hist_add(sms, SMS_SENT, 1796119204);
	CHECK_INT(store_begin(s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_sms_update(s, sms, why, sizeof(why)), ==, 0);
	CHECK_INT(store_sms_event(s, sms->id, SMS_SENT, 1796119204, "ok",
	    why, sizeof(why)), ==, 0);
	CHECK_INT(store_commit(s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_scrub(s, why, sizeof(why)), ==, 0);
	CHECK(!t_file_has("mgmtd.db", t_code2));
	CHECK(!t_file_has("mgmtd.db-wal", t_code2));
	CHECK(!t_file_has("mgmtd.db", "MYVCR-H000D"));
	CHECK_INT(t_sql("SELECT count(*) FROM sms WHERE text IS NULL"), ==, 1);
	store_free(s);
	s = NULL;

	/* What comes back: state, attempts, last error, history. */
	CHECK_INT(store_open(t_dir, &s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_bookings_load(s, 0, t_take, &back, why, sizeof(why)),
	    ==, 0);
	CHECK(back != NULL);
	cr = TAILQ_FIRST(&back->creds);
	CHECK(cr != NULL && cr->sms != NULL);
	CHECK_INT(cr->expires, ==, T_EXPIRES);
	CHECK_INT(cr->sms->id, ==, sms->id);
	CHECK_INT(cr->sms->state, ==, SMS_SENT);
	CHECK_INT(cr->sms->channel, ==, SMS_CH_KANNEL);
	CHECK_INT(cr->sms->attempts, ==, 2);
	CHECK_INT(cr->sms->next_at, ==, 1796119205000LL);
	CHECK_STR(cr->sms->error, "no connection");
	CHECK_STR(cr->sms->text, "");
	CHECK_STR(cr->sms->token, sms->token);
	CHECK_INT(cr->sms->nhist, ==, 2);
	CHECK_INT(cr->sms->hist[0].state, ==, SMS_QUEUED);
	CHECK_INT(cr->sms->hist[1].state, ==, SMS_SENT);
	CHECK_INT(cr->sms->hist[1].at, ==, 1796119204);
	/* A replaced credential takes its SMS and history with it. */
	CHECK_INT(store_begin(s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_credential_delete(s, cr->id, why, sizeof(why)), ==, 0);
	CHECK_INT(store_commit(s, why, sizeof(why)), ==, 0);
	CHECK_INT(t_sql("SELECT count(*) FROM sms"), ==, 0);
	CHECK_INT(t_sql("SELECT count(*) FROM sms_events"), ==, 0);
	booking_free(back);
	booking_free(b);
	store_free(s);
	t_rmdir();

	/* A queued SMS of a booking too old to load fails, unsent. */
	t_mkdir();
	CHECK_INT(store_open(t_dir, &s, why, sizeof(why)), ==, 0);
	b = t_stored_booking(s, &c, 1796122800);
	CHECK_INT(store_sms_expire(s, 1796122799, 1796200000, &n, why,
	    sizeof(why)), ==, 0);
	CHECK_INT(n, ==, 0);
	CHECK_INT(store_sms_expire(s, 1796122800, 1796200000, &n, why,
	    sizeof(why)), ==, 0);
	CHECK_INT(n, ==, 1);
	CHECK_INT(store_scrub(s, why, sizeof(why)), ==, 0);
	CHECK_INT(t_sql("SELECT count(*) FROM sms WHERE state = 'failed' AND "
	    "text IS NULL AND updated = 1796200000"), ==, 1);
	CHECK(!t_file_has("mgmtd.db", t_code2));
	CHECK(!t_file_has("mgmtd.db-wal", t_code2));
	booking_free(b);
	store_free(s);
	t_rmdir();

	/* An access replaced while its SMS is queued: deleted, zeroed. */
	t_mkdir();
	CHECK_INT(store_open(t_dir, &s, why, sizeof(why)), ==, 0);
	b = t_stored_booking(s, &c, 1796122800);
	CHECK_INT(store_scrub(s, why, sizeof(why)), ==, 0);
	CHECK(t_file_has("mgmtd.db", t_code2));
	CHECK_INT(store_begin(s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_credential_delete(s, TAILQ_FIRST(&b->creds)->id, why,
	    sizeof(why)), ==, 0);
	CHECK_INT(store_commit(s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_scrub(s, why, sizeof(why)), ==, 0);
	CHECK(!t_file_has("mgmtd.db", t_code2));
	CHECK(!t_file_has("mgmtd.db-wal", t_code2));
	booking_free(b);
	store_free(s);
	t_rmdir();
}

CHECK_MAIN(
	CHECK_CASE(test_names),
	CHECK_CASE(test_reports),
	CHECK_CASE(test_backoff),
	CHECK_CASE(test_new),
	CHECK_CASE(test_kannel_uri),
	CHECK_CASE(test_kannel_dlr),
	CHECK_CASE(test_ssrc_taken),
	CHECK_CASE(test_store),
)
