/* daemon: see daemon.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

static void
daemon_usage(const char *prog, const char *default_conf)
{
	fprintf(stderr,
	    "usage: %s [-dhnv] [-f file]\n"
	    "  -f file  configuration file (default %s)\n"
	    "  -n       check the configuration and exit\n"
	    "  -d       stay in the foreground and log to stderr\n"
	    "  -v       more verbose logging (repeat for more)\n"
	    "  -h       this help\n", prog, default_conf);
}

void
daemon_args_parse(struct daemon_args *a, int argc, char **argv,
    const char *prog, const char *default_conf)
{
	int ch;

	memset(a, 0, sizeof(*a));
	a->conf_path = default_conf;
	while ((ch = getopt(argc, argv, "df:hnv")) != -1) {
		switch (ch) {
		case 'd':
			a->foreground = 1;
			break;
		case 'f':
			a->conf_path = optarg;
			break;
		case 'h':
			daemon_usage(prog, default_conf);
			exit(0);
		case 'n':
			a->check_only = 1;
			break;
		case 'v':
			a->verbose++;
			break;
		default:
			daemon_usage(prog, default_conf);
			exit(64);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
		    argv[optind]);
		daemon_usage(prog, default_conf);
		exit(64);
	}
}

enum log_level
daemon_log_level(const struct daemon_args *a, int configured)
{
	int level = configured + a->verbose;

	return level > LOG_LVL_DEBUG ? LOG_LVL_DEBUG : (enum log_level)level;
}

void
daemon_load_config(const struct cfg_schema *s, const char *path, void *conf)
{
	struct cfg_errs *errs;
	size_t i;

	if ((errs = cfg_errs_new()) == NULL) {
		fprintf(stderr, "%s: out of memory\n", s->program);
		exit(71);
	}
	if (cfg_load(s, path, conf, errs) != 0) {
		for (i = 0; i < cfg_errs_count(errs); i++)
			fprintf(stderr, "%s\n", cfg_errs_get(errs, i));
		fprintf(stderr, "%s: %zu error%s in the configuration, not "
		    "starting\n", s->program, cfg_errs_count(errs),
		    cfg_errs_count(errs) == 1 ? "" : "s");
		cfg_errs_free(errs);
		exit(EX_CONFIG_STATUS);
	}
	cfg_errs_free(errs);
}

struct daemon_diff {
	const struct cfg_schema	*schema;
	void			*cur;
	const void		*next;
	int			 restart;
};

static void
daemon_on_changed(void *arg, const struct cfg_opt *o)
{
	struct daemon_diff *d = arg;

	if (o->flags & CFG_RELOAD) {
		memcpy((char *)d->cur + o->off, (const char *)d->next + o->off,
		    o->size);
		log_notice("config", "[%s] %s: changed", o->section, o->key);
		return;
	}
	d->restart++;
	log_warn("config", "[%s] %s: changed, but takes effect only after a "
	    "restart; keeping the running value", o->section, o->key);
}

int
daemon_reload_config(const struct cfg_schema *s, const char *path, void *cur,
    void *next)
{
	struct daemon_diff d = { s, cur, next, 0 };
	struct cfg_errs *errs;
	size_t i;
	int rc;

	if ((errs = cfg_errs_new()) == NULL)
		return ENOMEM;
	rc = cfg_load(s, path, next, errs);
	if (rc != 0) {
		for (i = 0; i < cfg_errs_count(errs); i++)
			log_err("config", "%s", cfg_errs_get(errs, i));
		log_err("config", "reload refused: %zu error%s; still running "
		    "the previous configuration", cfg_errs_count(errs),
		    cfg_errs_count(errs) == 1 ? "" : "s");
		cfg_errs_free(errs);
		return EINVAL;
	}
	cfg_errs_free(errs);
	cfg_diff(s, cur, next, daemon_on_changed, &d);
	log_notice("config", "reloaded %s%s", path, d.restart ?
	    "; some changes need a restart" : "");
	return 0;
}

void
daemon_detach(const struct daemon_args *a)
{
	/* Under systemd (Type=notify) the service manager supervises us. */
	if (a->foreground || getenv("NOTIFY_SOCKET") != NULL)
		return;
	if (daemon(0, 0) == -1) {
		fprintf(stderr, "daemon: %s\n", strerror(errno));
		exit(71);
	}
}
