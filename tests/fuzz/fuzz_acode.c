/*
 * fuzz_acode: the access-code decoder (common/acode.c) on arbitrary text,
 * as confcli reads what a person typed or pasted.
 *
 * The first byte picks one of two modes.  Even: the rest is two texts,
 * split at the first newline, given to acode_check() and acode_decode();
 * whatever they hold, the answers must agree with each other, every error
 * must come with a whole sentence that fits ACODE_WHY_MAX, and a refused
 * pair must leave the credential wiped.  Odd: the input chooses shares, an
 * address, a port and an expiry, a pair is issued, and the rest of the
 * input edits the two texts; the pair must decode to the credential it was
 * issued with exactly when the edits changed nothing but case, dashes,
 * blanks and the letters read as digits (I, L, O), and must be refused
 * otherwise: the check symbols and the AEADs let no other change through.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acode.h"
#include "fuzz.h"

#define NOW		1796122800	/* 2026-12-01 11:00 UTC */
#define MAX_EDITS	8

/* A NUL-terminated heap copy of exactly len bytes, for ASan. */
static char *
dup_text(const uint8_t *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/* The symbols a text spells, as the decoder is documented to read it. */
static void
canon(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	char c;

	for (; *s != '\0' && n + 1 < cap; s++) {
		c = *s;
		if (c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == 'I' || c == 'L')
			c = '1';
		else if (c == 'O')
			c = '0';
		out[n++] = c;
	}
	out[n] = '\0';
}

/* Checks what every answer promises, whatever the input. */
static void
check_answer(int rc, const char *why)
{
	size_t len = strnlen(why, ACODE_WHY_MAX);

	FUZZ_CHECK(rc >= ACODE_OK && rc < ACODE_E_INTERNAL);
	FUZZ_CHECK(len < ACODE_WHY_MAX - 1);
	FUZZ_CHECK((rc == ACODE_OK) == (len == 0));
	FUZZ_CHECK(strcmp(acode_strerror(rc), "unknown error") != 0);
}

static void
fuzz_text(const uint8_t *data, size_t size)
{
	char why[ACODE_WHY_MAX], sms[ACODE_SMS_MAX];
	struct acode_cred cred;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n1 = nl != NULL ? (size_t)(nl - data) : size;
	char *c1, *c2;
	int rc, rc1, rc2;

	c1 = dup_text(data, n1);
	c2 = nl != NULL ? dup_text(nl + 1, size - n1 - 1) : dup_text(data, 0);
	rc1 = acode_check(c1, 1, why, sizeof(why));
	check_answer(rc1, why);
	rc2 = acode_check(c2, 2, why, sizeof(why));
	check_answer(rc2, why);
	memset(&cred, 0xa5, sizeof(cred));
	rc = acode_decode(c1, c2, NOW, &cred, why, sizeof(why));
	check_answer(rc, why);
	/* The pair is judged code 1 first, by the same rules as one code. */
	if (rc1 != ACODE_OK)
		FUZZ_CHECK(rc == rc1);
	else if (rc2 != ACODE_OK)
		FUZZ_CHECK(rc == rc2);
	if (rc != ACODE_OK) {
		struct acode_cred zero;

		memset(&zero, 0, sizeof(zero));
		FUZZ_CHECK(memcmp(&cred, &zero, sizeof(cred)) == 0);
	} else
		FUZZ_CHECK(cred.family == AF_INET || cred.family == AF_INET6);
	acode_cred_wipe(&cred);
	rc = acode_sms_text(c2, NOW, sms, sizeof(sms));
	FUZZ_CHECK(rc == 0 || rc == EINVAL || rc == ENOSPC);
	if (rc == 0)
		FUZZ_CHECK(strlen(sms) <= 160);
	free(c1);
	free(c2);
}

/* Replaces or deletes one character of a code, as the input says. */
static void
edit(struct fuzz_in *in, char *c1, char *c2)
{
	uint8_t how = fuzz_u8(in), at = fuzz_u8(in), c = fuzz_u8(in);
	char *s = how & 1 ? c2 : c1;
	size_t len = strlen(s);

	if (len == 0)
		return;
	at = (uint8_t)(at % len);
	if (how & 2)
		memmove(s + at, s + at + 1, len - at);
	else
		s[at] = (char)c;
}

static void
fuzz_issue(struct fuzz_in *in)
{
	char c1[ACODE_CODE1_MAX], c2[ACODE_CODE2_MAX], e1[ACODE_CODE1_MAX];
	char e2[ACODE_CODE2_MAX], k1[ACODE_CODE1_MAX], k2[ACODE_CODE1_MAX];
	char f1[ACODE_CODE1_MAX], f2[ACODE_CODE1_MAX];
	char ip[ACODE_ADDR_MAX], why[ACODE_WHY_MAX], sms[ACODE_SMS_MAX];
	uint8_t s1[ACODE_SHARE_LEN], s2[ACODE_SHARE_LEN], addr[16];
	struct acode_cred cred, out;
	int family, rc, i, same;
	uint16_t port;
	uint32_t minutes;

	family = fuzz_u8(in) & 1 ? AF_INET6 : AF_INET;
	for (i = 0; i < ACODE_SHARE_LEN; i++)
		s1[i] = fuzz_u8(in);
	for (i = 0; i < ACODE_SHARE_LEN; i++)
		s2[i] = fuzz_u8(in);
	for (i = 0; i < 16; i++)
		addr[i] = fuzz_u8(in);
	addr[0] |= 1;
	port = fuzz_u16(in);
	port += port == 0;
	minutes = fuzz_u32(in);
	minutes += minutes == 0;
	FUZZ_CHECK(inet_ntop(family, addr, ip, sizeof(ip)) != NULL);
	rc = acode_issue_shares(ip, port, (int64_t)minutes * 60, s1, s2, c1,
	    sizeof(c1), c2, sizeof(c2), &cred, why, sizeof(why));
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(acode_check(c1, 1, why, sizeof(why)) == ACODE_OK);
	FUZZ_CHECK(acode_check(c2, 2, why, sizeof(why)) == ACODE_OK);
	FUZZ_CHECK(acode_sms_text(c2, cred.expires, sms, sizeof(sms)) == 0);
	FUZZ_CHECK(strlen(sms) <= 160);

	memcpy(e1, c1, sizeof(e1));
	memcpy(e2, c2, sizeof(e2));
	for (i = 0; i < MAX_EDITS && in->len >= 3; i++)
		edit(in, e1, e2);
	canon(c1, k1, sizeof(k1));
	canon(c2, k2, sizeof(k2));
	canon(e1, f1, sizeof(f1));
	canon(e2, f2, sizeof(f2));
	same = strcmp(k1, f1) == 0 && strcmp(k2, f2) == 0;
	rc = acode_decode(e1, e2, cred.expires, &out, why, sizeof(why));
	check_answer(rc, why);
	if (same) {
		FUZZ_CHECK(rc == ACODE_OK);
		FUZZ_CHECK(memcmp(&out, &cred, sizeof(out)) == 0);
		rc = acode_decode(e1, e2, cred.expires + 1, &out, why,
		    sizeof(why));
		FUZZ_CHECK(rc == ACODE_E_EXPIRED);
	} else
		FUZZ_CHECK(rc != ACODE_OK);
	acode_cred_wipe(&cred);
	acode_cred_wipe(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		in.p++;
		in.len--;
		fuzz_issue(&in);
	} else
		fuzz_text(data + 1, size - 1);
	return 0;
}
