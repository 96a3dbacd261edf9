/* Unit tests of the option-table configuration loader (common/cfg.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "check.h"

struct t_room {
	char	name[32];
	int	port;
	char	key[64];
};

struct t_conf {
	int		level;
	bool		flag;
	char		name[16];
	int		count;
	int64_t		timeout;
	char		addr[64];
	struct t_room	rooms[4];
	int		nrooms;
};

static void *
t_room_add(void *conf, const char *name)
{
	struct t_conf *c = conf;
	struct t_room *r;

	if (c->nrooms == 4)
		return NULL;
	r = &c->rooms[c->nrooms++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

#define F(f)	CFG_FIELD(struct t_conf, f)
#define R(f)	CFG_FIELD(struct t_room, f)
static const struct cfg_opt t_opts[] = {
	{ "general", "level", CFG_ENUM, 0, 0, "low|mid|high", "mid",
	  "A level.", CFG_RELOAD, F(level) },
	{ "general", "flag", CFG_BOOL, 0, 0, NULL, "no", "A flag.", 0,
	  F(flag) },
	{ "general", "name", CFG_STR, 0, 0, NULL, "x", "A name.", 0, F(name) },
	{ "limits", "count", CFG_INT, 1, 100, NULL, "10", "A count.",
	  CFG_RELOAD, F(count) },
	{ "limits", "timeout", CFG_DURATION, 100, 3600000, NULL, "30s",
	  "A timeout.", 0, F(timeout) },
	{ "limits", "addr", CFG_ADDR, 0, 0, NULL, "127.0.0.1", "An address.",
	  0, F(addr) },
	{ "room", "port", CFG_INT, 1, 65535, NULL, NULL, "A port.", 0,
	  R(port) },
	{ "room", "key", CFG_STR, 0, 0, NULL, "", "A key.", CFG_SECRET,
	  R(key) },
};
static const struct cfg_multi t_multi[] = {
	{ "room", "A room.", t_room_add },
};
static const struct cfg_schema t_schema = {
	"test", t_opts, sizeof(t_opts) / sizeof(t_opts[0]), t_multi, 1,
};

static char t_path[64];

/* Writes text to a temporary file whose name is left in t_path. */
static void
t_write(const char *text)
{
	FILE *fp;
	int fd;

	snprintf(t_path, sizeof(t_path), "/tmp/test_cfg.XXXXXX");
	fd = mkstemp(t_path);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
}

/* Loads text; returns the error list (caller frees) and the status. */
static struct cfg_errs *
t_load(const char *text, struct t_conf *c, int *rc)
{
	struct cfg_errs *errs = cfg_errs_new();

	memset(c, 0, sizeof(*c));
	t_write(text);
	*rc = cfg_load(&t_schema, t_path, c, errs);
	unlink(t_path);
	return errs;
}

/* Whether some error is exactly "path:line: rest". */
static int
t_has(const struct cfg_errs *errs, int line, const char *rest)
{
	char want[512];
	size_t i;

	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: %s", t_path, line, rest);
	else
		snprintf(want, sizeof(want), "%s: %s", t_path, rest);
	for (i = 0; i < cfg_errs_count(errs); i++)
		if (strcmp(cfg_errs_get(errs, i), want) == 0)
			return 1;
	for (i = 0; i < cfg_errs_count(errs); i++)
		printf("#   have: %s\n", cfg_errs_get(errs, i));
	printf("#   want: %s\n", want);
	return 0;
}

static void
test_defaults(void)
{
	struct t_conf c;
	struct cfg_errs *e;
	int rc;

	e = t_load("# nothing set\n", &c, &rc);
	CHECK_INT(rc, ==, 0);
	CHECK_INT(cfg_errs_count(e), ==, 0);
	CHECK_INT(c.level, ==, 1);
	CHECK(!c.flag);
	CHECK_STR(c.name, "x");
	CHECK_INT(c.count, ==, 10);
	CHECK_INT(c.timeout, ==, 30000);
	CHECK_STR(c.addr, "127.0.0.1");
	cfg_errs_free(e);
}

static void
test_values(void)
{
	struct t_conf c;
	struct cfg_errs *e;
	int rc;

	e = t_load("[general]\n  level = high\nflag=yes ; inline comment\n"
	    "name = hello\n[limits]\ncount = 100\ntimeout = 250ms\n"
	    "addr = ::1\n[room a]\nport = 5000\nkey = secret\n"
	    "[room b.2]\nport = 5002\n", &c, &rc);
	CHECK_INT(rc, ==, 0);
	CHECK_INT(c.level, ==, 2);
	CHECK(c.flag);
	CHECK_STR(c.name, "hello");
	CHECK_INT(c.count, ==, 100);
	CHECK_INT(c.timeout, ==, 250);
	CHECK_STR(c.addr, "::1");
	CHECK_INT(c.nrooms, ==, 2);
	CHECK_STR(c.rooms[0].name, "a");
	CHECK_INT(c.rooms[0].port, ==, 5000);
	CHECK_STR(c.rooms[0].key, "secret");
	CHECK_STR(c.rooms[1].name, "b.2");
	CHECK_STR(c.rooms[1].key, "");
	cfg_errs_free(e);
}

/* Every mistake is reported with its line, not only the first. */
static void
test_errors_all_reported(void)
{
	struct t_conf c;
	struct cfg_errs *e;
	int rc;

	e = t_load("[general]\nlevel = loud\nflag = maybe\nbogus = 1\n"
	    "[limits]\ncount = 101\ncount = 5\ntimeout = 30\n"
	    "timeout2 = 1s\naddr = example.org\n[nope]\nx = 1\n"
	    "this is not a setting\n[room]\n[room r]\nkey = k\n"
	    "[room r]\n[limits\n", &c, &rc);
	CHECK_INT(rc, ==, EINVAL);
	CHECK(t_has(e, 2, "[general] level: 'loud' is not one of low, mid "
	    "or high"));
	CHECK(t_has(e, 3, "[general] flag: 'maybe' is not yes or no"));
	CHECK(t_has(e, 4, "[general]: unknown key 'bogus'"));
	CHECK(t_has(e, 6, "[limits] count: 101 is out of range 1..100"));
	CHECK(t_has(e, 7, "[limits] count: set more than once"));
	CHECK(t_has(e, 8, "[limits] timeout: '30' needs a unit: ms, s, m, h "
	    "or d"));
	CHECK(t_has(e, 9, "[limits]: unknown key 'timeout2'"));
	CHECK(t_has(e, 10, "[limits] addr: 'example.org' is not a numeric "
	    "IPv4 or IPv6 address"));
	CHECK(t_has(e, 11, "unknown section [nope]"));
	CHECK(t_has(e, 13, "expected 'key = value', got 'this is not a "
	    "setting'"));
	CHECK(t_has(e, 14, "section [room] needs a name, as in [room NAME]"));
	CHECK(t_has(e, 15, "[room r] port: required but not set"));
	CHECK(t_has(e, 17, "[room r] is already defined at line 15"));
	CHECK(t_has(e, 18, "section header has no closing ']'"));
	/* The key after the unknown section is not reported again. */
	CHECK_INT(cfg_errs_count(e), ==, 14);
	cfg_errs_free(e);
}

static void
test_ranges_and_lengths(void)
{
	struct t_conf c;
	struct cfg_errs *e;
	char big[400];
	int rc;

	e = t_load("[limits]\ntimeout = 2h\ncount = 0x10\n[general]\n"
	    "name = 0123456789abcdef\n", &c, &rc);
	CHECK_INT(rc, ==, EINVAL);
	CHECK(t_has(e, 2, "[limits] timeout: 2h is out of range 100ms..1h"));
	CHECK(t_has(e, 3, "[limits] count: '0x10' is not an integer"));
	CHECK(t_has(e, 5, "[general] name: value is longer than 15 "
	    "characters"));
	cfg_errs_free(e);

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "name=", 5);
	{
		char text[512];

		snprintf(text, sizeof(text), "[general]\n%s\n", big);
		e = t_load(text, &c, &rc);
	}
	CHECK_INT(rc, ==, EINVAL);
	CHECK(t_has(e, 2, "line is longer than 198 characters"));
	cfg_errs_free(e);
}

/* A secret's rejected value never appears in the error text. */
static void
test_secret_not_echoed(void)
{
	struct t_conf c;
	struct cfg_errs *e;
	char text[256];
	int rc;

	snprintf(text, sizeof(text), "[room a]\nport = 1\nkey = %s\n",
	    "TOPSECRET-TOPSECRET-TOPSECRET-TOPSECRET-TOPSECRET-TOPSECRET-"
	    "TOPSECRET");
	e = t_load(text, &c, &rc);
	CHECK_INT(rc, ==, EINVAL);
	CHECK_INT(cfg_errs_count(e), ==, 1);
	CHECK(strstr(cfg_errs_get(e, 0), "TOPSECRET") == NULL);
	CHECK(strstr(cfg_errs_get(e, 0), ":3: [room a] key:") != NULL);
	cfg_errs_free(e);
}

static void
test_missing_file(void)
{
	struct t_conf c;
	struct cfg_errs *e = cfg_errs_new();

	CHECK_INT(cfg_load(&t_schema, "/nonexistent/x.ini", &c, e), ==, ENOENT);
	CHECK_STR(cfg_errs_get(e, 0), "/nonexistent/x.ini: cannot open: "
	    "No such file or directory");
	cfg_errs_free(e);
}

static int t_changed_count;
static const char *t_changed_key;

static void
t_on_changed(void *arg, const struct cfg_opt *o)
{
	(void)arg;
	t_changed_count++;
	t_changed_key = o->key;
}

static void
test_diff(void)
{
	struct t_conf a, b;

	cfg_defaults(&t_schema, &a);
	cfg_defaults(&t_schema, &b);
	t_changed_count = 0;
	cfg_diff(&t_schema, &a, &b, t_on_changed, NULL);
	CHECK_INT(t_changed_count, ==, 0);
	b.timeout = 5;
	cfg_diff(&t_schema, &a, &b, t_on_changed, NULL);
	CHECK_INT(t_changed_count, ==, 1);
	CHECK_STR(t_changed_key, "timeout");
}

/* The example file written from the table loads without error. */
static void
test_example_roundtrip(void)
{
	struct t_conf c;
	struct cfg_errs *e;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc;

	cfg_write_ini(&t_schema, mem);
	fclose(mem);
	CHECK(strstr(text, "\n[limits]\n") != NULL);
	CHECK(strstr(text, "\ntimeout = 30s\n") != NULL);
	CHECK(strstr(text, "\n#[room NAME]\n") != NULL);
	e = t_load(text, &c, &rc);
	free(text);
	CHECK_INT(rc, ==, 0);
	cfg_errs_free(e);
}

CHECK_MAIN(
	CHECK_CASE(test_defaults),
	CHECK_CASE(test_values),
	CHECK_CASE(test_errors_all_reported),
	CHECK_CASE(test_ranges_and_lengths),
	CHECK_CASE(test_secret_not_echoed),
	CHECK_CASE(test_missing_file),
	CHECK_CASE(test_diff),
	CHECK_CASE(test_example_roundtrip),
)
