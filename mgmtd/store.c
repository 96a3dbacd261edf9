/*
 * store: the durable store, one SQLite database in the state directory.
 *
 * It runs in WAL mode with synchronous=FULL, so a COMMIT has returned only
 * once the change is on disk: mgmtd acknowledges nothing before that, and
 * an acknowledged booking survives kill -9 or a power cut.  The schema is
 * versioned by PRAGMA user_version and moved forward by the migrations
 * below, each in its own transaction; a store written by a newer mgmtd is
 * refused rather than misread.  The in-memory indexes are rebuilt from it
 * at every start.
 *
 * Every call runs on the event loop's thread: SQLite sees one writer, and
 * a check and the insert it allows share one transaction.
 *
 * The text of an SMS not yet sent holds code 2, so it is kept only as long
 * as mgmtd may still send it (to survive a restart): secure_delete zeroes
 * it in the database when it is cleared, and store_scrub() truncates the
 * write-ahead log that still holds a copy.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "mgmtd.h"

enum store_stmt {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_META_GET, ST_META_SET,
	ST_SERVER_PUT, ST_SERVERS,
	ST_BOOKING_INSERT, ST_BOOKING_UPDATE, ST_INVITEE_INSERT,
	ST_BOOKINGS, ST_INVITEES, ST_CREDS,
	ST_CRED_INSERT, ST_CRED_DELETE,
	ST_SMS_INSERT, ST_SMS_UPDATE, ST_SMS_EVENT, ST_SMS_GET, ST_SMS_EVENTS,
	ST_SMS_EXPIRE,
	ST_BOOKING_MOVE, ST_CODE1_FORGET, ST_CODE1_INSERT, ST_CODE1_SEAT,
	ST_CODE1_SEAL, ST_CODE1_FIND,
	ST_COUNT
};

static const char *const store_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[ST_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
	    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[ST_SERVER_PUT] = "INSERT INTO servers (name, addresses, port_min, "
	    "port_max, capacity, region, draining, registered) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (name) DO UPDATE SET "
	    "addresses = excluded.addresses, port_min = excluded.port_min, "
	    "port_max = excluded.port_max, capacity = excluded.capacity, "
	    "region = excluded.region, draining = excluded.draining, "
	    "registered = excluded.registered",
	[ST_SERVERS] = "SELECT name, addresses, port_min, port_max, capacity, "
	    "region, draining, registered FROM servers ORDER BY name",
	[ST_BOOKING_INSERT] = "INSERT INTO bookings (id, organiser, server, "
	    "port, start, \"end\", capacity, region, state, version, created) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[ST_BOOKING_UPDATE] = "UPDATE bookings SET \"end\" = ?2, state = ?3, "
	    "version = ?4 WHERE id = ?1",
	[ST_INVITEE_INSERT] = "INSERT INTO invitees (booking, phone) "
	    "VALUES (?1, ?2)",
	[ST_BOOKINGS] = "SELECT id, organiser, server, port, start, \"end\", "
	    "capacity, region, state, version, created, moved_from, moved_at "
	    "FROM bookings "
	    "WHERE \"end\" > ?1 ORDER BY rowid",
	[ST_INVITEES] = "SELECT phone FROM invitees WHERE booking = ?1 "
	    "ORDER BY rowid",
	[ST_CREDS] = "SELECT id, phone, ssrc, key_up, key_down, created, "
	    "expires FROM credentials WHERE booking = ?1 ORDER BY id",
	[ST_CRED_INSERT] = "INSERT INTO credentials (booking, phone, ssrc, "
	    "key_up, key_down, created, expires) VALUES (?1, ?2, ?3, ?4, ?5, "
	    "?6, ?7)",
	[ST_CRED_DELETE] = "DELETE FROM credentials WHERE id = ?1",
	[ST_SMS_INSERT] = "INSERT INTO sms (credential, channel, state, text, "
	    "token, attempts, next_at, error, created, updated) VALUES (?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[ST_SMS_UPDATE] = "UPDATE sms SET channel = ?2, state = ?3, text = ?4, "
	    "attempts = ?5, next_at = ?6, error = ?7, updated = ?8 "
	    "WHERE id = ?1",
	[ST_SMS_EVENT] = "INSERT INTO sms_events (sms, at, state, detail) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[ST_SMS_GET] = "SELECT id, channel, state, text, token, attempts, "
	    "next_at, error, created, updated FROM sms WHERE credential = ?1",
	[ST_SMS_EVENTS] = "SELECT at, state FROM sms_events WHERE sms = ?1 "
	    "ORDER BY id",
	[ST_SMS_EXPIRE] = "UPDATE sms SET state = 'failed', text = NULL, "
	    "error = 'the conference ended before it was sent', updated = ?2 "
	    "WHERE state = 'queued' AND credential IN (SELECT c.id FROM "
	    "credentials c JOIN bookings b ON b.id = c.booking "
	    "WHERE b.\"end\" <= ?1)",
	[ST_BOOKING_MOVE] = "UPDATE bookings SET server = ?2, port = ?3, "
	    "moved_from = ?4, moved_at = ?5 WHERE id = ?1",
	[ST_CODE1_FORGET] = "DELETE FROM code1_keys WHERE booking = ?1 AND "
	    "phone = ?2",
	[ST_CODE1_INSERT] = "INSERT INTO code1_keys (idx, booking, phone, pk, "
	    "credential) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_CODE1_SEAT] = "SELECT idx, pk, credential, sealed, moved_at FROM "
	    "code1_keys WHERE booking = ?1 AND phone = ?2",
	[ST_CODE1_SEAL] = "UPDATE code1_keys SET credential = ?2, sealed = ?3, "
	    "moved_at = ?4 WHERE idx = ?1",
	[ST_CODE1_FIND] = "SELECT idx, pk, credential, sealed, moved_at, "
	    "booking, phone FROM code1_keys WHERE idx = ?1",
};

/* The schema, one step per version; never edit a step once released. */
static const char *const store_migrations[] = {
	/* 1: the first schema. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE servers (name TEXT PRIMARY KEY, addresses TEXT NOT NULL,"
	" port_min INTEGER NOT NULL, port_max INTEGER NOT NULL,"
	" capacity INTEGER NOT NULL, region TEXT NOT NULL,"
	" draining INTEGER NOT NULL, registered INTEGER NOT NULL);"
	"CREATE TABLE bookings (id TEXT PRIMARY KEY, organiser TEXT NOT NULL,"
	" server TEXT NOT NULL, port INTEGER NOT NULL, start INTEGER NOT NULL,"
	" \"end\" INTEGER NOT NULL, capacity INTEGER NOT NULL,"
	" region TEXT NOT NULL, state TEXT NOT NULL,"
	" version INTEGER NOT NULL, created INTEGER NOT NULL);"
	"CREATE INDEX bookings_end ON bookings (\"end\");"
	"CREATE TABLE invitees (booking TEXT NOT NULL REFERENCES bookings (id),"
	" phone TEXT NOT NULL, PRIMARY KEY (booking, phone));"
	"CREATE TABLE credentials (id INTEGER PRIMARY KEY,"
	" booking TEXT NOT NULL REFERENCES bookings (id),"
	" phone TEXT NOT NULL, ssrc INTEGER NOT NULL, key_up BLOB NOT NULL,"
	" key_down BLOB NOT NULL, created INTEGER NOT NULL);"
	"CREATE INDEX credentials_booking ON credentials (booking);",
	/*
	 * 2: access codes and the SMS that carries code 2.  A credential's
	 * SMS and its history go with it when another replaces it.  text is
	 * NULL once the SMS no longer needs it.
	 */
	"ALTER TABLE credentials ADD COLUMN expires INTEGER NOT NULL"
	" DEFAULT 0;"
	"CREATE TABLE sms (id INTEGER PRIMARY KEY,"
	" credential INTEGER NOT NULL UNIQUE"
	" REFERENCES credentials (id) ON DELETE CASCADE,"
	" channel TEXT NOT NULL, state TEXT NOT NULL, text TEXT,"
	" token TEXT NOT NULL, attempts INTEGER NOT NULL,"
	" next_at INTEGER NOT NULL, error TEXT NOT NULL,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL);"
	"CREATE TABLE sms_events (id INTEGER PRIMARY KEY,"
	" sms INTEGER NOT NULL REFERENCES sms (id) ON DELETE CASCADE,"
	" at INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL);"
	"CREATE INDEX sms_events_sms ON sms_events (sms);",
	/*
	 * 3: failover.  A booking remembers the server it was moved from.
	 * code1_keys holds, for every code 1 issued, what only its holder
	 * can make again (the BLAKE2b index and an X25519 public key,
	 * mgmtd/moved.c) and, once its conference moved, the new code 1
	 * sealed to that key: never a code mgmtd could read.
	 */
	"ALTER TABLE bookings ADD COLUMN moved_from TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE bookings ADD COLUMN moved_at INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE code1_keys (idx BLOB PRIMARY KEY,"
	" booking TEXT NOT NULL REFERENCES bookings (id),"
	" phone TEXT NOT NULL, pk BLOB NOT NULL,"
	" credential INTEGER NOT NULL, sealed BLOB,"
	" moved_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX code1_keys_seat ON code1_keys (booking, phone);",
};

#define STORE_NMIGRATIONS \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

struct store {
	sqlite3		*db;
	sqlite3_stmt	*st[ST_COUNT];
	char		 path[512];
};

int
store_schema_version(void)
{
	return STORE_NMIGRATIONS;
}

/* Fills why with SQLite's message for the last failure; returns EIO. */
static int
store_fail(struct store *s, const char *what, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s: %s: %s", s->path, what,
	    s->db ? sqlite3_errmsg(s->db) : "cannot open");
	return EIO;
}

/* A prepared statement, reset and with its bindings cleared. */
static sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt i)
{
	sqlite3_reset(s->st[i]);
	sqlite3_clear_bindings(s->st[i]);
	return s->st[i];
}

/* Runs a statement that returns no rows. */
static int
store_done(struct store *s, sqlite3_stmt *st, const char *what, char *why,
    size_t whylen)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, what, why, whylen);
	return 0;
}

/* Runs SQL text without results (the migrations). */
static int
store_exec(struct store *s, const char *sql, const char *what, char *why,
    size_t whylen)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_fail(s, what, why, whylen);
	return 0;
}

/* Reads PRAGMA user_version, the schema version of the file. */
static int
store_user_version(struct store *s, int *v, char *why, size_t whylen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return store_fail(s, "reading the schema version", why, whylen);
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, "reading the schema version", why, whylen);
	return 0;
}

/* Brings the schema to this mgmtd's version, one migration at a time. */
static int
store_migrate(struct store *s, char *why, size_t whylen)
{
	char sql[64];
	int v, rc;

	if ((rc = store_user_version(s, &v, why, whylen)) != 0)
		return rc;
	if (v > STORE_NMIGRATIONS) {
		snprintf(why, whylen, "%s: schema version %d is newer than "
		    "this mgmtd's (%d); refusing to touch it", s->path, v,
		    STORE_NMIGRATIONS);
		return EPROTO;
	}
	for (; v < STORE_NMIGRATIONS; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = store_exec(s, "BEGIN IMMEDIATE", "migrating", why,
		    whylen)) != 0)
			return rc;
		if ((rc = store_exec(s, store_migrations[v], "migrating", why,
		    whylen)) != 0 ||
		    (rc = store_exec(s, sql, "migrating", why, whylen)) != 0 ||
		    (rc = store_exec(s, "COMMIT", "migrating", why,
		    whylen)) != 0) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
	}
	return 0;
}

/* Reads one value of the meta table; *found says whether it is set. */
static int
store_meta_get(struct store *s, const char *key, char *buf, size_t len,
    bool *found, char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_META_GET);
	int rc;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st,
		    0));
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, "reading meta", why, whylen);
	return 0;
}

/* Writes one value of the meta table. */
static int
store_meta_set(struct store *s, const char *key, const char *value,
    char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_META_SET);

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return store_done(s, st, "writing meta", why, whylen);
}

/* Gives a new store its epoch, which tells confds of a replaced store. */
static int
store_init_epoch(struct store *s, char *why, size_t whylen)
{
	unsigned char raw[MGMTD_EPOCH_LEN / 2];
	char epoch[MGMTD_EPOCH_LEN + 1];
	bool found;
	int rc;

	if ((rc = store_meta_get(s, "epoch", epoch, sizeof(epoch), &found,
	    why, whylen)) != 0 || found)
		return rc;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(epoch, sizeof(epoch), raw, sizeof(raw));
	if ((rc = store_begin(s, why, whylen)) != 0)
		return rc;
	if ((rc = store_meta_set(s, "epoch", epoch, why, whylen)) != 0 ||
	    (rc = store_meta_set(s, "feed_version", "0", why, whylen)) != 0 ||
	    (rc = store_commit(s, why, whylen)) != 0) {
		store_rollback(s);
		return rc;
	}
	return 0;
}

int
store_open(const char *dir, struct store **out, char *why, size_t whylen)
{
	struct store *s;
	sqlite3_stmt *st;
	const char *mode;
	int i, rc;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		rc = errno;
		snprintf(why, whylen, "%s: cannot create: %s", dir,
		    strerror(rc));
		return rc;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	snprintf(s->path, sizeof(s->path), "%s/mgmtd.db", dir);
	if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = store_fail(s, "cannot open", why, whylen);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	/* WAL appends and syncs one file per commit; FULL syncs the WAL too. */
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK) {
		rc = store_fail(s, "setting WAL mode", why, whylen);
		goto fail;
	}
	mode = sqlite3_step(st) == SQLITE_ROW ?
	    (const char *)sqlite3_column_text(st, 0) : NULL;
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		sqlite3_finalize(st);
		snprintf(why, whylen, "%s: the file system refused WAL mode",
		    s->path);
		rc = EIO;
		goto fail;
	}
	sqlite3_finalize(st);
	/* secure_delete: a wiped SMS text is zeroed, not left in a page. */
	if ((rc = store_exec(s, "PRAGMA synchronous = FULL; "
	    "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON",
	    "setting pragmas", why, whylen)) != 0 ||
	    (rc = store_migrate(s, why, whylen)) != 0)
		goto fail;
	for (i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			rc = store_fail(s, "preparing statements", why, whylen);
			goto fail;
		}
	if ((rc = store_init_epoch(s, why, whylen)) != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	store_free(s);
	return rc;
}

void
store_free(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

int
store_begin(struct store *s, char *why, size_t whylen)
{
	return store_done(s, store_stmt(s, ST_BEGIN), "BEGIN", why, whylen);
}

int
store_commit(struct store *s, char *why, size_t whylen)
{
	return store_done(s, store_stmt(s, ST_COMMIT), "COMMIT", why, whylen);
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_step(store_stmt(s, ST_ROLLBACK));
	sqlite3_reset(s->st[ST_ROLLBACK]);
}

int
store_feed_get(struct store *s, char *epoch, size_t epochlen,
    uint64_t *version, char *why, size_t whylen)
{
	char buf[32];
	bool found;
	int rc;

	if ((rc = store_meta_get(s, "epoch", epoch, epochlen, &found, why,
	    whylen)) != 0)
		return rc;
	if ((rc = store_meta_get(s, "feed_version", buf, sizeof(buf), &found,
	    why, whylen)) != 0)
		return rc;
	*version = found ? strtoull(buf, NULL, 10) : 0;
	return 0;
}

int
store_feed_set(struct store *s, uint64_t version, char *why, size_t whylen)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)version);
	return store_meta_set(s, "feed_version", buf, why, whylen);
}

int
store_server_put(struct store *s, const struct server *srv, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_SERVER_PUT);
	json_t *a;
	char *text;
	int i, rc;

	if ((a = json_array()) == NULL)
		return ENOMEM;
	for (i = 0; i < srv->naddrs; i++)
		json_array_append_new(a, json_string(srv->addrs[i]));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (text == NULL)
		return ENOMEM;
	sqlite3_bind_text(st, 1, srv->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, srv->port_min);
	sqlite3_bind_int(st, 4, srv->port_max);
	sqlite3_bind_int(st, 5, srv->capacity);
	sqlite3_bind_text(st, 6, srv->region, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, srv->draining);
	sqlite3_bind_int64(st, 8, srv->registered_at);
	rc = store_done(s, st, "writing a server", why, whylen);
	free(text);
	return rc;
}

/* Copies a text column, NULL as empty. */
static void
store_copy(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int
store_servers_load(struct store *s,
    int (*fn)(void *arg, const struct server *row), void *arg, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_SERVERS);
	struct server row;
	json_t *a, *v;
	size_t i;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		store_copy(row.name, sizeof(row.name), st, 0);
		a = json_loads((const char *)sqlite3_column_text(st, 1), 0,
		    NULL);
		json_array_foreach(a, i, v) {
			if (!json_is_string(v) || row.naddrs == MGMTD_MAX_ADDRS)
				continue;
			snprintf(row.addrs[row.naddrs++], MGMTD_ADDR_MAX, "%s",
			    json_string_value(v));
		}
		json_decref(a);
		row.port_min = sqlite3_column_int(st, 2);
		row.port_max = sqlite3_column_int(st, 3);
		row.capacity = sqlite3_column_int(st, 4);
		store_copy(row.region, sizeof(row.region), st, 5);
		row.draining = sqlite3_column_int(st, 6) != 0;
		row.registered_at = sqlite3_column_int64(st, 7);
		row.registered = true;
		if ((rc = fn(arg, &row)) != 0) {
			sqlite3_reset(st);
			snprintf(why, whylen, "server %s: %s", row.name,
			    strerror(rc));
			return rc;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "reading servers", why, whylen);
	return 0;
}

int
store_booking_insert(struct store *s, const struct booking *b, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_BOOKING_INSERT);
	size_t i;
	int rc;

	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->organiser, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->server, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, b->port);
	sqlite3_bind_int64(st, 5, b->start);
	sqlite3_bind_int64(st, 6, b->end);
	sqlite3_bind_int(st, 7, b->capacity);
	sqlite3_bind_text(st, 8, b->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, booking_state_name(b->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, (sqlite3_int64)b->version);
	sqlite3_bind_int64(st, 11, b->created);
	if ((rc = store_done(s, st, "writing a booking", why, whylen)) != 0)
		return rc;
	for (i = 0; i < b->ninvitees; i++) {
		st = store_stmt(s, ST_INVITEE_INSERT);
		sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, b->invitees[i], -1, SQLITE_STATIC);
		if ((rc = store_done(s, st, "writing an invitee", why,
		    whylen)) != 0)
			return rc;
	}
	return 0;
}

int
store_booking_update(struct store *s, const struct booking *b, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_BOOKING_UPDATE);

	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, b->end);
	sqlite3_bind_text(st, 3, booking_state_name(b->state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)b->version);
	return store_done(s, st, "updating a booking", why, whylen);
}

int
store_booking_move(struct store *s, const struct booking *b, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_BOOKING_MOVE);

	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->server, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, b->port);
	sqlite3_bind_text(st, 4, b->moved_from, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, b->moved_at);
	return store_done(s, st, "moving a booking", why, whylen);
}

int
store_code1_forget(struct store *s, const char *booking, const char *phone,
    char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_CODE1_FORGET);

	sqlite3_bind_text(st, 1, booking, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
	return store_done(s, st, "forgetting codes 1", why, whylen);
}

int
store_code1_insert(struct store *s, const char *booking,
    const struct credential *c, char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_CODE1_INSERT);

	sqlite3_bind_blob(st, 1, c->moved_idx, sizeof(c->moved_idx),
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 2, booking, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->phone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, c->moved_pk, sizeof(c->moved_pk),
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, c->id);
	return store_done(s, st, "recording a code 1", why, whylen);
}

/* Reads the columns idx, pk, credential, sealed, moved_at of a row. */
static void
store_code1_row(sqlite3_stmt *st, struct code1_row *r)
{
	size_t n;

	memset(r, 0, sizeof(*r));
	if (sqlite3_column_bytes(st, 0) == (int)sizeof(r->idx))
		memcpy(r->idx, sqlite3_column_blob(st, 0), sizeof(r->idx));
	if (sqlite3_column_bytes(st, 1) == (int)sizeof(r->pk))
		memcpy(r->pk, sqlite3_column_blob(st, 1), sizeof(r->pk));
	r->credential = sqlite3_column_int64(st, 2);
	n = (size_t)sqlite3_column_bytes(st, 3);
	if (n > 0 && n <= sizeof(r->sealed)) {
		memcpy(r->sealed, sqlite3_column_blob(st, 3), n);
		r->sealed_len = n;
	}
	r->moved_at = sqlite3_column_int64(st, 4);
}

int
store_code1_seat(struct store *s, const char *booking, const char *phone,
    struct code1_row **rows, size_t *n, char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_CODE1_SEAT);
	struct code1_row *r, *nr;
	int rc;

	*rows = NULL;
	*n = 0;
	r = NULL;
	sqlite3_bind_text(st, 1, booking, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, phone, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nr = reallocarray(r, *n + 1, sizeof(*r))) == NULL) {
			sqlite3_reset(st);
			free(r);
			*n = 0;
			return ENOMEM;
		}
		r = nr;
		store_code1_row(st, &r[*n]);
		snprintf(r[*n].booking, sizeof(r[*n].booking), "%s", booking);
		snprintf(r[*n].phone, sizeof(r[*n].phone), "%s", phone);
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(r);
		*n = 0;
		return store_fail(s, "reading codes 1", why, whylen);
	}
	*rows = r;
	return 0;
}

int
store_code1_seal(struct store *s, const struct code1_row *row, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_CODE1_SEAL);

	sqlite3_bind_blob(st, 1, row->idx, sizeof(row->idx), SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, row->credential);
	sqlite3_bind_blob(st, 3, row->sealed, (int)row->sealed_len,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, row->moved_at);
	return store_done(s, st, "sealing a code 1", why, whylen);
}

int
store_code1_find(struct store *s, const uint8_t *idx, struct code1_row *row,
    char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_CODE1_FIND);
	int rc;

	sqlite3_bind_blob(st, 1, idx, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		store_code1_row(st, row);
		store_copy(row->booking, sizeof(row->booking), st, 5);
		store_copy(row->phone, sizeof(row->phone), st, 6);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return ENOENT;
	return store_fail(s, "finding a code 1", why, whylen);
}

int
store_credential_insert(struct store *s, const char *booking,
    struct credential *c, char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_CRED_INSERT);
	int rc;

	sqlite3_bind_text(st, 1, booking, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, c->ssrc);
	sqlite3_bind_blob(st, 4, c->key_up, sizeof(c->key_up), SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, c->key_down, sizeof(c->key_down),
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, c->created);
	sqlite3_bind_int64(st, 7, c->expires);
	if ((rc = store_done(s, st, "writing a credential", why, whylen)) != 0)
		return rc;
	c->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_credential_delete(struct store *s, int64_t id, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_CRED_DELETE);

	sqlite3_bind_int64(st, 1, id);
	return store_done(s, st, "deleting a credential", why, whylen);
}

/* Binds the text of an SMS, or NULL once it is wiped. */
static void
store_bind_sms_text(sqlite3_stmt *st, int col, const struct sms *sms)
{
	if (sms->text[0] != '\0')
		sqlite3_bind_text(st, col, sms->text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

int
store_sms_event(struct store *s, int64_t sms, enum sms_state state,
    int64_t at, const char *detail, char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_SMS_EVENT);

	sqlite3_bind_int64(st, 1, sms);
	sqlite3_bind_int64(st, 2, at);
	sqlite3_bind_text(st, 3, sms_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, detail ? detail : "", -1, SQLITE_STATIC);
	return store_done(s, st, "writing an SMS event", why, whylen);
}

int
store_sms_insert(struct store *s, int64_t credential, struct sms *sms,
    char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_SMS_INSERT);
	size_t i;
	int rc;

	sqlite3_bind_int64(st, 1, credential);
	sqlite3_bind_text(st, 2, sms_channel_name(sms->channel), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sms_state_name(sms->state), -1,
	    SQLITE_STATIC);
	store_bind_sms_text(st, 4, sms);
	sqlite3_bind_text(st, 5, sms->token, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, sms->attempts);
	sqlite3_bind_int64(st, 7, sms->next_at);
	sqlite3_bind_text(st, 8, sms->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, sms->created);
	sqlite3_bind_int64(st, 10, sms->updated);
	rc = store_done(s, st, "writing an SMS", why, whylen);
	/* The statement may hold the text until it runs again: clear it. */
	sqlite3_clear_bindings(st);
	if (rc != 0)
		return rc;
	sms->id = sqlite3_last_insert_rowid(s->db);
	for (i = 0; i < sms->nhist; i++)
		if ((rc = store_sms_event(s, sms->id, sms->hist[i].state,
		    sms->hist[i].at, sms->error, why, whylen)) != 0)
			return rc;
	return 0;
}

int
store_sms_update(struct store *s, const struct sms *sms, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_SMS_UPDATE);
	int rc;

	sqlite3_bind_int64(st, 1, sms->id);
	sqlite3_bind_text(st, 2, sms_channel_name(sms->channel), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sms_state_name(sms->state), -1,
	    SQLITE_STATIC);
	store_bind_sms_text(st, 4, sms);
	sqlite3_bind_int(st, 5, sms->attempts);
	sqlite3_bind_int64(st, 6, sms->next_at);
	sqlite3_bind_text(st, 7, sms->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, sms->updated);
	rc = store_done(s, st, "updating an SMS", why, whylen);
	sqlite3_clear_bindings(st);
	return rc;
}

int
store_sms_expire(struct store *s, int64_t min_end, int64_t now, int *n,
    char *why, size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_SMS_EXPIRE);
	int rc;

	sqlite3_bind_int64(st, 1, min_end);
	sqlite3_bind_int64(st, 2, now);
	rc = store_done(s, st, "expiring SMS", why, whylen);
	*n = rc == 0 ? sqlite3_changes(s->db) : 0;
	return rc;
}

int
store_scrub(struct store *s, char *why, size_t whylen)
{
	if (sqlite3_wal_checkpoint_v2(s->db, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
		return store_fail(s, "truncating the log", why, whylen);
	return 0;
}

/* Reads the SMS of a loaded credential and its history, when it has one. */
static int
store_sms_load(struct store *s, struct credential *c, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_SMS_GET);
	struct sms *sms;
	const char *t;
	int rc, v;

	sqlite3_bind_int64(st, 1, c->id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : store_fail(s, "reading an SMS",
		    why, whylen);
	}
	if ((sms = calloc(1, sizeof(*sms))) == NULL) {
		sqlite3_reset(st);
		return ENOMEM;
	}
	sms->id = sqlite3_column_int64(st, 0);
	t = (const char *)sqlite3_column_text(st, 1);
	sms->channel = t && strcmp(t, sms_channel_name(SMS_CH_KANNEL)) == 0 ?
	    SMS_CH_KANNEL : t && strcmp(t, sms_channel_name(SMS_CH_EXEC)) ==
	    0 ? SMS_CH_EXEC : SMS_CH_NONE;
	t = (const char *)sqlite3_column_text(st, 2);
	/* A state this mgmtd does not know can only be a final one. */
	sms->state = (v = sms_state_parse(t ? t : "")) < 0 ? SMS_FAILED :
	    (enum sms_state)v;
	store_copy(sms->text, sizeof(sms->text), st, 3);
	store_copy(sms->token, sizeof(sms->token), st, 4);
	sms->attempts = sqlite3_column_int(st, 5);
	sms->next_at = sqlite3_column_int64(st, 6);
	store_copy(sms->error, sizeof(sms->error), st, 7);
	sms->created = sqlite3_column_int64(st, 8);
	sms->updated = sqlite3_column_int64(st, 9);
	sqlite3_reset(st);
	c->sms = sms;
	st = store_stmt(s, ST_SMS_EVENTS);
	sqlite3_bind_int64(st, 1, sms->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 1);
		if ((v = sms_state_parse(t ? t : "")) >= 0)
			sms_hist_add(sms, (enum sms_state)v,
			    sqlite3_column_int64(st, 0));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "reading SMS events", why, whylen);
	return 0;
}

/* Reads the invitees and credentials of a loaded booking. */
static int
store_booking_details(struct store *s, struct booking *b, char *why,
    size_t whylen)
{
	sqlite3_stmt *st = store_stmt(s, ST_INVITEES);
	struct credential *c;
	char (*ni)[MGMTD_PHONE_MAX];
	int rc;

	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((ni = reallocarray(b->invitees, b->ninvitees + 1,
		    sizeof(*ni))) == NULL) {
			sqlite3_reset(st);
			return ENOMEM;
		}
		b->invitees = ni;
		store_copy(b->invitees[b->ninvitees++], MGMTD_PHONE_MAX, st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "reading invitees", why, whylen);
	st = store_stmt(s, ST_CREDS);
	sqlite3_bind_text(st, 1, b->id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			sqlite3_reset(st);
			return ENOMEM;
		}
		c->id = sqlite3_column_int64(st, 0);
		store_copy(c->phone, sizeof(c->phone), st, 1);
		c->ssrc = (uint32_t)sqlite3_column_int64(st, 2);
		if (sqlite3_column_bytes(st, 3) == MGMTD_MASTER_LEN &&
		    sqlite3_column_bytes(st, 4) == MGMTD_MASTER_LEN) {
			memcpy(c->key_up, sqlite3_column_blob(st, 3),
			    MGMTD_MASTER_LEN);
			memcpy(c->key_down, sqlite3_column_blob(st, 4),
			    MGMTD_MASTER_LEN);
		}
		c->created = sqlite3_column_int64(st, 5);
		c->expires = sqlite3_column_int64(st, 6);
		TAILQ_INSERT_TAIL(&b->creds, c, entry);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "reading credentials", why, whylen);
	TAILQ_FOREACH(c, &b->creds, entry)
		if ((rc = store_sms_load(s, c, why, whylen)) != 0)
			return rc;
	return 0;
}

int
store_bookings_load(struct store *s, int64_t min_end,
    int (*fn)(void *arg, struct booking *b), void *arg, char *why,
    size_t whylen)
{
	sqlite3_stmt *st;
	struct booking *b;
	struct booking_list list;
	char id[MGMTD_ID_LEN + 1];
	int rc;

	/* Rows first, details after: one statement runs at a time. */
	TAILQ_INIT(&list);
	st = store_stmt(s, ST_BOOKINGS);
	sqlite3_bind_int64(st, 1, min_end);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((b = booking_new()) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		store_copy(b->id, sizeof(b->id), st, 0);
		store_copy(b->organiser, sizeof(b->organiser), st, 1);
		store_copy(b->server, sizeof(b->server), st, 2);
		b->port = sqlite3_column_int(st, 3);
		b->start = sqlite3_column_int64(st, 4);
		b->end = sqlite3_column_int64(st, 5);
		b->capacity = sqlite3_column_int(st, 6);
		store_copy(b->region, sizeof(b->region), st, 7);
		b->state = strcmp((const char *)sqlite3_column_text(st, 8),
		    booking_state_name(BOOKING_CANCELLED)) == 0 ?
		    BOOKING_CANCELLED : BOOKING_BOOKED;
		b->version = (uint64_t)sqlite3_column_int64(st, 9);
		b->created = sqlite3_column_int64(st, 10);
		store_copy(b->moved_from, sizeof(b->moved_from), st, 11);
		b->moved_at = sqlite3_column_int64(st, 12);
		TAILQ_INSERT_TAIL(&list, b, all);
	}
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 0 : store_fail(s, "reading bookings", why,
	    whylen);
	while ((b = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, b, all);
		if (rc == 0)
			rc = store_booking_details(s, b, why, whylen);
		if (rc != 0) {
			booking_free(b);
			continue;
		}
		snprintf(id, sizeof(id), "%s", b->id);
		/* fn owns b from here, whatever it returns. */
		if ((rc = fn(arg, b)) != 0)
			snprintf(why, whylen, "booking %s: %s", id,
			    strerror(rc));
	}
	return rc;
}
