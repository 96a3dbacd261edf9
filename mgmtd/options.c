/*
 * options: every mgmtd.ini option, once.  The loader, the example file
 * etc/mgmtd.ini and the man page mgmtd.ini(5) are all made from this table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	{ "api", "feed_timeout", CFG_DURATION, SEC(1), SEC(300), NULL, "30s",
	  "Longest time a feed request waits for a change.", 0,
	  F(api_feed_timeout) },

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
}
