/*
 * registry: the conference servers.  The INI file says which may register
 * ([server NAME] with its secret); a confd registers with its addresses,
 * port range, capacity and region, which the store keeps, and then sends
 * heartbeats with its live load, which only memory keeps.
 *
 * A server is active, draining (an operator's choice, kept in the store: it
 * keeps its bookings and gets no new ones), down (no heartbeat within
 * heartbeat_timeout, as every server is after mgmtd starts until it hears
 * from it), unregistered, or revoked (gone from the INI file while the
 * store still knows it: it cannot authenticate, its bookings stay).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "mgmtd.h"

static const char *const registry_names[] = {
	"unregistered", "active", "draining", "down", "revoked",
};

const char *
registry_state_name(enum server_state st)
{
	return registry_names[st];
}

/* The BLAKE2b hash of a secret, which is what is compared. */
static void
registry_hash(const char *secret, uint8_t out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)secret,
	    strlen(secret), NULL, 0);
}

/* Adds a server of that name with nothing registered; NULL: no memory. */
static struct server *
registry_add(struct mgmtd *m, const char *name)
{
	struct server **ns, *srv;

	if ((ns = reallocarray(m->reg.srv, m->reg.n + 1, sizeof(*ns))) == NULL)
		return NULL;
	m->reg.srv = ns;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	if (slot_server_add(m->slots) != 0) {
		free(srv);
		return NULL;
	}
	srv->idx = m->reg.n;
	snprintf(srv->name, sizeof(srv->name), "%s", name);
	TAILQ_INIT(&srv->bookings);
	TAILQ_INIT(&srv->waiters);
	m->reg.srv[m->reg.n++] = srv;
	return srv;
}

/* Takes a stored registration into the registry (store_servers_load). */
static int
registry_load_one(void *arg, const struct server *row)
{
	struct mgmtd *m = arg;
	struct server *srv;
	int i;

	if ((srv = registry_find(&m->reg, row->name)) == NULL) {
		if ((srv = registry_add(m, row->name)) == NULL)
			return ENOMEM;
		log_warn("registry", "server %s is in the store but not in "
		    "the configuration: revoked, its bookings are kept",
		    row->name);
	}
	srv->registered = true;
	snprintf(srv->region, sizeof(srv->region), "%s", row->region);
	for (i = 0; i < row->naddrs; i++)
		snprintf(srv->addrs[i], MGMTD_ADDR_MAX, "%s", row->addrs[i]);
	srv->naddrs = row->naddrs;
	srv->port_min = row->port_min;
	srv->port_max = row->port_max;
	srv->capacity = row->capacity;
	srv->registered_at = row->registered_at;
	srv->draining = row->draining;
	slot_server_set(m->slots, srv->idx, srv->capacity, srv->port_min,
	    srv->port_max);
	return 0;
}

int
registry_init(struct mgmtd *m, char *why, size_t whylen)
{
	const struct server_conf *sc;
	struct server *srv;

	TAILQ_FOREACH(sc, &m->conf.servers, entry) {
		if ((srv = registry_add(m, sc->name)) == NULL) {
			snprintf(why, whylen, "out of memory");
			return ENOMEM;
		}
		srv->configured = true;
		registry_hash(sc->secret, srv->secret_hash);
		snprintf(srv->conf_region, sizeof(srv->conf_region), "%s",
		    sc->region);
	}
	return store_servers_load(m->store, registry_load_one, m, why,
	    whylen);
}

int
registry_sync(struct mgmtd *m, const struct mgmtd_conf *next)
{
	const struct server_conf *sc;
	struct server *srv;
	size_t i;
	bool found;

	TAILQ_FOREACH(sc, &next->servers, entry) {
		if ((srv = registry_find(&m->reg, sc->name)) == NULL) {
			if ((srv = registry_add(m, sc->name)) == NULL)
				return ENOMEM;
			log_notice("registry", "server %s added", sc->name);
		} else if (!srv->configured)
			log_notice("registry", "server %s is configured again",
			    sc->name);
		srv->configured = true;
		registry_hash(sc->secret, srv->secret_hash);
		snprintf(srv->conf_region, sizeof(srv->conf_region), "%s",
		    sc->region);
	}
	for (i = 0; i < m->reg.n; i++) {
		srv = m->reg.srv[i];
		found = false;
		TAILQ_FOREACH(sc, &next->servers, entry)
			if (strcmp(sc->name, srv->name) == 0)
				found = true;
		if (!found && srv->configured) {
			srv->configured = false;
			sodium_memzero(srv->secret_hash,
			    sizeof(srv->secret_hash));
			log_notice("registry", "server %s revoked: it is no "
			    "longer in the configuration", srv->name);
		}
	}
	return 0;
}

void
registry_free(struct registry *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		sodium_memzero(r->srv[i]->secret_hash,
		    sizeof(r->srv[i]->secret_hash));
		free(r->srv[i]);
	}
	free(r->srv);
	r->srv = NULL;
	r->n = 0;
}

struct server *
registry_find(const struct registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->srv[i]->name, name) == 0)
			return r->srv[i];
	return NULL;
}

bool
registry_auth(const struct server *srv, const char *secret)
{
	uint8_t h[32];
	bool ok;

	/* Hashes have one length, so the comparison leaks nothing. */
	registry_hash(secret, h);
	ok = sodium_memcmp(h, srv->secret_hash, sizeof(h)) == 0;
	return ok && srv->configured;
}

enum server_state
registry_state(const struct mgmtd *m, const struct server *srv,
    uint64_t now_ms)
{
	if (!srv->configured)
		return SERVER_REVOKED;
	if (!srv->registered)
		return SERVER_UNREGISTERED;
	if (srv->last_seen_ms == 0 ||
	    now_ms - srv->last_seen_ms > (uint64_t)m->conf.heartbeat_timeout)
		return SERVER_DOWN;
	return srv->draining ? SERVER_DRAINING : SERVER_ACTIVE;
}

/* Stores srv as it would be with the fields of tmp; 0 or mgmtd_err. */
static int
registry_store(struct mgmtd *m, const struct server *tmp, struct mgmtd_err *e)
{
	char why[256];

	if (store_begin(m->store, why, sizeof(why)) != 0 ||
	    store_server_put(m->store, tmp, why, sizeof(why)) != 0 ||
	    store_commit(m->store, why, sizeof(why)) != 0) {
		store_rollback(m->store);
		log_err("registry", "server %s: %s", tmp->name, why);
		mgmtd_err_set(e, 500, "store_failed", "the store failed; "
		    "nothing was changed");
		return EIO;
	}
	return 0;
}

/* Marks a server as heard from now, logging when it comes back. */
static void
registry_seen(struct mgmtd *m, struct server *srv)
{
	srv->last_seen_ms = mgmtd_mono_ms();
	srv->last_seen = mgmtd_now();
	if (!srv->was_alive)
		log_notice("registry", "server %s is up", srv->name);
	srv->was_alive = true;
	(void)m;
}

int
registry_register(struct mgmtd *m, struct server *srv,
    const struct server *reg, struct mgmtd_err *e)
{
	struct server tmp;
	int i;

	if (srv->conf_region[0] != '\0' && reg->region[0] != '\0' &&
	    strcmp(srv->conf_region, reg->region) != 0) {
		mgmtd_err_set(e, 409, "region_mismatch", "server %s is in "
		    "region '%s' by the configuration of mgmtd, not '%s'",
		    srv->name, srv->conf_region, reg->region);
		return EINVAL;
	}
	tmp = *srv;
	snprintf(tmp.region, sizeof(tmp.region), "%s",
	    srv->conf_region[0] != '\0' ? srv->conf_region : reg->region);
	for (i = 0; i < reg->naddrs; i++)
		snprintf(tmp.addrs[i], MGMTD_ADDR_MAX, "%s", reg->addrs[i]);
	tmp.naddrs = reg->naddrs;
	tmp.port_min = reg->port_min;
	tmp.port_max = reg->port_max;
	tmp.capacity = reg->capacity;
	tmp.registered_at = mgmtd_now();
	tmp.registered = true;
	if (registry_store(m, &tmp, e) != 0)
		return EIO;
	/* Committed: now memory may follow. */
	memcpy(srv->region, tmp.region, sizeof(srv->region));
	memcpy(srv->addrs, tmp.addrs, sizeof(srv->addrs));
	srv->naddrs = tmp.naddrs;
	srv->port_min = tmp.port_min;
	srv->port_max = tmp.port_max;
	srv->capacity = tmp.capacity;
	srv->registered_at = tmp.registered_at;
	srv->registered = true;
	slot_server_set(m->slots, srv->idx, srv->capacity, srv->port_min,
	    srv->port_max);
	registry_seen(m, srv);
	log_info("registry", "server %s registered: capacity %d, ports "
	    "%d-%d, region '%s', %s%s%s", srv->name, srv->capacity,
	    srv->port_min, srv->port_max, srv->region, srv->addrs[0],
	    srv->naddrs > 1 ? " " : "", srv->naddrs > 1 ? srv->addrs[1] : "");
	return 0;
}

int
registry_heartbeat(struct mgmtd *m, struct server *srv, int parts, double cpu,
    struct mgmtd_err *e)
{
	if (!srv->registered) {
		mgmtd_err_set(e, 409, "not_registered", "server %s must "
		    "register before it sends heartbeats", srv->name);
		return EINVAL;
	}
	srv->live_parts = parts;
	srv->cpu = cpu;
	registry_seen(m, srv);
	return 0;
}

int
registry_set_draining(struct mgmtd *m, struct server *srv, bool on,
    struct mgmtd_err *e)
{
	struct server tmp;

	if (!srv->registered) {
		mgmtd_err_set(e, 409, "not_registered", "server %s has never "
		    "registered", srv->name);
		return EINVAL;
	}
	if (srv->draining == on)
		return 0;
	tmp = *srv;
	tmp.draining = on;
	if (registry_store(m, &tmp, e) != 0)
		return EIO;
	srv->draining = on;
	log_notice("registry", "server %s: %s", srv->name, on ?
	    "draining: keeps its bookings, gets no new ones" :
	    "active again: takes new bookings");
	return 0;
}

void
registry_sweep(struct mgmtd *m, uint64_t now_ms)
{
	struct server *srv;
	size_t i;

	for (i = 0; i < m->reg.n; i++) {
		srv = m->reg.srv[i];
		if (!srv->was_alive ||
		    registry_state(m, srv, now_ms) != SERVER_DOWN)
			continue;
		srv->was_alive = false;
		log_warn("registry", "server %s is down: no heartbeat for "
		    "%lld ms", srv->name, (long long)(now_ms -
		    srv->last_seen_ms));
	}
}
