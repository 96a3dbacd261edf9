/* acode: see acode.h and docs/access-codes.md. */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "acode.h"

#define ACODE_VERSION		1
#define ACODE_DATA		4	/* data symbols per group */
#define ACODE_GROUP		5	/* and its check symbol */
#define ACODE_SYMS_MAX		110	/* symbols of the longest code */
#define ACODE_BYTES_MAX		52	/* payload bytes of the longest code */
#define ACODE_TAG_LEN		16	/* Poly1305, in both codes */
#define ACODE_EXPIRY_LEN	4	/* minutes since the epoch */

/*
 * The first symbol of a code: the version less one in its high three bits,
 * the kind in its low two, so version 1 codes begin with 1, 2 or 3.
 */
enum acode_kind {
	ACODE_K_NONE = 0,	/* reserved: never issued */
	ACODE_K_IP4,		/* code 1 with an IPv4 address */
	ACODE_K_PORT,		/* code 2 */
	ACODE_K_IP6,		/* code 1 with an IPv6 address */
};

#define ACODE_HEAD(kind)	((uint8_t)((ACODE_VERSION - 1) << 2 | (kind)))

/* The subkeys derived from the master, by crypto_kdf id. */
enum acode_kdf_id {
	ACODE_KDF_KEY1 = 1,	/* XChaCha20-Poly1305 key of code 1 */
	ACODE_KDF_NONCE1,	/* its nonce */
	ACODE_KDF_KEY2,		/* XSalsa20-Poly1305 key of code 2 */
	ACODE_KDF_NONCE2,	/* its nonce */
	ACODE_KDF_C2S,		/* SRTP master key and salt, to the server */
	ACODE_KDF_S2C,		/* SRTP master key and salt, from the server */
	ACODE_KDF_SSRC,		/* the SSRC: the first four bytes */
};

struct acode_keys {
	uint8_t		key1[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	uint8_t		nonce1[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t		key2[crypto_secretbox_KEYBYTES];
	uint8_t		nonce2[crypto_secretbox_NONCEBYTES];
	uint8_t		c2s[ACODE_SRTP_LEN];
	uint8_t		s2c[ACODE_SRTP_LEN];
	uint32_t	ssrc;
};

/* One code's text once checked: its first symbol and its bytes. */
struct acode_raw {
	enum acode_kind	kind;
	uint8_t		head;
	uint8_t		bytes[ACODE_BYTES_MAX];
	size_t		len;
};

static const char acode_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const uint8_t
    acode_personal[crypto_generichash_blake2b_PERSONALBYTES] = "confcode v1";
static const char acode_kdf_ctx[crypto_kdf_CONTEXTBYTES + 1] = "CONFCODE";

_Static_assert(sizeof(acode_alphabet) == 33, "32 symbols");
_Static_assert(crypto_kdf_KEYBYTES == 32, "the master is 32 bytes");

static void	acode_say(char *why, size_t whylen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

static void
acode_say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* The bytes a code of this kind carries after its first symbol. */
static size_t
acode_payload_len(enum acode_kind kind)
{
	switch (kind) {
	case ACODE_K_IP4:
		return ACODE_SHARE_LEN + ACODE_EXPIRY_LEN + 4 + ACODE_TAG_LEN;
	case ACODE_K_IP6:
		return ACODE_SHARE_LEN + ACODE_EXPIRY_LEN + 16 + ACODE_TAG_LEN;
	case ACODE_K_PORT:
		return ACODE_SHARE_LEN + ACODE_TAG_LEN + ACODE_EXPIRY_LEN + 2;
	default:
		return 0;
	}
}

/* Whole groups of a code: the first symbol, then the bytes, 5 bits each. */
static size_t
acode_groups(enum acode_kind kind)
{
	size_t data = 1 + (acode_payload_len(kind) * 8 + 4) / 5;

	return (data + ACODE_DATA - 1) / ACODE_DATA;
}

/* Symbols of a code, check symbols included, dashes not. */
static size_t
acode_nsyms(enum acode_kind kind)
{
	return acode_groups(kind) * ACODE_GROUP;
}

/* The length of a code's text as issued, with its dashes. */
static size_t
acode_text_len(enum acode_kind kind)
{
	return acode_nsyms(kind) + acode_groups(kind) - 1;
}

/* Reads one typed character as a symbol the way Crockford says; -1 if none. */
static int
acode_sym_value(int c)
{
	int i;

	if (c >= 'a' && c <= 'z')
		c -= 'a' - 'A';
	if (c == 'I' || c == 'L')
		return 1;
	if (c == 'O')
		return 0;
	for (i = 0; i < 32; i++)
		if (acode_alphabet[i] == c)
			return i;
	return -1;
}

static int
acode_is_sep(int c)
{
	return c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Multiplies by x in GF(32), modulo the primitive x^5 + x^2 + 1. */
static uint8_t
acode_gf_x(uint8_t a)
{
	a = (uint8_t)(a << 1);
	if (a & 0x20)
		a ^= 0x25;
	return a;
}

/*
 * The check symbol of group g (from 1): d0 x^4 + d1 x^3 + d2 x^2 + d3 x + g
 * in GF(32).  With the check symbol's weight 1, the five weights are
 * distinct and non-zero, so a change of any one symbol, or an exchange of
 * any two different ones, changes the sum: the field has no zero divisors.
 * Adding g catches groups typed in the wrong order.
 */
static uint8_t
acode_check_sym(const uint8_t *d, size_t g)
{
	uint8_t c = 0;
	int i;

	for (i = 0; i < ACODE_DATA; i++)
		c = acode_gf_x(c ^ d[i]);
	return c ^ (uint8_t)(g & 31);
}

/* Whether group g (from 0) of the symbols s is consistent. */
static int
acode_group_ok(const uint8_t *s, size_t g)
{
	const uint8_t *grp = s + g * ACODE_GROUP;

	return acode_check_sym(grp, g + 1) == grp[ACODE_DATA];
}

/* The first of the first ngroups groups that is wrong, from 1; 0 if none. */
static size_t
acode_first_bad(const uint8_t *s, size_t ngroups)
{
	size_t g;

	for (g = 0; g < ngroups; g++)
		if (!acode_group_ok(s, g))
			return g + 1;
	return 0;
}

/* Writes the text of a code: groups of four symbols and a check symbol. */
static void
acode_format(enum acode_kind kind, const uint8_t *bytes, char *out)
{
	uint8_t d[ACODE_SYMS_MAX];
	size_t ng = acode_groups(kind), len = acode_payload_len(kind), g, i;
	size_t bit;
	char *o = out;

	memset(d, 0, sizeof(d));
	d[0] = ACODE_HEAD(kind);
	for (bit = 0; bit < len * 8; bit++)
		if (bytes[bit / 8] & (0x80 >> (bit % 8)))
			d[1 + bit / 5] |= (uint8_t)(0x10 >> (bit % 5));
	for (g = 0; g < ng; g++) {
		if (g > 0)
			*o++ = '-';
		for (i = 0; i < ACODE_DATA; i++)
			*o++ = acode_alphabet[d[g * ACODE_DATA + i]];
		*o++ = acode_alphabet[acode_check_sym(d + g * ACODE_DATA,
		    g + 1)];
	}
	*o = '\0';
	/* The symbols spell the share. */
	sodium_memzero(d, sizeof(d));
}

/* Says which characters a too short or too long code seems to lack or add. */
static void
acode_len_hint(const uint8_t *s, size_t n, size_t want, char *buf,
    size_t len)
{
	size_t stored = n < ACODE_SYMS_MAX ? n : ACODE_SYMS_MAX;
	size_t full = (n < want ? stored : want) / ACODE_GROUP;
	size_t g = acode_first_bad(s, full);

	if (g != 0)
		snprintf(buf, len, "; %s group %zu (characters %zu-%zu)",
		    n < want ? "one seems to be missing in" :
		    "one too many seems to be in", g,
		    (g - 1) * ACODE_GROUP + 1, g * ACODE_GROUP);
	else if (n < want)
		snprintf(buf, len, "; the end is missing");
	else
		snprintf(buf, len, "; remove what follows character %zu", want);
}

/*
 * Checks the text of one code and unpacks it into raw, in the order that
 * tells a person most: the alphabet, the first group (which holds the
 * version), the kind, the length, every check symbol, and last the unused
 * bits, which only a deliberate change can set.
 */
static int
acode_parse(const char *text, int which, struct acode_raw *raw, char *why,
    size_t whylen)
{
	uint8_t s[ACODE_SYMS_MAX];
	char hint[80];
	const char *p;
	size_t n = 0, want, g, bad, more, bit, len;
	enum acode_kind kind;
	int v, rc = ACODE_OK;

	memset(raw, 0, sizeof(*raw));
	memset(s, 0, sizeof(s));
	for (p = text; *p != '\0'; p++) {
		if (acode_is_sep((unsigned char)*p))
			continue;
		if ((v = acode_sym_value((unsigned char)*p)) < 0) {
			if (*p > ' ' && *p < 0x7f)
				acode_say(why, whylen, "code %d: '%c' in group "
				    "%zu (character %zu) is not a code "
				    "character", which, *p, n / ACODE_GROUP + 1,
				    n + 1);
			else
				acode_say(why, whylen, "code %d: byte 0x%02x "
				    "in group %zu (character %zu) is not a "
				    "code character", which, (unsigned char)*p,
				    n / ACODE_GROUP + 1, n + 1);
			rc = ACODE_E_CHAR;
			goto out;
		}
		if (n < ACODE_SYMS_MAX)
			s[n] = (uint8_t)v;
		n++;
	}
	if (n < ACODE_GROUP) {
		/* Too short to check: trust the first symbol for the count. */
		kind = (enum acode_kind)(s[0] & 3);
		if (n > 0 && s[0] >> 2 == ACODE_VERSION - 1 &&
		    kind != ACODE_K_NONE &&
		    (kind == ACODE_K_PORT) == (which == 2))
			acode_say(why, whylen, "code %d is too short: %zu of "
			    "%zu characters", which, n, acode_nsyms(kind));
		else if (which == 1)
			acode_say(why, whylen, "code 1 is too short: %zu of "
			    "%zu or %zu characters", n,
			    acode_nsyms(ACODE_K_IP4), acode_nsyms(ACODE_K_IP6));
		else
			acode_say(why, whylen, "code 2 is too short: %zu of "
			    "%zu characters", n, acode_nsyms(ACODE_K_PORT));
		rc = ACODE_E_SHORT;
		goto out;
	}
	/* Every version keeps this first group, so it is checked first. */
	if (!acode_group_ok(s, 0)) {
		acode_say(why, whylen, "code %d: a typo in group 1 "
		    "(characters 1-5)", which);
		rc = ACODE_E_TYPO;
		goto out;
	}
	kind = (enum acode_kind)(s[0] & 3);
	if (s[0] >> 2 != ACODE_VERSION - 1 || kind == ACODE_K_NONE) {
		acode_say(why, whylen, "code %d starts with '%c': not a "
		    "version %d code (a newer program may read it)", which,
		    acode_alphabet[s[0]], ACODE_VERSION);
		rc = ACODE_E_VERSION;
		goto out;
	}
	if ((kind == ACODE_K_PORT) != (which == 2)) {
		acode_say(why, whylen, which == 1 ?
		    "this looks like code 2; give code 1 first" :
		    "this looks like code 1; give code 2 second");
		rc = ACODE_E_SWAPPED;
		goto out;
	}
	want = acode_nsyms(kind);
	if (n != want) {
		acode_len_hint(s, n, want, hint, sizeof(hint));
		acode_say(why, whylen, "code %d is too %s: %zu of %zu "
		    "characters%s", which, n < want ? "short" : "long", n, want,
		    hint);
		rc = n < want ? ACODE_E_SHORT : ACODE_E_LONG;
		goto out;
	}
	if ((bad = acode_first_bad(s, want / ACODE_GROUP)) != 0) {
		for (more = 0, g = bad; g < want / ACODE_GROUP; g++)
			more += !acode_group_ok(s, g);
		if (more > 0)
			snprintf(hint, sizeof(hint), ", and in %zu more "
			    "group%s", more, more > 1 ? "s" : "");
		else
			hint[0] = '\0';
		acode_say(why, whylen, "code %d: a typo in group %zu "
		    "(characters %zu-%zu)%s", which, bad,
		    (bad - 1) * ACODE_GROUP + 1, bad * ACODE_GROUP, hint);
		rc = ACODE_E_TYPO;
		goto out;
	}
	/* Drop the check symbols, then read the bits after the first symbol. */
	for (g = 0; g < want / ACODE_GROUP; g++)
		memmove(s + g * ACODE_DATA, s + g * ACODE_GROUP, ACODE_DATA);
	len = acode_payload_len(kind);
	for (bit = 0; bit < len * 8; bit++)
		if (s[1 + bit / 5] & (0x10 >> (bit % 5)))
			raw->bytes[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	for (; bit < (want / ACODE_GROUP * ACODE_DATA - 1) * 5; bit++)
		if (s[1 + bit / 5] & (0x10 >> (bit % 5))) {
			acode_say(why, whylen, "code %d was altered: its "
			    "unused last bits are not zero", which);
			rc = ACODE_E_MISMATCH;
			goto out;
		}
	raw->kind = kind;
	raw->head = s[0];
	raw->len = len;
	acode_say(why, whylen, "%s", "");
out:
	sodium_memzero(s, sizeof(s));
	if (rc != ACODE_OK)
		sodium_memzero(raw, sizeof(*raw));
	return rc;
}

/*
 * Derives every key of a pair from its two shares: the master is BLAKE2b
 * of share1 || share2, personalised, so that it needs both; each key is
 * used for one message only, which is why the nonces can be derived too.
 */
static void
acode_derive(const uint8_t *share1, const uint8_t *share2,
    struct acode_keys *k)
{
	uint8_t in[2 * ACODE_SHARE_LEN], master[crypto_kdf_KEYBYTES];
	uint8_t ssrc[crypto_kdf_BYTES_MIN];

	memcpy(in, share1, ACODE_SHARE_LEN);
	memcpy(in + ACODE_SHARE_LEN, share2, ACODE_SHARE_LEN);
	crypto_generichash_blake2b_salt_personal(master, sizeof(master), in,
	    sizeof(in), NULL, 0, NULL, acode_personal);
	crypto_kdf_derive_from_key(k->key1, sizeof(k->key1), ACODE_KDF_KEY1,
	    acode_kdf_ctx, master);
	crypto_kdf_derive_from_key(k->nonce1, sizeof(k->nonce1),
	    ACODE_KDF_NONCE1, acode_kdf_ctx, master);
	crypto_kdf_derive_from_key(k->key2, sizeof(k->key2), ACODE_KDF_KEY2,
	    acode_kdf_ctx, master);
	crypto_kdf_derive_from_key(k->nonce2, sizeof(k->nonce2),
	    ACODE_KDF_NONCE2, acode_kdf_ctx, master);
	crypto_kdf_derive_from_key(k->c2s, sizeof(k->c2s), ACODE_KDF_C2S,
	    acode_kdf_ctx, master);
	crypto_kdf_derive_from_key(k->s2c, sizeof(k->s2c), ACODE_KDF_S2C,
	    acode_kdf_ctx, master);
	crypto_kdf_derive_from_key(ssrc, sizeof(ssrc), ACODE_KDF_SSRC,
	    acode_kdf_ctx, master);
	k->ssrc = (uint32_t)ssrc[0] << 24 | (uint32_t)ssrc[1] << 16 |
	    (uint32_t)ssrc[2] << 8 | ssrc[3];
	sodium_memzero(in, sizeof(in));
	sodium_memzero(master, sizeof(master));
	sodium_memzero(ssrc, sizeof(ssrc));
}

static void
acode_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
acode_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Whole minutes since the epoch, rounded up so a code never ends early. */
static int64_t
acode_minutes(int64_t unix_time)
{
	return unix_time / 60 + (unix_time % 60 > 0);
}

/* Formats a Unix time as "YYYY-MM-DD HH:MM", in UTC. */
static void
acode_time_text(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t v = (time_t)t;

	if (gmtime_r(&v, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static void
acode_fill(struct acode_cred *cred, int family, const uint8_t *addr,
    uint16_t port, int64_t minutes, const struct acode_keys *k)
{
	cred->family = family;
	memcpy(cred->addr, addr, family == AF_INET ? 4 : 16);
	cred->port = port;
	cred->ssrc = k->ssrc;
	memcpy(cred->key_c2s, k->c2s, sizeof(cred->key_c2s));
	memcpy(cred->key_s2c, k->s2c, sizeof(cred->key_s2c));
	cred->expires = minutes * 60;
}

int
acode_issue_shares(const char *ip_text, uint16_t port, int64_t expires_unix,
    const uint8_t *share1, const uint8_t *share2, char *code1, size_t len1,
    char *code2, size_t len2, struct acode_cred *cred, char *why,
    size_t whylen)
{
	struct acode_keys k;
	uint8_t addr[16], m1[ACODE_EXPIRY_LEN + 16], m2[ACODE_EXPIRY_LEN + 2];
	uint8_t b1[ACODE_BYTES_MAX], b2[ACODE_BYTES_MAX];
	unsigned long long clen;
	enum acode_kind kind;
	size_t alen;
	int64_t minutes;
	uint8_t head;
	int family;

	if (code1 != NULL && len1 > 0)
		code1[0] = '\0';
	if (code2 != NULL && len2 > 0)
		code2[0] = '\0';
	acode_cred_wipe(cred);
	if (sodium_init() < 0) {
		acode_say(why, whylen, "libsodium did not start");
		return EIO;
	}
	memset(addr, 0, sizeof(addr));
	if (ip_text != NULL && inet_pton(AF_INET, ip_text, addr) == 1) {
		family = AF_INET;
		kind = ACODE_K_IP4;
		alen = 4;
	} else if (ip_text != NULL && inet_pton(AF_INET6, ip_text, addr) == 1) {
		family = AF_INET6;
		kind = ACODE_K_IP6;
		alen = 16;
	} else {
		acode_say(why, whylen, "\"%s\" is not a numeric IPv4 or IPv6 "
		    "address", ip_text != NULL ? ip_text : "");
		return EINVAL;
	}
	if (sodium_is_zero(addr, alen)) {
		acode_say(why, whylen, "%s is the unspecified address: no "
		    "client can reach it", ip_text);
		return EINVAL;
	}
	if (port == 0) {
		acode_say(why, whylen, "port 0 is no port a client can reach");
		return EINVAL;
	}
	minutes = acode_minutes(expires_unix);
	if (expires_unix <= 0 || minutes > UINT32_MAX) {
		acode_say(why, whylen, "the expiry %lld is not between 1970 "
		    "and the year 10136", (long long)expires_unix);
		return EINVAL;
	}
	if (code1 == NULL || len1 <= acode_text_len(kind) ||
	    code2 == NULL || len2 <= acode_text_len(ACODE_K_PORT)) {
		acode_say(why, whylen, "code 1 needs %zu bytes and code 2 %zu",
		    acode_text_len(kind) + 1, acode_text_len(ACODE_K_PORT) + 1);
		return ENOSPC;
	}

	acode_derive(share1, share2, &k);
	/* Code 1: share1, then the expiry and address, sealed. */
	acode_put32(m1, (uint32_t)minutes);
	memcpy(m1 + ACODE_EXPIRY_LEN, addr, alen);
	memcpy(b1, share1, ACODE_SHARE_LEN);
	head = ACODE_HEAD(kind);
	crypto_aead_xchacha20poly1305_ietf_encrypt(b1 + ACODE_SHARE_LEN,
	    &clen, m1, ACODE_EXPIRY_LEN + alen, &head, 1, NULL, k.nonce1,
	    k.key1);
	/* Code 2: share2, then the tag and the sealed expiry and port. */
	acode_put32(m2, (uint32_t)minutes);
	m2[4] = (uint8_t)(port >> 8);
	m2[5] = (uint8_t)port;
	memcpy(b2, share2, ACODE_SHARE_LEN);
	crypto_secretbox_easy(b2 + ACODE_SHARE_LEN, m2, sizeof(m2), k.nonce2,
	    k.key2);
	acode_format(kind, b1, code1);
	acode_format(ACODE_K_PORT, b2, code2);
	acode_fill(cred, family, addr, port, minutes, &k);
	acode_say(why, whylen, "%s", "");

	sodium_memzero(&k, sizeof(k));
	sodium_memzero(m1, sizeof(m1));
	sodium_memzero(m2, sizeof(m2));
	sodium_memzero(b1, sizeof(b1));
	sodium_memzero(b2, sizeof(b2));
	return 0;
}

int
acode_issue(const char *ip_text, uint16_t port, int64_t expires_unix,
    char *code1, size_t len1, char *code2, size_t len2,
    struct acode_cred *cred, char *why, size_t whylen)
{
	uint8_t share1[ACODE_SHARE_LEN], share2[ACODE_SHARE_LEN];
	int rc;

	if (sodium_init() < 0) {
		acode_say(why, whylen, "libsodium did not start");
		return EIO;
	}
	randombytes_buf(share1, sizeof(share1));
	randombytes_buf(share2, sizeof(share2));
	rc = acode_issue_shares(ip_text, port, expires_unix, share1, share2,
	    code1, len1, code2, len2, cred, why, whylen);
	sodium_memzero(share1, sizeof(share1));
	sodium_memzero(share2, sizeof(share2));
	return rc;
}

/*
 * Opens both codes with the keys of their shares.  Only the pair's own
 * shares give keys that open either code, so when one opens and the other
 * does not, the other was changed after it was issued.
 */
static int
acode_open(const struct acode_raw *r1, const struct acode_raw *r2,
    int64_t now_unix, struct acode_cred *out, char *why, size_t whylen)
{
	struct acode_keys k;
	uint8_t m1[ACODE_EXPIRY_LEN + 16], m2[ACODE_EXPIRY_LEN + 2];
	char when[32];
	unsigned long long mlen = 0;
	int ok1, ok2, rc = ACODE_OK;
	int64_t minutes;

	acode_derive(r1->bytes, r2->bytes, &k);
	ok1 = crypto_aead_xchacha20poly1305_ietf_decrypt(m1, &mlen, NULL,
	    r1->bytes + ACODE_SHARE_LEN, r1->len - ACODE_SHARE_LEN,
	    &r1->head, 1, k.nonce1, k.key1) == 0;
	ok2 = crypto_secretbox_open_easy(m2, r2->bytes + ACODE_SHARE_LEN,
	    r2->len - ACODE_SHARE_LEN, k.nonce2, k.key2) == 0;
	if (!ok1 && !ok2) {
		acode_say(why, whylen, "code 1 and code 2 do not belong "
		    "together, or one was altered");
		rc = ACODE_E_MISMATCH;
	} else if (!ok1 || !ok2) {
		acode_say(why, whylen, "code 1 and code 2 belong together, but "
		    "code %d was altered", ok1 ? 2 : 1);
		rc = ACODE_E_MISMATCH;
	} else if (acode_get32(m1) != acode_get32(m2)) {
		/* Only the issuer's keys could seal this: a bug, not a typo. */
		acode_say(why, whylen, "code 1 and code 2 disagree on when "
		    "they expire");
		rc = ACODE_E_MISMATCH;
	} else {
		minutes = acode_get32(m1);
		if (now_unix > minutes * 60) {
			acode_time_text(minutes * 60, when, sizeof(when));
			acode_say(why, whylen, "these codes expired at %s UTC",
			    when);
			rc = ACODE_E_EXPIRED;
		} else
			acode_fill(out, r1->kind == ACODE_K_IP4 ? AF_INET :
			    AF_INET6, m1 + ACODE_EXPIRY_LEN,
			    (uint16_t)(m2[4] << 8 | m2[5]), minutes, &k);
	}
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(m1, sizeof(m1));
	sodium_memzero(m2, sizeof(m2));
	return rc;
}

int
acode_decode(const char *code1, const char *code2, int64_t now_unix,
    struct acode_cred *out, char *why, size_t whylen)
{
	struct acode_raw r1, r2;
	int rc;

	acode_cred_wipe(out);
	acode_say(why, whylen, "%s", "");
	if (sodium_init() < 0) {
		acode_say(why, whylen, "libsodium did not start");
		return ACODE_E_INTERNAL;
	}
	if (code1 == NULL)
		code1 = "";
	if (code2 == NULL)
		code2 = "";
	memset(&r2, 0, sizeof(r2));
	if ((rc = acode_parse(code1, 1, &r1, why, whylen)) != ACODE_OK) {
		if (rc == ACODE_E_SWAPPED &&
		    acode_parse(code2, 1, &r2, NULL, 0) == ACODE_OK)
			acode_say(why, whylen, "the codes are swapped: give "
			    "code 1 first, then code 2");
	} else if ((rc = acode_parse(code2, 2, &r2, why, whylen)) ==
	    ACODE_OK)
		rc = acode_open(&r1, &r2, now_unix, out, why, whylen);
	sodium_memzero(&r1, sizeof(r1));
	sodium_memzero(&r2, sizeof(r2));
	return rc;
}

int
acode_check(const char *code, int which, char *why, size_t whylen)
{
	struct acode_raw raw;
	int rc;

	if (which != 1 && which != 2) {
		acode_say(why, whylen, "there is no code %d, only 1 and 2",
		    which);
		return ACODE_E_INTERNAL;
	}
	rc = acode_parse(code != NULL ? code : "", which, &raw, why, whylen);
	sodium_memzero(&raw, sizeof(raw));
	return rc;
}

const char *
acode_strerror(int err)
{
	static const char *const msg[] = {
		[ACODE_OK] = "no error",
		[ACODE_E_CHAR] = "a character that codes do not use",
		[ACODE_E_TYPO] = "a typo",
		[ACODE_E_SHORT] = "characters missing",
		[ACODE_E_LONG] = "characters too many",
		[ACODE_E_SWAPPED] = "code 1 and code 2 swapped",
		[ACODE_E_VERSION] = "a version this program cannot read",
		[ACODE_E_MISMATCH] = "codes from different pairs, or altered",
		[ACODE_E_EXPIRED] = "expired codes",
		[ACODE_E_INTERNAL] = "an internal error",
	};

	if (err < 0 || (size_t)err >= sizeof(msg) / sizeof(msg[0]))
		return "unknown error";
	return msg[err];
}

/* The SMS of code 2 after a lead-in; see acode_sms_text(). */
static int
acode_sms_fmt(const char *lead, const char *code2, int64_t expires_unix,
    char *out, size_t outlen)
{
	char when[32];
	const char *p;
	int n;

	/* Code characters and dashes are all in the GSM 7-bit basic set. */
	for (p = code2; *p != '\0'; p++)
		if (*p != '-' && acode_sym_value((unsigned char)*p) < 0)
			return EINVAL;
	acode_time_text(acode_minutes(expires_unix) * 60, when, sizeof(when));
	n = snprintf(out, outlen, "%s: %s valid until %s UTC", lead, code2,
	    when);
	/* One SMS holds 160 GSM 7-bit characters; each of these is one. */
	if (n < 0 || (size_t)n >= outlen || n > ACODE_SMS_MAX - 1) {
		if (outlen > 0)
			out[0] = '\0';
		return ENOSPC;
	}
	return 0;
}

int
acode_sms_text(const char *code2, int64_t expires_unix, char *out,
    size_t outlen)
{
	return acode_sms_fmt("Conference code 2", code2, expires_unix, out,
	    outlen);
}

int
acode_sms_moved_text(const char *code2, int64_t expires_unix, char *out,
    size_t outlen)
{
	/* 11 characters more than the first SMS: 158 of the 160. */
	return acode_sms_fmt("Conference moved, new code 2", code2,
	    expires_unix, out, outlen);
}

int
acode_code1_bytes(const char *code1, uint8_t *out, size_t outlen,
    size_t *len, char *why, size_t whylen)
{
	struct acode_raw raw;
	int rc;

	*len = 0;
	rc = acode_parse(code1 != NULL ? code1 : "", 1, &raw, why, whylen);
	if (rc == ACODE_OK && raw.len + 1 > outlen) {
		acode_say(why, whylen, "no room for the bytes of code 1");
		rc = ACODE_E_INTERNAL;
	}
	if (rc == ACODE_OK) {
		/* The header symbol first: it tells IPv4 from IPv6. */
		out[0] = raw.head;
		memcpy(out + 1, raw.bytes, raw.len);
		*len = raw.len + 1;
	}
	sodium_memzero(&raw, sizeof(raw));
	return rc;
}

int
acode_addr_text(const struct acode_cred *cred, char *buf, size_t len)
{
	if (cred->family != AF_INET && cred->family != AF_INET6)
		return EAFNOSUPPORT;
	if (len > (size_t)INT32_MAX ||
	    inet_ntop(cred->family, cred->addr, buf, (socklen_t)len) == NULL)
		return ENOSPC;
	return 0;
}

void
acode_cred_wipe(struct acode_cred *cred)
{
	if (cred != NULL)
		sodium_memzero(cred, sizeof(*cred));
}
