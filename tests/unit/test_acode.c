/*
 * Unit tests of the access codes (common/acode.c) against the test vectors
 * and the format of docs/access-codes.md.
 *
 * The base32 packing, the check symbols and the key derivation are written
 * here a second time, from the document rather than from the module, so
 * that the tests can alter a code and re-encode it with correct check
 * symbols, and so that the document is proven to describe the codes.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "acode.h"
#include "check.h"

#define T_EXPIRES	1796122800	/* 2026-12-01 11:00 UTC */
#define T_CODE1_V4_LEN	101
#define T_CODE1_V6_LEN	131
#define T_CODE2_LEN	95

/* The vectors of docs/access-codes.md; test_doc checks they are there. */
static const char v4_code1[] =
    "1000H-G40RZ-40M3N-0E20K-91856-GR389-E1X71-9J2BP-H2068-Q7W1R-50JFD-"
    "H7VCQ-P2NTG-MNC8N-RZ8HQ-Z0TC9-Q0003";
static const char v4_code2[] =
    "22084-H44RZ-M2MBR-1E60K-S38DB-HR789-Y3ZSD-YNJK6-A8M64-6AKE5-KZWYP-"
    "2GFPD-TNG7C-HHV3A-6259P-T200W";
static const char v4_master[] =
    "d1e34b9e621169120fd22683e8a2597f52d3dc9734c72c66acfdd1baa6afad77";
static const char v4_c2s[] =
    "8034f8216cab0dc535f4a63a159fddec92a8ff51baddcb38f7bacc056e09";
static const char v4_s2c[] =
    "9f83bced69b8d3096a2c719ba28dd67701af2e7017adad272691a5ea4039";
#define V4_SSRC		0x118816ecU
static const char v6_code1[] =
    "3M2G8-T58X9-4MPK9-AFA55-9NANT-TSBDZ-ENYMZ-PY7GR-CGJ9K-V9R2F-JS2BB-"
    "2THFQ-1NGVX-M9R20-Z3GD1-37NPF-5AZ6E-HPDNG-ASXYP-GNSK8-4Q7FM-G000V";
static const char v6_code2[] =
    "2P2RR-V5CX9-MPPV4-BFE55-SQAXQ-VSFDZ-YQYYP-BCV9Q-46GD6-JFWFM-F2M2E-"
    "FBWTV-S8TWM-048AT-MYVCR-H000D";
static const char v6_master[] =
    "beb8457dc095eabaffb078b29cab057f1ce3714278cb71383a02e9a6ac2b588f";
static const char v6_c2s[] =
    "c38270c5893c0fa42df4ba08f6369b52426654c81813ec70e7bf4ff2077f";
static const char v6_s2c[] =
    "ef844a7ba1bc54e8ba15519476460a849dfe8aad38eeb164c3693f813c4c";
#define V6_SSRC		0x03a9f05eU
static const char v6_sms[] =
    "Conference code 2: 2P2RR-V5CX9-MPPV4-BFE55-SQAXQ-VSFDZ-YQYYP-BCV9Q-"
    "46GD6-JFWFM-F2M2E-FBWTV-S8TWM-048AT-MYVCR-H000D valid until "
    "2026-12-01 11:00 UTC";

static const char t_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* The shares of the vectors: 00..0f and 10..1f, a0..af and b0..bf. */
static void
t_shares(int v6, uint8_t *s1, uint8_t *s2)
{
	int i;

	for (i = 0; i < ACODE_SHARE_LEN; i++) {
		s1[i] = (uint8_t)((v6 ? 0xa0 : 0x00) + i);
		s2[i] = (uint8_t)((v6 ? 0xb0 : 0x10) + i);
	}
}

static void
t_hex(const uint8_t *p, size_t len, char *out)
{
	sodium_bin2hex(out, len * 2 + 1, p, len);
}

/* Multiplies in GF(32) modulo x^5 + x^2 + 1, the long way. */
static uint8_t
t_gf_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;

	while (b != 0) {
		if (b & 1)
			r ^= a;
		a = (uint8_t)(a << 1);
		if (a & 0x20)
			a ^= 0x25;
		b >>= 1;
	}
	return r;
}

/* The check symbol as the document defines it: weights x^4, x^3, x^2, x. */
static uint8_t
t_check(const uint8_t *d, unsigned group)
{
	static const uint8_t w[4] = { 16, 8, 4, 2 };
	uint8_t c = (uint8_t)(group & 31);
	int i;

	for (i = 0; i < 4; i++)
		c ^= t_gf_mul(w[i], d[i]);
	return c;
}

/* The values of the symbols of a canonical code, dashes skipped. */
static size_t
t_syms(const char *text, uint8_t *sym)
{
	const char *p;
	size_t n = 0;

	for (; *text != '\0'; text++)
		if (*text != '-' && (p = strchr(t_alphabet, *text)) != NULL)
			sym[n++] = (uint8_t)(p - t_alphabet);
	return n;
}

/* The data symbols of a canonical code (check symbols dropped). */
static size_t
t_data(const char *text, uint8_t *d)
{
	uint8_t s[128];
	size_t n = t_syms(text, s), i, nd = 0;

	for (i = 0; i < n; i++)
		if (i % 5 != 4)
			d[nd++] = s[i];
	return nd;
}

/* Writes data symbols as a code: groups of four and a check symbol. */
static void
t_encode(const uint8_t *d, size_t nd, char *out)
{
	size_t g, i;

	for (g = 0; g < nd / 4; g++) {
		if (g > 0)
			*out++ = '-';
		for (i = 0; i < 4; i++)
			*out++ = t_alphabet[d[g * 4 + i]];
		*out++ = t_alphabet[t_check(d + g * 4, (unsigned)g + 1)];
	}
	*out = '\0';
}

/* Reads the bytes after the first symbol, most significant bit first. */
static void
t_bytes(const uint8_t *d, uint8_t *bytes, size_t len)
{
	size_t bit;

	memset(bytes, 0, len);
	for (bit = 0; bit < len * 8; bit++)
		if (d[1 + bit / 5] & (0x10 >> (bit % 5)))
			bytes[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
}

/* Writes bytes back into the data symbols after the first one. */
static void
t_put_bytes(uint8_t *d, const uint8_t *bytes, size_t len)
{
	size_t bit;

	for (bit = 0; bit < len * 8; bit++) {
		d[1 + bit / 5] &= (uint8_t)~(0x10 >> (bit % 5));
		if (bytes[bit / 8] & (0x80 >> (bit % 8)))
			d[1 + bit / 5] |= (uint8_t)(0x10 >> (bit % 5));
	}
}

/* Copies a code with symbol number pos (from 0, dashes skipped) set to c. */
static void
t_set_sym(const char *code, size_t pos, char c, char *out)
{
	size_t n = 0;

	if (out != code)
		memmove(out, code, strlen(code) + 1);
	for (; *out != '\0'; out++)
		if (*out != '-' && n++ == pos) {
			*out = c;
			return;
		}
}

/* Whether docs/access-codes.md holds text, character for character. */
static int
t_doc_has(const char *text)
{
	const char *top = getenv("TOP");
	char path[4096], *doc;
	size_t len;
	FILE *fp;
	int found;

	snprintf(path, sizeof(path), "%s/docs/access-codes.md",
	    top != NULL ? top : ".");
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	doc = calloc(1, 1 << 20);
	len = doc != NULL ? fread(doc, 1, (1 << 20) - 1, fp) : 0;
	fclose(fp);
	found = len > 0 && strstr(doc, text) != NULL;
	free(doc);
	return found;
}

static int
t_issue(int v6, char *c1, char *c2, struct acode_cred *cred)
{
	uint8_t s1[ACODE_SHARE_LEN], s2[ACODE_SHARE_LEN];
	char why[ACODE_WHY_MAX];

	t_shares(v6, s1, s2);
	return acode_issue_shares(v6 ? "2001:db8::10" : "192.0.2.10",
	    v6 ? 50000 : 40000, T_EXPIRES, s1, s2, c1, ACODE_CODE1_MAX, c2,
	    ACODE_CODE2_MAX, cred, why, sizeof(why));
}

static void
test_vector_ipv4(void)
{
	char c1[ACODE_CODE1_MAX], c2[ACODE_CODE2_MAX], hex[64];
	char why[ACODE_WHY_MAX], addr[ACODE_ADDR_MAX];
	struct acode_cred cred, out;

	CHECK_INT(t_issue(0, c1, c2, &cred), ==, 0);
	CHECK_STR(c1, v4_code1);
	CHECK_STR(c2, v4_code2);
	CHECK_INT(strlen(c1), ==, T_CODE1_V4_LEN);
	CHECK_INT(strlen(c2), ==, T_CODE2_LEN);
	CHECK_INT(cred.family, ==, AF_INET);
	CHECK_INT(cred.port, ==, 40000);
	CHECK_INT(cred.expires, ==, T_EXPIRES);
	CHECK_INT(cred.ssrc, ==, V4_SSRC);
	t_hex(cred.key_c2s, sizeof(cred.key_c2s), hex);
	CHECK_STR(hex, v4_c2s);
	t_hex(cred.key_s2c, sizeof(cred.key_s2c), hex);
	CHECK_STR(hex, v4_s2c);
	CHECK_INT(acode_addr_text(&cred, addr, sizeof(addr)), ==, 0);
	CHECK_STR(addr, "192.0.2.10");

	CHECK_INT(acode_decode(c1, c2, T_EXPIRES, &out, why, sizeof(why)), ==,
	    ACODE_OK);
	CHECK_STR(why, "");
	CHECK(memcmp(&out, &cred, sizeof(out)) == 0);
	acode_cred_wipe(&cred);
	acode_cred_wipe(&out);
}

static void
test_vector_ipv6(void)
{
	char c1[ACODE_CODE1_MAX], c2[ACODE_CODE2_MAX], hex[64];
	char why[ACODE_WHY_MAX], addr[ACODE_ADDR_MAX];
	struct acode_cred cred, out;

	CHECK_INT(t_issue(1, c1, c2, &cred), ==, 0);
	CHECK_STR(c1, v6_code1);
	CHECK_STR(c2, v6_code2);
	CHECK_INT(strlen(c1), ==, T_CODE1_V6_LEN);
	CHECK_INT(strlen(c2), ==, T_CODE2_LEN);
	CHECK_INT(cred.family, ==, AF_INET6);
	CHECK_INT(cred.port, ==, 50000);
	CHECK_INT(cred.ssrc, ==, V6_SSRC);
	t_hex(cred.key_c2s, sizeof(cred.key_c2s), hex);
	CHECK_STR(hex, v6_c2s);
	t_hex(cred.key_s2c, sizeof(cred.key_s2c), hex);
	CHECK_STR(hex, v6_s2c);
	CHECK_INT(acode_addr_text(&cred, addr, sizeof(addr)), ==, 0);
	CHECK_STR(addr, "2001:db8::10");

	CHECK_INT(acode_decode(c1, c2, T_EXPIRES, &out, why, sizeof(why)), ==,
	    ACODE_OK);
	CHECK(memcmp(&out, &cred, sizeof(out)) == 0);
	acode_cred_wipe(&cred);
	acode_cred_wipe(&out);
}

/* Fails the case when the document lacks the hex of these bytes. */
#define T_DOC_HEX(p, len) do {						\
	char t_hex_[2 * 64 + 1];					\
	t_hex((p), (len), t_hex_);					\
	if (!t_doc_has(t_hex_)) {					\
		check_fail(__FILE__, __LINE__, "docs/access-codes.md "	\
		    "lacks %s (%s)", t_hex_, #p);			\
		return;							\
	}								\
} while (0)

/*
 * Opens the vectors the way the document says, with libsodium alone: the
 * master from the shares, the subkeys by id, the layout of both codes.
 * Every value on the way is printed in the document too.
 */
static void
t_spec_open(int v6, const char *c1, const char *c2, const char *master_hex,
    const char *c2s_hex, uint32_t ssrc)
{
	static const uint8_t personal[16] = "confcode v1";
	uint8_t d1[128], d2[128], b1[52], b2[38], in[32], master[32];
	uint8_t key[32], nonce[24], sub[32], m[20], head;
	unsigned long long mlen;
	size_t alen = v6 ? 16 : 4, len1 = 16 + 4 + alen + 16;
	char hex[80];

	CHECK_INT(t_data(c1, d1), ==, v6 ? 88 : 68);
	CHECK_INT(t_data(c2, d2), ==, 64);
	/* The first symbol: version 1 less one, then the kind. */
	CHECK_INT(d1[0], ==, v6 ? 3 : 1);
	CHECK_INT(d2[0], ==, 2);
	t_bytes(d1, b1, len1);
	t_bytes(d2, b2, sizeof(b2));
	T_DOC_HEX(b1, len1);
	T_DOC_HEX(b2, sizeof(b2));

	memcpy(in, b1, 16);
	memcpy(in + 16, b2, 16);
	CHECK(crypto_generichash_blake2b_salt_personal(master, 32, in, 32,
	    NULL, 0, NULL, personal) == 0);
	t_hex(master, 32, hex);
	CHECK_STR(hex, master_hex);

	/* Code 1: XChaCha20-Poly1305, ids 1 and 2, the first symbol as AD. */
	crypto_kdf_derive_from_key(key, 32, 1, "CONFCODE", master);
	crypto_kdf_derive_from_key(nonce, 24, 2, "CONFCODE", master);
	T_DOC_HEX(key, 32);
	T_DOC_HEX(nonce, 24);
	head = d1[0];
	CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL,
	    b1 + 16, len1 - 16, &head, 1, nonce, key) == 0);
	CHECK_INT(mlen, ==, 4 + alen);
	T_DOC_HEX(m, mlen);
	CHECK_INT((uint32_t)m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3], ==,
	    T_EXPIRES / 60);
	if (v6)
		CHECK(memcmp(m + 4, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0"
		    "\0\x10", 16) == 0);
	else
		CHECK(memcmp(m + 4, "\xc0\x00\x02\x0a", 4) == 0);

	/* Code 2: XSalsa20-Poly1305 (tag first), ids 3 and 4. */
	crypto_kdf_derive_from_key(key, 32, 3, "CONFCODE", master);
	crypto_kdf_derive_from_key(nonce, 24, 4, "CONFCODE", master);
	T_DOC_HEX(key, 32);
	T_DOC_HEX(nonce, 24);
	CHECK(crypto_secretbox_open_easy(m, b2 + 16, 22, nonce, key) == 0);
	T_DOC_HEX(m, 6);
	CHECK_INT((uint32_t)m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3], ==,
	    T_EXPIRES / 60);
	CHECK_INT(m[4] << 8 | m[5], ==, v6 ? 50000 : 40000);

	/* The credential: ids 5 (to the server), 6 (from it), 7 (SSRC). */
	crypto_kdf_derive_from_key(sub, 30, 5, "CONFCODE", master);
	t_hex(sub, 30, hex);
	CHECK_STR(hex, c2s_hex);
	crypto_kdf_derive_from_key(sub, 16, 7, "CONFCODE", master);
	T_DOC_HEX(sub, 16);
	CHECK_INT((uint32_t)sub[0] << 24 | (uint32_t)sub[1] << 16 |
	    sub[2] << 8 | sub[3], ==, ssrc);
}

static void
test_vector_spec(void)
{
	char text[160];
	uint8_t d[128];

	CHECK_INT(sodium_init() >= 0, ==, 1);
	t_spec_open(0, v4_code1, v4_code2, v4_master, v4_c2s, V4_SSRC);
	if (check_failed())
		return;
	t_spec_open(1, v6_code1, v6_code2, v6_master, v6_c2s, V6_SSRC);
	if (check_failed())
		return;
	/* The document's check symbols are the module's. */
	t_encode(d, t_data(v4_code1, d), text);
	CHECK_STR(text, v4_code1);
	t_encode(d, t_data(v6_code1, d), text);
	CHECK_STR(text, v6_code1);
	t_encode(d, t_data(v6_code2, d), text);
	CHECK_STR(text, v6_code2);
}

/* Every vector above is printed in the document, character for character. */
static void
test_doc(void)
{
	const char *want[] = {
		v4_code1, v4_code2, v4_master, v4_c2s, v4_s2c,
		v6_code1, v6_code2, v6_master, v6_c2s, v6_s2c, v6_sms,
		"0x118816ec", "0x03a9f05e", "29935380",
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!t_doc_has(want[i])) {
			check_fail(__FILE__, __LINE__, "docs/access-codes.md "
			    "lacks %s", want[i]);
			return;
		}
}

/* t_check() by table: mul[i][v] is the weight of position i times v. */
static uint8_t
t_check_tab(const uint8_t mul[4][32], const uint8_t *d, unsigned group)
{
	return (uint8_t)(mul[0][d[0]] ^ mul[1][d[1]] ^ mul[2][d[2]] ^
	    mul[3][d[3]] ^ (group & 31));
}

/*
 * The proof that the check symbol catches what it must: every group of
 * four data symbols, every single substitution of any of the five symbols,
 * every exchange of two different symbols (adjacent or not), for the first
 * and the last group number a code can have.
 */
static void
test_check_exhaustive(void)
{
	static const unsigned groups[] = { 1, 22 };
	static const uint8_t zero[4] = { 0, 0, 0, 0 };
	uint8_t mul[4][32], e[5], f[5], u[4], tmp;
	unsigned gi, g, v, i, j, sub;
	uint32_t x;

	/* The table is t_check() itself: it gives the weights alone. */
	for (i = 0; i < 4; i++)
		for (v = 0; v < 32; v++) {
			memset(u, 0, sizeof(u));
			u[i] = (uint8_t)v;
			mul[i][v] = t_check(u, 0);
		}
	for (gi = 0; gi < 2; gi++) {
		g = groups[gi];
		for (x = 0; x < 1U << 20; x++) {
			for (i = 0; i < 4; i++)
				e[i] = (uint8_t)(x >> (15 - 5 * i) & 31);
			e[4] = t_check_tab(mul, e, g);
			if ((x & 0xfff) == 0 && e[4] != t_check(e, g)) {
				check_fail(__FILE__, __LINE__, "table");
				return;
			}
			for (i = 0; i < 5; i++)
				for (sub = 1; sub < 32; sub++) {
					memcpy(f, e, 5);
					f[i] = (uint8_t)((f[i] + sub) & 31);
					if (t_check_tab(mul, f, g) == f[4]) {
						check_fail(__FILE__, __LINE__,
						    "substitution %u->%u at %u "
						    "of %05x missed", e[i],
						    f[i], i, x);
						return;
					}
				}
			for (i = 0; i < 5; i++)
				for (j = i + 1; j < 5; j++) {
					if (e[i] == e[j])
						continue;
					memcpy(f, e, 5);
					tmp = f[i];
					f[i] = f[j];
					f[j] = tmp;
					if (t_check_tab(mul, f, g) == f[4]) {
						check_fail(__FILE__, __LINE__,
						    "exchange %u,%u of %05x "
						    "missed", i, j, x);
						return;
					}
				}
		}
	}
	/* The group number matters: a group moved elsewhere is caught. */
	for (v = 1; v < 22; v++)
		CHECK(t_check(zero, v) != t_check(zero, v + 1));
}

/* Every symbol of a code replaced by every other: a typo, in its group. */
static void
t_every_substitution(const char *code, int which, const char *other)
{
	char bad[ACODE_CODE1_MAX], why[ACODE_WHY_MAX], want[ACODE_WHY_MAX];
	struct acode_cred out;
	uint8_t s[128];
	size_t n = t_syms(code, s), pos, g;
	int v, rc;

	for (pos = 0; pos < n; pos++) {
		g = pos / 5 + 1;
		snprintf(want, sizeof(want), "code %d: a typo in group %zu "
		    "(characters %zu-%zu)", which, g, g * 5 - 4, g * 5);
		for (v = 0; v < 32; v++) {
			if (v == s[pos])
				continue;
			t_set_sym(code, pos, t_alphabet[v], bad);
			rc = acode_check(bad, which, why, sizeof(why));
			if (rc != ACODE_E_TYPO || strcmp(why, want) != 0) {
				check_fail(__FILE__, __LINE__, "%s: %d, %s",
				    bad, rc, why);
				return;
			}
			if (which == 1)
				rc = acode_decode(bad, other, 0, &out, why,
				    sizeof(why));
			else
				rc = acode_decode(other, bad, 0, &out, why,
				    sizeof(why));
			if (rc != ACODE_E_TYPO || strcmp(why, want) != 0) {
				check_fail(__FILE__, __LINE__, "pair with %s: "
				    "%d, %s", bad, rc, why);
				return;
			}
		}
	}
}

static void
test_typo_every_position(void)
{
	t_every_substitution(v4_code1, 1, v4_code2);
	if (check_failed())
		return;
	t_every_substitution(v6_code1, 1, v6_code2);
	if (check_failed())
		return;
	t_every_substitution(v4_code2, 2, v4_code1);
	if (check_failed())
		return;
	t_every_substitution(v6_code2, 2, v6_code1);
}

/* Two neighbours exchanged, also across a dash: a typo where it begins. */
static void
t_every_transposition(const char *code, int which)
{
	char bad[ACODE_CODE1_MAX], why[ACODE_WHY_MAX], want[ACODE_WHY_MAX];
	uint8_t s[128];
	size_t n = t_syms(code, s), pos, g, tried = 0;
	int rc;

	for (pos = 0; pos + 1 < n; pos++) {
		if (s[pos] == s[pos + 1])
			continue;
		g = pos / 5 + 1;
		t_set_sym(code, pos, t_alphabet[s[pos + 1]], bad);
		t_set_sym(bad, pos + 1, t_alphabet[s[pos]], bad);
		snprintf(want, sizeof(want), "code %d: a typo in group %zu "
		    "(characters %zu-%zu)", which, g, g * 5 - 4, g * 5);
		rc = acode_check(bad, which, why, sizeof(why));
		if (rc != ACODE_E_TYPO ||
		    strncmp(why, want, strlen(want)) != 0) {
			check_fail(__FILE__, __LINE__, "%s: %d, %s", bad, rc,
			    why);
			return;
		}
		/* Within a group only that group is wrong. */
		if (pos % 5 != 4 && strcmp(why, want) != 0) {
			check_fail(__FILE__, __LINE__, "%s: %s", bad, why);
			return;
		}
		tried++;
	}
	CHECK_INT(tried, >, n / 2);
}

static void
test_transpositions(void)
{
	t_every_transposition(v4_code1, 1);
	if (check_failed())
		return;
	t_every_transposition(v6_code1, 1);
	if (check_failed())
		return;
	t_every_transposition(v6_code2, 2);
}

/* Lower case, I, L and O for 1 and 0, no dashes or blanks for dashes. */
static void
test_input_forms(void)
{
	char a[256], b[256], why[ACODE_WHY_MAX];
	struct acode_cred ref, out;
	size_t i, n, replaced = 0;

	CHECK_INT(acode_decode(v4_code1, v4_code2, 0, &ref, why, sizeof(why)),
	    ==, ACODE_OK);
	/* code 1 in lower case, with every 1 and 0 as l, I, i, L, o, O. */
	for (i = 0, n = 0; v4_code1[i] != '\0'; i++) {
		a[i] = (char)(v4_code1[i] >= 'A' && v4_code1[i] <= 'Z' ?
		    v4_code1[i] + 32 : v4_code1[i]);
		if (a[i] == '1')
			a[i] = "lIiL"[n++ % 4];
		else if (a[i] == '0')
			a[i] = "oO"[n++ % 2];
	}
	a[i] = '\0';
	replaced = n;
	CHECK_INT(replaced, >=, 8);
	/* code 2 without dashes, then with blanks and a tab. */
	for (i = 0, n = 0; v4_code2[i] != '\0'; i++)
		if (v4_code2[i] != '-')
			b[n++] = v4_code2[i];
	b[n] = '\0';
	CHECK_INT(acode_decode(a, b, 0, &out, why, sizeof(why)), ==, ACODE_OK);
	CHECK(memcmp(&out, &ref, sizeof(out)) == 0);
	snprintf(b, sizeof(b), "  %s \t\r\n", v4_code2);
	for (i = 0; b[i] != '\0'; i++)
		if (b[i] == '-')
			b[i] = ' ';
	CHECK_INT(acode_check(a, 1, why, sizeof(why)), ==, ACODE_OK);
	CHECK_INT(acode_check(b, 2, why, sizeof(why)), ==, ACODE_OK);
	CHECK_INT(acode_decode(a, b, 0, &out, why, sizeof(why)), ==, ACODE_OK);
	CHECK(memcmp(&out, &ref, sizeof(out)) == 0);
	acode_cred_wipe(&ref);
	acode_cred_wipe(&out);
}

static void
test_bad_char(void)
{
	char bad[ACODE_CODE1_MAX], why[ACODE_WHY_MAX];
	struct acode_cred out;

	t_set_sym(v4_code2, 11, 'U', bad);
	CHECK_INT(acode_check(bad, 2, why, sizeof(why)), ==, ACODE_E_CHAR);
	CHECK_STR(why, "code 2: 'U' in group 3 (character 12) is not a code "
	    "character");
	CHECK_INT(acode_decode(v4_code1, bad, 0, &out, why, sizeof(why)), ==,
	    ACODE_E_CHAR);
	CHECK_STR(why, "code 2: 'U' in group 3 (character 12) is not a code "
	    "character");
	t_set_sym(v4_code1, 0, 'u', bad);
	CHECK_INT(acode_check(bad, 1, why, sizeof(why)), ==, ACODE_E_CHAR);
	CHECK_STR(why, "code 1: 'u' in group 1 (character 1) is not a code "
	    "character");
	t_set_sym(v6_code1, 109, '*', bad);
	CHECK_INT(acode_check(bad, 1, why, sizeof(why)), ==, ACODE_E_CHAR);
	CHECK_STR(why, "code 1: '*' in group 22 (character 110) is not a code "
	    "character");
	t_set_sym(v4_code1, 5, (char)0xc3, bad);
	CHECK_INT(acode_check(bad, 1, why, sizeof(why)), ==, ACODE_E_CHAR);
	CHECK_STR(why, "code 1: byte 0xc3 in group 2 (character 6) is not a "
	    "code character");
}

/* Every truncation, one character dropped, one too many. */
static void
test_short_long(void)
{
	char cut[256], why[ACODE_WHY_MAX];
	char want[ACODE_WHY_MAX];
	struct acode_cred out;
	uint8_t d[128];
	size_t n, i, keep, nd;

	for (n = 0; n < 85; n++) {
		/* Keep the first n symbols, with the dashes between them. */
		for (i = 0, keep = 0; keep < n; i++)
			keep += v4_code1[i] != '-';
		memcpy(cut, v4_code1, i);
		cut[i] = '\0';
		if (n == 0)
			snprintf(want, sizeof(want), "code 1 is too short: 0 "
			    "of 85 or 110 characters");
		else if (n < 5)
			snprintf(want, sizeof(want), "code 1 is too short: %zu "
			    "of 85 characters", n);
		else
			snprintf(want, sizeof(want), "code 1 is too short: %zu "
			    "of 85 characters; the end is missing", n);
		CHECK_INT(acode_check(cut, 1, why, sizeof(why)), ==,
		    ACODE_E_SHORT);
		CHECK_STR(why, want);
		CHECK_INT(acode_decode(cut, v4_code2, 0, &out, why,
		    sizeof(why)), ==, ACODE_E_SHORT);
		CHECK_STR(why, want);
	}
	CHECK_INT(acode_check("", 2, why, sizeof(why)), ==, ACODE_E_SHORT);
	CHECK_STR(why, "code 2 is too short: 0 of 80 characters");
	CHECK_INT(acode_decode(v4_code1, NULL, 0, &out, why, sizeof(why)), ==,
	    ACODE_E_SHORT);
	CHECK_STR(why, "code 2 is too short: 0 of 80 characters");

	/* The 22nd character dropped: group 5 no longer adds up. */
	snprintf(cut, sizeof(cut), "%.25s%s", v4_code1, v4_code1 + 26);
	CHECK_INT(acode_check(cut, 1, why, sizeof(why)), ==, ACODE_E_SHORT);
	CHECK_STR(why, "code 1 is too short: 84 of 85 characters; one seems "
	    "to be missing in group 5 (characters 21-25)");
	/* An extra character in group 3 of code 2, and one at its end. */
	snprintf(cut, sizeof(cut), "%.13sK%s", v6_code2, v6_code2 + 13);
	CHECK_INT(acode_check(cut, 2, why, sizeof(why)), ==, ACODE_E_LONG);
	CHECK_STR(why, "code 2 is too long: 81 of 80 characters; one too many "
	    "seems to be in group 3 (characters 11-15)");
	snprintf(cut, sizeof(cut), "%s-7", v6_code2);
	CHECK_INT(acode_decode(v6_code1, cut, 0, &out, why, sizeof(why)), ==,
	    ACODE_E_LONG);
	CHECK_STR(why, "code 2 is too long: 81 of 80 characters; remove what "
	    "follows character 80");
	snprintf(cut, sizeof(cut), "%s%s", v6_code2, v6_code2);
	CHECK_INT(acode_check(cut, 2, why, sizeof(why)), ==, ACODE_E_LONG);
	/* An IPv4 code 1 made to look like IPv6 is too short for it. */
	nd = t_data(v4_code1, d);
	d[0] = 3;
	t_encode(d, nd, cut);
	CHECK_INT(acode_check(cut, 1, why, sizeof(why)), ==, ACODE_E_SHORT);
	CHECK_STR(why, "code 1 is too short: 85 of 110 characters; the end is "
	    "missing");
}

static void
test_swapped(void)
{
	char why[ACODE_WHY_MAX];
	struct acode_cred out;

	CHECK_INT(acode_decode(v4_code2, v4_code1, 0, &out, why, sizeof(why)),
	    ==, ACODE_E_SWAPPED);
	CHECK_STR(why, "the codes are swapped: give code 1 first, then code 2");
	CHECK_INT(acode_decode(v4_code2, v6_code2, 0, &out, why, sizeof(why)),
	    ==, ACODE_E_SWAPPED);
	CHECK_STR(why, "this looks like code 2; give code 1 first");
	CHECK_INT(acode_decode(v4_code1, v6_code1, 0, &out, why, sizeof(why)),
	    ==, ACODE_E_SWAPPED);
	CHECK_STR(why, "this looks like code 1; give code 2 second");
	CHECK_INT(acode_check(v6_code2, 1, why, sizeof(why)), ==,
	    ACODE_E_SWAPPED);
	CHECK_STR(why, "this looks like code 2; give code 1 first");
	CHECK_INT(acode_check(v6_code1, 2, why, sizeof(why)), ==,
	    ACODE_E_SWAPPED);
	CHECK_INT(acode_check(v6_code1, 3, why, sizeof(why)), ==,
	    ACODE_E_INTERNAL);
}

/* A code of another version or kind, with correct check symbols. */
static void
test_version(void)
{
	char text[ACODE_CODE1_MAX], why[ACODE_WHY_MAX];
	struct acode_cred out;
	uint8_t d[128];
	size_t nd;

	nd = t_data(v4_code1, d);
	d[0] = 4 | 1;		/* version 2, code 1 with IPv4 */
	t_encode(d, nd, text);
	CHECK_INT(acode_check(text, 1, why, sizeof(why)), ==, ACODE_E_VERSION);
	CHECK_STR(why, "code 1 starts with '5': not a version 1 code (a newer "
	    "program may read it)");
	CHECK_INT(acode_decode(text, v4_code2, 0, &out, why, sizeof(why)), ==,
	    ACODE_E_VERSION);
	d[0] = 0;		/* the reserved kind */
	t_encode(d, nd, text);
	CHECK_INT(acode_check(text, 1, why, sizeof(why)), ==, ACODE_E_VERSION);
	CHECK_STR(why, "code 1 starts with '0': not a version 1 code (a newer "
	    "program may read it)");
	nd = t_data(v4_code2, d);
	d[0] = 31;
	t_encode(d, nd, text);
	CHECK_INT(acode_decode(v4_code1, text, 0, &out, why, sizeof(why)), ==,
	    ACODE_E_VERSION);
	CHECK_STR(why, "code 2 starts with 'Z': not a version 1 code (a newer "
	    "program may read it)");
}

/*
 * Every bit of every byte of a code flipped and the code re-encoded with
 * correct check symbols: well-formed text, refused by the cryptography.
 */
static void
t_tamper(const char *c1, const char *c2, int which, size_t len)
{
	char text[ACODE_CODE1_MAX], why[ACODE_WHY_MAX], want[ACODE_WHY_MAX];
	struct acode_cred out;
	uint8_t d[128], bytes[64];
	size_t nd, i;
	int bit, rc;

	nd = t_data(which == 1 ? c1 : c2, d);
	t_bytes(d, bytes, len);
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			bytes[i] ^= (uint8_t)(1 << bit);
			t_put_bytes(d, bytes, len);
			bytes[i] ^= (uint8_t)(1 << bit);
			t_encode(d, nd, text);
			rc = acode_check(text, which, why, sizeof(why));
			if (rc != ACODE_OK) {
				check_fail(__FILE__, __LINE__, "byte %zu bit "
				    "%d: %s", i, bit, why);
				return;
			}
			rc = which == 1 ?
			    acode_decode(text, c2, 0, &out, why, sizeof(why)) :
			    acode_decode(c1, text, 0, &out, why, sizeof(why));
			/* A changed share changes every key. */
			if (i < ACODE_SHARE_LEN)
				snprintf(want, sizeof(want), "code 1 and code "
				    "2 do not belong together, or one was "
				    "altered");
			else
				snprintf(want, sizeof(want), "code 1 and code "
				    "2 belong together, but code %d was "
				    "altered", which);
			if (rc != ACODE_E_MISMATCH || strcmp(why, want) != 0 ||
			    !sodium_is_zero((uint8_t *)&out, sizeof(out))) {
				check_fail(__FILE__, __LINE__, "byte %zu bit "
				    "%d: %d, %s", i, bit, rc, why);
				return;
			}
		}
	/* The unpacked code is the original again. */
	t_put_bytes(d, bytes, len);
	t_encode(d, nd, text);
	CHECK_STR(text, which == 1 ? c1 : c2);
	/* The last unused bit set. */
	d[nd - 1] |= 1;
	t_encode(d, nd, text);
	rc = acode_check(text, which, why, sizeof(why));
	CHECK_INT(rc, ==, ACODE_E_MISMATCH);
	snprintf(want, sizeof(want), "code %d was altered: its unused last "
	    "bits are not zero", which);
	CHECK_STR(why, want);
}

static void
test_tamper(void)
{
	t_tamper(v4_code1, v4_code2, 1, 40);
	if (check_failed())
		return;
	t_tamper(v6_code1, v6_code2, 1, 52);
	if (check_failed())
		return;
	t_tamper(v4_code1, v4_code2, 2, 38);
}

/* Codes of two issues for the same conference do not mix. */
static void
test_mismatch(void)
{
	char a1[ACODE_CODE1_MAX], a2[ACODE_CODE2_MAX], why[ACODE_WHY_MAX];
	char b1[ACODE_CODE1_MAX], b2[ACODE_CODE2_MAX];
	struct acode_cred a, b, out;

	CHECK_INT(acode_issue("198.51.100.7", 40000, T_EXPIRES, a1, sizeof(a1),
	    a2, sizeof(a2), &a, why, sizeof(why)), ==, 0);
	CHECK_INT(acode_issue("198.51.100.7", 40000, T_EXPIRES, b1, sizeof(b1),
	    b2, sizeof(b2), &b, why, sizeof(why)), ==, 0);
	CHECK(strcmp(a1, b1) != 0 && strcmp(a2, b2) != 0);
	CHECK(a.ssrc != b.ssrc);
	CHECK(memcmp(a.key_c2s, b.key_c2s, sizeof(a.key_c2s)) != 0);
	CHECK(memcmp(a.key_c2s, a.key_s2c, sizeof(a.key_c2s)) != 0);
	memset(&out, 0xa5, sizeof(out));
	CHECK_INT(acode_decode(a1, b2, 0, &out, why, sizeof(why)), ==,
	    ACODE_E_MISMATCH);
	CHECK_STR(why, "code 1 and code 2 do not belong together, or one was "
	    "altered");
	CHECK(sodium_is_zero((uint8_t *)&out, sizeof(out)));
	CHECK_INT(acode_decode(b1, a2, 0, &out, why, sizeof(why)), ==,
	    ACODE_E_MISMATCH);
	CHECK_INT(acode_decode(v4_code1, v6_code2, 0, &out, why, sizeof(why)),
	    ==, ACODE_E_MISMATCH);
	CHECK_INT(acode_decode(b1, b2, 0, &out, why, sizeof(why)), ==,
	    ACODE_OK);
	CHECK(memcmp(&out, &b, sizeof(out)) == 0);
	acode_cred_wipe(&a);
	acode_cred_wipe(&b);
	acode_cred_wipe(&out);
}

static void
test_expired(void)
{
	char c1[ACODE_CODE1_MAX], c2[ACODE_CODE2_MAX], why[ACODE_WHY_MAX];
	struct acode_cred cred, out;
	uint8_t s1[16], s2[16];

	CHECK_INT(acode_decode(v4_code1, v4_code2, T_EXPIRES, &out, why,
	    sizeof(why)), ==, ACODE_OK);
	memset(&out, 0xa5, sizeof(out));
	CHECK_INT(acode_decode(v4_code1, v4_code2, T_EXPIRES + 1, &out, why,
	    sizeof(why)), ==, ACODE_E_EXPIRED);
	CHECK_STR(why, "these codes expired at 2026-12-01 11:00 UTC");
	CHECK(sodium_is_zero((uint8_t *)&out, sizeof(out)));
	/* A booking's end within a minute is rounded up, never down. */
	t_shares(0, s1, s2);
	CHECK_INT(acode_issue_shares("192.0.2.10", 40000, T_EXPIRES + 1, s1,
	    s2, c1, sizeof(c1), c2, sizeof(c2), &cred, why, sizeof(why)), ==,
	    0);
	CHECK_INT(cred.expires, ==, T_EXPIRES + 60);
	CHECK_INT(acode_decode(c1, c2, T_EXPIRES + 60, &out, why,
	    sizeof(why)), ==, ACODE_OK);
	CHECK_INT(acode_decode(c1, c2, T_EXPIRES + 61, &out, why,
	    sizeof(why)), ==, ACODE_E_EXPIRED);
	CHECK_STR(why, "these codes expired at 2026-12-01 11:01 UTC");
	CHECK_INT(acode_issue_shares("192.0.2.10", 40000, T_EXPIRES - 59, s1,
	    s2, c1, sizeof(c1), c2, sizeof(c2), &cred, why, sizeof(why)), ==,
	    0);
	CHECK_INT(cred.expires, ==, T_EXPIRES);
	CHECK_STR(c1, v4_code1);
	acode_cred_wipe(&cred);
}

static void
test_issue_errors(void)
{
	static const char *bad[] = {
		"300.1.1.1", "example.com", "", "192.0.2.1:80",
		"fe80::1%eth0", " 192.0.2.1",
	};
	char c1[ACODE_CODE1_MAX], c2[ACODE_CODE2_MAX], why[ACODE_WHY_MAX];
	struct acode_cred cred;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&cred, 0xa5, sizeof(cred));
		c1[0] = c2[0] = 'x';
		CHECK_INT(acode_issue(bad[i], 40000, T_EXPIRES, c1, sizeof(c1),
		    c2, sizeof(c2), &cred, why, sizeof(why)), ==, EINVAL);
		CHECK(strstr(why, "is not a numeric IPv4 or IPv6 address") !=
		    NULL);
		CHECK(c1[0] == '\0' && c2[0] == '\0');
		CHECK(sodium_is_zero((uint8_t *)&cred, sizeof(cred)));
	}
	CHECK_INT(acode_issue(NULL, 40000, T_EXPIRES, c1, sizeof(c1), c2,
	    sizeof(c2), &cred, why, sizeof(why)), ==, EINVAL);
	CHECK_INT(acode_issue("300.1.1.1", 40000, T_EXPIRES, c1, sizeof(c1),
	    c2, sizeof(c2), &cred, why, sizeof(why)), ==, EINVAL);
	CHECK_STR(why, "\"300.1.1.1\" is not a numeric IPv4 or IPv6 address");
	CHECK_INT(acode_issue("::", 40000, T_EXPIRES, c1, sizeof(c1), c2,
	    sizeof(c2), &cred, why, sizeof(why)), ==, EINVAL);
	CHECK_STR(why, ":: is the unspecified address: no client can reach "
	    "it");
	CHECK_INT(acode_issue("0.0.0.0", 40000, T_EXPIRES, c1, sizeof(c1), c2,
	    sizeof(c2), &cred, why, sizeof(why)), ==, EINVAL);
	CHECK_INT(acode_issue("192.0.2.1", 0, T_EXPIRES, c1, sizeof(c1), c2,
	    sizeof(c2), &cred, why, sizeof(why)), ==, EINVAL);
	CHECK_STR(why, "port 0 is no port a client can reach");
	CHECK_INT(acode_issue("192.0.2.1", 1, 0, c1, sizeof(c1), c2,
	    sizeof(c2), &cred, why, sizeof(why)), ==, EINVAL);
	CHECK_STR(why, "the expiry 0 is not between 1970 and the year 10136");
	CHECK_INT(acode_issue("192.0.2.1", 1, 60LL * UINT32_MAX + 1, c1,
	    sizeof(c1), c2, sizeof(c2), &cred, why, sizeof(why)), ==, EINVAL);
	CHECK_INT(acode_issue("192.0.2.1", 1, 60LL * UINT32_MAX, c1,
	    sizeof(c1), c2, sizeof(c2), &cred, why, sizeof(why)), ==, 0);
	/* Exactly the text and its NUL is enough; one byte less is not. */
	CHECK_INT(acode_issue("192.0.2.1", 1, T_EXPIRES, c1, 102, c2, 96,
	    &cred, why, sizeof(why)), ==, 0);
	CHECK_INT(acode_issue("192.0.2.1", 1, T_EXPIRES, c1, 101, c2, 96,
	    &cred, why, sizeof(why)), ==, ENOSPC);
	CHECK_STR(why, "code 1 needs 102 bytes and code 2 96");
	CHECK_INT(acode_issue("2001:db8::1", 1, T_EXPIRES, c1, 131, c2, 96,
	    &cred, why, sizeof(why)), ==, ENOSPC);
	CHECK_INT(acode_issue("2001:db8::1", 1, T_EXPIRES, c1, 132, c2, 95,
	    &cred, why, sizeof(why)), ==, ENOSPC);
	CHECK_STR(why, "code 1 needs 132 bytes and code 2 96");
	acode_cred_wipe(&cred);
}

/* The number of GSM 7-bit septets of ASCII text; -1 if it has no form. */
static int
t_gsm_septets(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++) {
		if (strchr("^{}\\[~]|", *s) != NULL)
			n += 2;
		else if (*s == '`' || *s >= 0x7f ||
		    (*s < ' ' && *s != '\n' && *s != '\r'))
			return -1;
		else
			n++;
	}
	return n;
}

static void
test_sms(void)
{
	char sms[ACODE_SMS_MAX], small[100];
	int n;

	CHECK_INT(acode_sms_text(v6_code2, T_EXPIRES, sms, sizeof(sms)), ==,
	    0);
	CHECK_STR(sms, v6_sms);
	n = t_gsm_septets(sms);
	CHECK_INT(n, ==, 147);
	CHECK_INT(n, <=, 160);
	/* Code 2 does not depend on the address: every one is this long. */
	CHECK_INT(acode_sms_text(v4_code2, T_EXPIRES - 30, sms, sizeof(sms)),
	    ==, 0);
	CHECK_INT(t_gsm_septets(sms), ==, 147);
	CHECK(strstr(sms, "valid until 2026-12-01 11:00 UTC") != NULL);
	/* The last minute that four bytes of minutes can hold. */
	CHECK_INT(acode_sms_text(v6_code2, 60LL * UINT32_MAX, sms,
	    sizeof(sms)), ==, 0);
	CHECK_INT(t_gsm_septets(sms), <=, 160);
	CHECK_INT(acode_sms_text(v6_code2, T_EXPIRES, small, sizeof(small)),
	    ==, ENOSPC);
	CHECK_STR(small, "");
	CHECK_INT(acode_sms_text("ABC{}", T_EXPIRES, sms, sizeof(sms)), ==,
	    EINVAL);
}

/* Random shares, addresses, ports and expiries: all come back. */
static void
test_roundtrip_random(void)
{
	char c1[ACODE_CODE1_MAX], c2[ACODE_CODE2_MAX], why[ACODE_WHY_MAX];
	char ip[ACODE_ADDR_MAX], back[ACODE_ADDR_MAX], text[ACODE_CODE1_MAX];
	struct acode_cred cred, out;
	uint8_t addr[16], d[128];
	uint16_t port;
	int64_t exp;
	int i, v6;

	CHECK_INT(sodium_init() >= 0, ==, 1);
	for (i = 0; i < 300; i++) {
		v6 = i % 2;
		randombytes_buf(addr, sizeof(addr));
		addr[0] |= 1;
		inet_ntop(v6 ? AF_INET6 : AF_INET, addr, ip, sizeof(ip));
		port = (uint16_t)(1 + randombytes_uniform(65535));
		exp = 1 + (int64_t)randombytes_uniform(0x7fffffff) * 61;
		CHECK_INT(acode_issue(ip, port, exp, c1, sizeof(c1), c2,
		    sizeof(c2), &cred, why, sizeof(why)), ==, 0);
		CHECK_INT(strlen(c1), ==, v6 ? T_CODE1_V6_LEN : T_CODE1_V4_LEN);
		CHECK_INT(strlen(c2), ==, T_CODE2_LEN);
		CHECK(c1[0] == (v6 ? '3' : '1') && c2[0] == '2');
		CHECK_INT(acode_check(c1, 1, why, sizeof(why)), ==, ACODE_OK);
		CHECK_INT(acode_check(c2, 2, why, sizeof(why)), ==, ACODE_OK);
		/* The document's check symbols, on every random code. */
		t_encode(d, t_data(c1, d), text);
		CHECK_STR(text, c1);
		t_encode(d, t_data(c2, d), text);
		CHECK_STR(text, c2);
		CHECK_INT(acode_decode(c1, c2, cred.expires, &out, why,
		    sizeof(why)), ==, ACODE_OK);
		CHECK(memcmp(&out, &cred, sizeof(out)) == 0);
		CHECK_INT(out.port, ==, port);
		CHECK_INT(out.expires, >=, exp);
		CHECK_INT(out.expires - exp, <, 60);
		CHECK_INT(acode_addr_text(&out, back, sizeof(back)), ==, 0);
		CHECK_STR(back, ip);
		CHECK_INT(acode_decode(c1, c2, cred.expires + 1, &out, why,
		    sizeof(why)), ==, ACODE_E_EXPIRED);
	}
	acode_cred_wipe(&cred);
	acode_cred_wipe(&out);
}

static void
test_addr_text(void)
{
	struct acode_cred cred;
	char buf[ACODE_ADDR_MAX];

	memset(&cred, 0, sizeof(cred));
	CHECK_INT(acode_addr_text(&cred, buf, sizeof(buf)), ==, EAFNOSUPPORT);
	cred.family = AF_INET6;
	memcpy(cred.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	CHECK_INT(acode_addr_text(&cred, buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "2001:db8::1");
	CHECK_INT(acode_addr_text(&cred, buf, 5), ==, ENOSPC);
}

static void
test_strerror_wipe(void)
{
	struct acode_cred cred;
	int i, j;

	for (i = ACODE_OK; i <= ACODE_E_INTERNAL; i++) {
		CHECK(acode_strerror(i)[0] != '\0');
		CHECK(strcmp(acode_strerror(i), "unknown error") != 0);
		for (j = ACODE_OK; j < i; j++)
			CHECK(strcmp(acode_strerror(i),
			    acode_strerror(j)) != 0);
	}
	CHECK_STR(acode_strerror(-1), "unknown error");
	CHECK_STR(acode_strerror(ACODE_E_INTERNAL + 1), "unknown error");
	memset(&cred, 0xa5, sizeof(cred));
	acode_cred_wipe(&cred);
	CHECK(sodium_is_zero((uint8_t *)&cred, sizeof(cred)));
	acode_cred_wipe(NULL);
}

CHECK_MAIN(
	CHECK_CASE(test_vector_ipv4),
	CHECK_CASE(test_vector_ipv6),
	CHECK_CASE(test_vector_spec),
	CHECK_CASE(test_doc),
	CHECK_CASE(test_check_exhaustive),
	CHECK_CASE(test_typo_every_position),
	CHECK_CASE(test_transpositions),
	CHECK_CASE(test_input_forms),
	CHECK_CASE(test_bad_char),
	CHECK_CASE(test_short_long),
	CHECK_CASE(test_swapped),
	CHECK_CASE(test_version),
	CHECK_CASE(test_tamper),
	CHECK_CASE(test_mismatch),
	CHECK_CASE(test_expired),
	CHECK_CASE(test_issue_errors),
	CHECK_CASE(test_sms),
	CHECK_CASE(test_roundtrip_random),
	CHECK_CASE(test_addr_text),
	CHECK_CASE(test_strerror_wipe)
)
