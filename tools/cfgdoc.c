/*
 * cfgdoc: writes a daemon's example INI file or the option list of its man
 * page from its option table.  Used by `make docs` and `make check-docs`.
 *   cfgdoc ini mgmtd|confd        > etc/NAME.ini
 *   cfgdoc man mgmtd|confd < docs/NAME.ini.5.in > docs/NAME.ini.5
 */
#include <stdio.h>
#include <string.h>

#include "../confd/confd.h"
#include "../mgmtd/mgmtd.h"

int
main(int argc, char **argv)
{
	const struct cfg_schema *s;
	char line[1024];

	if (argc != 3)
		goto usage;
	if (strcmp(argv[2], "mgmtd") == 0)
		s = &mgmtd_schema;
	else if (strcmp(argv[2], "confd") == 0)
		s = &confd_schema;
	else
		goto usage;
	if (strcmp(argv[1], "ini") == 0) {
		cfg_write_ini(s, stdout);
		return 0;
	}
	if (strcmp(argv[1], "man") != 0)
		goto usage;
	/* The template holds the page; @OPTIONS@ marks the option list. */
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strcmp(line, "@OPTIONS@\n") == 0)
			cfg_write_man(s, stdout);
		else
			fputs(line, stdout);
	}
	return 0;
usage:
	fprintf(stderr, "usage: cfgdoc ini|man mgmtd|confd\n");
	return 64;
}
