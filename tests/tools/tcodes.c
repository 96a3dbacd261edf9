/*
 * tcodes: a pair of access codes for tests, made as mgmtd makes them.
 *
 *	tcodes issue ADDR PORT EXPIRES
 *
 * Issues a pair with fresh shares (acode_issue) for a conference server at
 * ADDR (an IPv4 or IPv6 literal) and PORT, valid until EXPIRES (Unix
 * seconds), and prints one JSON line: both codes, the SMS that would carry
 * code 2, and the credential they grant (the SSRC, the SSRC the server
 * sends from, and the base64 SRTP master key and salt of each direction),
 * so that a test can give confd the credential and a participant the
 * codes, as mgmtd does.
 *
 * Exit status: 0, 1 when the codes cannot be made, 64 on a usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "acode.h"
#include "srtpx.h"

#define TCODES_EX_USAGE	64

static int
tcodes_usage(void)
{
	fprintf(stderr, "usage: tcodes issue ADDR PORT EXPIRES\n");
	return TCODES_EX_USAGE;
}

int
main(int argc, char **argv)
{
	char code1[ACODE_CODE1_MAX], code2[ACODE_CODE2_MAX];
	char sms[ACODE_SMS_MAX], why[ACODE_WHY_MAX], up[64], down[64];
	struct acode_cred cred;
	long long port, expires;
	char *end, *line;
	json_t *o;
	int err;

	if (argc != 5 || strcmp(argv[1], "issue") != 0)
		return tcodes_usage();
	errno = 0;
	port = strtoll(argv[3], &end, 10);
	if (*end != '\0' || errno != 0 || port < 1 || port > 65535) {
		fprintf(stderr, "tcodes: '%s' is not a port\n", argv[3]);
		return tcodes_usage();
	}
	expires = strtoll(argv[4], &end, 10);
	if (*end != '\0' || errno != 0 || expires < 0) {
		fprintf(stderr, "tcodes: '%s' is not Unix seconds\n", argv[4]);
		return tcodes_usage();
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "tcodes: libsodium does not start\n");
		return 1;
	}
	if ((err = acode_issue(argv[2], (uint16_t)port, (int64_t)expires,
	    code1, sizeof(code1), code2, sizeof(code2), &cred, why,
	    sizeof(why))) != 0) {
		fprintf(stderr, "tcodes: %s\n", why);
		return err == EINVAL ? TCODES_EX_USAGE : 1;
	}
	if (acode_sms_text(code2, cred.expires, sms, sizeof(sms)) != 0) {
		fprintf(stderr, "tcodes: code 2 does not fit in an SMS\n");
		acode_cred_wipe(&cred);
		return 1;
	}
	srtpx_key_encode(SRTPX_AES_CM_128_HMAC_SHA1_80, cred.key_c2s, up,
	    sizeof(up));
	srtpx_key_encode(SRTPX_AES_CM_128_HMAC_SHA1_80, cred.key_s2c, down,
	    sizeof(down));
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:I, s:i}",
	    "code1", code1, "code2", code2, "sms", sms,
	    "ssrc", (json_int_t)cred.ssrc,
	    "server_ssrc", (json_int_t)(uint32_t)~cred.ssrc,
	    "key_c2s", up, "key_s2c", down,
	    "expires", (json_int_t)cred.expires, "port", (int)cred.port);
	acode_cred_wipe(&cred);
	sodium_memzero(up, sizeof(up));
	sodium_memzero(down, sizeof(down));
	if (o == NULL || (line = json_dumps(o, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "tcodes: out of memory\n");
		json_decref(o);
		return 1;
	}
	printf("%s\n", line);
	free(line);
	json_decref(o);
	return fflush(stdout) == 0 ? 0 : 1;
}
