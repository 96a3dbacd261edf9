/*
 * confcli: the conference client.  Books conferences, requests access codes
 * and joins a conference from its two codes.
 */
#include <stdio.h>
#include <string.h>

static void
confcli_usage(FILE *out)
{
	fprintf(out,
	    "usage: confcli COMMAND [ARGS]\n"
	    "commands:\n"
	    "  help       this help\n"
	    "  version    print the version\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		confcli_usage(stderr);
		return 64;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		confcli_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "version") == 0) {
		printf("confcli 0.1\n");
		return 0;
	}
	fprintf(stderr, "confcli: unknown command '%s'\n", argv[1]);
	confcli_usage(stderr);
	return 64;
}
