/*
 * mgmtd: the management daemon's internal header.
 *
 * All process state hangs off one struct mgmtd, created in main.c and passed
 * down to every module.  The modules:
 *   options   the option table and the checks it cannot express
 *   (times: common/rfc3339.c)
 *   slot      the time-slotted idle table and the fit search (pure)
 *   alloc     the allocation policies (pure)
 *   store     the durable SQLite store
 *   registry  conference servers, their heartbeats and states
 *   booking   bookings, participant credentials and their access codes,
 *             the in-memory indexes
 *   sms       the SMS of code 2 to the participant's phone: retried,
 *             durable; its channels sms_kannel (with delivery reports)
 *             and sms_exec
 *   feed      what each confd must host, long-polled
 *   tls       the OpenSSL context of the HTTPS listener
 *   api       the HTTP server: routing, authentication, JSON in and out
 *   api_servers, api_bookings   the handlers of the two halves of the API
 *   failover  moving the bookings of a server that failed to others
 *   moved     the sealed code 1 a moved participant picks up (pure);
 *             api_moved its endpoint
 * docs/api.md describes the API and the feed.
 */
#ifndef MGMTD_H
#define MGMTD_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "acode.h"
#include "cfg.h"
#include "daemon.h"
#include "rfc3339.h"

struct bufferevent;
struct event;
struct event_base;
struct evhttp_connection;
struct evhttp_request;
struct evkeyvalq;

#define MGMTD_DEFAULT_CONF	"/etc/conference/mgmtd.ini"

#define MGMTD_NAME_MAX		64	/* names and regions, with NUL */
#define MGMTD_SECRET_MAX	128	/* secrets and API keys: with NUL */
#define MGMTD_SECRET_MIN	16	/* shortest secret or key accepted */
#define MGMTD_ADDR_MAX		46	/* INET6_ADDRSTRLEN */
#define MGMTD_MAX_ADDRS		4	/* media addresses of one server */
#define MGMTD_PHONE_MAX		17	/* "+", up to 15 digits, NUL */
#define MGMTD_MAX_INVITEES	1000	/* per booking */
#define MGMTD_MASTER_LEN	30	/* SRTP master key and salt */
#define MGMTD_SUITE		"AES_CM_128_HMAC_SHA1_80"
#define MGMTD_ID_LEN		20	/* hex characters of a booking id */
#define MGMTD_EPOCH_LEN		16	/* hex characters of a store's epoch */
#define MGMTD_RETAIN_S		86400	/* ended bookings stay listed 1 d */
#define MGMTD_BODY_HARD_MAX	(1024 * 1024)	/* evhttp's own body limit */
#define MGMTD_FEED_PROTOCOL	1	/* version of the feed messages */
#define MGMTD_SMS_TOKEN_LEN	32	/* hex characters of a report token */
#define MGMTD_SMS_HIST		8	/* state changes of an SMS in memory */
#define MGMTD_SMS_ERR_MAX	192	/* the last error of an SMS, with NUL */
#define MGMTD_SMS_REPLY_MAX	100	/* of a gateway's reply kept as a reason */
#define MGMTD_COMMAND_MAX	256	/* [sms] command, with NUL */

/* A code 1 sealed for the holder of the one it replaces: crypto_box_seal. */
#define MOVED_SEALED_MAX	(ACODE_CODE1_MAX + 48)
#define MOVED_KEY_LEN		32

enum alloc_policy {
	ALLOC_RANDOM = 0,	/* uniformly among the fitting servers */
	ALLOC_LEAST_LOADED,	/* the least loaded fitting server */
	ALLOC_PACK,		/* the fullest fitting server */
};

/* How code 2 reaches the phone: [sms] channel. */
enum sms_channel {
	SMS_CH_NONE = 0,	/* not at all: the SMS stays unsent */
	SMS_CH_KANNEL,		/* Kannel smsbox's sendsms interface */
	SMS_CH_EXEC,		/* a command run with the phone and the text */
};

/* A conference server declared in the INI file: [server NAME]. */
struct server_conf {
	TAILQ_ENTRY(server_conf) entry;
	char	name[MGMTD_NAME_MAX];
	char	secret[MGMTD_SECRET_MAX];
	char	region[MGMTD_NAME_MAX];
};
TAILQ_HEAD(server_confs, server_conf);

/* Who may book ([organiser NAME]) or run the servers ([operator NAME]). */
struct client_conf {
	TAILQ_ENTRY(client_conf) entry;
	char	name[MGMTD_NAME_MAX];
	char	key[MGMTD_SECRET_MAX];
	char	region[MGMTD_NAME_MAX];	/* organisers: preferred region */
	bool	operator;
};
TAILQ_HEAD(client_confs, client_conf);

/* The configuration, as described by mgmtd_schema (options.c). */
struct mgmtd_conf {
	int	log_level;		/* enum log_level */
	char	state_dir[256];
	/* [api] */
	char	api_addr[MGMTD_ADDR_MAX];
	int	api_port;		/* 0: no API listener */
	bool	api_tls;
	char	api_cert[256];
	char	api_key[256];
	int	api_max_body;		/* bytes */
	int	api_max_headers;	/* bytes: request line and headers */
	int	api_max_conns;		/* connections at once */
	int64_t	api_feed_timeout;	/* ms: the longest long-poll */
	int	access_per_phone;	/* per access_phone_period */
	int64_t	access_phone_period;	/* ms */
	int	access_per_address;	/* per access_address_period */
	int64_t	access_address_period;	/* ms */
	/* [booking] */
	int64_t	slot_len;		/* ms */
	int64_t	horizon;		/* ms */
	int64_t	max_duration;		/* ms */
	int	policy;			/* enum alloc_policy */
	bool	prefer_region;
	/* [registry] */
	int64_t	heartbeat_timeout;	/* ms */
	int64_t	failover_after;		/* ms down before it has failed */
	/* [sms] */
	int	sms_channel;		/* enum sms_channel */
	char	sms_kannel_addr[MGMTD_ADDR_MAX];
	int	sms_kannel_port;
	char	sms_kannel_user[MGMTD_NAME_MAX];
	char	sms_kannel_password[MGMTD_SECRET_MAX];
	char	sms_sender[MGMTD_PHONE_MAX];	/* empty: smsbox's own */
	char	sms_command[MGMTD_COMMAND_MAX];
	int64_t	sms_timeout;		/* ms: Kannel's answer, the command */
	int64_t	sms_retry_min;		/* ms: the first delay, doubled */
	int64_t	sms_retry_max;		/* ms: the longest delay */
	int	sms_max_attempts;
	int64_t	sms_max_age;		/* ms: unsent this long: failed */
	char	sms_dlr_addr[MGMTD_ADDR_MAX];
	int	sms_dlr_port;		/* 0: no delivery reports */
	/* [server NAME], [organiser NAME], [operator NAME], owned */
	struct server_confs servers;
	struct client_confs clients;
};

/* What a person reads when an operation fails: an API error code too. */
struct mgmtd_err {
	int		 status;	/* HTTP status */
	const char	*code;		/* "no_capacity", ... */
	char		 msg[256];
	int64_t		 earliest;	/* no_capacity: a start that fits; -1 */
};

/* A conference server, configured, registered or only in the store. */
struct booking;
struct feed_waiter;
TAILQ_HEAD(booking_list, booking);
TAILQ_HEAD(feed_waiters, feed_waiter);

struct server {
	size_t		 idx;		/* in the registry and the slot table */
	char		 name[MGMTD_NAME_MAX];
	uint8_t		 secret_hash[32];	/* of the INI secret */
	bool		 configured;	/* in the INI; else revoked */
	char		 conf_region[MGMTD_NAME_MAX];	/* INI, may be empty */
	/* What the last registration said, kept in the store. */
	bool		 registered;
	char		 region[MGMTD_NAME_MAX];
	char		 addrs[MGMTD_MAX_ADDRS][MGMTD_ADDR_MAX];
	int		 naddrs;
	int		 port_min, port_max, capacity;
	int64_t		 registered_at;	/* Unix seconds */
	bool		 draining;	/* set by an operator, kept */
	/* Live, from heartbeats; never stored. */
	uint64_t	 last_seen_ms;	/* monotonic; 0: not since start */
	int64_t		 last_seen;	/* Unix seconds */
	int		 live_parts;
	double		 cpu;		/* 0..1 */
	bool		 was_alive;	/* for logging transitions */
	struct booking_list bookings;	/* on this server, for the feed */
	struct feed_waiters waiters;	/* parked long-polls */
	/* A feed request since an older version gets a snapshot: bookings
	 * moved away from this server since, which it must drop. */
	uint64_t	 resync_below;
	bool		 failed;	/* declared failed: for logging */
};

enum server_state {
	SERVER_UNREGISTERED = 0,
	SERVER_ACTIVE,
	SERVER_DRAINING,
	SERVER_DOWN,
	SERVER_REVOKED,
};

struct registry {
	struct server	**srv;
	size_t		  n;
};

/* Where the SMS that carries code 2 is; docs/api.md has the diagram. */
enum sms_state {
	SMS_QUEUED = 0,		/* to be sent; earlier attempts may have failed */
	SMS_SENT,		/* the gateway or the command took it */
	SMS_BUFFERED,		/* the SMS centre holds it for the phone */
	SMS_DELIVERED,		/* final: the phone has it */
	SMS_FAILED,		/* final: it will not be sent, or was lost */
	SMS_UNSENT,		/* final: [sms] channel = none */
	SMS_CANCELLED,		/* final: the booking or access went first */
};

/* One state change of an SMS, as the API lists them. */
struct sms_event {
	enum sms_state	state;
	int64_t		at;		/* Unix seconds */
};

/*
 * The SMS that carries a participant's code 2, owned by its credential.
 * Its text is the only copy of code 2 that mgmtd keeps, and only while it
 * may still send it (queued): it is wiped in memory and in the store as
 * soon as the message leaves that state.
 */
struct sms_child;
struct sms {
	TAILQ_ENTRY(sms) live;		/* the sms queue's, until final */
	bool		 linked;	/* on that list */
	struct mgmtd	*m;		/* set by sms_attach() */
	struct booking	*b;
	struct credential *cred;	/* the owner */
	int64_t		 id;
	enum sms_channel channel;	/* the one that last tried it */
	enum sms_state	 state;
	char		 text[ACODE_SMS_MAX];	/* empty once not needed */
	char		 token[MGMTD_SMS_TOKEN_LEN + 1];	/* of reports */
	int		 attempts;
	int64_t		 next_at;	/* Unix ms of the next attempt */
	int64_t		 created, updated;	/* Unix seconds */
	char		 error[MGMTD_SMS_ERR_MAX];	/* the last one */
	struct sms_event hist[MGMTD_SMS_HIST];
	size_t		 nhist;
	/* While an attempt or a retry is pending; never stored. */
	struct event	*timer;
	struct evhttp_request *req;	/* evhttp's, to Kannel */
	int		 req_err;	/* its enum evhttp_request_error; -1 */
	struct sms_child *child;	/* the command running */
};
TAILQ_HEAD(sms_list, sms);

/* A participant credential: what one invitee's phone joins with. */
struct credential {
	TAILQ_ENTRY(credential) entry;
	int64_t		id;		/* the store's */
	char		phone[MGMTD_PHONE_MAX];
	uint32_t	ssrc;
	uint8_t		key_up[MGMTD_MASTER_LEN];	/* participant sends */
	uint8_t		key_down[MGMTD_MASTER_LEN];	/* server sends */
	int64_t		created;
	int64_t		expires;	/* of its codes; 0: issued before */
	struct sms	*sms;		/* owned; NULL: issued before codes */
	/* Of its code 1, while being stored: where a moved code 1 is found. */
	bool		moved_key;
	uint8_t		moved_idx[32];
	uint8_t		moved_pk[32];
};
TAILQ_HEAD(credentials, credential);

enum booking_state {
	BOOKING_BOOKED = 0,
	BOOKING_CANCELLED,
};

struct booking {
	TAILQ_ENTRY(booking) all;	/* booking_index.all */
	TAILQ_ENTRY(booking) on_server;	/* server->bookings */
	LIST_ENTRY(booking) hash;
	char		 id[MGMTD_ID_LEN + 1];
	char		 organiser[MGMTD_NAME_MAX];
	char		 server[MGMTD_NAME_MAX];
	struct server	*srv;		/* NULL only while being loaded */
	int		 port;
	int64_t		 start, end;	/* [start, end), Unix seconds */
	int64_t		 created;
	int		 capacity;
	char		 region[MGMTD_NAME_MAX];
	enum booking_state state;
	uint64_t	 version;	/* feed version of its last change */
	uint64_t	 ref;		/* its port interval in the table */
	char		 (*invitees)[MGMTD_PHONE_MAX];
	size_t		 ninvitees;
	struct credentials creds;
	char		 moved_from[MGMTD_NAME_MAX];	/* "": never moved */
	int64_t		 moved_at;	/* Unix seconds; 0: never moved */
	bool		 stranded;	/* its server failed, none has room */
};
LIST_HEAD(booking_bucket, booking);

struct booking_index {
	struct booking_bucket	*bucket;
	size_t			 nbucket, n;
	struct booking_list	 all;
};

/* A booking request, validated by the API. */
struct booking_req {
	const char	*organiser;
	bool		 now;		/* start when it is booked */
	int64_t		 start;		/* Unix seconds, unless now */
	int64_t		 duration;	/* seconds */
	int		 capacity;
	const char	*region;	/* preferred; may be empty */
	const char	*const *invitees;
	size_t		 ninvitees;
};

/* Where a booking would go: the allocation decision alone. */
struct booking_plan {
	struct server	*srv;
	int		 port;
	int64_t		 start, end;
};

struct slot_table;
struct store;
struct tls;
struct api;
struct api_conns;
struct evconnlistener;
struct evhttp;
struct sms_queue;
struct failover;

struct mgmtd {
	struct event_base	*base;
	struct svc		*svc;
	struct daemon_args	 args;
	struct mgmtd_conf	 conf;
	struct store		*store;
	struct registry		 reg;
	struct slot_table	*slots;
	struct booking_index	 bookings;
	struct tls		*tls;
	struct api		*api;
	struct api_conns	*api_conns;	/* api_conn.c */
	struct sms_queue	*sms;
	struct ratelimit	*rl_phone;	/* access requests per phone */
	struct ratelimit	*rl_addr;	/* and per source address */
	struct failover		*failover;
	struct event		*ev_sweep;
	uint64_t		 feed_version;	/* of the last change, stored */
	char			 epoch[MGMTD_EPOCH_LEN + 1];	/* store's */
	uint64_t		 next_ref;
};

/* mgmtd.c */
/* Unix time in seconds. */
int64_t	mgmtd_now(void);
/* Monotonic time in milliseconds. */
uint64_t mgmtd_mono_ms(void);
/* Fills e with a status, a code and a message. */
void	mgmtd_err_set(struct mgmtd_err *e, int status, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* options.c */
extern const struct cfg_schema mgmtd_schema;
/* Prepares an empty configuration for cfg_load(). */
void	mgmtd_conf_init(struct mgmtd_conf *c);
/* Frees the multi sections and wipes the secrets of a configuration. */
void	mgmtd_conf_free(struct mgmtd_conf *c);
/* Checks what the table cannot: lengths, clashes, TLS files; adds to errs. */
void	mgmtd_conf_check(const struct mgmtd_conf *c, const char *path,
	    struct cfg_errs *errs);


/* ratelimit.c */
struct ratelimit;
/*
 * Token buckets of burst requests refilled over period_ms, in a table of
 * about slots keys; 0, EINVAL or ENOMEM.
 */
int	ratelimit_new(struct ratelimit **out, size_t slots, int burst,
	    int64_t period_ms);
/* Frees the table. */
void	ratelimit_free(struct ratelimit *rl);
/* Takes a token for key: 0 when allowed, else seconds to wait (>= 1). */
int64_t	ratelimit_take(struct ratelimit *rl, const char *key,
	    uint64_t now_ms);

/* slot.c */
/* A table of horizon_s / len_s slots of len_s seconds, starting at now. */
int	slot_table_new(struct slot_table **out, int64_t len_s,
	    int64_t horizon_s, int64_t now);
/* Frees the table. */
void	slot_table_free(struct slot_table *t);
/* Adds a server with no capacity; its index is the count before. */
int	slot_server_add(struct slot_table *t);
/* Sets a server's capacity and port range (at registration). */
void	slot_server_set(struct slot_table *t, size_t i, int capacity,
	    int port_min, int port_max);
/* Moves the first slot to the one holding now, recycling passed slots. */
void	slot_advance(struct slot_table *t, int64_t now);
/* The slot length in seconds. */
int64_t	slot_len(const struct slot_table *t);
/* The start of the first slot held. */
int64_t	slot_begin(const struct slot_table *t);
/* The end of the last slot held: no booking may end later. */
int64_t	slot_horizon_end(const struct slot_table *t);
/* Whether server i has cap free in every slot of [start, end). */
bool	slot_fits(const struct slot_table *t, size_t i, int64_t start,
	    int64_t end, int cap);
/* The most participants booked on server i in a slot of [start, end). */
int	slot_peak(const struct slot_table *t, size_t i, int64_t start,
	    int64_t end);
/* Booked participants of server i in the slot holding t. */
int	slot_count(const struct slot_table *t, size_t i, int64_t at);
/* The lowest port of server i free over [start, end); 0 or ENOSPC. */
int	slot_port_find(struct slot_table *t, size_t i, int64_t start,
	    int64_t end, int *port);
/* Books cap and port on server i over [start, end), unchecked; ENOMEM. */
int	slot_reserve(struct slot_table *t, size_t i, int64_t start,
	    int64_t end, int cap, int port, uint64_t ref);
/* Gives back what slot_reserve booked. */
void	slot_release(struct slot_table *t, size_t i, int64_t start,
	    int64_t end, int cap, uint64_t ref);
/*
 * Moves the end of a reservation from old_end to new_end, checking capacity
 * and its port over the added time: 0, ENOSPC (capacity), EADDRINUSE
 * (port) or EINVAL (not later, or past the horizon).
 */
int	slot_extend(struct slot_table *t, size_t i, int64_t start,
	    int64_t old_end, int64_t new_end, int cap, uint64_t ref);
/*
 * The earliest start at or after from, from itself or a slot boundary,
 * where server i fits cap for dur seconds with a free port: 0 or ENOSPC.
 */
int	slot_earliest(struct slot_table *t, size_t i, int64_t from,
	    int64_t dur, int cap, int64_t *at);

/* alloc.c */
/* One server that fits a booking, as the policies weigh it. */
struct alloc_cand {
	size_t	idx;		/* the caller's */
	int	used;		/* booked (or live) participants at the peak */
	int	capacity;
	double	cpu;		/* live load 0..1; counts for bookings now */
	bool	in_region;
};
/* Parses "random", "least_loaded" or "pack"; -1 when unknown. */
int	alloc_policy_parse(const char *name);
/* The name of a policy. */
const char *alloc_policy_name(enum alloc_policy p);
/*
 * Picks one of n candidates by policy, servers of the wanted region first
 * when prefer_region; rnd is a uniform random number for the random
 * policy.  Returns the position in c, or -1 when n is 0.
 */
int	alloc_pick(enum alloc_policy p, bool prefer_region,
	    const struct alloc_cand *c, size_t n, uint32_t rnd);

/* store.c */
/* Opens (creating and migrating) state_dir/mgmtd.db; 0 or an errno. */
int	store_open(const char *dir, struct store **out, char *why,
	    size_t whylen);
/* Closes the store. */
void	store_free(struct store *s);
/* The schema version this mgmtd writes. */
int	store_schema_version(void);
/* Starts a write transaction. */
int	store_begin(struct store *s, char *why, size_t whylen);
/* Commits: when it returns 0 the change is on disk. */
int	store_commit(struct store *s, char *why, size_t whylen);
/* Abandons the transaction. */
void	store_rollback(struct store *s);
/* The store's epoch (created with it) and its last feed version. */
int	store_feed_get(struct store *s, char *epoch, size_t epochlen,
	    uint64_t *version, char *why, size_t whylen);
/* Records the last feed version (inside a transaction). */
int	store_feed_set(struct store *s, uint64_t version, char *why,
	    size_t whylen);
/* Writes a server's registration and drain flag. */
int	store_server_put(struct store *s, const struct server *srv, char *why,
	    size_t whylen);
/* Calls fn for each stored server with a registry-less struct server. */
int	store_servers_load(struct store *s,
	    int (*fn)(void *arg, const struct server *row), void *arg,
	    char *why, size_t whylen);
/* Inserts a new booking with its invitees. */
int	store_booking_insert(struct store *s, const struct booking *b,
	    char *why, size_t whylen);
/* Writes a booking's server, port and when and whence it moved. */
int	store_booking_move(struct store *s, const struct booking *b,
	    char *why, size_t whylen);
/* Writes a booking's end, state and version. */
int	store_booking_update(struct store *s, const struct booking *b,
	    char *why, size_t whylen);
/* Inserts a credential; sets its id. */
int	store_credential_insert(struct store *s, const char *booking,
	    struct credential *c, char *why, size_t whylen);
/* Deletes a credential that another one replaced, with its SMS. */
int	store_credential_delete(struct store *s, int64_t id, char *why,
	    size_t whylen);
/* One code 1 issued for a seat (booking, phone), by its lookup index. */
struct code1_row {
	uint8_t		idx[32];
	uint8_t		pk[32];
	char		booking[MGMTD_ID_LEN + 1];
	char		phone[MGMTD_PHONE_MAX];
	int64_t		credential;	/* the one it leads to now */
	uint8_t		sealed[MOVED_SEALED_MAX];	/* the new code 1 */
	size_t		sealed_len;	/* 0: its conference never moved */
	int64_t		moved_at;
};
/* Forgets the codes 1 of a seat, whose access another one replaces. */
int	store_code1_forget(struct store *s, const char *booking,
	    const char *phone, char *why, size_t whylen);
/* Records a code 1 just issued (not moved: nothing sealed yet). */
int	store_code1_insert(struct store *s, const char *booking,
	    const struct credential *c, char *why, size_t whylen);
/* The codes 1 of a seat; *rows is the caller's to free. */
int	store_code1_seat(struct store *s, const char *booking,
	    const char *phone, struct code1_row **rows, size_t *n, char *why,
	    size_t whylen);
/* Records that the code 1 of idx now leads to credential, sealed. */
int	store_code1_seal(struct store *s, const struct code1_row *row,
	    char *why, size_t whylen);
/* The row of a lookup index: 0, ENOENT or an errno with why. */
int	store_code1_find(struct store *s, const uint8_t *idx,
	    struct code1_row *row, char *why, size_t whylen);
/* Inserts the SMS of a credential with its history; sets its id. */
int	store_sms_insert(struct store *s, int64_t credential, struct sms *sms,
	    char *why, size_t whylen);
/* Writes an SMS's state, attempts, last error and text (NULL once empty). */
int	store_sms_update(struct store *s, const struct sms *sms, char *why,
	    size_t whylen);
/* Records a state change of an SMS in its history. */
int	store_sms_event(struct store *s, int64_t sms, enum sms_state st,
	    int64_t at, const char *detail, char *why, size_t whylen);
/*
 * Fails the queued SMS of bookings ended by min_end, which are not loaded,
 * wiping their text; *n says how many.
 */
int	store_sms_expire(struct store *s, int64_t min_end, int64_t now,
	    int *n, char *why, size_t whylen);
/*
 * Truncates the write-ahead log after a wipe, so that wiped text leaves
 * the files too (secure_delete zeroes it in the database itself).
 */
int	store_scrub(struct store *s, char *why, size_t whylen);
/*
 * Calls fn for each booking ending after min_end, complete with invitees,
 * credentials and their SMS; fn takes ownership of the booking.
 */
int	store_bookings_load(struct store *s, int64_t min_end,
	    int (*fn)(void *arg, struct booking *b), void *arg, char *why,
	    size_t whylen);

/* registry.c */
/* Fills the registry from the INI servers, then from the store. */
int	registry_init(struct mgmtd *m, char *why, size_t whylen);
/* Applies a reloaded configuration's [server] sections. */
int	registry_sync(struct mgmtd *m, const struct mgmtd_conf *next);
/* Frees every server. */
void	registry_free(struct registry *r);
/* The server of that name, or NULL. */
struct server *registry_find(const struct registry *r, const char *name);
/* Whether secret is the server's, in constant time. */
bool	registry_auth(const struct server *srv, const char *secret);
/* The state of a server now. */
enum server_state registry_state(const struct mgmtd *m,
	    const struct server *srv, uint64_t now_ms);
/* The name of a state. */
const char *registry_state_name(enum server_state st);
/* Records a registration (durably) and makes the server active. */
int	registry_register(struct mgmtd *m, struct server *srv,
	    const struct server *reg, struct mgmtd_err *e);
/* Records a heartbeat's live load. */
int	registry_heartbeat(struct mgmtd *m, struct server *srv, int parts,
	    double cpu, struct mgmtd_err *e);
/* Sets or clears draining (durably). */
int	registry_set_draining(struct mgmtd *m, struct server *srv, bool on,
	    struct mgmtd_err *e);
/* Logs servers that went down since the last call. */
void	registry_sweep(struct mgmtd *m, uint64_t now_ms);

/* booking.c */
/* Allocates an empty booking (for the store's loader). */
struct booking *booking_new(void);
/* Frees a booking and wipes its keys. */
void	booking_free(struct booking *b);
/* Sets up the index. */
int	booking_index_init(struct booking_index *ix);
/* Frees every booking of the index. */
void	booking_index_free(struct booking_index *ix);
/* Loads the stored bookings and books them into the slot table. */
int	booking_load(struct mgmtd *m, int64_t now, char *why, size_t whylen);
/* The booking with that id, or NULL. */
struct booking *booking_find(const struct mgmtd *m, const char *id);
/* Decides where a booking would go, without booking it. */
int	booking_plan(struct mgmtd *m, const struct booking_req *req,
	    int64_t now, struct booking_plan *plan, struct mgmtd_err *e);
/* Books durably: plans, stores, then indexes; *out is the index's. */
int	booking_create(struct mgmtd *m, const struct booking_req *req,
	    int64_t now, struct booking **out, struct mgmtd_err *e);
/* Lengthens a booking by by seconds on its server and port. */
int	booking_extend(struct mgmtd *m, struct booking *b, int64_t by,
	    int64_t now, struct mgmtd_err *e);
/* Cancels a booking, freeing its capacity and port. */
int	booking_cancel(struct mgmtd *m, struct booking *b, int64_t now,
	    struct mgmtd_err *e);
/*
 * Issues (or re-issues) the access of an invitee: a pair of access codes,
 * whose credential is stored and fed to confd, code 1 into code1 for the
 * answer, code 2 queued by SMS.
 */
int	booking_access(struct mgmtd *m, struct booking *b, const char *phone,
	    int64_t now, struct credential **out, char *code1, size_t len1,
	    struct mgmtd_err *e);
/* Frees a credential, its SMS, and wipes its keys. */
void	booking_cred_free(struct credential *c);
/* Sets the lookup index and public key of c's code 1; whether it could. */
bool	booking_moved_key(struct credential *c, const char *code1);
/* Whether ssrc, or its complement, is another participant's of b, or 0. */
bool	booking_ssrc_taken(const struct booking *b, uint32_t ssrc);
/* Forgets bookings ended more than MGMTD_RETAIN_S ago. */
void	booking_prune(struct mgmtd *m, int64_t now);
/* The name of a state. */
const char *booking_state_name(enum booking_state st);

/* moved.c: pure */
/*
 * The lookup index and the X25519 key pair of a code 1 as typed: only its
 * holder can make them.  An enum acode_err with why (a typo, ...).
 */
int	moved_derive(const char *code1, uint8_t idx[MOVED_KEY_LEN],
	    uint8_t pk[MOVED_KEY_LEN], uint8_t sk[MOVED_KEY_LEN], char *why,
	    size_t whylen);
/* Seals a new code 1 to pk; 0, or ENOSPC / EIO. */
int	moved_seal(const uint8_t pk[MOVED_KEY_LEN], const char *code1,
	    uint8_t *out, size_t outlen, size_t *len);
/* Opens what moved_seal made into code1 (NUL-terminated); 0 or EBADMSG. */
int	moved_open(const uint8_t pk[MOVED_KEY_LEN],
	    const uint8_t sk[MOVED_KEY_LEN], const uint8_t *sealed,
	    size_t len, char *code1, size_t code1len);

/* failover.c */
/* The failover state: a rate limit of pickups, retry times; 0 or ENOMEM. */
int	failover_new(struct mgmtd *m);
/* Frees it. */
void	failover_free(struct mgmtd *m);
/*
 * Moves the bookings of servers down for failover_after to other active
 * servers; retries the stranded ones.  Called by the sweep timer.
 */
void	failover_sweep(struct mgmtd *m, uint64_t now_ms);
/* Whether a pickup from addr must wait: seconds to wait, or 0. */
int64_t	failover_limit(struct mgmtd *m, const char *addr);
/* Whether srv has been down so long that its bookings must move. */
bool	failover_failed(const struct mgmtd *m, const struct server *srv,
	    uint64_t now_ms);

/* feed.c */
/*
 * Answers a confd's feed request now with a snapshot when its epoch is
 * not ours, or with what changed after since; when nothing did, parks it
 * until a change or timeout_ms.
 */
void	feed_request(struct mgmtd *m, struct server *srv,
	    struct evhttp_request *req, const char *epoch, uint64_t since,
	    int64_t timeout_ms);
/* Answers the parked requests of a server after a change. */
void	feed_notify(struct mgmtd *m, struct server *srv);
/* The feed message of a server: a snapshot, or the changes after since. */
json_t	*feed_message(struct mgmtd *m, struct server *srv,
	    bool snapshot, uint64_t since, int64_t now);
/* Answers every parked request (at shutdown). */
void	feed_flush(struct mgmtd *m, struct server *srv);

/* sms.c */
/* The name of a state, and the state of a name (-1 when unknown). */
const char *sms_state_name(enum sms_state st);
int	sms_state_parse(const char *name);
/* The name of a channel. */
const char *sms_channel_name(enum sms_channel ch);
/* Whether a state is final: nothing changes it any more. */
bool	sms_final(enum sms_state st);
/* The state a Kannel delivery report type (dlr-mask bit) leads to; -1. */
int	sms_dlr_state(int type);
/* Whether a report of state to may follow state from. */
bool	sms_may_follow(enum sms_state from, enum sms_state to);
/* The delay before attempt n + 1 after attempt n failed, in ms. */
int64_t	sms_backoff(const struct mgmtd_conf *c, int n);
/*
 * A new SMS carrying code2 (valid until expires) by the configured
 * channel: queued, or unsent with channel none.  0 or ENOSPC, EINVAL.
 */
int	sms_new(const struct mgmtd_conf *c, const char *code2,
	    int64_t expires, int64_t now, struct sms **out);
/* Frees an SMS, abandoning its attempt in flight, wiping its text. */
void	sms_free(struct sms *s);
/* Adds a state change to the history in memory. */
void	sms_hist_add(struct sms *s, enum sms_state st, int64_t at);
/* Sets up the channel and the report listener, resumes stored SMS. */
int	sms_start(struct mgmtd *m, char *why, size_t whylen);
/* Abandons attempts in flight and closes the channel (at shutdown). */
void	sms_stop(struct mgmtd *m);
/* Starts sending the SMS of a credential just stored. */
void	sms_attach(struct mgmtd *m, struct booking *b, struct credential *c);
/* Cancels the SMS not yet sent of a cancelled booking. */
void	sms_cancel_booking(struct mgmtd *m, struct booking *b);
/* The SMS as the API shows it: never its text or token. */
json_t	*sms_json(const struct sms *s);
/* For the channels: moves s to st, durably, with a reason. */
void	sms_set_state(struct sms *s, enum sms_state st, const char *detail);
/* For the channels: an attempt failed; the next one, or failed. */
void	sms_retry(struct sms *s, const char *why);
/* The SMS with that id that is not final yet, or NULL. */
struct sms *sms_find_live(struct mgmtd *m, int64_t id);

/* sms_kannel.c */
struct sms_kannel;
/* The channel, and the delivery report listener when dlr_port is set. */
int	sms_kannel_new(struct mgmtd *m, struct sms_kannel **out, char *why,
	    size_t whylen);
/* Closes the connection and the listener; nothing may be in flight. */
void	sms_kannel_free(struct sms_kannel *k);
/* Sends s to sendsms; the answer comes later.  0 or an errno with why. */
int	sms_kannel_send(struct sms_kannel *k, struct sms *s, char *why,
	    size_t whylen);
/* Abandons the request of s in flight: its answer no longer counts. */
void	sms_kannel_abandon(struct sms *s);
/*
 * Builds the sendsms request of s for Kannel into buf (path and query);
 * it holds the password and code 2.  0 or ENOSPC / ENOMEM.
 */
int	sms_kannel_uri(const struct mgmtd_conf *c, const struct sms *s,
	    const char *phone, const char *dlr_base, char *buf, size_t len);

/* A delivery report of Kannel, as the query string of GET /dlr says it. */
struct sms_dlr {
	int64_t		 id;		/* of the SMS, 0 or more */
	int		 type;		/* 1, 2, 4, 8 or 16: a dlr-mask bit */
	enum sms_state	 state;		/* the state the type leads to */
	/* The token as given when it has a token's length; "" otherwise. */
	char		 token[MGMTD_SMS_TOKEN_LEN + 1];
	/* The SMS centre's reply (a=), its first line as printable ASCII. */
	char		 reply[MGMTD_SMS_REPLY_MAX + 1];
};
/*
 * Parses the query string of a delivery report (NULL when there is none):
 * id=N&t=TOKEN&status=TYPE&a=REPLY, nothing else.  0, or EINVAL with why
 * (the reason of a 400 invalid_query) and *out zeroed.  It neither finds
 * the SMS nor checks the token: sms_kannel_dlr_token_ok() does.
 */
int	sms_kannel_dlr_parse(const char *query, struct sms_dlr *out,
	    char *why, size_t whylen);
/* Whether a report carries token, compared in constant time. */
bool	sms_kannel_dlr_token_ok(const struct sms_dlr *d, const char *token);

/* sms_exec.c */
struct sms_exec;
/* The channel: no command runs yet. */
int	sms_exec_new(struct mgmtd *m, struct sms_exec **out, char *why,
	    size_t whylen);
/* Stops watching the commands still running, which finish on their own. */
void	sms_exec_free(struct sms_exec *x);
/* Runs the command for s; its exit comes later.  0 or an errno with why. */
int	sms_exec_start(struct sms_exec *x, struct sms *s, char *why,
	    size_t whylen);
/* Forgets s in the command running for it (s is going away). */
void	sms_exec_forget(struct sms *s);

/* tls.c */
/* An OpenSSL server context from PEM files; 0 or an errno with why. */
int	tls_new(struct tls **out, const char *cert, const char *key,
	    char *why, size_t whylen);
/* Frees the context. */
void	tls_free(struct tls *t);
/* A new TLS bufferevent for an accepted connection (evhttp's bevcb). */
struct bufferevent *tls_bevcb(struct event_base *base, void *arg);

/* api.c */
/* One request being handled: what the router found out. */
struct api_call {
	struct mgmtd		*m;
	struct evhttp_request	*req;
	const char		*param;		/* the {id} of the path */
	struct server		*srv;		/* the authenticated server */
	const struct client_conf *client;	/* organiser or operator */
	json_t			*body;		/* NULL when there is none */
	struct evkeyvalq	*query;
};

/* A field a request body may hold. */
struct api_field {
	const char	*name;
	json_type	 type;		/* JSON_REAL: any number */
	bool		 required;
};

/* Binds the listener and starts serving; 0 or an errno with why. */
int	api_start(struct mgmtd *m, char *why, size_t whylen);
/* Answers parked requests, closes the listener and every connection. */
void	api_stop(struct mgmtd *m);
/* Sends a JSON reply and takes ownership of body. */
void	api_reply(struct evhttp_request *req, int status, json_t *body);
/* Sends {"error": {...}} for e. */
void	api_reply_err(struct evhttp_request *req, const struct mgmtd_err *e);
/* Checks a body against its fields: an object, none unknown, all typed. */
int	api_fields_check(const json_t *body, const struct api_field *f,
	    size_t n, struct mgmtd_err *e);
/* A query parameter as an integer in [min, max], or def when absent. */
int	api_query_int(struct api_call *c, const char *name, int64_t min,
	    int64_t max, int64_t def, int64_t *v, struct mgmtd_err *e);
/* Refuses query parameters other than the names given. */
int	api_query_only(struct api_call *c, const char *const *names,
	    size_t n, struct mgmtd_err *e);
/* Adds a time as RFC 3339 text to obj. */
void	api_set_time(json_t *obj, const char *key, int64_t t);
/* A master key as base64 text. */
json_t	*api_key_json(const uint8_t *key);
/* Whether a name (a region) uses only letters, digits, '-', '_', '.'. */
bool	api_name_ok(const char *s);

/* api_parse.c: request bodies to request structs; 0 or EINVAL with e. */
/* The JSON object of a body; *out is the caller's to json_decref(). */
int	api_parse_json(const char *buf, size_t len, json_t **out,
	    struct mgmtd_err *e);
/* Whether s is an E.164 number: '+' and 6 to 15 digits, no leading 0. */
bool	api_phone_ok(const char *s);
/*
 * A booking request, but for its organiser; its strings point into body,
 * invitees (MGMTD_MAX_INVITEES of them) become req->invitees.
 */
int	api_parse_booking(const json_t *body, int64_t max_duration_s,
	    const char *def_region, struct booking_req *req,
	    const char **invitees, struct mgmtd_err *e);
/* The seconds of an extension. */
int	api_parse_extend(const json_t *body, int64_t max_duration_s,
	    int64_t *by, struct mgmtd_err *e);
/* The phone of an access request; it points into body. */
int	api_parse_access(const json_t *body, const char **phone,
	    struct mgmtd_err *e);
/* A registration: addresses, ports, capacity and region of reg. */
int	api_parse_register(const json_t *body, struct server *reg,
	    struct mgmtd_err *e);
/* A heartbeat's live load. */
int	api_parse_heartbeat(const json_t *body, int *parts, double *cpu,
	    struct mgmtd_err *e);
/* An operator's drain state. */
int	api_parse_state(const json_t *body, bool *draining,
	    struct mgmtd_err *e);
/* The old code 1 of a pickup of a moved code; it points into body. */
int	api_parse_moved(const json_t *body, const char **code1,
	    struct mgmtd_err *e);

/* api_conn.c */
/*
 * Counts the connections of http, accepted on lev, against [api]
 * max_connections, and pauses accepting when descriptors run out.
 */
int	api_conn_start(struct mgmtd *m, struct evhttp *http,
	    struct evconnlistener *lev, char *why, size_t whylen);
/* Stops counting; call after evhttp_free(). */
void	api_conn_stop(struct mgmtd *m);
/* Answers 503 when req came on a connection past the limit; true then. */
bool	api_conn_refuse(struct mgmtd *m, struct evhttp_request *req);
/* The connections being served now. */
int	api_conn_count(const struct mgmtd *m);

/* budget.c */
/* About how many file descriptors the configuration may hold at once. */
uint64_t budget_fd_need(const struct mgmtd_conf *c);
/*
 * Raises the descriptor limit to what the configuration needs; 0, or an
 * errno with why when even the hard limit is too low.
 */
int	budget_fds_ensure(const struct mgmtd_conf *c, char *why,
	    size_t whylen);

/* api_servers.c */
void	api_health(struct api_call *c);
void	api_server_register(struct api_call *c);
void	api_server_heartbeat(struct api_call *c);
void	api_server_feed(struct api_call *c);
void	api_servers_list(struct api_call *c);
void	api_server_get(struct api_call *c);
void	api_server_state(struct api_call *c);

/* api_moved.c */
void	api_access_moved(struct api_call *c);

/* api_bookings.c */
void	api_booking_create(struct api_call *c);
void	api_bookings_list(struct api_call *c);
void	api_booking_get(struct api_call *c);
void	api_booking_extend(struct api_call *c);
void	api_booking_cancel(struct api_call *c);
void	api_booking_access(struct api_call *c);
void	api_access_list(struct api_call *c);

#endif
