/*
 * confd: the management daemon's internal header.
 *
 * All process state hangs off one struct confd, created in main.c and passed
 * down to every module.
 */
#ifndef CONFD_H
#define CONFD_H

#include <stdint.h>

#include "cfg.h"
#include "daemon.h"

#define CONFD_DEFAULT_CONF	"/etc/conference/confd.ini"

/* The configuration, as described by confd_schema (options.c). */
struct confd_conf {
	int	log_level;		/* enum log_level */
	char	server_id[64];
};

struct confd {
	struct event_base	*base;
	struct svc		*svc;
	struct daemon_args	 args;
	struct confd_conf	 conf;
};

/* options.c */
extern const struct cfg_schema confd_schema;

#endif
