/*
 * confd: the conference daemon.  It serves conferences on UDP ports: each
 * participant sends SRTP-protected Opus and hears, from the same port, a mix
 * of everyone else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <sodium.h>

#include "confd.h"
#include "svc.h"

/* Loads and cross-checks the configuration; exits 78 on any error. */
static void
confd_load(const char *path, struct confd_conf *conf)
{
	struct cfg_errs *errs;
	size_t i;

	confd_conf_init(conf);
	daemon_load_config(&confd_schema, path, conf);
	if ((errs = cfg_errs_new()) == NULL)
		exit(71);
	confd_conf_check(conf, path, errs);
	if (cfg_errs_count(errs) > 0) {
		for (i = 0; i < cfg_errs_count(errs); i++)
			fprintf(stderr, "%s\n", cfg_errs_get(errs, i));
		fprintf(stderr, "confd: %zu error%s in the configuration, not "
		    "starting\n", cfg_errs_count(errs),
		    cfg_errs_count(errs) == 1 ? "" : "s");
		exit(EX_CONFIG_STATUS);
	}
	cfg_errs_free(errs);
}

/* Whether the [room] sections of two configurations differ. */
static bool
confd_rooms_differ(const struct confd_conf *a, const struct confd_conf *b)
{
	const struct confd_room_conf *x, *y;

	for (x = TAILQ_FIRST(&a->rooms), y = TAILQ_FIRST(&b->rooms);
	    x != NULL && y != NULL;
	    x = TAILQ_NEXT(x, entry), y = TAILQ_NEXT(y, entry))
		if (strcmp(x->name, y->name) != 0 || x->port != y->port ||
		    x->capacity != y->capacity || x->suite != y->suite ||
		    strcmp(x->key, y->key) != 0)
			return true;
	return x != NULL || y != NULL;
}

static void
confd_reload(void *arg)
{
	struct confd *cd = arg;
	struct confd_conf next;
	struct cfg_errs *errs;
	size_t i;

	svc_reloading(cd->svc, 1);
	confd_conf_init(&next);
	if (daemon_reload_config(&confd_schema, cd->args.conf_path, &cd->conf,
	    &next) == 0 && (errs = cfg_errs_new()) != NULL) {
		confd_conf_check(&next, cd->args.conf_path, errs);
		for (i = 0; i < cfg_errs_count(errs); i++)
			log_err("config", "%s", cfg_errs_get(errs, i));
		cfg_errs_free(errs);
		if (confd_rooms_differ(&cd->conf, &next))
			log_warn("config", "[room] sections changed, but take "
			    "effect only after a restart");
		log_set_level(daemon_log_level(&cd->args, cd->conf.log_level));
		log_info("config", "log level is now %s",
		    log_level_name(log_get_level()));
		/* The workers read their own copy of what may change. */
		worker_reconf(cd);
	}
	confd_conf_free(&next);
	svc_reloading(cd->svc, 0);
}

static const struct svc_ops confd_svc_ops = { confd_reload, NULL };

/* Handles what the workers sent back: the snapshots of a scrape. */
static void
confd_on_msg(evutil_socket_t fd, short what, void *arg)
{
	struct confd *cd = arg;
	struct wmsgs msgs;
	struct wmsg *m;

	(void)fd;
	(void)what;
	wq_take(&cd->q, &msgs);
	while ((m = TAILQ_FIRST(&msgs)) != NULL) {
		TAILQ_REMOVE(&msgs, m, entry);
		if (m->type == WMSG_SNAP_DONE)
			metrics_snap_done(cd, m);
		else
			wmsg_free(m);
	}
}

/* Creates and opens the permanent rooms of the INI file. */
static void
confd_open_rooms(struct confd *cd)
{
	struct confd_room_conf *rc;
	uint8_t key[SRTPX_MAX_MASTER];
	struct room *r;
	char why[256];

	TAILQ_FOREACH(rc, &cd->conf.rooms, entry) {
		/* confd_conf_check() has decoded every key once already. */
		if (srtpx_key_decode(rc->suite, rc->key, key, why,
		    sizeof(why)) != 0 || room_new(cd, rc->name, rc->port,
		    rc->capacity, (enum srtpx_suite)rc->suite, key, &r, why,
		    sizeof(why)) != 0)
			fatal(71, "room", "[room %s]: %s", rc->name, why);
		if (room_open(r, why, sizeof(why)) != 0)
			fatal(71, "room", "[room %s]: %s", rc->name, why);
		/* An INI room's capacity never changes after room_new(). */
		log_info("room", "%s: open on port %d, capacity %d, %s, "
		    "worker %u", r->name, r->port, r->capacity,
		    srtpx_suite_name(r->suite), r->w->id);
	}
	sodium_memzero(key, sizeof(key));
}

int
main(int argc, char **argv)
{
	struct confd cd;
	struct room *r;
	char why[256];
	int nrooms = 0;

	memset(&cd, 0, sizeof(cd));
	TAILQ_INIT(&cd.rooms);
	TAILQ_INIT(&cd.mreqs);
	atomic_init(&cd.parts_total, 0);
	atomic_init(&cd.server_full_logged, false);
	daemon_args_parse(&cd.args, argc, argv, "confd", CONFD_DEFAULT_CONF);
	confd_load(cd.args.conf_path, &cd.conf);
	if (cd.args.check_only) {
		printf("%s: configuration OK\n", cd.args.conf_path);
		confd_conf_free(&cd.conf);
		return 0;
	}
	daemon_detach(&cd.args);
	log_init("confd", cd.args.foreground,
	    daemon_log_level(&cd.args, cd.conf.log_level));

	/* Before anything opens: a limit too low is a configuration error. */
	if (limits_fds_ensure(&cd.conf, why, sizeof(why)) != 0)
		fatal(EX_CONFIG_STATUS, "main", "%s: %s", cd.args.conf_path, why);
	if (srtpx_init() != 0)
		fatal(71, "main", "cannot initialise libsrtp and libsodium");
	/* Before any event base: every base then has its lock and wake-up. */
	if (evthread_use_pthreads() != 0)
		fatal(71, "main", "cannot set up libevent for threads");
	if ((cd.base = event_base_new()) == NULL)
		fatal(71, "main", "cannot create the event loop");
	if (wq_init(&cd.q, cd.base, confd_on_msg, &cd) != 0)
		fatal(71, "main", "cannot create the workers' answer queue");
	if (worker_start(&cd, why, sizeof(why)) != 0)
		fatal(71, "worker", "%s", why);
	if ((cd.svc = svc_new(cd.base, &confd_svc_ops, &cd)) == NULL)
		fatal(71, "main", "cannot set up signal handling");
	if (sched_init(&cd) != 0)
		fatal(71, "main", "out of memory");
	if (metrics_start(&cd, why, sizeof(why)) != 0)
		fatal(71, "metrics", "%s", why);
	confd_open_rooms(&cd);
	if (mgmt_start(&cd, why, sizeof(why)) != 0)
		fatal(71, "mgmt", "%s", why);
	TAILQ_FOREACH(r, &cd.rooms, entry)
		nrooms++;

	log_notice("main", "%s started with %s: %d room%s", cd.conf.server_id,
	    cd.args.conf_path, nrooms, nrooms == 1 ? "" : "s");
	svc_ready(cd.svc, "serving");
	event_base_dispatch(cd.base);

	mgmt_stop(&cd);
	/*
	 * A TLS connection freed while it was still connecting lets go of
	 * its last reference only from its own pending callbacks: let them run.
	 */
	event_base_loop(cd.base, EVLOOP_NONBLOCK);
	/* Each worker frees its rooms, logging their summaries, then stops. */
	while ((r = TAILQ_FIRST(&cd.rooms)) != NULL)
		room_release(r);
	worker_stop(&cd);
	/* The workers' last answers: scrapes they took before stopping. */
	confd_on_msg(-1, 0, &cd);
	metrics_stop(&cd);
	sched_free(&cd);
	svc_free(cd.svc);
	wq_free(&cd.q);
	event_base_free(cd.base);
	confd_conf_free(&cd.conf);
	log_notice("main", "stopped");
	return 0;
}
