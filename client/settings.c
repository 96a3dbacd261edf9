/*
 * settings: where mgmtd is, which CA vouches for it and which API key to
 * show it.
 *
 * Each setting is taken from the first of: the command line, the
 * environment, the configuration file, the default.  The command line
 * comes first because it is the most specific to one run; the file last
 * because it serves every run.  The file is an INI file read through the
 * option table below, like the daemons' (common/cfg.c), so a mistake in it
 * is reported as "file:line: what is wrong".  It is optional at its
 * default place and required when named.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cfg.h"
#include "confcli.h"

/* What the configuration file may hold. */
struct settings_file {
	char	url[CONFCLI_URL_MAX];
	char	ca[CONFCLI_PATH_MAX];
	char	key[CONFCLI_KEY_MAX];
};

#define F(field)	CFG_FIELD(struct settings_file, field)

static const struct cfg_opt settings_opts[] = {
	{ "mgmtd", "url", CFG_STR, 0, 0, NULL, CONFCLI_URL_DEFAULT,
	  "URL of mgmtd's API: https://HOST[:PORT].", 0, F(url) },
	{ "mgmtd", "ca", CFG_STR, 0, 0, NULL, "",
	  "CA certificates (PEM) that vouch for mgmtd; empty: the system's.",
	  0, F(ca) },
	{ "mgmtd", "key", CFG_STR, 0, 0, NULL, "",
	  "API key of an organiser or an operator.", CFG_SECRET, F(key) },
};

static const struct cfg_schema settings_schema = {
	"confcli", settings_opts, sizeof(settings_opts) /
	sizeof(settings_opts[0]), NULL, 0,
};

void
settings_default_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg != NULL && xdg[0] == '/')
		snprintf(buf, len, "%s/confcli.ini", xdg);
	else if (home != NULL && home[0] != '\0')
		snprintf(buf, len, "%s/.config/confcli.ini", home);
	else
		buf[0] = '\0';
}

/*
 * Reads the configuration file into f.  A missing file at the default
 * place is no error; a named one must exist.  0, or an errno with why.
 */
static int
settings_read_file(struct settings_file *f, const char *path, bool named,
    char *why, size_t whylen)
{
	struct cfg_errs *errs;
	struct stat sb;
	size_t i, n;
	int err;

	cfg_defaults(&settings_schema, f);
	if (path[0] == '\0' || (!named && stat(path, &sb) == -1 &&
	    errno == ENOENT))
		return 0;
	if ((errs = cfg_errs_new()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	err = cfg_load(&settings_schema, path, f, errs);
	if (err != 0) {
		/* Every mistake at once, as the daemons report them. */
		n = cfg_errs_count(errs);
		why[0] = '\0';
		for (i = 0; i < n; i++)
			snprintf(why + strlen(why), whylen - strlen(why),
			    "%s%s", i > 0 ? "\n" : "", cfg_errs_get(errs, i));
	}
	cfg_errs_free(errs);
	if (err == 0 && f->key[0] != '\0' && stat(path, &sb) == 0 &&
	    (sb.st_mode & 077) != 0)
		fprintf(stderr, "confcli: %s holds an API key and others may "
		    "read it: chmod 600 %s\n", path, path);
	return err;
}

/* Copies the first of the command line, environment or file value. */
static int
settings_pick(char *dst, size_t len, const char *opt, const char *optname,
    const char *env, const char *file, const char **from, const char *what,
    char *why, size_t whylen)
{
	const char *v = file, *envv = getenv(env);

	*from = "the configuration file";
	if (opt != NULL) {
		v = opt;
		*from = optname;
	} else if (envv != NULL && envv[0] != '\0') {
		v = envv;
		*from = env;
	}
	if (strlen(v) >= len) {
		snprintf(why, whylen, "the %s from %s is too long (at most %zu "
		    "characters)", what, *from, len - 1);
		return EINVAL;
	}
	snprintf(dst, len, "%s", v);
	return 0;
}

int
settings_resolve(struct settings *s, const char *opt_url, const char *opt_ca,
    const char *opt_key, const char *opt_config, char *why, size_t whylen)
{
	struct settings_file f;
	const char *path = opt_config, *envc = getenv("CONFCLI_CONFIG");
	bool named = true;
	int err;

	memset(s, 0, sizeof(*s));
	if (path == NULL && envc != NULL && envc[0] != '\0')
		path = envc;
	if (path == NULL) {
		settings_default_path(s->file, sizeof(s->file));
		named = false;
	} else
		snprintf(s->file, sizeof(s->file), "%s", path);
	if ((err = settings_read_file(&f, s->file, named, why, whylen)) != 0)
		goto out;
	if (!named && access(s->file, F_OK) != 0)
		s->file[0] = '\0';
	if ((err = settings_pick(s->url, sizeof(s->url), opt_url, "--mgmtd",
	    "CONFCLI_MGMTD", f.url, &s->url_from, "URL of mgmtd", why,
	    whylen)) != 0 ||
	    (err = settings_pick(s->ca, sizeof(s->ca), opt_ca, "--ca",
	    "CONFCLI_CA", f.ca, &s->ca_from, "CA file", why, whylen)) != 0 ||
	    (err = settings_pick(s->key, sizeof(s->key), opt_key, "--key",
	    "CONFCLI_KEY", f.key, &s->key_from, "API key", why, whylen)) != 0)
		goto out;
	if (s->file[0] == '\0' && opt_url == NULL &&
	    getenv("CONFCLI_MGMTD") == NULL)
		s->url_from = "the default";
out:
	sodium_memzero(&f, sizeof(f));
	if (err != 0)
		settings_wipe(s);
	return err;
}

void
settings_wipe(struct settings *s)
{
	sodium_memzero(s->key, sizeof(s->key));
}
