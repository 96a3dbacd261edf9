/* cfg: see cfg.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cfg.h"

struct cfg_errs {
	char	**msg;
	size_t	  n, cap;
};

/* One section instance met while loading: a single section or a [kind name]. */
struct cfg_inst {
	char			*header;	/* text between the brackets */
	const struct cfg_multi	*multi;		/* NULL for single sections */
	void			*base;		/* where the fields live */
	int			 line;		/* of the header */
	unsigned char		*seen;		/* per option: key already set */
};

struct cfg_load {
	const struct cfg_schema	*schema;
	const char		*path;
	void			*conf;
	struct cfg_errs		*errs;
	FILE			*fp;
	int			 lineno;
	char			*buf;		/* getline() buffer */
	size_t			 bufcap;
	struct cfg_inst		*inst;
	size_t			 ninst;
	struct cfg_inst		*cur;		/* the section being read */
	bool			 cur_bad;	/* unknown or invalid: skip keys */
	unsigned char		*seen_single;	/* per option, single sections */
};

struct cfg_errs *
cfg_errs_new(void)
{
	return calloc(1, sizeof(struct cfg_errs));
}

void
cfg_errs_free(struct cfg_errs *errs)
{
	size_t i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	free(errs);
}

size_t
cfg_errs_count(const struct cfg_errs *errs)
{
	return errs->n;
}

const char *
cfg_errs_get(const struct cfg_errs *errs, size_t i)
{
	return i < errs->n ? errs->msg[i] : NULL;
}

void
cfg_errs_add(struct cfg_errs *errs, const char *fmt, ...)
{
	va_list ap;
	char *m, **nm;
	size_t ncap;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) == -1)
		m = NULL;
	va_end(ap);
	if (m == NULL)
		return;
	if (errs->n == errs->cap) {
		ncap = errs->cap ? errs->cap * 2 : 8;
		nm = reallocarray(errs->msg, ncap, sizeof(*nm));
		if (nm == NULL) {
			free(m);
			return;
		}
		errs->msg = nm;
		errs->cap = ncap;
	}
	errs->msg[errs->n++] = m;
}

/* The part of a section header before the first blank: "room" of "room a". */
static size_t
cfg_kind_len(const char *header)
{
	return strcspn(header, " \t");
}

static const struct cfg_multi *
cfg_find_multi(const struct cfg_schema *s, const char *kind, size_t len)
{
	size_t i;

	for (i = 0; i < s->nmulti; i++)
		if (strlen(s->multi[i].kind) == len &&
		    strncmp(s->multi[i].kind, kind, len) == 0)
			return &s->multi[i];
	return NULL;
}

static bool
cfg_is_multi(const struct cfg_schema *s, const char *section)
{
	return cfg_find_multi(s, section, strlen(section)) != NULL;
}

static bool
cfg_single_section_exists(const struct cfg_schema *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nopts; i++)
		if (strcmp(s->opts[i].section, name) == 0 &&
		    !cfg_is_multi(s, name))
			return true;
	return false;
}

static void
cfg_opt_choices(const struct cfg_opt *opt, char *buf, size_t len,
    const char *sep, const char *last)
{
	const char *p = opt->choices, *bar;
	size_t used = 0;
	int first = 1;

	buf[0] = '\0';
	while (p != NULL && *p != '\0') {
		bar = strchr(p, '|');
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
		    "%s%.*s", first ? "" : (bar ? sep : last),
		    bar ? (int)(bar - p) : (int)strlen(p), p);
		first = 0;
		p = bar ? bar + 1 : NULL;
	}
}

/* Formats a millisecond count the way an operator would write it. */
static void
cfg_format_duration(long long ms, char *buf, size_t len)
{
	static const struct { const char *unit; long long ms; } u[] = {
		{ "d", 86400000LL }, { "h", 3600000LL }, { "m", 60000LL },
		{ "s", 1000LL },
	};
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (ms != 0 && ms % u[i].ms == 0) {
			snprintf(buf, len, "%lld%s", ms / u[i].ms, u[i].unit);
			return;
		}
	snprintf(buf, len, "%lldms", ms);
}

void
cfg_describe(const struct cfg_opt *opt, char *buf, size_t len)
{
	char lo[32], hi[32];

	switch (opt->type) {
	case CFG_INT:
		snprintf(buf, len, "an integer from %lld to %lld", opt->min,
		    opt->max);
		break;
	case CFG_BOOL:
		snprintf(buf, len, "yes or no");
		break;
	case CFG_STR:
		snprintf(buf, len, "text of at most %zu characters",
		    opt->size - 1);
		break;
	case CFG_ENUM:
		cfg_opt_choices(opt, buf, len, ", ", " or ");
		break;
	case CFG_DURATION:
		cfg_format_duration(opt->min, lo, sizeof(lo));
		cfg_format_duration(opt->max, hi, sizeof(hi));
		snprintf(buf, len, "a duration from %s to %s (ms, s, m, h, d)",
		    lo, hi);
		break;
	case CFG_ADDR:
		snprintf(buf, len, "a numeric IPv4 or IPv6 address, or "
		    "nothing");
		break;
	}
}

static int
cfg_parse_int(const struct cfg_opt *opt, const char *text, long long *v,
    char *why, size_t whylen)
{
	char *end;

	errno = 0;
	*v = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno == ERANGE) {
		snprintf(why, whylen, "'%s' is not an integer", text);
		return EINVAL;
	}
	if (*v < opt->min || *v > opt->max) {
		snprintf(why, whylen, "%lld is out of range %lld..%lld", *v,
		    opt->min, opt->max);
		return EINVAL;
	}
	return 0;
}

static int
cfg_parse_duration(const struct cfg_opt *opt, const char *text, long long *v,
    char *why, size_t whylen)
{
	static const struct { const char *unit; long long ms; } u[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	char *end, lo[32], hi[32];
	long long n;
	size_t i;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (!isdigit((unsigned char)*text) || errno == ERANGE || end == text) {
		snprintf(why, whylen, "'%s' is not a duration such as 30s", text);
		return EINVAL;
	}
	if (*end == '\0' && n == 0) {
		*v = 0;
	} else {
		for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
			if (strcmp(end, u[i].unit) == 0)
				break;
		if (i == sizeof(u) / sizeof(u[0])) {
			snprintf(why, whylen, "'%s' needs a unit: ms, s, m, h "
			    "or d", text);
			return EINVAL;
		}
		if (n > LLONG_MAX / u[i].ms) {
			snprintf(why, whylen, "'%s' is too long", text);
			return EINVAL;
		}
		*v = n * u[i].ms;
	}
	if (*v < opt->min || *v > opt->max) {
		cfg_format_duration(opt->min, lo, sizeof(lo));
		cfg_format_duration(opt->max, hi, sizeof(hi));
		snprintf(why, whylen, "%s is out of range %s..%s", text, lo, hi);
		return EINVAL;
	}
	return 0;
}

int
cfg_parse_value(const struct cfg_opt *opt, const char *text, void *dst,
    char *why, size_t whylen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	unsigned char addr[sizeof(struct in6_addr)];
	char list[256];
	long long v;
	const char *p, *bar;
	size_t i, len;
	int idx;

	switch (opt->type) {
	case CFG_INT:
		if (cfg_parse_int(opt, text, &v, why, whylen) != 0)
			return EINVAL;
		*(int *)dst = (int)v;
		return 0;
	case CFG_DURATION:
		if (cfg_parse_duration(opt, text, &v, why, whylen) != 0)
			return EINVAL;
		*(int64_t *)dst = v;
		return 0;
	case CFG_BOOL:
		for (i = 0; i < 4; i++) {
			if (strcasecmp(text, yes[i]) == 0) {
				*(bool *)dst = true;
				return 0;
			}
			if (strcasecmp(text, no[i]) == 0) {
				*(bool *)dst = false;
				return 0;
			}
		}
		snprintf(why, whylen, "'%s' is not yes or no", text);
		return EINVAL;
	case CFG_ENUM:
		for (p = opt->choices, idx = 0; p != NULL; idx++) {
			bar = strchr(p, '|');
			len = bar ? (size_t)(bar - p) : strlen(p);
			if (strlen(text) == len && strncmp(text, p, len) == 0) {
				*(int *)dst = idx;
				return 0;
			}
			p = bar ? bar + 1 : NULL;
		}
		cfg_opt_choices(opt, list, sizeof(list), ", ", " or ");
		snprintf(why, whylen, "'%s' is not one of %s", text, list);
		return EINVAL;
	case CFG_ADDR:
		/* Empty means "not used", as for a disabled listener. */
		if (*text != '\0' && inet_pton(AF_INET, text, addr) != 1 &&
		    inet_pton(AF_INET6, text, addr) != 1) {
			snprintf(why, whylen, "'%s' is not a numeric IPv4 or "
			    "IPv6 address", text);
			return EINVAL;
		}
		__attribute__((fallthrough));
	case CFG_STR:
		if (strlen(text) >= opt->size) {
			snprintf(why, whylen, "value is longer than %zu "
			    "characters", opt->size - 1);
			return EINVAL;
		}
		memcpy(dst, text, strlen(text) + 1);
		return 0;
	}
	snprintf(why, whylen, "unsupported option type");
	return EINVAL;
}

/* Writes the defaults of one section kind into base; NULL kind: singles. */
static void
cfg_defaults_of(const struct cfg_schema *s, const char *kind, void *base)
{
	char why[256];
	size_t i;

	for (i = 0; i < s->nopts; i++) {
		const struct cfg_opt *o = &s->opts[i];

		if (kind ? strcmp(o->section, kind) != 0 :
		    cfg_is_multi(s, o->section))
			continue;
		if (o->def == NULL)
			continue;
		/* A default that fails to parse is a bug in the table. */
		if (cfg_parse_value(o, o->def, (char *)base + o->off, why,
		    sizeof(why)) != 0)
			abort();
	}
}

void
cfg_defaults(const struct cfg_schema *s, void *conf)
{
	cfg_defaults_of(s, NULL, conf);
}

static struct cfg_inst *
cfg_inst_find(struct cfg_load *l, const char *header)
{
	size_t i;

	for (i = 0; i < l->ninst; i++)
		if (strcmp(l->inst[i].header, header) == 0)
			return &l->inst[i];
	return NULL;
}

/* Called by the reader on each "[header]" line, before inih sees it. */
static void
cfg_section_begin(struct cfg_load *l, const char *header)
{
	const struct cfg_schema *s = l->schema;
	const struct cfg_multi *m;
	struct cfg_inst *in, *ni;
	const char *name;
	size_t klen;

	l->cur = NULL;
	l->cur_bad = true;
	klen = cfg_kind_len(header);
	m = cfg_find_multi(s, header, klen);
	if (m == NULL) {
		if (!cfg_single_section_exists(s, header)) {
			cfg_errs_add(l->errs, "%s:%d: unknown section [%s]",
			    l->path, l->lineno, header);
			return;
		}
		l->cur_bad = false;
		return;
	}
	name = header + klen;
	name += strspn(name, " \t");
	if (*name == '\0') {
		cfg_errs_add(l->errs, "%s:%d: section [%s] needs a name, as in "
		    "[%s NAME]", l->path, l->lineno, m->kind, m->kind);
		return;
	}
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.") != strlen(name)) {
		cfg_errs_add(l->errs, "%s:%d: [%s]: a name may hold only "
		    "letters, digits, '-', '_' and '.'", l->path, l->lineno,
		    header);
		return;
	}
	if ((in = cfg_inst_find(l, header)) != NULL) {
		cfg_errs_add(l->errs, "%s:%d: [%s] is already defined at line %d",
		    l->path, l->lineno, header, in->line);
		return;
	}
	ni = reallocarray(l->inst, l->ninst + 1, sizeof(*ni));
	if (ni == NULL)
		goto nomem;
	l->inst = ni;
	in = &l->inst[l->ninst];
	memset(in, 0, sizeof(*in));
	in->header = strdup(header);
	in->seen = calloc(s->nopts, 1);
	if (in->header == NULL || in->seen == NULL ||
	    (in->base = m->add(l->conf, name)) == NULL) {
		free(in->header);
		free(in->seen);
		goto nomem;
	}
	in->multi = m;
	in->line = l->lineno;
	l->ninst++;
	cfg_defaults_of(s, m->kind, in->base);
	l->cur = in;
	l->cur_bad = false;
	return;
nomem:
	cfg_errs_add(l->errs, "%s:%d: out of memory", l->path, l->lineno);
}

static char *
cfg_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * inih's line reader.  Counting lines here gives every error its line
 * number; it also catches what inih would otherwise accept or report only
 * once: over-long lines, lines that are not "key = value", and section
 * headers, which inih does not announce.  Leading blanks are removed so that
 * inih never treats an indented line as a continuation of the previous value.
 */
static char *
cfg_reader(char *str, int num, void *arg)
{
	struct cfg_load *l = arg;
	ssize_t n;
	char *t, *end;

	if ((n = getline(&l->buf, &l->bufcap, l->fp)) == -1)
		return NULL;
	l->lineno++;
	t = cfg_trim(l->buf);
	str[0] = '\0';
	if (strlen(t) + 2 > (size_t)num) {
		cfg_errs_add(l->errs, "%s:%d: line is longer than %d characters",
		    l->path, l->lineno, num - 2);
		return str;
	}
	if (*t == '\0' || *t == '#' || *t == ';')
		return str;
	if (*t == '[') {
		if ((end = strchr(t, ']')) == NULL) {
			cfg_errs_add(l->errs, "%s:%d: section header has no "
			    "closing ']'", l->path, l->lineno);
			l->cur_bad = true;
			return str;
		}
		*end = '\0';
		cfg_section_begin(l, cfg_trim(t + 1));
		/* Hand inih a trimmed header so its section name is ours. */
		snprintf(str, (size_t)num, "[%s]", cfg_trim(t + 1));
		return str;
	}
	if (strpbrk(t, "=:") == NULL) {
		cfg_errs_add(l->errs, "%s:%d: expected 'key = value', got '%s'",
		    l->path, l->lineno, t);
		return str;
	}
	snprintf(str, (size_t)num, "%s", t);
	return str;
}

static const struct cfg_opt *
cfg_find_opt(const struct cfg_schema *s, const char *section, const char *key,
    size_t *idx)
{
	size_t i;

	for (i = 0; i < s->nopts; i++)
		if (strcmp(s->opts[i].section, section) == 0 &&
		    strcmp(s->opts[i].key, key) == 0) {
			*idx = i;
			return &s->opts[i];
		}
	return NULL;
}

/* inih's handler: one "key = value" of the current section. */
static int
cfg_handler(void *arg, const char *section, const char *key, const char *value)
{
	struct cfg_load *l = arg;
	const struct cfg_schema *s = l->schema;
	const struct cfg_opt *opt;
	unsigned char *seen;
	char kind[64], why[256];
	void *base;
	size_t idx;

	if (l->cur_bad)
		return 1;	/* the section itself was reported */
	if (*section == '\0') {
		cfg_errs_add(l->errs, "%s:%d: '%s' is outside any section",
		    l->path, l->lineno, key);
		return 1;
	}
	if (l->cur != NULL) {
		snprintf(kind, sizeof(kind), "%s", l->cur->multi->kind);
		base = l->cur->base;
		seen = l->cur->seen;
	} else {
		snprintf(kind, sizeof(kind), "%s", section);
		base = l->conf;
		seen = l->seen_single;
	}
	if ((opt = cfg_find_opt(s, kind, key, &idx)) == NULL) {
		cfg_errs_add(l->errs, "%s:%d: [%s]: unknown key '%s'", l->path,
		    l->lineno, section, key);
		return 1;
	}
	if (seen[idx]) {
		cfg_errs_add(l->errs, "%s:%d: [%s] %s: set more than once",
		    l->path, l->lineno, section, key);
		return 1;
	}
	seen[idx] = 1;
	if (cfg_parse_value(opt, value, (char *)base + opt->off, why,
	    sizeof(why)) != 0) {
		if (opt->flags & CFG_SECRET)
			snprintf(why, sizeof(why), "invalid value (%s)",
			    opt->help);
		cfg_errs_add(l->errs, "%s:%d: [%s] %s: %s", l->path, l->lineno,
		    section, key, why);
	}
	return 1;
}

/* Reports required keys that a section left out. */
static void
cfg_check_required(struct cfg_load *l)
{
	const struct cfg_schema *s = l->schema;
	size_t i, j;

	for (i = 0; i < s->nopts; i++) {
		const struct cfg_opt *o = &s->opts[i];

		if (o->def != NULL)
			continue;
		if (!cfg_is_multi(s, o->section)) {
			if (!l->seen_single[i])
				cfg_errs_add(l->errs, "%s: [%s] %s: required "
				    "but not set", l->path, o->section, o->key);
			continue;
		}
		for (j = 0; j < l->ninst; j++)
			if (strcmp(l->inst[j].multi->kind, o->section) == 0 &&
			    !l->inst[j].seen[i])
				cfg_errs_add(l->errs, "%s:%d: [%s] %s: required "
				    "but not set", l->path, l->inst[j].line,
				    l->inst[j].header, o->key);
	}
}

int
cfg_load(const struct cfg_schema *s, const char *path, void *conf,
    struct cfg_errs *errs)
{
	struct cfg_load l;
	size_t before = errs->n, i;
	int rc, ierr;

	memset(&l, 0, sizeof(l));
	l.schema = s;
	l.path = path;
	l.conf = conf;
	l.errs = errs;
	cfg_defaults(s, conf);
	if ((l.fp = fopen(path, "r")) == NULL) {
		rc = errno;
		cfg_errs_add(errs, "%s: cannot open: %s", path, strerror(rc));
		return rc;
	}
	if ((l.seen_single = calloc(s->nopts ? s->nopts : 1, 1)) == NULL) {
		fclose(l.fp);
		cfg_errs_add(errs, "%s: out of memory", path);
		return ENOMEM;
	}
	ierr = ini_parse_stream(cfg_reader, &l, cfg_handler, &l);
	if (ierr == -2)
		cfg_errs_add(errs, "%s: out of memory", path);
	else if (ierr > 0 && errs->n == before)
		cfg_errs_add(errs, "%s:%d: syntax error", path, ierr);
	if (ferror(l.fp))
		cfg_errs_add(errs, "%s: read error", path);
	cfg_check_required(&l);
	for (i = 0; i < l.ninst; i++) {
		free(l.inst[i].header);
		free(l.inst[i].seen);
	}
	free(l.inst);
	free(l.seen_single);
	free(l.buf);
	fclose(l.fp);
	return errs->n == before ? 0 : EINVAL;
}

void
cfg_diff(const struct cfg_schema *s, const void *a, const void *b,
    void (*changed)(void *arg, const struct cfg_opt *opt), void *arg)
{
	const struct cfg_opt *o;
	size_t i;

	for (i = 0; i < s->nopts; i++) {
		o = &s->opts[i];
		if (cfg_is_multi(s, o->section))
			continue;
		if (o->type == CFG_STR || o->type == CFG_ADDR) {
			if (strcmp((const char *)a + o->off,
			    (const char *)b + o->off) != 0)
				changed(arg, o);
		} else if (memcmp((const char *)a + o->off,
		    (const char *)b + o->off, o->size) != 0)
			changed(arg, o);
	}
}
