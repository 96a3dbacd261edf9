/*
 * Unit tests of the durable store (mgmtd/store.c): the schema and its
 * version, WAL with full sync, and what is written coming back whole.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "../../mgmtd/mgmtd.h"
#include "check.h"

static char t_dir[64];

static void
t_mkdir(void)
{
	snprintf(t_dir, sizeof(t_dir), "/tmp/test_store.XXXXXX");
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

/* Runs one SQL statement on the store's file; returns its first integer. */
static long long
t_sql(const char *sql)
{
	return check_store_sql(t_dir, sql);
}

static void
test_schema(void)
{
	struct store *s = NULL;
	char why[256], epoch[32], epoch2[32];
	uint64_t v = 99;

	t_mkdir();
	CHECK_INT(store_open(t_dir, &s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_feed_get(s, epoch, sizeof(epoch), &v, why,
	    sizeof(why)), ==, 0);
	CHECK_INT(v, ==, 0);
	CHECK_INT(strlen(epoch), ==, MGMTD_EPOCH_LEN);
	CHECK_INT(store_begin(s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_feed_set(s, 7, why, sizeof(why)), ==, 0);
	CHECK_INT(store_commit(s, why, sizeof(why)), ==, 0);
	store_free(s);
	CHECK_INT(t_sql("PRAGMA user_version"), ==, store_schema_version());
	CHECK_INT(t_sql("SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), ==, 1);
	/* A reopened store keeps its epoch and version. */
	CHECK_INT(store_open(t_dir, &s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_feed_get(s, epoch2, sizeof(epoch2), &v, why,
	    sizeof(why)), ==, 0);
	CHECK_STR(epoch2, epoch);
	CHECK_INT(v, ==, 7);
	store_free(s);
	/* A store of a newer mgmtd is left alone. */
	t_sql("PRAGMA user_version = 99");
	CHECK_INT(store_open(t_dir, &s, why, sizeof(why)), ==, EPROTO);
	CHECK(strstr(why, "schema version 99 is newer than this mgmtd's") !=
	    NULL);
	t_rmdir();
}

static int t_loaded;
static struct booking *t_got;

static int
t_take(void *arg, struct booking *b)
{
	(void)arg;
	t_loaded++;
	if (t_got == NULL)
		t_got = b;
	else
		booking_free(b);
	return 0;
}

static int
t_server(void *arg, const struct server *row)
{
	*(struct server *)arg = *row;
	return 0;
}

static void
test_roundtrip(void)
{
	struct store *s = NULL;
	struct booking *b = booking_new();
	struct credential c, *lc;
	struct server srv, back;
	char why[256];

	t_mkdir();
	CHECK(b != NULL);
	CHECK_INT(store_open(t_dir, &s, why, sizeof(why)), ==, 0);
	memset(&srv, 0, sizeof(srv));
	snprintf(srv.name, sizeof(srv.name), "s1");
	snprintf(srv.region, sizeof(srv.region), "eu");
	snprintf(srv.addrs[0], MGMTD_ADDR_MAX, "192.0.2.1");
	snprintf(srv.addrs[1], MGMTD_ADDR_MAX, "2001:db8::1");
	srv.naddrs = 2;
	srv.port_min = 40000;
	srv.port_max = 40099;
	srv.capacity = 300;
	srv.draining = true;
	srv.registered_at = 1796119200;
	snprintf(b->id, sizeof(b->id), "00112233445566778899");
	snprintf(b->organiser, sizeof(b->organiser), "alice");
	snprintf(b->server, sizeof(b->server), "s1");
	b->port = 40007;
	b->start = 1796119200;
	b->end = b->start + 3600;
	b->capacity = 12;
	b->version = 3;
	b->created = b->start - 60;
	b->invitees = calloc(2, sizeof(*b->invitees));
	CHECK(b->invitees != NULL);
	snprintf(b->invitees[0], MGMTD_PHONE_MAX, "+4930123456");
	snprintf(b->invitees[1], MGMTD_PHONE_MAX, "+4930999999");
	b->ninvitees = 2;
	memset(&c, 0, sizeof(c));
	snprintf(c.phone, sizeof(c.phone), "+4930999999");
	c.ssrc = 0xdeadbeef;
	memset(c.key_up, 0xa5, sizeof(c.key_up));
	memset(c.key_down, 0x5a, sizeof(c.key_down));
	CHECK_INT(store_begin(s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_server_put(s, &srv, why, sizeof(why)), ==, 0);
	CHECK_INT(store_booking_insert(s, b, why, sizeof(why)), ==, 0);
	CHECK_INT(store_credential_insert(s, b->id, &c, why, sizeof(why)), ==,
	    0);
	CHECK_INT(store_commit(s, why, sizeof(why)), ==, 0);
	CHECK(c.id > 0);
	/* A rolled-back change leaves nothing behind. */
	b->state = BOOKING_CANCELLED;
	CHECK_INT(store_begin(s, why, sizeof(why)), ==, 0);
	CHECK_INT(store_booking_update(s, b, why, sizeof(why)), ==, 0);
	store_rollback(s);
	store_free(s);
	booking_free(b);

	CHECK_INT(store_open(t_dir, &s, why, sizeof(why)), ==, 0);
	memset(&back, 0, sizeof(back));
	CHECK_INT(store_servers_load(s, t_server, &back, why, sizeof(why)), ==,
	    0);
	CHECK_STR(back.name, "s1");
	CHECK_STR(back.addrs[1], "2001:db8::1");
	CHECK_INT(back.naddrs, ==, 2);
	CHECK_INT(back.capacity, ==, 300);
	CHECK(back.draining && back.registered);
	t_loaded = 0;
	t_got = NULL;
	/* Only bookings that end after the given time come back. */
	CHECK_INT(store_bookings_load(s, 1796119200 + 3600, t_take, NULL, why,
	    sizeof(why)), ==, 0);
	CHECK_INT(t_loaded, ==, 0);
	CHECK_INT(store_bookings_load(s, 1796119200 + 3599, t_take, NULL, why,
	    sizeof(why)), ==, 0);
	CHECK_INT(t_loaded, ==, 1);
	CHECK(t_got != NULL);
	CHECK_STR(t_got->organiser, "alice");
	CHECK_INT(t_got->state, ==, BOOKING_BOOKED);
	CHECK_INT(t_got->port, ==, 40007);
	CHECK_INT(t_got->end - t_got->start, ==, 3600);
	CHECK_INT(t_got->version, ==, 3);
	CHECK_INT(t_got->ninvitees, ==, 2);
	CHECK_STR(t_got->invitees[1], "+4930999999");
	lc = TAILQ_FIRST(&t_got->creds);
	CHECK(lc != NULL);
	CHECK_INT(lc->ssrc, ==, 0xdeadbeef);
	CHECK_INT(lc->key_up[29], ==, 0xa5);
	CHECK_INT(lc->key_down[0], ==, 0x5a);
	booking_free(t_got);
	store_free(s);
	t_rmdir();
}

CHECK_MAIN(
	CHECK_CASE(test_schema),
	CHECK_CASE(test_roundtrip),
)
