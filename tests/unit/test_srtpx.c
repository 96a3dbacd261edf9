/*
 * Unit tests of the SRTP wrapper (common/srtpx.c) against libsrtp's own
 * reference vectors for AES_CM_128_HMAC_SHA1_80 (srtp_validate).
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "srtpx.h"

static const uint8_t v_key[30] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3,
	0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a,
	0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};
static const uint8_t v_rtp[28] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba,
	0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
};
static const uint8_t v_srtp[38] = {
	0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba,
	0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4,
	0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99,
	0xea, 0x17, 0x9b, 0x8d, 0xbb,
};
static const uint8_t v_rtcp[24] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xab, 0xab, 0xab,
	0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
	0xab, 0xab,
};
static const uint8_t v_srtcp[38] = {
	0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03,
	0x5b, 0xe4, 0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77,
	0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54,
	0xd6, 0xc1, 0x23, 0x07, 0x98,
};

static void
test_vector_rtp(void)
{
	struct srtpx *tx, *rx;
	uint8_t buf[64];
	size_t len = sizeof(v_rtp);

	CHECK_INT(srtpx_init(), ==, 0);
	CHECK_INT(srtpx_new(&tx, SRTPX_AES_CM_128_HMAC_SHA1_80, v_key,
	    SRTPX_OUT, 0xcafebabe), ==, 0);
	CHECK_INT(srtpx_new(&rx, SRTPX_AES_CM_128_HMAC_SHA1_80, v_key,
	    SRTPX_IN, 0xcafebabe), ==, 0);
	memcpy(buf, v_rtp, len);
	CHECK_INT(srtpx_protect(tx, buf, &len), ==, SRTPX_OK);
	CHECK_INT(len, ==, sizeof(v_srtp));
	CHECK(memcmp(buf, v_srtp, len) == 0);
	CHECK_INT(srtpx_unprotect(rx, buf, &len), ==, SRTPX_OK);
	CHECK_INT(len, ==, sizeof(v_rtp));
	CHECK(memcmp(buf, v_rtp, len) == 0);
	/* The same packet again is a replay. */
	memcpy(buf, v_srtp, sizeof(v_srtp));
	len = sizeof(v_srtp);
	CHECK_INT(srtpx_unprotect(rx, buf, &len), ==, SRTPX_E_REPLAY);
	srtpx_free(tx);
	srtpx_free(rx);
}

static void
test_vector_rtcp(void)
{
	struct srtpx *tx, *rx;
	uint8_t buf[64];
	size_t len = sizeof(v_rtcp);

	CHECK_INT(srtpx_new(&tx, SRTPX_AES_CM_128_HMAC_SHA1_80, v_key,
	    SRTPX_OUT, 0xcafebabe), ==, 0);
	CHECK_INT(srtpx_new(&rx, SRTPX_AES_CM_128_HMAC_SHA1_80, v_key,
	    SRTPX_IN, 0xcafebabe), ==, 0);
	memcpy(buf, v_rtcp, len);
	CHECK_INT(srtpx_protect_rtcp(tx, buf, &len), ==, SRTPX_OK);
	CHECK_INT(len, ==, sizeof(v_srtcp));
	CHECK(memcmp(buf, v_srtcp, len) == 0);
	CHECK_INT(srtpx_unprotect_rtcp(rx, buf, &len), ==, SRTPX_OK);
	CHECK(len == sizeof(v_rtcp) && memcmp(buf, v_rtcp, len) == 0);
	srtpx_free(tx);
	srtpx_free(rx);
}

/* Any flipped bit, in the header or the payload, fails authentication. */
static void
test_tamper(void)
{
	struct srtpx *rx;
	uint8_t buf[64];
	size_t len, i;

	for (i = 0; i < sizeof(v_srtp); i += 5) {
		CHECK_INT(srtpx_new(&rx, SRTPX_AES_CM_128_HMAC_SHA1_80, v_key,
		    SRTPX_IN, 0xcafebabe), ==, 0);
		memcpy(buf, v_srtp, sizeof(v_srtp));
		len = sizeof(v_srtp);
		buf[i] ^= 0x01;
		/* A flipped SSRC bit finds no stream: also refused. */
		CHECK_INT(srtpx_unprotect(rx, buf, &len), !=, SRTPX_OK);
		srtpx_free(rx);
	}
}

static void
test_wrong_key(void)
{
	struct srtpx *rx;
	uint8_t key[30], buf[64];
	size_t len = sizeof(v_srtp);

	memcpy(key, v_key, sizeof(key));
	key[0] ^= 0x80;
	CHECK_INT(srtpx_new(&rx, SRTPX_AES_CM_128_HMAC_SHA1_80, key,
	    SRTPX_IN, 0xcafebabe), ==, 0);
	memcpy(buf, v_srtp, len);
	CHECK_INT(srtpx_unprotect(rx, buf, &len), ==, SRTPX_E_AUTH);
	srtpx_free(rx);
}

/* The admission context accepts an unknown SSRC only when authentic. */
static void
test_any_inbound(void)
{
	struct srtpx *any;
	uint8_t buf[64];
	size_t len = sizeof(v_srtp);

	CHECK_INT(srtpx_new(&any, SRTPX_AES_CM_128_HMAC_SHA1_80, v_key,
	    SRTPX_IN_ANY, 0), ==, 0);
	memcpy(buf, v_srtp, len);
	buf[20] ^= 1;
	CHECK_INT(srtpx_unprotect(any, buf, &len), ==, SRTPX_E_AUTH);
	memcpy(buf, v_srtp, sizeof(v_srtp));
	len = sizeof(v_srtp);
	CHECK_INT(srtpx_unprotect(any, buf, &len), ==, SRTPX_OK);
	CHECK(memcmp(buf, v_rtp, sizeof(v_rtp)) == 0);
	/* Once forgotten, the stream can be learnt afresh. */
	srtpx_forget(any, 0xcafebabe);
	memcpy(buf, v_srtp, sizeof(v_srtp));
	len = sizeof(v_srtp);
	CHECK_INT(srtpx_unprotect(any, buf, &len), ==, SRTPX_OK);
	srtpx_free(any);
}

/* Makes buf the reference packet with sequence number seq. */
static void
v_with_seq(uint8_t *buf, uint16_t seq)
{
	memcpy(buf, v_rtp, sizeof(v_rtp));
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
}

static void
test_gcm_roundtrip(void)
{
	struct srtpx *tx, *rx;
	uint8_t key[28], buf[64], copy[64];
	size_t len = sizeof(v_rtp), clen, bit;
	uint16_t seq = 0x1235;

	memcpy(key, v_key, sizeof(key));
	CHECK_INT(srtpx_master_len(SRTPX_AEAD_AES_128_GCM), ==, 28);
	CHECK_INT(srtpx_new(&tx, SRTPX_AEAD_AES_128_GCM, key, SRTPX_OUT,
	    0xcafebabe), ==, 0);
	CHECK_INT(srtpx_new(&rx, SRTPX_AEAD_AES_128_GCM, key, SRTPX_IN,
	    0xcafebabe), ==, 0);
	memcpy(buf, v_rtp, len);
	CHECK_INT(srtpx_protect(tx, buf, &len), ==, SRTPX_OK);
	CHECK_INT(len, ==, sizeof(v_rtp) + 16);
	CHECK(memcmp(buf + 12, v_rtp + 12, 16) != 0);
	CHECK_INT(srtpx_unprotect(rx, buf, &len), ==, SRTPX_OK);
	CHECK(len == sizeof(v_rtp) && memcmp(buf, v_rtp, len) == 0);
	/* A flipped bit of the payload, the header or the tag is refused. */
	for (bit = 0; bit < (sizeof(v_rtp) + 16) * 8; bit += 37) {
		v_with_seq(buf, seq++);
		len = sizeof(v_rtp);
		CHECK_INT(srtpx_protect(tx, buf, &len), ==, SRTPX_OK);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_INT(srtpx_unprotect(rx, buf, &len), !=, SRTPX_OK);
	}
	/* The same packet twice: a replay. */
	v_with_seq(buf, seq++);
	len = sizeof(v_rtp);
	CHECK_INT(srtpx_protect(tx, buf, &len), ==, SRTPX_OK);
	memcpy(copy, buf, len);
	clen = len;
	CHECK_INT(srtpx_unprotect(rx, buf, &len), ==, SRTPX_OK);
	CHECK_INT(srtpx_unprotect(rx, copy, &clen), ==, SRTPX_E_REPLAY);
	srtpx_free(tx);
	srtpx_free(rx);
}

static void
test_key_text(void)
{
	uint8_t key[30];
	char b64[64], why[128];

	srtpx_key_encode(SRTPX_AES_CM_128_HMAC_SHA1_80, v_key, b64,
	    sizeof(b64));
	CHECK_STR(b64, "4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm");
	CHECK_INT(srtpx_key_decode(SRTPX_AES_CM_128_HMAC_SHA1_80, b64, key,
	    why, sizeof(why)), ==, 0);
	CHECK(memcmp(key, v_key, 30) == 0);
	CHECK_INT(srtpx_key_decode(SRTPX_AES_CM_128_HMAC_SHA1_80, "abc!",
	    key, why, sizeof(why)), ==, EINVAL);
	CHECK_STR(why, "not valid base64");
	CHECK_INT(srtpx_key_decode(SRTPX_AES_CM_128_HMAC_SHA1_80, "AAAA",
	    key, why, sizeof(why)), ==, EINVAL);
	CHECK_STR(why, "AES_CM_128_HMAC_SHA1_80 needs 30 bytes of key and "
	    "salt, this is 3");
	CHECK_INT(srtpx_suite_parse("AEAD_AES_128_GCM"), ==,
	    SRTPX_AEAD_AES_128_GCM);
	CHECK_INT(srtpx_suite_parse("NULL"), ==, -1);
}

CHECK_MAIN(
	CHECK_CASE(test_vector_rtp),
	CHECK_CASE(test_vector_rtcp),
	CHECK_CASE(test_tamper),
	CHECK_CASE(test_wrong_key),
	CHECK_CASE(test_any_inbound),
	CHECK_CASE(test_gcm_roundtrip),
	CHECK_CASE(test_key_text),
)
