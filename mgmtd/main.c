/*
 * mgmtd: the management daemon.  Conference servers register with it, it
 * keeps the time-slotted idle table, books conferences and issues the
 * participants' credentials, and feeds each confd what it must host.  It
 * never carries media.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "log.h"
#include "mgmtd.h"
#include "svc.h"

/* How often servers' liveness is checked and passed slots are recycled. */
#define MGMTD_SWEEP_MS	250

/* Prints every error of errs and exits 78 when there is any. */
static void
mgmtd_config_errors(struct cfg_errs *errs)
{
	size_t i;

	if (cfg_errs_count(errs) == 0) {
		cfg_errs_free(errs);
		return;
	}
	for (i = 0; i < cfg_errs_count(errs); i++)
		fprintf(stderr, "%s\n", cfg_errs_get(errs, i));
	fprintf(stderr, "mgmtd: %zu error%s in the configuration, not "
	    "starting\n", cfg_errs_count(errs), cfg_errs_count(errs) == 1 ?
	    "" : "s");
	exit(EX_CONFIG_STATUS);
}

/*
 * Loads and cross-checks the configuration; exits 78 on any error.  With
 * the API on and TLS, the certificate and key are loaded too, so that -n
 * catches a bad file; without the API (the default) they are not read.
 */
static void
mgmtd_load(struct mgmtd *m)
{
	struct cfg_errs *errs;
	char why[512];

	mgmtd_conf_init(&m->conf);
	daemon_load_config(&mgmtd_schema, m->args.conf_path, &m->conf);
	if ((errs = cfg_errs_new()) == NULL)
		exit(71);
	mgmtd_conf_check(&m->conf, m->args.conf_path, errs);
	if (cfg_errs_count(errs) == 0 && m->conf.api_port != 0 &&
	    m->conf.api_tls && tls_new(&m->tls, m->conf.api_cert,
	    m->conf.api_key, why, sizeof(why)) != 0)
		cfg_errs_add(errs, "%s: [api]: %s", m->args.conf_path, why);
	mgmtd_config_errors(errs);
}

/* Applies the [server], [organiser] and [operator] sections of next. */
static void
mgmtd_reload_sections(struct mgmtd *m, struct mgmtd_conf *next)
{
	struct mgmtd_conf old;
	struct cfg_errs *errs;
	size_t i;

	if ((errs = cfg_errs_new()) == NULL)
		return;
	mgmtd_conf_check(next, m->args.conf_path, errs);
	for (i = 0; i < cfg_errs_count(errs); i++)
		log_err("config", "%s", cfg_errs_get(errs, i));
	if (cfg_errs_count(errs) > 0) {
		log_err("config", "[server], [organiser] and [operator] "
		    "sections not applied; the previous ones stay");
		cfg_errs_free(errs);
		return;
	}
	cfg_errs_free(errs);
	if (registry_sync(m, next) != 0) {
		log_err("config", "out of memory applying [server] sections");
		return;
	}
	/* The running configuration takes next's sections; old frees ours. */
	mgmtd_conf_init(&old);
	TAILQ_CONCAT(&old.servers, &m->conf.servers, entry);
	TAILQ_CONCAT(&old.clients, &m->conf.clients, entry);
	TAILQ_CONCAT(&m->conf.servers, &next->servers, entry);
	TAILQ_CONCAT(&m->conf.clients, &next->clients, entry);
	mgmtd_conf_free(&old);
	log_info("config", "[server], [organiser] and [operator] sections "
	    "applied");
}

/* SIGHUP: reloads, applies what may change at run time. */
static void
mgmtd_reload(void *arg)
{
	struct mgmtd *m = arg;
	struct mgmtd_conf next;

	svc_reloading(m->svc, 1);
	mgmtd_conf_init(&next);
	if (daemon_reload_config(&mgmtd_schema, m->args.conf_path, &m->conf,
	    &next) == 0) {
		mgmtd_reload_sections(m, &next);
		log_set_level(daemon_log_level(&m->args, m->conf.log_level));
		log_info("config", "log level is now %s",
		    log_level_name(log_get_level()));
	}
	mgmtd_conf_free(&next);
	svc_reloading(m->svc, 0);
}

static const struct svc_ops mgmtd_svc_ops = { mgmtd_reload, NULL };

/* Every 250 ms: liveness of servers, passed slots, old bookings. */
static void
mgmtd_on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct mgmtd *m = arg;
	int64_t now = mgmtd_now();

	(void)fd;
	(void)what;
	registry_sweep(m, mgmtd_mono_ms());
	slot_advance(m->slots, now);
	failover_sweep(m, mgmtd_mono_ms());
	booking_prune(m, now);
}

/* Opens the store and rebuilds the registry and the idle table from it. */
static void
mgmtd_restore(struct mgmtd *m)
{
	char why[512];
	int64_t now = mgmtd_now();

	if (store_open(m->conf.state_dir, &m->store, why, sizeof(why)) != 0)
		fatal(71, "store", "%s", why);
	if (store_feed_get(m->store, m->epoch, sizeof(m->epoch),
	    &m->feed_version, why, sizeof(why)) != 0)
		fatal(71, "store", "%s", why);
	if (slot_table_new(&m->slots, m->conf.slot_len / 1000,
	    m->conf.horizon / 1000, now) != 0 ||
	    booking_index_init(&m->bookings) != 0)
		fatal(71, "main", "out of memory");
	if (registry_init(m, why, sizeof(why)) != 0)
		fatal(71, "registry", "%s", why);
	if (booking_load(m, now, why, sizeof(why)) != 0)
		fatal(71, "booking", "%s", why);
	log_info("store", "%zu server%s, %zu booking%s, feed version %llu",
	    m->reg.n, m->reg.n == 1 ? "" : "s", m->bookings.n,
	    m->bookings.n == 1 ? "" : "s",
	    (unsigned long long)m->feed_version);
}

int
main(int argc, char **argv)
{
	struct mgmtd m;
	struct timeval tv = { 0, MGMTD_SWEEP_MS * 1000 };
	char why[512];

	memset(&m, 0, sizeof(m));
	daemon_args_parse(&m.args, argc, argv, "mgmtd", MGMTD_DEFAULT_CONF);
	mgmtd_load(&m);
	if (m.args.check_only) {
		printf("%s: configuration OK\n", m.args.conf_path);
		tls_free(m.tls);
		mgmtd_conf_free(&m.conf);
		return 0;
	}
	daemon_detach(&m.args);
	log_init("mgmtd", m.args.foreground,
	    daemon_log_level(&m.args, m.conf.log_level));

	/* Before anything opens: a limit too low is a configuration error. */
	if (budget_fds_ensure(&m.conf, why, sizeof(why)) != 0)
		fatal(EX_CONFIG_STATUS, "main", "%s: %s", m.args.conf_path, why);
	if (sodium_init() < 0)
		fatal(71, "main", "cannot initialise libsodium");
	if ((m.base = event_base_new()) == NULL)
		fatal(71, "main", "cannot create the event loop");
	if ((m.svc = svc_new(m.base, &mgmtd_svc_ops, &m)) == NULL)
		fatal(71, "main", "cannot set up signal handling");
	mgmtd_restore(&m);
	if (ratelimit_new(&m.rl_phone, 16384, m.conf.access_per_phone,
	    m.conf.access_phone_period) != 0 ||
	    ratelimit_new(&m.rl_addr, 4096, m.conf.access_per_address,
	    m.conf.access_address_period) != 0)
		fatal(71, "main", "out of memory");
	if (sms_start(&m, why, sizeof(why)) != 0)
		fatal(71, "sms", "%s", why);
	if (failover_new(&m) != 0)
		fatal(71, "main", "out of memory");
	if (m.conf.api_port != 0 && api_start(&m, why, sizeof(why)) != 0)
		fatal(71, "api", "%s", why);
	if ((m.ev_sweep = event_new(m.base, -1, EV_PERSIST, mgmtd_on_sweep,
	    &m)) == NULL || event_add(m.ev_sweep, &tv) != 0)
		fatal(71, "main", "cannot start the sweep timer");

	log_notice("main", "started with %s: %zu server%s, policy %s, SMS by "
	    "%s%s", m.args.conf_path, m.reg.n, m.reg.n == 1 ? "" : "s",
	    alloc_policy_name(m.conf.policy),
	    sms_channel_name((enum sms_channel)m.conf.sms_channel),
	    m.api ? "" : ", no API ([api] port is 0)");
	svc_ready(m.svc, m.api ? "serving" : "serving, no API");
	event_base_dispatch(m.base);

	api_stop(&m);
	sms_stop(&m);
	ratelimit_free(m.rl_phone);
	ratelimit_free(m.rl_addr);
	failover_free(&m);
	event_free(m.ev_sweep);
	booking_index_free(&m.bookings);
	registry_free(&m.reg);
	slot_table_free(m.slots);
	store_free(m.store);
	tls_free(m.tls);
	svc_free(m.svc);
	event_base_free(m.base);
	mgmtd_conf_free(&m.conf);
	log_notice("main", "stopped");
	return 0;
}
