/*
 * mgmtd: the management daemon's internal header.
 *
 * All process state hangs off one struct mgmtd, created in main.c and passed
 * down to every module.
 */
#ifndef MGMTD_H
#define MGMTD_H

#include <stdint.h>

#include "cfg.h"
#include "daemon.h"

#define MGMTD_DEFAULT_CONF	"/etc/conference/mgmtd.ini"

/* The configuration, as described by mgmtd_schema (options.c). */
struct mgmtd_conf {
	int	log_level;		/* enum log_level */
	char	state_dir[256];
};

struct mgmtd {
	struct event_base	*base;
	struct svc		*svc;
	struct daemon_args	 args;
	struct mgmtd_conf	 conf;
};

/* options.c */
extern const struct cfg_schema mgmtd_schema;

#endif
