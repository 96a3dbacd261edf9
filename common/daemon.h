/*
 * daemon: what mgmtd and confd share before and around their event loop:
 * the command line (-f FILE, -n, -d, -v), loading the configuration with
 * every error reported, and re-reading it on SIGHUP.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include "cfg.h"
#include "log.h"

#define EX_CONFIG_STATUS	78	/* sysexits.h EX_CONFIG */

struct daemon_args {
	const char	*conf_path;
	int		 check_only;	/* -n */
	int		 foreground;	/* -d */
	int		 verbose;	/* number of -v */
};

/* Parses the common flags; prints usage and exits 64 on a bad one. */
void	daemon_args_parse(struct daemon_args *a, int argc, char **argv,
	    const char *prog, const char *default_conf);
/* The effective log level: the configured one raised by each -v. */
enum log_level daemon_log_level(const struct daemon_args *a, int configured);
/*
 * Loads the configuration for startup: on any error prints each one to
 * stderr and exits 78 (EX_CONFIG) before anything is started.
 */
void	daemon_load_config(const struct cfg_schema *s, const char *path,
	    void *conf);
/*
 * Re-reads the configuration into next for a SIGHUP.  On errors logs each
 * one and returns EINVAL: the caller keeps running on cur.  On success,
 * logs every changed option that needs a restart and copies into cur the
 * options that can change at run time; returns 0.
 */
int	daemon_reload_config(const struct cfg_schema *s, const char *path,
	    void *cur, void *next);
/* Detaches from the terminal unless in the foreground or under systemd. */
void	daemon_detach(const struct daemon_args *a);

#endif
