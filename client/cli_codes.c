/*
 * cli_codes: the two access codes as a participant has them: typed, pasted
 * from the SMS, or piped in; checked one by one so that the message names
 * the code that is wrong and where, then opened together (acode.h).
 *
 * `codes show` prints what the codes grant, so that any standard SRTP
 * client can join: the server's address and port, the SSRC to send from
 * and the one the server sends from, the suite and the master key and salt
 * of each direction, and an ffmpeg command line that sends a sound file
 * into the conference.  That output holds the keys: it is for the
 * participant's own eyes.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "confcli.h"
#include "rfc3339.h"
#include "srtpx.h"

#define CLI_B64_MAX	64

int
cli_code_arg(const char *arg, int which, char *buf, size_t len, char *why,
    size_t whylen)
{
	char line[1024];
	const char *p = arg, *end;
	size_t n;

	if (strcmp(arg, "-") == 0) {
		if (fgets(line, sizeof(line), stdin) == NULL) {
			snprintf(why, whylen, "code %d: nothing to read on "
			    "standard input", which);
			return EINVAL;
		}
		line[strcspn(line, "\r\n")] = '\0';
		p = line;
	}
	/* A whole SMS pasted: "Conference code 2: CODE valid until ...". */
	if ((end = strcasestr(p, "code 2:")) != NULL ||
	    (end = strcasestr(p, "code 1:")) != NULL)
		p = end + strlen("code 2:");
	n = strlen(p);
	if ((end = strcasestr(p, " valid until")) != NULL)
		n = (size_t)(end - p);
	if (n >= len) {
		snprintf(why, whylen, "code %d is far too long: %zu characters",
		    which, n);
		sodium_memzero(line, sizeof(line));
		return EINVAL;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	sodium_memzero(line, sizeof(line));
	return 0;
}

int
cli_codes_decode(const char *code1, const char *code2, int64_t now,
    struct acode_cred *cred)
{
	char why[ACODE_WHY_MAX];
	int rc;

	/* Each code alone first, so that the message names the wrong one. */
	rc = acode_check(code1, 1, why, sizeof(why));
	if (rc == ACODE_E_SWAPPED)
		/* The pair's own check tells "both swapped" from one. */
		(void)acode_decode(code1, code2, now, cred, why, sizeof(why));
	if (rc == ACODE_OK && (rc = acode_check(code2, 2, why,
	    sizeof(why))) == ACODE_OK)
		rc = acode_decode(code1, code2, now, cred, why, sizeof(why));
	if (rc == ACODE_OK)
		return CONFCLI_EX_OK;
	acode_cred_wipe(cred);
	confcli_err("%s%s", why, rc == ACODE_E_EXPIRED ? ": the conference "
	    "is over, or the organiser must send new codes" : "");
	return rc == ACODE_E_INTERNAL ? CONFCLI_EX_FAIL : CONFCLI_EX_DATAERR;
}

/* Appends s to buf in single quotes, as a shell reads it back. */
static void
cli_shell_quote(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_./:=+@,%") == strlen(s) && s[0] != '\0') {
		snprintf(buf + n, len - n, "%s", s);
		return;
	}
	snprintf(buf + n, len - n, "'");
	for (; *s != '\0'; s++) {
		n = strlen(buf);
		snprintf(buf + n, len - n, "%s", *s == '\'' ? "'\\''" :
		    (char[2]){ *s, '\0' });
	}
	n = strlen(buf);
	snprintf(buf + n, len - n, "'");
}

int
cli_ffmpeg_cmd(const struct acode_cred *cred, const char *wav, char *buf,
    size_t len)
{
	char addr[ACODE_ADDR_MAX], key[CLI_B64_MAX], url[96];
	int err;

	if ((err = acode_addr_text(cred, addr, sizeof(addr))) != 0)
		return err;
	srtpx_key_encode(SRTPX_AES_CM_128_HMAC_SHA1_80, cred->key_c2s, key,
	    sizeof(key));
	snprintf(url, sizeof(url), cred->family == AF_INET6 ?
	    "srtp://[%s]:%u" : "srtp://%s:%u", addr, cred->port);
	snprintf(buf, len, "ffmpeg -nostdin -re -i ");
	cli_shell_quote(buf, len, wav);
	/*
	 * Opus in 20 ms frames under payload type 111, as confd takes it;
	 * ffmpeg's -ssrc is a signed 32-bit option, and it sends no RTCP
	 * that confd would read (it would go to the next port).
	 */
	snprintf(buf + strlen(buf), len - strlen(buf), " -ac 1 -ar 48000 "
	    "-c:a libopus -b:a 32k -frame_duration 20 -application voip "
	    "-f rtp -payload_type 111 -ssrc %d -rtpflags skip_rtcp "
	    "-srtp_out_suite AES_CM_128_HMAC_SHA1_80 -srtp_out_params %s %s",
	    (int32_t)cred->ssrc, key, url);
	sodium_memzero(key, sizeof(key));
	return strlen(buf) + 1 < len ? 0 : ENOSPC;
}

/* Prints what the codes grant, for a person or as JSON; an exit status. */
static int
cli_codes_print(const struct confcli *cc, const struct acode_cred *cred)
{
	char addr[ACODE_ADDR_MAX], up[CLI_B64_MAX], down[CLI_B64_MAX];
	char expires[32], human[64], cmd[1024];
	json_t *o;
	int ex;

	if (acode_addr_text(cred, addr, sizeof(addr)) != 0 ||
	    cli_ffmpeg_cmd(cred, "in.wav", cmd, sizeof(cmd)) != 0) {
		confcli_err("cannot show these codes' address");
		return CONFCLI_EX_FAIL;
	}
	srtpx_key_encode(SRTPX_AES_CM_128_HMAC_SHA1_80, cred->key_c2s, up,
	    sizeof(up));
	srtpx_key_encode(SRTPX_AES_CM_128_HMAC_SHA1_80, cred->key_s2c, down,
	    sizeof(down));
	rfc3339_format(cred->expires, expires, sizeof(expires));
	cli_time_human(expires, human, sizeof(human));
	if (cc->json) {
		o = json_pack("{s:s, s:i, s:I, s:I, s:s, s:s, s:s, s:s, s:s}",
		    "address", addr, "port", (int)cred->port,
		    "ssrc", (json_int_t)cred->ssrc,
		    "server_ssrc", (json_int_t)(uint32_t)~cred->ssrc,
		    "suite", "AES_CM_128_HMAC_SHA1_80",
		    "key_send", up, "key_receive", down,
		    "expires", expires, "ffmpeg", cmd);
		ex = o != NULL ? cli_print_json(o) : CONFCLI_EX_FAIL;
		json_decref(o);
	} else {
		printf("conference server  %s port %u (UDP, RTP and RTCP on "
		    "one port)\n", addr, cred->port);
		printf("send from SSRC     %u (0x%08x)\n", cred->ssrc,
		    cred->ssrc);
		printf("server sends from  %u (0x%08x)\n",
		    (uint32_t)~cred->ssrc, (uint32_t)~cred->ssrc);
		printf("payload            Opus, 48 kHz, payload type 111, "
		    "20 ms frames\n");
		printf("SRTP suite         AES_CM_128_HMAC_SHA1_80\n");
		printf("key to send        %s\n", up);
		printf("key to receive     %s\n", down);
		printf("valid until        %s\n", human);
		printf("\nffmpeg sending in.wav into the conference (it only "
		    "talks: it cannot\nreceive on the port it sends from):\n"
		    "%s\n", cmd);
		ex = CONFCLI_EX_OK;
	}
	sodium_memzero(up, sizeof(up));
	sodium_memzero(down, sizeof(down));
	sodium_memzero(cmd, sizeof(cmd));
	return ex;
}

int
cli_codes(struct confcli *cc, int argc, char **argv)
{
	char code1[1024], code2[1024], why[160];
	struct acode_cred cred;
	char **pos;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 3, 3, &pos)) != 0)
		return ex;
	if (strcmp(pos[0], "show") != 0)
		return confcli_usage_err(cc, "unknown codes command '%s'; only "
		    "'show' exists", pos[0]);
	if (cli_code_arg(pos[1], 1, code1, sizeof(code1), why,
	    sizeof(why)) != 0 || cli_code_arg(pos[2], 2, code2, sizeof(code2),
	    why, sizeof(why)) != 0) {
		confcli_err("%s", why);
		ex = CONFCLI_EX_DATAERR;
		goto out;
	}
	if ((ex = cli_codes_decode(code1, code2, (int64_t)time(NULL),
	    &cred)) == 0)
		ex = cli_codes_print(cc, &cred);
	acode_cred_wipe(&cred);
out:
	sodium_memzero(code1, sizeof(code1));
	sodium_memzero(code2, sizeof(code2));
	return ex;
}
