/*
 * Unit tests of confcli's pure parts: the arguments a person types
 * (durations, phone numbers, ids, codes pasted from an SMS), mgmtd's URL,
 * the exit status and message of each answer, the settings' precedence,
 * and what `codes show` derives from the test vectors of
 * docs/access-codes.md, including the ffmpeg command line.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../../client/confcli.h"
#include "check.h"

#define T_EXPIRES	1796122800	/* 2026-12-01 11:00 UTC */

/* The IPv4 vector of docs/access-codes.md. */
static const char v4_code1[] =
    "1000H-G40RZ-40M3N-0E20K-91856-GR389-E1X71-9J2BP-H2068-Q7W1R-50JFD-"
    "H7VCQ-P2NTG-MNC8N-RZ8HQ-Z0TC9-Q0003";
static const char v4_code2[] =
    "22084-H44RZ-M2MBR-1E60K-S38DB-HR789-Y3ZSD-YNJK6-A8M64-6AKE5-KZWYP-"
    "2GFPD-TNG7C-HHV3A-6259P-T200W";
/* key_c2s of the vector in base64, as ffmpeg takes it. */
static const char v4_c2s_b64[] = "gDT4IWyrDcU19KY6FZ/d7JKo/1G63cs497rMBW4J";

static void
test_duration(void)
{
	int64_t s;

	CHECK(cli_duration("900", &s) == 0 && s == 900);
	CHECK(cli_duration("900s", &s) == 0 && s == 900);
	CHECK(cli_duration("15m", &s) == 0 && s == 900);
	CHECK(cli_duration("1h", &s) == 0 && s == 3600);
	CHECK(cli_duration("1h30m", &s) == 0 && s == 5400);
	CHECK(cli_duration("1h0m30s", &s) == 0 && s == 3630);
	CHECK(cli_duration("90m", &s) == 0 && s == 5400);
	/* Mistakes a person makes, each refused rather than guessed. */
	CHECK(cli_duration("", &s) == EINVAL);
	CHECK(cli_duration("0", &s) == EINVAL);
	CHECK(cli_duration("-5m", &s) == EINVAL);
	CHECK(cli_duration("1x", &s) == EINVAL);
	CHECK(cli_duration("30m1h", &s) == EINVAL);
	CHECK(cli_duration("1h1h", &s) == EINVAL);
	CHECK(cli_duration("1h30", &s) == EINVAL);
	CHECK(cli_duration("h", &s) == EINVAL);
	CHECK(cli_duration(" 5m", &s) == EINVAL);
	CHECK(cli_duration("99999999999h", &s) == EINVAL);
}

static void
test_int(void)
{
	long long v;

	CHECK(cli_int("10", 1, 65535, &v) == 0 && v == 10);
	CHECK(cli_int("0", 1, 65535, &v) == EINVAL);
	CHECK(cli_int("65536", 1, 65535, &v) == EINVAL);
	CHECK(cli_int(" 5", 1, 65535, &v) == EINVAL);
	CHECK(cli_int("+5", 1, 65535, &v) == EINVAL);
	CHECK(cli_int("5x", 1, 65535, &v) == EINVAL);
	CHECK(cli_int("", 1, 65535, &v) == EINVAL);
}

static void
test_names(void)
{
	CHECK(cli_phone_ok("+4930123456"));
	CHECK(cli_phone_ok("+123456"));
	CHECK(!cli_phone_ok("+12345"));
	CHECK(!cli_phone_ok("+0930123456"));
	CHECK(!cli_phone_ok("004930123456"));
	CHECK(!cli_phone_ok("+49 30123456"));
	CHECK(!cli_phone_ok("+1234567890123456"));
	CHECK(cli_booking_id_ok("3f2a9c0d1e4b5a6c7d8e"));
	CHECK(!cli_booking_id_ok("3F2A9C0D1E4B5A6C7D8E"));
	CHECK(!cli_booking_id_ok("3f2a9c0d1e4b5a6c7d8"));
	CHECK(!cli_booking_id_ok("../../v1/servers/s1x"));
	CHECK(cli_name_ok("s1"));
	CHECK(cli_name_ok("eu-west_2.a"));
	CHECK(!cli_name_ok(""));
	CHECK(!cli_name_ok("s1/state"));
	CHECK(!cli_name_ok("s 1"));
}

static void
test_human(void)
{
	char buf[64];

	cli_time_human("2026-12-01T11:00:00Z", buf, sizeof(buf));
	CHECK_STR(buf, "2026-12-01 11:00 UTC");
	cli_time_human("2026-12-01T11:00:05Z", buf, sizeof(buf));
	CHECK_STR(buf, "2026-12-01 11:00:05 UTC");
	cli_time_human("soon", buf, sizeof(buf));
	CHECK_STR(buf, "soon");
	cli_time_human(NULL, buf, sizeof(buf));
	CHECK_STR(buf, "never");
	cli_duration_human(3600, buf, sizeof(buf));
	CHECK_STR(buf, "1 h");
	cli_duration_human(5400, buf, sizeof(buf));
	CHECK_STR(buf, "1 h 30 min");
	cli_duration_human(900, buf, sizeof(buf));
	CHECK_STR(buf, "15 min");
	cli_duration_human(45, buf, sizeof(buf));
	CHECK_STR(buf, "45 s");
}

static void
test_url(void)
{
	char host[256], why[256];
	bool tls;
	int port;

	CHECK(mapi_url_parse("https://127.0.0.1:8443", &tls, host,
	    sizeof(host), &port, why, sizeof(why)) == 0);
	CHECK(tls && port == 8443);
	CHECK_STR(host, "127.0.0.1");
	CHECK(mapi_url_parse("https://[::1]:9000/", &tls, host, sizeof(host),
	    &port, why, sizeof(why)) == 0);
	CHECK(tls && port == 9000);
	CHECK_STR(host, "::1");
	CHECK(mapi_url_parse("https://mgmt.example.org", &tls, host,
	    sizeof(host), &port, why, sizeof(why)) == 0);
	CHECK(port == 443);
	CHECK_STR(host, "mgmt.example.org");
	CHECK(mapi_url_parse("http://127.0.0.1:8080", &tls, host,
	    sizeof(host), &port, why, sizeof(why)) == 0);
	CHECK(!tls && port == 8080);
	/* Plain HTTP would carry the key in the clear off this machine. */
	CHECK(mapi_url_parse("http://192.0.2.1:8080", &tls, host,
	    sizeof(host), &port, why, sizeof(why)) == EINVAL);
	CHECK(strstr(why, "https://") != NULL);
	CHECK(mapi_url_parse("ftp://127.0.0.1", &tls, host, sizeof(host),
	    &port, why, sizeof(why)) == EINVAL);
	CHECK(mapi_url_parse("127.0.0.1:8443", &tls, host, sizeof(host),
	    &port, why, sizeof(why)) == EINVAL);
	CHECK(mapi_url_parse("https://127.0.0.1:8443/v1", &tls, host,
	    sizeof(host), &port, why, sizeof(why)) == EINVAL);
	CHECK(mapi_url_parse("https://user@127.0.0.1", &tls, host,
	    sizeof(host), &port, why, sizeof(why)) == EINVAL);
	CHECK(mapi_url_parse("https://127.0.0.1:99999", &tls, host,
	    sizeof(host), &port, why, sizeof(why)) == EINVAL);
}

/* An answer of status with mgmtd's error body {code, message}. */
static void
t_res(struct mapi_res *r, int status, const char *code, const char *msg)
{
	memset(r, 0, sizeof(*r));
	r->status = status;
	if (code != NULL)
		r->body = json_pack("{s:{s:s, s:s}}", "error", "code", code,
		    "message", msg);
	mapi_res_explain(r);
}

static void
test_exit(void)
{
	struct mapi_res r;

	t_res(&r, 200, NULL, NULL);
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_OK);
	t_res(&r, 0, NULL, NULL);
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_UNAVAILABLE);
	t_res(&r, 401, "unauthorized", "no valid token");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_NOPERM);
	CHECK_STR(r.code, "unauthorized");
	CHECK_STR(r.msg, "no valid token");
	mapi_res_clear(&r);
	t_res(&r, 403, "not_invited", "+49301 is not invited");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_NOPERM);
	mapi_res_clear(&r);
	t_res(&r, 409, "no_capacity", "no server has room");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_NOCAPACITY);
	mapi_res_clear(&r);
	t_res(&r, 409, "cancelled", "cancelled");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_DATAERR);
	mapi_res_clear(&r);
	t_res(&r, 409, "ended", "over");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_DATAERR);
	mapi_res_clear(&r);
	t_res(&r, 400, "invalid_start", "in the past");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_DATAERR);
	mapi_res_clear(&r);
	t_res(&r, 404, "not_found", "no booking");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_DATAERR);
	mapi_res_clear(&r);
	t_res(&r, 503, "no_memory", "out of memory");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_TEMPFAIL);
	mapi_res_clear(&r);
	t_res(&r, 500, "store_failed", "the store could not commit");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_TEMPFAIL);
	mapi_res_clear(&r);
	t_res(&r, 415, "unsupported_media_type", "JSON only");
	CHECK_INT(mapi_exit(&r), ==, CONFCLI_EX_FAIL);
	mapi_res_clear(&r);
	/* A body that is not mgmtd's: the status still says something. */
	t_res(&r, 413, NULL, NULL);
	CHECK(strstr(r.msg, "413") != NULL);
	CHECK_STR(r.code, "");
}

static void
test_code_arg(void)
{
	char buf[256], why[160];

	CHECK(cli_code_arg(v4_code2, 2, buf, sizeof(buf), why,
	    sizeof(why)) == 0);
	CHECK_STR(buf, v4_code2);
	/* The SMS of docs/access-codes.md, pasted whole. */
	CHECK(cli_code_arg("Conference code 2: 2P2RR-V5CX9 valid until "
	    "2026-12-01 11:00 UTC", 2, buf, sizeof(buf), why,
	    sizeof(why)) == 0);
	CHECK_STR(buf, " 2P2RR-V5CX9");
	CHECK(cli_code_arg("0123456789", 1, buf, 8, why, sizeof(why)) ==
	    EINVAL);
	CHECK(strstr(why, "code 1") != NULL);
}

static void
test_decode(void)
{
	struct acode_cred cred;
	char other[sizeof(v4_code2)];

	CHECK_INT(cli_codes_decode(v4_code1, v4_code2, T_EXPIRES, &cred), ==,
	    CONFCLI_EX_OK);
	CHECK(cred.port == 40000 && cred.ssrc == 0x118816ecU);
	acode_cred_wipe(&cred);
	CHECK_INT(cli_codes_decode(v4_code1, v4_code2, T_EXPIRES + 1, &cred),
	    ==, CONFCLI_EX_DATAERR);
	CHECK_INT(cli_codes_decode(v4_code2, v4_code1, T_EXPIRES, &cred), ==,
	    CONFCLI_EX_DATAERR);
	/* 'H' for the 'M' of group 3: a typo that the check symbol finds. */
	memcpy(other, v4_code2, sizeof(other));
	other[12] = 'H';
	CHECK_INT(cli_codes_decode(v4_code1, other, T_EXPIRES, &cred), ==,
	    CONFCLI_EX_DATAERR);
	CHECK(cred.ssrc == 0 && cred.port == 0);
}

static void
test_ffmpeg(void)
{
	struct acode_cred cred;
	char cmd[1024];

	CHECK(cli_codes_decode(v4_code1, v4_code2, T_EXPIRES, &cred) == 0);
	CHECK(cli_ffmpeg_cmd(&cred, "in.wav", cmd, sizeof(cmd)) == 0);
	CHECK_STR(cmd, "ffmpeg -nostdin -re -i in.wav -ac 1 -ar 48000 "
	    "-c:a libopus -b:a 32k -frame_duration 20 -application voip "
	    "-f rtp -payload_type 111 -ssrc 294131436 -rtpflags skip_rtcp "
	    "-srtp_out_suite AES_CM_128_HMAC_SHA1_80 -srtp_out_params "
	    "gDT4IWyrDcU19KY6FZ/d7JKo/1G63cs497rMBW4J srtp://192.0.2.10:40000");
	CHECK(strstr(cmd, v4_c2s_b64) != NULL);
	/* ffmpeg's -ssrc is signed; a file name is quoted for the shell. */
	cred.ssrc = 0xfffffffeU;
	CHECK(cli_ffmpeg_cmd(&cred, "it's mine.wav", cmd, sizeof(cmd)) == 0);
	CHECK(strstr(cmd, "-ssrc -2 ") != NULL);
	CHECK(strstr(cmd, "-i 'it'\\''s mine.wav' ") != NULL);
	cred.family = AF_INET6;
	memset(cred.addr, 0, sizeof(cred.addr));
	cred.addr[15] = 1;
	CHECK(cli_ffmpeg_cmd(&cred, "in.wav", cmd, sizeof(cmd)) == 0);
	CHECK(strstr(cmd, " srtp://[::1]:40000") != NULL);
	CHECK(cli_ffmpeg_cmd(&cred, "in.wav", cmd, 100) == ENOSPC);
	acode_cred_wipe(&cred);
}

/* Writes a configuration file; its path in path. */
static void
t_ini(char *path, size_t len, const char *text)
{
	FILE *f;

	snprintf(path, len, "/tmp/test_cli.%d.ini", (int)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

static void
test_settings(void)
{
	struct settings s;
	char path[128], why[1024];

	unsetenv("CONFCLI_MGMTD");
	unsetenv("CONFCLI_CA");
	unsetenv("CONFCLI_KEY");
	unsetenv("CONFCLI_CONFIG");
	t_ini(path, sizeof(path), "[mgmtd]\nurl = https://10.0.0.1:1\n"
	    "ca = /file/ca.pem\nkey = key-from-the-file\n");
	/* The file alone. */
	CHECK(settings_resolve(&s, NULL, NULL, NULL, path, why,
	    sizeof(why)) == 0);
	CHECK_STR(s.url, "https://10.0.0.1:1");
	CHECK_STR(s.ca, "/file/ca.pem");
	CHECK_STR(s.key, "key-from-the-file");
	/* The environment goes first, then the command line. */
	setenv("CONFCLI_MGMTD", "https://10.0.0.2:2", 1);
	setenv("CONFCLI_KEY", "key-from-the-env", 1);
	CHECK(settings_resolve(&s, NULL, NULL, NULL, path, why,
	    sizeof(why)) == 0);
	CHECK_STR(s.url, "https://10.0.0.2:2");
	CHECK_STR(s.key, "key-from-the-env");
	CHECK_STR(s.key_from, "CONFCLI_KEY");
	CHECK_STR(s.ca, "/file/ca.pem");
	CHECK(settings_resolve(&s, "https://10.0.0.3:3", "/opt/ca.pem",
	    "key-from-the-option", path, why, sizeof(why)) == 0);
	CHECK_STR(s.url, "https://10.0.0.3:3");
	CHECK_STR(s.ca, "/opt/ca.pem");
	CHECK_STR(s.key, "key-from-the-option");
	CHECK_STR(s.key_from, "--key");
	settings_wipe(&s);
	CHECK(s.key[0] == '\0');
	unsetenv("CONFCLI_MGMTD");
	unsetenv("CONFCLI_KEY");
	/* A mistake in the file is named with its line. */
	t_ini(path, sizeof(path), "[mgmtd]\nurl = https://10.0.0.1:1\n"
	    "color = blue\n");
	CHECK(settings_resolve(&s, NULL, NULL, NULL, path, why,
	    sizeof(why)) == EINVAL);
	CHECK(strstr(why, ":3:") != NULL);
	unlink(path);
	/* A named file must exist. */
	CHECK(settings_resolve(&s, NULL, NULL, NULL, path, why,
	    sizeof(why)) != 0);
	/* No file at the default place: the default URL. */
	setenv("HOME", "/nonexistent", 1);
	unsetenv("XDG_CONFIG_HOME");
	CHECK(settings_resolve(&s, NULL, NULL, NULL, NULL, why,
	    sizeof(why)) == 0);
	CHECK_STR(s.url, CONFCLI_URL_DEFAULT);
	CHECK(s.key[0] == '\0');
}

CHECK_MAIN(
	CHECK_CASE(test_duration),
	CHECK_CASE(test_int),
	CHECK_CASE(test_names),
	CHECK_CASE(test_human),
	CHECK_CASE(test_url),
	CHECK_CASE(test_exit),
	CHECK_CASE(test_code_arg),
	CHECK_CASE(test_decode),
	CHECK_CASE(test_ffmpeg),
	CHECK_CASE(test_settings),
)
