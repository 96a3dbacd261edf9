/*
 * confd: the management daemon.  Conference servers register with it, it
 * keeps the time-slotted idle table, books conferences and issues access
 * codes.  It never carries media.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "confd.h"
#include "svc.h"

static void
confd_reload(void *arg)
{
	struct confd *m = arg;
	struct confd_conf next;

	svc_reloading(m->svc, 1);
	if (daemon_reload_config(&confd_schema, m->args.conf_path, &m->conf,
	    &next) == 0) {
		log_set_level(daemon_log_level(&m->args, m->conf.log_level));
		log_info("config", "log level is now %s",
		    log_level_name(log_get_level()));
	}
	svc_reloading(m->svc, 0);
}

static const struct svc_ops confd_svc_ops = { confd_reload, NULL };

int
main(int argc, char **argv)
{
	struct confd m;

	memset(&m, 0, sizeof(m));
	daemon_args_parse(&m.args, argc, argv, "confd", CONFD_DEFAULT_CONF);
	daemon_load_config(&confd_schema, m.args.conf_path, &m.conf);
	if (m.args.check_only) {
		printf("%s: configuration OK\n", m.args.conf_path);
		return 0;
	}
	daemon_detach(&m.args);
	log_init("confd", m.args.foreground,
	    daemon_log_level(&m.args, m.conf.log_level));

	if ((m.base = event_base_new()) == NULL)
		fatal(71, "main", "cannot create the event loop");
	if ((m.svc = svc_new(m.base, &confd_svc_ops, &m)) == NULL)
		fatal(71, "main", "cannot set up signal handling");

	log_notice("main", "started with %s", m.args.conf_path);
	svc_ready(m.svc, "serving");
	event_base_dispatch(m.base);

	svc_free(m.svc);
	event_base_free(m.base);
	log_notice("main", "stopped");
	return 0;
}
