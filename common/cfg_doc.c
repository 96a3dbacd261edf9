/*
 * cfg_doc: the example INI file and the man page option list, both written
 * from the option table so that neither can drift from the code.
 */
#include <stdbool.h>
#include <string.h>

#include "cfg.h"

static bool
cfg_doc_is_multi(const struct cfg_schema *s, const char *section)
{
	size_t i;

	for (i = 0; i < s->nmulti; i++)
		if (strcmp(s->multi[i].kind, section) == 0)
			return true;
	return false;
}

/* Calls fn for each distinct section of the table, in table order. */
static void
cfg_doc_sections(const struct cfg_schema *s,
    void (*fn)(const struct cfg_schema *, const char *, FILE *), FILE *out)
{
	size_t i, j;

	for (i = 0; i < s->nopts; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(s->opts[j].section, s->opts[i].section) == 0)
				break;
		if (j == i)
			fn(s, s->opts[i].section, out);
	}
}

static const char *
cfg_doc_multi_help(const struct cfg_schema *s, const char *kind)
{
	size_t i;

	for (i = 0; i < s->nmulti; i++)
		if (strcmp(s->multi[i].kind, kind) == 0)
			return s->multi[i].help;
	return "";
}

static void
cfg_ini_section(const struct cfg_schema *s, const char *section, FILE *out)
{
	bool multi = cfg_doc_is_multi(s, section);
	const char *c = multi ? "#" : "";
	char desc[256];
	size_t i;

	if (multi)
		fprintf(out, "\n# %s\n#[%s NAME]\n", cfg_doc_multi_help(s,
		    section), section);
	else
		fprintf(out, "\n[%s]\n", section);
	for (i = 0; i < s->nopts; i++) {
		const struct cfg_opt *o = &s->opts[i];

		if (strcmp(o->section, section) != 0)
			continue;
		cfg_describe(o, desc, sizeof(desc));
		fprintf(out, "# %s\n# %s; %s%s.\n", o->help, desc,
		    o->flags & CFG_RELOAD ? "applied on SIGHUP" :
		    "needs a restart", o->def ? "" : "; required");
		fprintf(out, "%s%s = %s\n", c, o->key, o->def ? o->def : "");
	}
}

void
cfg_write_ini(const struct cfg_schema *s, FILE *out)
{
	fprintf(out, "# %s.ini: the configuration of %s, with every option at "
	    "its default.\n# Generated from the option table by 'make docs'; "
	    "see %s.ini(5).\n", s->program, s->program, s->program);
	cfg_doc_sections(s, cfg_ini_section, out);
}

/* Writes text with the characters man(7) treats specially escaped. */
static void
cfg_man_text(const char *t, FILE *out)
{
	if (*t == '.' || *t == '\'')
		fputs("\\&", out);
	for (; *t; t++) {
		if (*t == '\\')
			fputs("\\e", out);
		else if (*t == '-')
			fputs("\\-", out);
		else
			fputc(*t, out);
	}
}

static void
cfg_man_section(const struct cfg_schema *s, const char *section, FILE *out)
{
	bool multi = cfg_doc_is_multi(s, section);
	char desc[256];
	size_t i;

	fprintf(out, ".SS [%s%s]\n", section, multi ? " \\fINAME\\fP" : "");
	if (multi) {
		cfg_man_text(cfg_doc_multi_help(s, section), out);
		fputs("\nThis section may appear several times, each with "
		    "its own name.\n", out);
	}
	for (i = 0; i < s->nopts; i++) {
		const struct cfg_opt *o = &s->opts[i];

		if (strcmp(o->section, section) != 0)
			continue;
		fprintf(out, ".TP\n.B %s\n", o->key);
		cfg_man_text(o->help, out);
		cfg_describe(o, desc, sizeof(desc));
		fputs("\nAccepts ", out);
		cfg_man_text(desc, out);
		if (o->def != NULL && *o->def != '\0') {
			/* Quoted, so that a default with blanks stays one. */
			fputs("; the default is\n.BR \"", out);
			cfg_man_text(o->def, out);
			fputs("\" .\n", out);
		} else if (o->def != NULL) {
			fputs("; empty by default.\n", out);
		} else {
			fputs("; required.\n", out);
		}
		fputs(o->flags & CFG_RELOAD ? "A change takes effect on\n"
		    ".BR SIGHUP .\n" : "A change needs a restart.\n", out);
	}
}

void
cfg_write_man(const struct cfg_schema *s, FILE *out)
{
	cfg_doc_sections(s, cfg_man_section, out);
}
