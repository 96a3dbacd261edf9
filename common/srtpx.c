/* srtpx: see srtpx.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <srtp2/srtp.h>

#include "srtp_ossl.h"
#include "srtpx.h"

struct srtpx {
	srtp_t		session;
};

static const char *const srtpx_names[] = {
	"AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM",
};

int
srtpx_init(void)
{
	if (srtp_init() != srtp_err_status_ok)
		return EIO;
	/* NSS's counter mode and HMAC cost a PKCS #11 context per packet. */
	if (srtp_ossl_install() != 0)
		return EIO;
	if (sodium_init() < 0)
		return EIO;
	return 0;
}

size_t
srtpx_master_len(enum srtpx_suite suite)
{
	return suite == SRTPX_AEAD_AES_128_GCM ? 28 : 30;
}

int
srtpx_suite_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(srtpx_names) / sizeof(srtpx_names[0]); i++)
		if (strcmp(name, srtpx_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
srtpx_suite_name(enum srtpx_suite suite)
{
	return (unsigned)suite < 2 ? srtpx_names[suite] : "unknown";
}

int
srtpx_key_decode(enum srtpx_suite suite, const char *b64, uint8_t *master,
    char *why, size_t whylen)
{
	uint8_t buf[64];
	size_t len = 0, want = srtpx_master_len(suite);
	const char *end;

	if (sodium_base642bin(buf, sizeof(buf), b64, strlen(b64), " \t", &len,
	    &end, sodium_base64_VARIANT_ORIGINAL) != 0 || *end != '\0') {
		snprintf(why, whylen, "not valid base64");
		sodium_memzero(buf, sizeof(buf));
		return EINVAL;
	}
	if (len != want) {
		snprintf(why, whylen, "%s needs %zu bytes of key and salt, "
		    "this is %zu", srtpx_suite_name(suite), want, len);
		sodium_memzero(buf, sizeof(buf));
		return EINVAL;
	}
	memcpy(master, buf, want);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

void
srtpx_key_encode(enum srtpx_suite suite, const uint8_t *master, char *out,
    size_t outlen)
{
	sodium_bin2base64(out, outlen, master, srtpx_master_len(suite),
	    sodium_base64_VARIANT_ORIGINAL);
}

int
srtpx_new(struct srtpx **out, enum srtpx_suite suite, const uint8_t *master,
    enum srtpx_dir dir, uint32_t ssrc)
{
	srtp_policy_t pol;
	struct srtpx *s;
	uint8_t key[SRTPX_MAX_MASTER];
	srtp_err_status_t st;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ENOMEM;
	memset(&pol, 0, sizeof(pol));
	if (suite == SRTPX_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	}
	switch (dir) {
	case SRTPX_IN:
		pol.ssrc.type = ssrc_specific;
		pol.ssrc.value = ssrc;
		break;
	case SRTPX_IN_ANY:
		pol.ssrc.type = ssrc_any_inbound;
		break;
	case SRTPX_OUT:
		pol.ssrc.type = ssrc_specific;
		pol.ssrc.value = ssrc;
		break;
	}
	/* libsrtp takes a non-const key; give it a copy we can wipe. */
	memcpy(key, master, srtpx_master_len(suite));
	pol.key = key;
	pol.window_size = 1024;
	pol.allow_repeat_tx = 0;
	st = srtp_create(&s->session, &pol);
	sodium_memzero(key, sizeof(key));
	if (st != srtp_err_status_ok) {
		free(s);
		return st == srtp_err_status_alloc_fail ? ENOMEM : EINVAL;
	}
	*out = s;
	return 0;
}

static int
srtpx_map(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return SRTPX_OK;
	case srtp_err_status_auth_fail:
		return SRTPX_E_AUTH;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return SRTPX_E_REPLAY;
	default:
		return SRTPX_E_OTHER;
	}
}

int
srtpx_protect(struct srtpx *s, uint8_t *buf, size_t *len)
{
	int n = (int)*len;
	int rc;

	rc = srtpx_map(srtp_protect(s->session, buf, &n));
	if (rc == SRTPX_OK)
		*len = (size_t)n;
	return rc;
}

int
srtpx_unprotect(struct srtpx *s, uint8_t *buf, size_t *len)
{
	int n, rc;

	if (*len > INT_MAX || *len < 12)
		return SRTPX_E_OTHER;
	n = (int)*len;
	rc = srtpx_map(srtp_unprotect(s->session, buf, &n));
	if (rc == SRTPX_OK)
		*len = (size_t)n;
	return rc;
}

int
srtpx_protect_rtcp(struct srtpx *s, uint8_t *buf, size_t *len)
{
	int n = (int)*len;
	int rc;

	rc = srtpx_map(srtp_protect_rtcp(s->session, buf, &n));
	if (rc == SRTPX_OK)
		*len = (size_t)n;
	return rc;
}

int
srtpx_unprotect_rtcp(struct srtpx *s, uint8_t *buf, size_t *len)
{
	int n, rc;

	if (*len > INT_MAX || *len < 8)
		return SRTPX_E_OTHER;
	n = (int)*len;
	rc = srtpx_map(srtp_unprotect_rtcp(s->session, buf, &n));
	if (rc == SRTPX_OK)
		*len = (size_t)n;
	return rc;
}

void
srtpx_forget(struct srtpx *s, uint32_t ssrc)
{
	srtp_remove_stream(s->session, htonl(ssrc));
}

void
srtpx_free(struct srtpx *s)
{
	if (s == NULL)
		return;
	/* srtp_dealloc wipes the key schedules as it frees them. */
	srtp_dealloc(s->session);
	free(s);
}
