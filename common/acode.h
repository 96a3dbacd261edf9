/*
 * acode: the two access codes of one participant of a booked conference.
 *
 * mgmtd issues two codes per participant: code 1 (in the API response)
 * carries the conference server's address, encrypted with
 * XChaCha20-Poly1305; code 2 (by SMS) carries the port and is encrypted with
 * XSalsa20-Poly1305.  Each code also carries a random 128-bit share, and
 * every key comes from both shares, so neither code alone reveals anything:
 * together they are the credential, including the participant's SRTP keys
 * and SSRC.  Both codes expire with the booking.
 *
 * Codes are text to read aloud and type: Crockford base32 in groups of four
 * symbols and a check symbol, so a typo is found, and placed, before any
 * cryptography runs.  docs/access-codes.md is the specification, with test
 * vectors.  The module is pure: no I/O, no allocation, no clock (the caller
 * passes the time).
 *
 * acode_issue() returns 0 or an errno value; acode_decode() and
 * acode_check() return an enum acode_err.  Both write a sentence for a
 * person into why, naming the code and where it is wrong.
 */
#ifndef ACODE_H
#define ACODE_H

#include <stddef.h>
#include <stdint.h>

#define ACODE_SHARE_LEN		16	/* the random share in each code */
#define ACODE_SRTP_LEN		30	/* AES_CM_128_HMAC_SHA1_80 key + salt */
#define ACODE_CODE1_MAX		132	/* code 1 with its NUL (IPv6: 131) */
#define ACODE_CODE2_MAX		96	/* code 2 with its NUL (95) */
#define ACODE_SMS_MAX		161	/* one SMS of 160 characters, NUL */
#define ACODE_ADDR_MAX		46	/* INET6_ADDRSTRLEN */
#define ACODE_WHY_MAX		160	/* enough for every why sentence */

/* Why a code was refused; 0 means accepted. */
enum acode_err {
	ACODE_OK = 0,
	ACODE_E_CHAR,		/* a character outside the code alphabet */
	ACODE_E_TYPO,		/* a check symbol does not match: a typo */
	ACODE_E_SHORT,		/* characters missing */
	ACODE_E_LONG,		/* characters too many */
	ACODE_E_SWAPPED,	/* code 2 given for code 1, or the reverse */
	ACODE_E_VERSION,	/* a version or kind this program lacks */
	ACODE_E_MISMATCH,	/* from different pairs, or altered */
	ACODE_E_EXPIRED,	/* authentic, but past its expiry */
	ACODE_E_INTERNAL,	/* libsodium did not start, or a bad argument */
};

/*
 * What the two codes grant.  mgmtd gets it from acode_issue() and passes
 * confd only ssrc and the keys; confcli gets it from acode_decode().
 */
struct acode_cred {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network order; IPv4 uses 4 bytes */
	uint16_t	port;
	uint32_t	ssrc;		/* the participant sends from it and */
					/* hears the server from ~ssrc */
	uint8_t		key_c2s[ACODE_SRTP_LEN];	/* to the server */
	uint8_t		key_s2c[ACODE_SRTP_LEN];	/* from the server */
	int64_t		expires;	/* Unix seconds, a whole minute */
};

/*
 * Issues a pair of codes with fresh random shares: the address of the
 * server (numeric IPv4 or IPv6), its port and the booking's end, rounded
 * up to the minute.  0, EINVAL for a bad argument, ENOSPC for a small
 * buffer or EIO when libsodium does not start, with why; on failure the
 * codes are empty and cred is wiped.
 */
int	acode_issue(const char *ip_text, uint16_t port, int64_t expires_unix,
	    char *code1, size_t len1, char *code2, size_t len2,
	    struct acode_cred *cred, char *why, size_t whylen);
/* acode_issue() with the caller's shares, for test vectors. */
int	acode_issue_shares(const char *ip_text, uint16_t port,
	    int64_t expires_unix, const uint8_t *share1, const uint8_t *share2,
	    char *code1, size_t len1, char *code2, size_t len2,
	    struct acode_cred *cred, char *why, size_t whylen);
/*
 * Checks and decrypts a pair of codes at now_unix; an enum acode_err with
 * why.  out is filled only on ACODE_OK and wiped otherwise.
 */
int	acode_decode(const char *code1, const char *code2, int64_t now_unix,
	    struct acode_cred *out, char *why, size_t whylen);
/*
 * Checks the text of code 1 or code 2 (which) without the other one:
 * alphabet, check symbols, version, length.  An enum acode_err with why.
 */
int	acode_check(const char *code, int which, char *why, size_t whylen);
/* A short description of an enum acode_err. */
const char *acode_strerror(int err);
/*
 * The SMS that carries code 2, at most 160 GSM 7-bit characters:
 * "Conference code 2: CODE valid until YYYY-MM-DD HH:MM UTC".  0, EINVAL
 * when code2 holds more than code characters and dashes, or ENOSPC when
 * the text would not fit in out or in one SMS.
 */
int	acode_sms_text(const char *code2, int64_t expires_unix, char *out,
	    size_t outlen);
/*
 * The SMS of a new code 2 after the conference moved to another server:
 * "Conference moved, new code 2: CODE valid until ... UTC"; as above.
 */
int	acode_sms_moved_text(const char *code2, int64_t expires_unix,
	    char *out, size_t outlen);
/*
 * The canonical bytes of code 1 as typed (any case, dashes or spaces,
 * Crockford's look-alikes): its header symbol, then the bytes it packs.
 * Two spellings of one code give the same bytes.  An enum acode_err with
 * why, as acode_check(); *len is 0 on failure.  ACODE_CODE1_BYTES_MAX
 * always suffices.
 */
#define ACODE_CODE1_BYTES_MAX	53
int	acode_code1_bytes(const char *code1, uint8_t *out, size_t outlen,
	    size_t *len, char *why, size_t whylen);
/* The address of cred as text; 0, EAFNOSUPPORT or ENOSPC. */
int	acode_addr_text(const struct acode_cred *cred, char *buf,
	    size_t len);
/* Wipes a credential: it holds key material. */
void	acode_cred_wipe(struct acode_cred *cred);

#endif
