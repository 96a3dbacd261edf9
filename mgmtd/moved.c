/*
 * moved: how a participant whose conference moved to another server picks
 * up its new code 1 with the old one, although mgmtd keeps no code.
 *
 * When mgmtd issues a code 1 it keeps two values that only the code's
 * holder can make again: a lookup index, BLAKE2b of the code's bytes, and
 * an X25519 public key whose secret key is BLAKE2b of the same bytes under
 * another personalisation.  When a failover issues a new code 1 for that
 * seat, mgmtd seals it to the public key (crypto_box_seal: an ephemeral
 * X25519 key, XSalsa20-Poly1305), so the sealed code lies in the store
 * without mgmtd being able to open it again.  The participant sends the
 * old code 1; mgmtd finds the row by its index, derives the secret key,
 * opens the new code 1, answers it and forgets both.
 *
 * A secretbox under a key derived from the old code would need mgmtd to
 * keep that key until a failover, which would let whoever reads the store
 * open every moved code: sealing to a public key avoids that.  The inputs
 * are the canonical bytes of code 1 (acode_code1_bytes()), so any spelling
 * that confcli accepts finds the same row.  Pure: no clock, no I/O.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "mgmtd.h"

static const uint8_t moved_personal_idx[crypto_generichash_blake2b_PERSONALBYTES]
    = "confmoved index";
static const uint8_t moved_personal_key[crypto_generichash_blake2b_PERSONALBYTES]
    = "confmoved key";

_Static_assert(crypto_box_SEEDBYTES == MOVED_KEY_LEN, "32-byte seeds");
_Static_assert(crypto_box_PUBLICKEYBYTES == MOVED_KEY_LEN, "32-byte keys");
_Static_assert(crypto_box_SEALBYTES == 48, "the size MOVED_SEALED_MAX adds");

/* BLAKE2b-256 of the code's bytes, personalised for one use. */
static void
moved_hash(uint8_t out[32], const uint8_t *raw, size_t len,
    const uint8_t *personal)
{
	crypto_generichash_blake2b_salt_personal(out, 32, raw, len, NULL, 0,
	    NULL, personal);
}

int
moved_derive(const char *code1, uint8_t idx[MOVED_KEY_LEN],
    uint8_t pk[MOVED_KEY_LEN], uint8_t sk[MOVED_KEY_LEN], char *why,
    size_t whylen)
{
	uint8_t raw[ACODE_CODE1_BYTES_MAX], seed[crypto_box_SEEDBYTES];
	size_t len;
	int rc;

	if ((rc = acode_code1_bytes(code1, raw, sizeof(raw), &len, why,
	    whylen)) != ACODE_OK)
		return rc;
	moved_hash(idx, raw, len, moved_personal_idx);
	moved_hash(seed, raw, len, moved_personal_key);
	sodium_memzero(raw, sizeof(raw));
	rc = crypto_box_seed_keypair(pk, sk, seed) == 0 ? ACODE_OK :
	    ACODE_E_INTERNAL;
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

int
moved_seal(const uint8_t pk[MOVED_KEY_LEN], const char *code1, uint8_t *out,
    size_t outlen, size_t *len)
{
	size_t n = strlen(code1);

	*len = 0;
	if (n + crypto_box_SEALBYTES > outlen)
		return ENOSPC;
	if (crypto_box_seal(out, (const unsigned char *)code1, n, pk) != 0)
		return EIO;
	*len = n + crypto_box_SEALBYTES;
	return 0;
}

int
moved_open(const uint8_t pk[MOVED_KEY_LEN], const uint8_t sk[MOVED_KEY_LEN],
    const uint8_t *sealed, size_t len, char *code1, size_t code1len)
{
	size_t n;

	if (len <= crypto_box_SEALBYTES || code1len == 0)
		return EBADMSG;
	n = len - crypto_box_SEALBYTES;
	if (n + 1 > code1len)
		return EBADMSG;
	if (crypto_box_seal_open((unsigned char *)code1, sealed, len, pk,
	    sk) != 0) {
		sodium_memzero(code1, code1len);
		return EBADMSG;
	}
	code1[n] = '\0';
	/* A code is printable text: anything else was not sealed by us. */
	if (strlen(code1) != n) {
		sodium_memzero(code1, code1len);
		return EBADMSG;
	}
	return 0;
}
