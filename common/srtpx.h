/*
 * srtpx: one SRTP/SRTCP crypto context (a libsrtp2 session) for one
 * direction of one stream, with the key handling around it.
 *
 * confd keeps one inbound and one outbound context per participant, because
 * libsrtp keeps the streams of a session in a linked list and a session per
 * stream is cheaper on the media path.  Creating and freeing contexts is
 * slow (tens to hundreds of microseconds): do it at join and leave, never
 * per packet.
 */
#ifndef SRTPX_H
#define SRTPX_H

#include <stddef.h>
#include <stdint.h>

#define SRTPX_MAX_MASTER	30	/* master key + salt, largest suite */
#define SRTPX_TRAILER		16	/* bytes protect may append (tag) */
#define SRTPX_RTCP_TRAILER	20	/* SRTCP index + tag */

enum srtpx_suite {
	SRTPX_AES_CM_128_HMAC_SHA1_80 = 0,	/* RFC 3711; 30-byte master */
	SRTPX_AEAD_AES_128_GCM,			/* RFC 7714; 28-byte master */
};

enum srtpx_dir {
	SRTPX_IN,		/* unprotects packets of one SSRC */
	SRTPX_IN_ANY,		/* unprotects any SSRC (admission probe) */
	SRTPX_OUT,		/* protects packets of one SSRC */
};

/* Why a packet was refused; 0 means accepted. */
enum srtpx_err {
	SRTPX_OK = 0,
	SRTPX_E_AUTH,		/* authentication failed: wrong key or forged */
	SRTPX_E_REPLAY,		/* replayed or too old */
	SRTPX_E_OTHER,		/* malformed for libsrtp, or no room */
};

struct srtpx;

/* Initialises libsrtp once per process; 0 or an errno. */
int	srtpx_init(void);
/* Length of the master key plus salt of a suite. */
size_t	srtpx_master_len(enum srtpx_suite suite);
/* Parses "AES_CM_128_HMAC_SHA1_80" or "AEAD_AES_128_GCM"; -1 if unknown. */
int	srtpx_suite_parse(const char *name);
/* The RFC 4568 name of a suite. */
const char *srtpx_suite_name(enum srtpx_suite suite);
/* Decodes a base64 master key+salt for suite; 0 or EINVAL with why. */
int	srtpx_key_decode(enum srtpx_suite suite, const char *b64,
	    uint8_t *master, char *why, size_t whylen);
/* Encodes a master key+salt as base64 into out (at least 64 bytes). */
void	srtpx_key_encode(enum srtpx_suite suite, const uint8_t *master,
	    char *out, size_t outlen);
/* Creates a context; the master key is copied by libsrtp, not kept. */
int	srtpx_new(struct srtpx **out, enum srtpx_suite suite,
	    const uint8_t *master, enum srtpx_dir dir, uint32_t ssrc);
/* Protects an RTP packet in place; buf has room for SRTPX_TRAILER more. */
int	srtpx_protect(struct srtpx *s, uint8_t *buf, size_t *len);
/* Unprotects an SRTP packet in place; returns an enum srtpx_err. */
int	srtpx_unprotect(struct srtpx *s, uint8_t *buf, size_t *len);
/* Protects an RTCP packet in place; room for SRTPX_RTCP_TRAILER more. */
int	srtpx_protect_rtcp(struct srtpx *s, uint8_t *buf, size_t *len);
/* Unprotects an SRTCP packet in place; returns an enum srtpx_err. */
int	srtpx_unprotect_rtcp(struct srtpx *s, uint8_t *buf, size_t *len);
/* Forgets the stream an IN_ANY context learnt for ssrc. */
void	srtpx_forget(struct srtpx *s, uint32_t ssrc);
/* Frees the context and the key schedule inside it. */
void	srtpx_free(struct srtpx *s);

#endif
