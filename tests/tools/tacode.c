/*
 * tacode: decodes access codes for the tests, as confcli will, and prints
 * what they grant as one line of JSON, so that a test can compare it with
 * the credential mgmtd feeds to confd.
 *
 *   tacode decode CODE1 CODE2 [NOW]   the pair at NOW (Unix seconds;
 *                                     default the current time)
 *   tacode check 1|2 CODE             one code alone
 *
 * decode prints {"ok": true, "address", "port", "ssrc", "key_up",
 * "key_down", "expires"} with the keys in base64 as the feed has them
 * (key_up is key_c2s), or {"ok": false, "error", "why"}; check prints
 * {"ok", "error", "why"}.  The exit status is 0 when ok, 1 when not, 64
 * for a bad command line.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "acode.h"

static void
usage(void)
{
	fprintf(stderr, "usage: tacode decode CODE1 CODE2 [NOW]\n"
	    "       tacode check 1|2 CODE\n");
	exit(64);
}

/* A key in base64 (RFC 4648, padded), as the feed writes it. */
static json_t *
tacode_key(const uint8_t *key)
{
	char b64[sodium_base64_ENCODED_LEN(ACODE_SRTP_LEN,
	    sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), key, ACODE_SRTP_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	return json_string(b64);
}

/* Prints o as one line and frees it; the exit status for ok. */
static int
tacode_print(json_t *o, int ok)
{
	char *text = json_dumps(o, JSON_COMPACT);

	if (text == NULL)
		errx(1, "out of memory");
	printf("%s\n", text);
	free(text);
	json_decref(o);
	return ok ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct acode_cred cred;
	char why[ACODE_WHY_MAX], addr[ACODE_ADDR_MAX];
	int64_t now;
	json_t *o;
	int rc;

	if (argc < 2)
		usage();
	if (sodium_init() < 0)
		errx(1, "cannot initialise libsodium");
	o = json_object();
	if (strcmp(argv[1], "check") == 0) {
		if (argc != 4 || (strcmp(argv[2], "1") != 0 &&
		    strcmp(argv[2], "2") != 0))
			usage();
		rc = acode_check(argv[3], atoi(argv[2]), why, sizeof(why));
		json_object_set_new(o, "ok", json_boolean(rc == ACODE_OK));
		json_object_set_new(o, "error", json_string(
		    acode_strerror(rc)));
		json_object_set_new(o, "why", json_string(why));
		return tacode_print(o, rc == ACODE_OK);
	}
	if (strcmp(argv[1], "decode") != 0 || argc < 4 || argc > 5)
		usage();
	now = argc == 5 ? strtoll(argv[4], NULL, 10) : (int64_t)time(NULL);
	rc = acode_decode(argv[2], argv[3], now, &cred, why, sizeof(why));
	json_object_set_new(o, "ok", json_boolean(rc == ACODE_OK));
	if (rc != ACODE_OK) {
		json_object_set_new(o, "error", json_string(
		    acode_strerror(rc)));
		json_object_set_new(o, "why", json_string(why));
		return tacode_print(o, 0);
	}
	if (acode_addr_text(&cred, addr, sizeof(addr)) != 0)
		errx(1, "cannot print the address");
	json_object_set_new(o, "address", json_string(addr));
	json_object_set_new(o, "port", json_integer(cred.port));
	json_object_set_new(o, "ssrc", json_integer(cred.ssrc));
	json_object_set_new(o, "key_up", tacode_key(cred.key_c2s));
	json_object_set_new(o, "key_down", tacode_key(cred.key_s2c));
	json_object_set_new(o, "expires", json_integer(cred.expires));
	acode_cred_wipe(&cred);
	return tacode_print(o, 1);
}
