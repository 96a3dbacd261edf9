/*
 * fuzz_cfg: the INI loader (common/cfg.c) with confd's option table, as
 * `confd -n` and a SIGHUP run it.
 *
 * cfg_load() takes a path, so the input is written to one file made once
 * per process: a memfd, opened by its /proc/self/fd path, since rewriting a
 * file on a disk-backed /tmp costs a journal write and made the target ten
 * times slower; or, without memfd or /proc, a temporary file in /tmp that
 * is removed at exit.  Whatever the file holds, the
 * loader must not crash, leak or hang, must say what is wrong as
 * "file:line: ..." (or "file: ..." for what has no line), and must leave
 * every option within its declared range: a value it refuses is never
 * stored.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../confd/confd.h"
#include "fuzz.h"

static char	path[64] = "/tmp/fuzz_cfg.XXXXXX";
static int	path_fd = -1;

static void
remove_file(void)
{
	unlink(path);
}

/* Checks one option's value in the struct it was loaded into. */
static void
check_value(const struct cfg_opt *o, const char *base)
{
	const char *field = base + o->off;
	long long v;
	size_t nchoices;
	const char *p;
	int i;

	switch (o->type) {
	case CFG_INT:
	case CFG_ENUM:
		memcpy(&i, field, sizeof(i));
		v = i;
		if (o->type == CFG_INT) {
			FUZZ_CHECK(v >= o->min && v <= o->max);
			break;
		}
		for (nchoices = 1, p = o->choices; *p != '\0'; p++)
			nchoices += *p == '|';
		FUZZ_CHECK(v >= 0 && (size_t)v < nchoices);
		break;
	case CFG_DURATION: {
		int64_t d;

		memcpy(&d, field, sizeof(d));
		FUZZ_CHECK(d >= o->min && d <= o->max);
		break;
	}
	case CFG_BOOL: {
		unsigned char b;

		memcpy(&b, field, 1);
		FUZZ_CHECK(b == 0 || b == 1);
		break;
	}
	case CFG_STR:
	case CFG_ADDR:
		FUZZ_CHECK(memchr(field, '\0', o->size) != NULL);
		break;
	}
}

/*
 * Checks every option of the table: those of single sections always, since
 * they start from their defaults; those of [room NAME] sections when the
 * load succeeded, since a failed one may leave a required key unset.
 */
static void
check_conf(const struct confd_conf *c, bool loaded)
{
	const struct cfg_schema *s = &confd_schema;
	const struct confd_room_conf *rc;
	size_t i;

	for (i = 0; i < s->nopts; i++) {
		const struct cfg_opt *o = &s->opts[i];

		if (strcmp(o->section, "room") != 0) {
			check_value(o, (const char *)c);
			continue;
		}
		if (!loaded)
			continue;
		TAILQ_FOREACH(rc, &c->rooms, entry)
			check_value(o, (const char *)rc);
	}
	TAILQ_FOREACH(rc, &c->rooms, entry)
		FUZZ_CHECK(memchr(rc->name, '\0', sizeof(rc->name)) != NULL);
}

static void
on_changed(void *arg, const struct cfg_opt *opt)
{
	(void)arg;
	FUZZ_CHECK(opt->key != NULL);
}

/* Every error names the file first, so that an operator can find it. */
static void
check_errs(const struct cfg_errs *errs)
{
	size_t i, plen = strlen(path);
	const char *m;

	for (i = 0; i < cfg_errs_count(errs); i++) {
		m = cfg_errs_get(errs, i);
		FUZZ_CHECK(m != NULL);
		FUZZ_CHECK(strncmp(m, path, plen) == 0 && m[plen] == ':');
	}
	FUZZ_CHECK(cfg_errs_get(errs, cfg_errs_count(errs)) == NULL);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char mem[64];

	(void)argc;
	(void)argv;
	if ((path_fd = memfd_create("fuzz_cfg", MFD_CLOEXEC)) != -1) {
		snprintf(mem, sizeof(mem), "/proc/self/fd/%d", path_fd);
		if (access(mem, R_OK) == 0) {
			memcpy(path, mem, sizeof(path));
			return 0;
		}
		close(path_fd);
	}
	if ((path_fd = mkstemp(path)) == -1) {
		perror("fuzz_cfg: mkstemp");
		abort();
	}
	atexit(remove_file);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct confd_conf conf, defaults;
	struct cfg_errs *errs;
	int rc;

	if (size > (size_t)SSIZE_MAX)
		return 0;
	FUZZ_CHECK(ftruncate(path_fd, 0) == 0);
	FUZZ_CHECK(pwrite(path_fd, data, size, 0) == (ssize_t)size);

	confd_conf_init(&conf);
	FUZZ_CHECK((errs = cfg_errs_new()) != NULL);
	rc = cfg_load(&confd_schema, path, &conf, errs);
	FUZZ_CHECK(rc == 0 || rc == EINVAL);
	FUZZ_CHECK((rc == 0) == (cfg_errs_count(errs) == 0));
	check_errs(errs);
	check_conf(&conf, rc == 0);
	if (rc == 0) {
		/* What `confd -n` and a reload go on to do with it. */
		confd_conf_check(&conf, path, errs);
		check_errs(errs);
		confd_conf_init(&defaults);
		cfg_defaults(&confd_schema, &defaults);
		cfg_diff(&confd_schema, &defaults, &conf, on_changed, NULL);
		confd_conf_free(&defaults);
	}
	confd_conf_free(&conf);
	cfg_errs_free(errs);
	return 0;
}
