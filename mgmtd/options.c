/*
 * options: every mgmtd.ini option, once.  The loader, the example file
 * etc/mgmtd.ini and the man page mgmtd.ini(5) are all made from this table.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "mgmtd.h"

#define F(field)	CFG_FIELD(struct mgmtd_conf, field)
#define S(field)	CFG_FIELD(struct server_conf, field)
#define C(field)	CFG_FIELD(struct client_conf, field)
#define MS(n)		(n)
#define SEC(n)		((n) * 1000LL)
#define MIN(n)		((n) * 60000LL)
#define DAY(n)		((n) * 86400000LL)

/* More slots than this would not fit 1,000 servers in memory. */
#define MGMTD_MAX_SLOTS	100000

static const struct cfg_opt mgmtd_opts[] = {
	{ "general", "log_level", CFG_ENUM, 0, 0,
	  "err|warning|notice|info|debug", "info",
	  "The least important messages that are logged.", CFG_RELOAD,
	  F(log_level) },
	{ "general", "state_dir", CFG_STR, 0, 0, NULL, "/var/lib/mgmtd",
	  "Directory of the durable booking store.", 0, F(state_dir) },

	{ "api", "address", CFG_ADDR, 0, 0, NULL, "::",
	  "Address the HTTPS API listens on; :: also takes IPv4 where the "
	  "system allows.", 0, F(api_addr) },
	{ "api", "port", CFG_INT, 0, 65535, NULL, "0",
	  "TCP port of the HTTPS API; 0: no API (set it to serve).", 0,
	  F(api_port) },
	{ "api", "tls", CFG_BOOL, 0, 0, NULL, "yes",
	  "Serve HTTPS; 'no' serves plain HTTP, for tests on loopback only.",
	  0, F(api_tls) },
	{ "api", "cert", CFG_STR, 0, 0, NULL, "/etc/conference/mgmtd.crt",
	  "PEM certificate chain of the API, read at start.", 0,
	  F(api_cert) },
	{ "api", "key", CFG_STR, 0, 0, NULL, "/etc/conference/mgmtd.key",
	  "PEM private key of the certificate, read at start.", 0,
	  F(api_key) },
	{ "api", "max_body", CFG_INT, 1024, MGMTD_BODY_HARD_MAX, NULL,
	  "65536", "Largest request body in bytes; larger ones get 413.", 0,
	  F(api_max_body) },
	{ "api", "max_headers", CFG_INT, 1024, 1048576, NULL, "16384",
	  "Largest request line and headers in bytes; larger ones get "
	  "evhttp's own 400 Bad Request and the connection is closed.", 0,
	  F(api_max_headers) },
	{ "api", "max_connections", CFG_INT, 1, 1000000, NULL, "1000",
	  "Connections to the API at once (each confd holds one); more get "
	  "503 with Retry-After.  The descriptor limit is raised to fit, or "
	  "mgmtd does not start.", 0, F(api_max_conns) },
	{ "api", "feed_timeout", CFG_DURATION, SEC(1), SEC(300), NULL, "30s",
	  "Longest time a feed request waits for a change.", 0,
	  F(api_feed_timeout) },
	{ "api", "access_per_phone", CFG_INT, 1, 1000000, NULL, "5",
	  "Access requests (each sends an SMS) one phone may get at once.",
	  0, F(access_per_phone) },
	{ "api", "access_phone_period", CFG_DURATION, SEC(1), SEC(86400),
	  NULL, "1h", "Time in which a phone's allowance fills up again.", 0,
	  F(access_phone_period) },
	{ "api", "access_per_address", CFG_INT, 1, 1000000, NULL, "60",
	  "Access requests one source address may make at once.", 0,
	  F(access_per_address) },
	{ "api", "access_address_period", CFG_DURATION, SEC(1), SEC(86400),
	  NULL, "1m", "Time in which an address's allowance fills up again.",
	  0, F(access_address_period) },

	{ "booking", "slot", CFG_DURATION, MIN(1), DAY(1), NULL, "15m",
	  "Length of a slot of the idle table; capacity is booked by whole "
	  "slots.", 0, F(slot_len) },
	{ "booking", "horizon", CFG_DURATION, SEC(3600), DAY(366), NULL,
	  "90d", "How far ahead conferences may be booked.", 0, F(horizon) },
	{ "booking", "max_duration", CFG_DURATION, MIN(1), DAY(366), NULL,
	  "1d", "Longest conference, extensions included.", CFG_RELOAD,
	  F(max_duration) },
	{ "booking", "policy", CFG_ENUM, 0, 0, "random|least_loaded|pack",
	  "least_loaded", "How a server is chosen among those that fit.",
	  CFG_RELOAD, F(policy) },
	{ "booking", "prefer_region", CFG_BOOL, 0, 0, NULL, "yes",
	  "Choose servers of the booking's region first, others only when "
	  "none of them fits.", CFG_RELOAD, F(prefer_region) },

	{ "registry", "heartbeat_timeout", CFG_DURATION, MS(200), SEC(3600),
	  NULL, "30s", "A server that sends no heartbeat this long is down.",
	  CFG_RELOAD, F(heartbeat_timeout) },
	{ "registry", "failover_after", CFG_DURATION, SEC(1), DAY(7), NULL,
	  "60s", "A server down this long after heartbeat_timeout has failed: "
	  "its bookings that have not ended move to other servers, and their "
	  "participants get new codes.", CFG_RELOAD, F(failover_after) },

	{ "sms", "channel", CFG_ENUM, 0, 0, "none|kannel|exec", "none",
	  "How code 2 reaches the participant's phone: kannel (Kannel's "
	  "sendsms), exec (a command), or none: not at all, and nobody can "
	  "join.", 0, F(sms_channel) },
	{ "sms", "kannel_address", CFG_ADDR, 0, 0, NULL, "127.0.0.1",
	  "Address of Kannel smsbox's sendsms interface (plain HTTP).", 0,
	  F(sms_kannel_addr) },
	{ "sms", "kannel_port", CFG_INT, 1, 65535, NULL, "13013",
	  "Its port, the sendsms-port of smsbox.", 0, F(sms_kannel_port) },
	{ "sms", "kannel_username", CFG_STR, 0, 0, NULL, "",
	  "Username of a sendsms-user of Kannel; required with channel = "
	  "kannel.", 0, F(sms_kannel_user) },
	{ "sms", "kannel_password", CFG_STR, 0, 0, NULL, "",
	  "Its password.", CFG_SECRET, F(sms_kannel_password) },
	{ "sms", "sender", CFG_STR, 0, 0, NULL, "",
	  "Sender number of the SMS; empty: smsbox's global-sender.", 0,
	  F(sms_sender) },
	{ "sms", "command", CFG_STR, 0, 0, NULL, "",
	  "With channel = exec: absolute path of a program run with the phone "
	  "number and the text as its two arguments; exit status 0 means "
	  "sent.", 0, F(sms_command) },
	{ "sms", "timeout", CFG_DURATION, SEC(1), MIN(5), NULL, "10s",
	  "Longest wait for Kannel's answer or the command's exit (the command "
	  "is then killed); the attempt has failed.", 0, F(sms_timeout) },
	{ "sms", "retry_min", CFG_DURATION, MS(100), MIN(10), NULL, "1s",
	  "Delay after the first failed attempt; it doubles after each "
	  "further one.", 0, F(sms_retry_min) },
	{ "sms", "retry_max", CFG_DURATION, MS(100), DAY(1), NULL, "5m",
	  "Longest delay between two attempts.", 0, F(sms_retry_max) },
	{ "sms", "max_attempts", CFG_INT, 1, 1000, NULL, "12",
	  "Attempts before an SMS fails for good.", 0, F(sms_max_attempts) },
	{ "sms", "max_age", CFG_DURATION, SEC(1), DAY(7), NULL, "1h",
	  "An SMS not sent this long after its access request fails for "
	  "good.", 0, F(sms_max_age) },
	{ "sms", "dlr_address", CFG_ADDR, 0, 0, NULL, "127.0.0.1",
	  "Address of the listener for Kannel's delivery reports (plain HTTP: "
	  "keep it on loopback).", 0, F(sms_dlr_addr) },
	{ "sms", "dlr_port", CFG_INT, 0, 65535, NULL, "0",
	  "Its TCP port; 0: no delivery reports, and an SMS stays sent.", 0,
	  F(sms_dlr_port) },

	{ "server", "secret", CFG_STR, 0, 0, NULL, NULL,
	  "Shared secret the server's confd authenticates with (16 "
	  "characters or more).", CFG_SECRET, S(secret) },
	{ "server", "region", CFG_STR, 0, 0, NULL, "",
	  "Region of the server; empty: the one it registers with.", 0,
	  S(region) },

	{ "organiser", "key", CFG_STR, 0, 0, NULL, NULL,
	  "API key the organiser books with (16 characters or more).",
	  CFG_SECRET, C(key) },
	{ "organiser", "region", CFG_STR, 0, 0, NULL, "",
	  "Region preferred for the organiser's bookings that name none.", 0,
	  C(region) },

	{ "operator", "key", CFG_STR, 0, 0, NULL, NULL,
	  "API key of an operator, who may list servers and drain them (16 "
	  "characters or more).", CFG_SECRET, C(key) },
};

/* Adds a [server NAME] section; the configuration owns it. */
static void *
mgmtd_server_add(void *conf, const char *name)
{
	struct mgmtd_conf *c = conf;
	struct server_conf *sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	snprintf(sc->name, sizeof(sc->name), "%s", name);
	TAILQ_INSERT_TAIL(&c->servers, sc, entry);
	return sc;
}

/* Adds an organiser or operator; the configuration owns it. */
static struct client_conf *
mgmtd_client_add(struct mgmtd_conf *c, const char *name, bool operator)
{
	struct client_conf *cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	snprintf(cc->name, sizeof(cc->name), "%s", name);
	cc->operator = operator;
	TAILQ_INSERT_TAIL(&c->clients, cc, entry);
	return cc;
}

/* Adds an [organiser NAME] section; the configuration owns it. */
static void *
mgmtd_organiser_add(void *conf, const char *name)
{
	return mgmtd_client_add(conf, name, false);
}

/* Adds an [operator NAME] section; the configuration owns it. */
static void *
mgmtd_operator_add(void *conf, const char *name)
{
	return mgmtd_client_add(conf, name, true);
}

static const struct cfg_multi mgmtd_multi[] = {
	{ "server", "A conference server (a confd) that may register; its "
	  "NAME is the server_id of its confd.ini.", mgmtd_server_add },
	{ "organiser", "Someone who may book conferences through the API.",
	  mgmtd_organiser_add },
	{ "operator", "Someone who runs the conference servers through the "
	  "API.", mgmtd_operator_add },
};

const struct cfg_schema mgmtd_schema = {
	"mgmtd", mgmtd_opts, sizeof(mgmtd_opts) / sizeof(mgmtd_opts[0]),
	mgmtd_multi, sizeof(mgmtd_multi) / sizeof(mgmtd_multi[0]),
};

void
mgmtd_conf_init(struct mgmtd_conf *c)
{
	memset(c, 0, sizeof(*c));
	TAILQ_INIT(&c->servers);
	TAILQ_INIT(&c->clients);
}

void
mgmtd_conf_free(struct mgmtd_conf *c)
{
	struct server_conf *sc;
	struct client_conf *cc;

	sodium_memzero(c->sms_kannel_password, sizeof(c->sms_kannel_password));
	while ((sc = TAILQ_FIRST(&c->servers)) != NULL) {
		TAILQ_REMOVE(&c->servers, sc, entry);
		sodium_memzero(sc->secret, sizeof(sc->secret));
		free(sc);
	}
	while ((cc = TAILQ_FIRST(&c->clients)) != NULL) {
		TAILQ_REMOVE(&c->clients, cc, entry);
		sodium_memzero(cc->key, sizeof(cc->key));
		free(cc);
	}
}

/* Whether a numeric address is a wildcard (or not an address at all). */
static bool
mgmtd_addr_wild(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return a4.s_addr == htonl(INADDR_ANY);
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_UNSPECIFIED(&a6);
	return true;
}

/* Checks the [sms] options that go together with the channel. */
static void
mgmtd_conf_check_sms(const struct mgmtd_conf *c, const char *path,
    struct cfg_errs *errs)
{
	struct stat sb;

	if (c->sms_channel == SMS_CH_KANNEL) {
		if (c->sms_kannel_addr[0] == '\0')
			cfg_errs_add(errs, "%s: [sms] kannel_address: required "
			    "with channel = kannel", path);
		if (c->sms_kannel_user[0] == '\0')
			cfg_errs_add(errs, "%s: [sms] kannel_username: required "
			    "with channel = kannel", path);
		if (c->sms_kannel_password[0] == '\0')
			cfg_errs_add(errs, "%s: [sms] kannel_password: required "
			    "with channel = kannel", path);
		if (c->sms_dlr_port != 0 && mgmtd_addr_wild(c->sms_dlr_addr))
			cfg_errs_add(errs, "%s: [sms] dlr_address: Kannel "
			    "cannot call back '%s'; give the address it should "
			    "use, such as 127.0.0.1", path, c->sms_dlr_addr);
	}
	if (c->sms_channel == SMS_CH_EXEC) {
		if (c->sms_command[0] == '\0')
			cfg_errs_add(errs, "%s: [sms] command: required with "
			    "channel = exec", path);
		else if (c->sms_command[0] != '/')
			cfg_errs_add(errs, "%s: [sms] command: '%s' is not an "
			    "absolute path", path, c->sms_command);
		else if (stat(c->sms_command, &sb) == -1)
			cfg_errs_add(errs, "%s: [sms] command: %s: %s", path,
			    c->sms_command, strerror(errno));
		else if (!S_ISREG(sb.st_mode) ||
		    access(c->sms_command, X_OK) == -1)
			cfg_errs_add(errs, "%s: [sms] command: %s: not an "
			    "executable file", path, c->sms_command);
	}
	if (c->sms_retry_min > c->sms_retry_max)
		cfg_errs_add(errs, "%s: [sms] retry_min: longer than retry_max",
		    path);
}

/* The section kind of a client, for messages. */
static const char *
mgmtd_client_kind(const struct client_conf *cc)
{
	return cc->operator ? "operator" : "organiser";
}

void
mgmtd_conf_check(const struct mgmtd_conf *c, const char *path,
    struct cfg_errs *errs)
{
	const struct server_conf *sc;
	const struct client_conf *cc, *o;
	int64_t nslots;

	TAILQ_FOREACH(sc, &c->servers, entry)
		if (strlen(sc->secret) < MGMTD_SECRET_MIN)
			cfg_errs_add(errs, "%s: [server %s] secret: shorter "
			    "than %d characters", path, sc->name,
			    MGMTD_SECRET_MIN);
	TAILQ_FOREACH(cc, &c->clients, entry) {
		if (strlen(cc->key) < MGMTD_SECRET_MIN)
			cfg_errs_add(errs, "%s: [%s %s] key: shorter than %d "
			    "characters", path, mgmtd_client_kind(cc), cc->name,
			    MGMTD_SECRET_MIN);
		/* A key must name one client, or a request is ambiguous. */
		TAILQ_FOREACH(o, &c->clients, entry) {
			if (o == cc)
				break;
			if (strcmp(o->key, cc->key) == 0)
				cfg_errs_add(errs, "%s: [%s %s] key: the same "
				    "as the key of [%s %s]", path,
				    mgmtd_client_kind(cc), cc->name,
				    mgmtd_client_kind(o), o->name);
		}
	}
	if (c->slot_len % 1000 != 0)
		cfg_errs_add(errs, "%s: [booking] slot: must be whole seconds",
		    path);
	else if (c->horizon % c->slot_len != 0)
		cfg_errs_add(errs, "%s: [booking] horizon: must be a whole "
		    "number of slots", path);
	nslots = c->horizon / c->slot_len;
	if (nslots > MGMTD_MAX_SLOTS)
		cfg_errs_add(errs, "%s: [booking] horizon: %lld slots; at most "
		    "%d fit in memory (make the slot longer)", path,
		    (long long)nslots, MGMTD_MAX_SLOTS);
	if (c->max_duration > c->horizon)
		cfg_errs_add(errs, "%s: [booking] max_duration: longer than "
		    "the horizon", path);
	if (c->api_port != 0 && c->api_tls &&
	    (c->api_cert[0] == '\0' || c->api_key[0] == '\0'))
		cfg_errs_add(errs, "%s: [api]: cert and key are required when "
		    "tls = yes", path);
	mgmtd_conf_check_sms(c, path, errs);
}
