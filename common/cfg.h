/*
 * cfg: INI configuration driven by one table of options.
 *
 * A daemon describes every option once (section, key, type, range or
 * choices, default, help, where it lives in the daemon's config struct); the
 * loader, the validation, the example INI file and the man page all follow
 * from that table.  Loading collects every mistake as "file:line: ..." rather
 * than stopping at the first.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cfg_type {
	CFG_INT,	/* int, within [min, max] */
	CFG_BOOL,	/* bool: yes/no, true/false, on/off, 1/0 */
	CFG_STR,	/* char[size], NUL-terminated */
	CFG_ENUM,	/* int: index into choices "a|b|c" */
	CFG_DURATION,	/* int64_t milliseconds, written 250ms, 30s, 15m, 2h, 90d */
	CFG_ADDR,	/* char[size]: a numeric IPv4 or IPv6 address, or empty */
};

#define CFG_RELOAD	0x01	/* a SIGHUP applies a change at run time */
#define CFG_SECRET	0x02	/* never logged, never shown as a value */

struct cfg_opt {
	const char	*section;	/* "general", or a multi kind ("room") */
	const char	*key;
	enum cfg_type	 type;
	long long	 min, max;	/* CFG_INT and CFG_DURATION (ms) */
	const char	*choices;	/* CFG_ENUM: "a|b|c" */
	const char	*def;		/* default as INI text; NULL: required */
	const char	*help;		/* one line */
	unsigned	 flags;
	size_t		 off, size;	/* the field in the config struct */
};

/* Where a field lives: CFG_FIELD(struct confd_conf, port). */
#define CFG_FIELD(type, field) \
	offsetof(type, field), sizeof(((type *)0)->field)

/*
 * A section that may appear many times, each with a name: "[room lobby]".
 * add() returns zeroed storage for a new instance, owned by conf; the
 * options of this kind have offsets relative to that storage.
 */
struct cfg_multi {
	const char	*kind;
	const char	*help;
	void		*(*add)(void *conf, const char *name);
};

struct cfg_schema {
	const char		*program;	/* "confd" */
	const struct cfg_opt	*opts;
	size_t			 nopts;
	const struct cfg_multi	*multi;
	size_t			 nmulti;
};

struct cfg_errs;

/* A new, empty list of errors. */
struct cfg_errs *cfg_errs_new(void);
/* Frees the list. */
void	cfg_errs_free(struct cfg_errs *errs);
/* Number of errors collected. */
size_t	cfg_errs_count(const struct cfg_errs *errs);
/* The i-th error, "file:line: what is wrong". */
const char *cfg_errs_get(const struct cfg_errs *errs, size_t i);
/* Adds an error (for a daemon's own cross-option checks). */
void	cfg_errs_add(struct cfg_errs *errs, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Writes every option's default into conf (single sections only). */
void	cfg_defaults(const struct cfg_schema *s, void *conf);
/*
 * Loads path into conf (defaults first).  Returns 0, EINVAL when errs got
 * entries, or an errno when the file cannot be read (also added to errs).
 */
int	cfg_load(const struct cfg_schema *s, const char *path, void *conf,
	    struct cfg_errs *errs);
/* Parses one value of opt into dst; 0 or EINVAL with a cause in why. */
int	cfg_parse_value(const struct cfg_opt *opt, const char *text, void *dst,
	    char *why, size_t whylen);
/*
 * Calls changed(arg, opt) for each single-section option whose value differs
 * between two loaded configs.
 */
void	cfg_diff(const struct cfg_schema *s, const void *a, const void *b,
	    void (*changed)(void *arg, const struct cfg_opt *opt), void *arg);
/* Writes the example INI file: every option with its help and default. */
void	cfg_write_ini(const struct cfg_schema *s, FILE *out);
/* Writes the man(7) option list of the schema. */
void	cfg_write_man(const struct cfg_schema *s, FILE *out);
/* Describes an option's accepted values ("1..65535", "a, b or c"). */
void	cfg_describe(const struct cfg_opt *opt, char *buf, size_t len);

#endif
