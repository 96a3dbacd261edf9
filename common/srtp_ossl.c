/* srtp_ossl: see srtp_ossl.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/crypto_types.h>

#include "srtp_ossl.h"

#define SRTP_OSSL_AES_KEY	16	/* AES-128 */
#define SRTP_OSSL_SALT		14	/* RFC 3711's 112-bit session salt */
#define SRTP_OSSL_SHA1		20	/* HMAC-SHA1 output */
#define SRTP_OSSL_GCM_SALT	12	/* RFC 7714's 96-bit salt */
#define SRTP_OSSL_GCM_IV	12
#define SRTP_OSSL_GCM_TAG	16

/* libsrtp's cipher handle and our state, in one allocation. */
struct srtp_ossl_icm {
	srtp_cipher_t	 cipher;
	EVP_CIPHER_CTX	*ctx;		/* keyed once; IV reset per packet */
	uint8_t		 salt[16];	/* the salt, zero-padded to a block */
};

/* libsrtp's AEAD cipher handle and our state, in one allocation. */
struct srtp_ossl_gcm {
	srtp_cipher_t	 cipher;
	EVP_CIPHER_CTX	*ctx;		/* keyed once; IV set per packet */
	int		 tag_len;
	bool		 encrypt;	/* the direction of the current IV */
};

/* libsrtp's auth handle and our state, in one allocation. */
struct srtp_ossl_hmac {
	srtp_auth_t	 auth;
	EVP_MAC_CTX	*ctx;		/* keyed once; restarted per packet */
};

static const srtp_cipher_type_t srtp_ossl_icm_type;
static const srtp_cipher_type_t srtp_ossl_gcm_type;
static const srtp_auth_type_t srtp_ossl_hmac_type;

/* Allocates an AES-128-ICM cipher; libsrtp passes the key length with salt. */
static srtp_err_status_t
srtp_ossl_icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	struct srtp_ossl_icm *c;

	(void)tag_len;
	*cp = NULL;
	if (key_len != SRTP_OSSL_AES_KEY + SRTP_OSSL_SALT)
		return srtp_err_status_bad_param;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return srtp_err_status_alloc_fail;
	if ((c->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(c);
		return srtp_err_status_alloc_fail;
	}
	c->cipher.type = &srtp_ossl_icm_type;
	c->cipher.state = c;
	c->cipher.key_len = key_len;
	c->cipher.algorithm = SRTP_AES_ICM_128;
	*cp = &c->cipher;
	return srtp_err_status_ok;
}

/* Frees the cipher; OpenSSL wipes the key schedule as it frees it. */
static srtp_err_status_t
srtp_ossl_icm_dealloc(srtp_cipher_pointer_t cp)
{
	struct srtp_ossl_icm *c = cp->state;

	EVP_CIPHER_CTX_free(c->ctx);
	sodium_memzero(c->salt, sizeof(c->salt));
	free(c);
	return srtp_err_status_ok;
}

/* Keys the cipher with the 16-byte key followed by the 14-byte salt. */
static srtp_err_status_t
srtp_ossl_icm_init(void *state, const uint8_t *key)
{
	struct srtp_ossl_icm *c = state;

	memset(c->salt, 0, sizeof(c->salt));
	memcpy(c->salt, key + SRTP_OSSL_AES_KEY, SRTP_OSSL_SALT);
	if (EVP_EncryptInit_ex(c->ctx, EVP_aes_128_ctr(), NULL, key, NULL) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/*
 * Starts the keystream of one packet: the counter block is the salt XOR
 * the IV libsrtp made of the SSRC and packet index (RFC 3711 4.1.1).
 */
static srtp_err_status_t
srtp_ossl_icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct srtp_ossl_icm *c = state;
	uint8_t ctr[16];
	size_t i;

	(void)dir;
	for (i = 0; i < sizeof(ctr); i++)
		ctr[i] = c->salt[i] ^ iv[i];
	if (EVP_EncryptInit_ex(c->ctx, NULL, NULL, NULL, ctr) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* XORs the keystream into buf, in place; the same both ways. */
static srtp_err_status_t
srtp_ossl_icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct srtp_ossl_icm *c = state;
	int out;

	if (*len > INT32_MAX ||
	    EVP_EncryptUpdate(c->ctx, buf, &out, buf, (int)*len) != 1 ||
	    (unsigned int)out != *len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/*
 * Allocates an AES-128-GCM cipher (RFC 7714).  libsrtp passes the key
 * length with the salt, which it mixes into the IV itself.
 */
static srtp_err_status_t
srtp_ossl_gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	struct srtp_ossl_gcm *c;

	*cp = NULL;
	if (key_len != SRTP_OSSL_AES_KEY + SRTP_OSSL_GCM_SALT ||
	    (tag_len != SRTP_OSSL_GCM_TAG && tag_len != 8))
		return srtp_err_status_bad_param;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return srtp_err_status_alloc_fail;
	if ((c->ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(c);
		return srtp_err_status_alloc_fail;
	}
	c->tag_len = tag_len;
	c->cipher.type = &srtp_ossl_gcm_type;
	c->cipher.state = c;
	c->cipher.key_len = key_len;
	c->cipher.algorithm = SRTP_AES_GCM_128;
	*cp = &c->cipher;
	return srtp_err_status_ok;
}

/* Frees the cipher; OpenSSL wipes the key schedule as it frees it. */
static srtp_err_status_t
srtp_ossl_gcm_dealloc(srtp_cipher_pointer_t cp)
{
	struct srtp_ossl_gcm *c = cp->state;

	EVP_CIPHER_CTX_free(c->ctx);
	free(c);
	return srtp_err_status_ok;
}

/* Keys the cipher with the first 16 bytes; the salt is libsrtp's. */
static srtp_err_status_t
srtp_ossl_gcm_init(void *state, const uint8_t *key)
{
	struct srtp_ossl_gcm *c = state;

	if (EVP_CipherInit_ex(c->ctx, EVP_aes_128_gcm(), NULL, key, NULL,
	    1) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* Starts one packet, in one direction, with the 12-byte IV libsrtp made. */
static srtp_err_status_t
srtp_ossl_gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct srtp_ossl_gcm *c = state;

	c->encrypt = dir != srtp_direction_decrypt;
	if (EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, iv,
	    c->encrypt ? 1 : 0) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* Authenticates the RTP header (and SRTCP index) without encrypting it. */
static srtp_err_status_t
srtp_ossl_gcm_set_aad(void *state, const uint8_t *aad, uint32_t len)
{
	struct srtp_ossl_gcm *c = state;
	int out;

	if (len > INT32_MAX ||
	    EVP_CipherUpdate(c->ctx, NULL, &out, aad, (int)len) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* Encrypts buf in place; the tag comes from get_tag() after it. */
static srtp_err_status_t
srtp_ossl_gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct srtp_ossl_gcm *c = state;
	int out;

	if (!c->encrypt || *len > INT32_MAX ||
	    EVP_CipherUpdate(c->ctx, buf, &out, buf, (int)*len) != 1 ||
	    (unsigned int)out != *len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* Finishes an encryption and writes its tag. */
static srtp_err_status_t
srtp_ossl_gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
	struct srtp_ossl_gcm *c = state;
	uint8_t none[16];
	int out;

	if (!c->encrypt || EVP_CipherFinal_ex(c->ctx, none, &out) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_GET_TAG, c->tag_len,
	    tag) != 1)
		return srtp_err_status_cipher_fail;
	*len = (uint32_t)c->tag_len;
	return srtp_err_status_ok;
}

/*
 * Decrypts buf in place, whose last tag_len bytes are the tag, and checks
 * the tag: *len shrinks by it on success.
 */
static srtp_err_status_t
srtp_ossl_gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct srtp_ossl_gcm *c = state;
	uint8_t none[16];
	int n, out;

	if (c->encrypt || *len < (unsigned int)c->tag_len || *len > INT32_MAX)
		return srtp_err_status_bad_param;
	n = (int)*len - c->tag_len;
	if (EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_GCM_SET_TAG, c->tag_len,
	    buf + n) != 1 ||
	    EVP_CipherUpdate(c->ctx, buf, &out, buf, n) != 1 || out != n)
		return srtp_err_status_cipher_fail;
	if (EVP_CipherFinal_ex(c->ctx, none, &out) != 1)
		return srtp_err_status_auth_fail;
	*len = (unsigned int)n;
	return srtp_err_status_ok;
}

/* Allocates an HMAC-SHA1 with a key of key_len bytes and tags of out_len. */
static srtp_err_status_t
srtp_ossl_hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
	struct srtp_ossl_hmac *h;
	EVP_MAC *mac;

	*ap = NULL;
	if (key_len < 0 || key_len > SRTP_OSSL_SHA1 || out_len < 0 ||
	    out_len > SRTP_OSSL_SHA1)
		return srtp_err_status_bad_param;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return srtp_err_status_alloc_fail;
	/* The context keeps its own reference to the algorithm. */
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (h->ctx = EVP_MAC_CTX_new(mac)) == NULL) {
		EVP_MAC_free(mac);
		free(h);
		return srtp_err_status_alloc_fail;
	}
	EVP_MAC_free(mac);
	h->auth.type = &srtp_ossl_hmac_type;
	h->auth.state = h;
	h->auth.key_len = key_len;
	h->auth.out_len = out_len;
	h->auth.prefix_len = 0;
	*ap = &h->auth;
	return srtp_err_status_ok;
}

/* Frees the MAC; OpenSSL wipes the keyed state as it frees it. */
static srtp_err_status_t
srtp_ossl_hmac_dealloc(srtp_auth_pointer_t ap)
{
	struct srtp_ossl_hmac *h = ap->state;

	EVP_MAC_CTX_free(h->ctx);
	free(h);
	return srtp_err_status_ok;
}

/* Keys the MAC; per packet, start() only rewinds it to this point. */
static srtp_err_status_t
srtp_ossl_hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct srtp_ossl_hmac *h = state;
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA1", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(h->ctx, key, (size_t)key_len, params) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* Rewinds the MAC to its keyed start, reusing the key's pads. */
static srtp_err_status_t
srtp_ossl_hmac_start(void *state)
{
	struct srtp_ossl_hmac *h = state;

	if (EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* Adds len bytes to the message. */
static srtp_err_status_t
srtp_ossl_hmac_update(void *state, const uint8_t *buf, int len)
{
	struct srtp_ossl_hmac *h = state;

	if (len < 0 || EVP_MAC_update(h->ctx, buf, (size_t)len) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* Adds the last len bytes and writes the first tag_len bytes of the MAC. */
static srtp_err_status_t
srtp_ossl_hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
    uint8_t *tag)
{
	struct srtp_ossl_hmac *h = state;
	uint8_t md[SRTP_OSSL_SHA1];
	size_t n;

	if (tag_len < 0 || tag_len > SRTP_OSSL_SHA1 || len < 0 ||
	    EVP_MAC_update(h->ctx, buf, (size_t)len) != 1 ||
	    EVP_MAC_final(h->ctx, md, &n, sizeof(md)) != 1 ||
	    n != sizeof(md))
		return srtp_err_status_auth_fail;
	memcpy(tag, md, (size_t)tag_len);
	return srtp_err_status_ok;
}

/*
 * Known answers, checked by libsrtp as the implementations are installed.
 * RFC 3711 B.2: the first two blocks of keystream for packet index 0 and
 * SSRC 0 (the IV is then zero, so the counter block is the salt).
 */
static const uint8_t srtp_ossl_icm_key[30] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,
};
static uint8_t srtp_ossl_icm_iv[16];
static const uint8_t srtp_ossl_icm_zero[32];
static const uint8_t srtp_ossl_icm_stream[32] = {
	0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80,
	0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
	0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7,
	0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab,
};
static const srtp_cipher_test_case_t srtp_ossl_icm_test = {
	.key_length_octets = sizeof(srtp_ossl_icm_key),
	.key = srtp_ossl_icm_key,
	/* libsrtp's field is not const; it only reads it. */
	.idx = srtp_ossl_icm_iv,
	.plaintext_length_octets = sizeof(srtp_ossl_icm_zero),
	.plaintext = srtp_ossl_icm_zero,
	.ciphertext_length_octets = sizeof(srtp_ossl_icm_stream),
	.ciphertext = srtp_ossl_icm_stream,
};

/*
 * The GCM specification's test case 4 (McGrew and Viega), with 60 bytes of
 * plaintext and 20 of AAD; libsrtp's key length counts a 12-byte salt that
 * the cipher itself does not use.
 */
static const uint8_t srtp_ossl_gcm_key[28] = {
	0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c,
	0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
};
static uint8_t srtp_ossl_gcm_iv[12] = {
	0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad,
	0xde, 0xca, 0xf8, 0x88,
};
static const uint8_t srtp_ossl_gcm_plain[60] = {
	0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5,
	0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
	0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda,
	0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
	0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53,
	0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
	0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57,
	0xba, 0x63, 0x7b, 0x39,
};
static const uint8_t srtp_ossl_gcm_aad[20] = {
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
	0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef,
	0xab, 0xad, 0xda, 0xd2,
};
static const uint8_t srtp_ossl_gcm_cipher[76] = {
	0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24,
	0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4, 0x9c,
	0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0,
	0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e,
	0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c,
	0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
	0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97,
	0x3d, 0x58, 0xe0, 0x91,
	/* the tag */
	0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb,
	0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47,
};
static const srtp_cipher_test_case_t srtp_ossl_gcm_test = {
	.key_length_octets = sizeof(srtp_ossl_gcm_key),
	.key = srtp_ossl_gcm_key,
	.idx = srtp_ossl_gcm_iv,
	.plaintext_length_octets = sizeof(srtp_ossl_gcm_plain),
	.plaintext = srtp_ossl_gcm_plain,
	.ciphertext_length_octets = sizeof(srtp_ossl_gcm_cipher),
	.ciphertext = srtp_ossl_gcm_cipher,
	.aad_length_octets = sizeof(srtp_ossl_gcm_aad),
	.aad = srtp_ossl_gcm_aad,
	.tag_length_octets = SRTP_OSSL_GCM_TAG,
};

/* RFC 2202 test case 2: key "Jefe". */
static const uint8_t srtp_ossl_hmac_key[4] = { 'J', 'e', 'f', 'e' };
static const uint8_t srtp_ossl_hmac_data[] =
    "what do ya want for nothing?";
static const uint8_t srtp_ossl_hmac_tag[20] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const srtp_auth_test_case_t srtp_ossl_hmac_test = {
	.key_length_octets = sizeof(srtp_ossl_hmac_key),
	.key = srtp_ossl_hmac_key,
	.data_length_octets = sizeof(srtp_ossl_hmac_data) - 1,
	.data = srtp_ossl_hmac_data,
	.tag_length_octets = sizeof(srtp_ossl_hmac_tag),
	.tag = srtp_ossl_hmac_tag,
};

static const srtp_cipher_type_t srtp_ossl_icm_type = {
	.alloc = srtp_ossl_icm_alloc,
	.dealloc = srtp_ossl_icm_dealloc,
	.init = srtp_ossl_icm_init,
	.encrypt = srtp_ossl_icm_crypt,
	.decrypt = srtp_ossl_icm_crypt,
	.set_iv = srtp_ossl_icm_set_iv,
	.description = "AES-128 integer counter mode (OpenSSL)",
	.test_data = &srtp_ossl_icm_test,
	.id = SRTP_AES_ICM_128,
};

static const srtp_cipher_type_t srtp_ossl_gcm_type = {
	.alloc = srtp_ossl_gcm_alloc,
	.dealloc = srtp_ossl_gcm_dealloc,
	.init = srtp_ossl_gcm_init,
	.set_aad = srtp_ossl_gcm_set_aad,
	.encrypt = srtp_ossl_gcm_encrypt,
	.decrypt = srtp_ossl_gcm_decrypt,
	.set_iv = srtp_ossl_gcm_set_iv,
	.get_tag = srtp_ossl_gcm_get_tag,
	.description = "AES-128 GCM (OpenSSL)",
	.test_data = &srtp_ossl_gcm_test,
	.id = SRTP_AES_GCM_128,
};

static const srtp_auth_type_t srtp_ossl_hmac_type = {
	.alloc = srtp_ossl_hmac_alloc,
	.dealloc = srtp_ossl_hmac_dealloc,
	.init = srtp_ossl_hmac_init,
	.compute = srtp_ossl_hmac_compute,
	.update = srtp_ossl_hmac_update,
	.start = srtp_ossl_hmac_start,
	.description = "HMAC-SHA1 (OpenSSL)",
	.test_data = &srtp_ossl_hmac_test,
	.id = SRTP_HMAC_SHA1,
};

int
srtp_ossl_install(void)
{
	if (srtp_replace_cipher_type(&srtp_ossl_icm_type, SRTP_AES_ICM_128) !=
	    srtp_err_status_ok)
		return EIO;
	if (srtp_replace_auth_type(&srtp_ossl_hmac_type, SRTP_HMAC_SHA1) !=
	    srtp_err_status_ok)
		return EIO;
	if (srtp_replace_cipher_type(&srtp_ossl_gcm_type, SRTP_AES_GCM_128) !=
	    srtp_err_status_ok)
		return EIO;
	return 0;
}
