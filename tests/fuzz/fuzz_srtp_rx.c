/*
 * fuzz_srtp_rx: confd's receive path (confd/rx.c) from the datagram to the
 * jitter buffer, without the socket.
 *
 * Random bytes almost never authenticate, which would leave everything
 * behind srtpx_unprotect() unfuzzed; so the input may ask for its packet to
 * be protected first, with the outbound context that matches the room key,
 * and then damaged.  Input layout:
 *
 *	byte 0		mode: MODE_* bits below
 *	byte 1		the byte to flip a bit of: 0..127 from the start,
 *			128..255 from the end (where the tag is)
 *	byte 2		the bit to flip (its low three bits); the bytes to
 *			cut off, 1 + byte 2 modulo the length
 *	the rest	the packet: plain RTP or RTCP to protect, or the
 *			datagram as it arrives
 *
 * The admission contexts live as long as the process, as a room's does in
 * confd, and forget each stream they admit, as rx_admit() does; a failed
 * packet leaves nothing in them.  Every other context is new for each
 * input, as for a newcomer, so that a crash replays from its input alone;
 * at some 600 us a context in libsrtp, that is what makes this target
 * slower than the parsers' own.
 *
 * Besides not crashing, the path promises:
 * the admission context (IN_ANY) and the participant's own context (IN)
 * agree on every packet; a packet protected with the room key comes out as
 * it went in, and not a second time (replay); and a protected packet with
 * one bit flipped or bytes cut off never authenticates.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../confd/confd.h"
#include "fuzz.h"

#define MODE_PROTECT	0x01	/* protect the packet with the room key */
#define MODE_GCM	0x02	/* AEAD_AES_128_GCM rather than AES_CM */
#define MODE_FLIP	0x04	/* then flip one bit */
#define MODE_CUT	0x08	/* then cut bytes off the end */
#define MODE_TWICE	0x10	/* deliver the datagram twice */

/*
 * The room key: libsrtp's reference master key and salt (the vectors of
 * tests/unit/test_srtpx.c), so that the RFC vectors in the corpus
 * authenticate as they are.  AEAD_AES_128_GCM takes its first 28 bytes.
 */
static const uint8_t room_key[SRTPX_MAX_MASTER] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3,
	0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a,
	0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
};

/* The admission context of a room of each suite. */
static struct srtpx	*admit_ctx[2];

/* What one delivery is expected to give: plain means authentic. */
struct expect {
	const uint8_t	*plain;		/* what went into protect, or NULL */
	size_t		 plain_len;
	bool		 forged;	/* protected, then damaged */
};

static struct srtpx *
ctx_new(enum srtpx_suite suite, enum srtpx_dir dir, uint32_t ssrc)
{
	struct srtpx *s;

	FUZZ_CHECK(srtpx_new(&s, suite, room_key, dir, ssrc) == 0);
	return s;
}

/* What rx_rtp() does with a packet that authenticated. */
static void
rx_media(const uint8_t *buf, size_t len, struct rtp_rx *rx, struct jbuf *jb)
{
	struct rtp_level lvl;
	struct rtp_hdr h;

	if (rtp_parse(buf, len, &h) != 0)
		return;
	FUZZ_CHECK(fuzz_within(h.payload, h.payload_len, buf, len));
	fuzz_touch(h.payload, h.payload_len);
	(void)rtp_rx_packet(rx, h.seq);
	if (h.has_ext && rtp_ext_level(&h, 1, &lvl) == 0)
		FUZZ_CHECK(lvl.level <= 127);
	(void)jbuf_put(jb, h.seq, h.ts, h.payload, h.payload_len, 1000);
}

/* What rtcp_handle() reads of a compound that authenticated. */
static void
rx_control(const uint8_t *buf, size_t len)
{
	struct rtcp_info info;

	if (rtcp_parse(buf, len, &info) != 0)
		return;
	FUZZ_CHECK(info.nrb <= RTCP_MAX_RB && info.nbye <= RTCP_MAX_BYE);
	if (info.cname != NULL)
		FUZZ_CHECK(fuzz_within(info.cname, info.cname_len, buf, len));
	if (info.reason != NULL)
		FUZZ_CHECK(fuzz_within(info.reason, info.reason_len, buf,
		    len));
}

/* Checks one unprotect result against what the input promised. */
static void
check_result(int rc, const uint8_t *out, size_t out_len, size_t in_len,
    const struct expect *ex)
{
	FUZZ_CHECK(rc == SRTPX_OK || rc == SRTPX_E_AUTH ||
	    rc == SRTPX_E_REPLAY || rc == SRTPX_E_OTHER);
	if (rc == SRTPX_OK)
		FUZZ_CHECK(out_len <= in_len);
	if (ex->forged)
		FUZZ_CHECK(rc != SRTPX_OK);
	if (ex->plain != NULL) {
		FUZZ_CHECK(rc == SRTPX_OK);
		FUZZ_CHECK(out_len == ex->plain_len);
		FUZZ_CHECK(memcmp(out, ex->plain, out_len) == 0);
	}
}

/*
 * The RTP half of rx: the admission context tries a copy, as rx_admit()
 * does for an SSRC it does not know, and the participant's own context
 * the datagram itself, as for one it knows.  The first holds no stream of
 * this SSRC and the second is new, both on the room key: they must agree.
 */
static void
rx_rtp(enum srtpx_suite suite, const uint8_t *pkt, size_t len,
    const struct expect *ex, bool twice, struct jbuf *jb)
{
	struct srtpx *admit = admit_ctx[suite], *in;
	struct rtp_rx rx;
	uint8_t *copy, *buf;
	uint32_t ssrc = fuzz_get32(pkt + 8);
	size_t clen = len, blen = len;
	int rc_admit, rc;

	memset(&rx, 0, sizeof(rx));
	in = ctx_new(suite, SRTPX_IN, ssrc);
	copy = fuzz_dup(pkt, len);
	rc_admit = srtpx_unprotect(admit, copy, &clen);
	check_result(rc_admit, copy, clen, len, ex);
	if (rc_admit == SRTPX_OK)
		srtpx_forget(admit, ssrc);
	buf = fuzz_dup(pkt, len);
	rc = srtpx_unprotect(in, buf, &blen);
	check_result(rc, buf, blen, len, ex);
	FUZZ_CHECK(rc == rc_admit);
	if (rc == SRTPX_OK) {
		FUZZ_CHECK(blen == clen && memcmp(buf, copy, blen) == 0);
		rx_media(buf, blen, &rx, jb);
	}
	if (twice) {
		/* The same datagram again, as a replaying attacker sends it. */
		memcpy(buf, pkt, len);
		blen = len;
		rc = srtpx_unprotect(in, buf, &blen);
		if (rc_admit == SRTPX_OK)
			FUZZ_CHECK(rc == SRTPX_E_REPLAY);
		if (rc == SRTPX_OK)
			rx_media(buf, blen, &rx, jb);
	}
	free(copy);
	free(buf);
	srtpx_free(in);
}

/* The RTCP half of rx_rtcp(): the sender's own context, by its SSRC. */
static void
rx_rtcp(enum srtpx_suite suite, const uint8_t *pkt, size_t len,
    const struct expect *ex, bool twice)
{
	struct srtpx *in;
	uint8_t *buf;
	size_t blen = len;
	int rc, rc2;

	in = ctx_new(suite, SRTPX_IN, fuzz_get32(pkt + 4));
	buf = fuzz_dup(pkt, len);
	rc = srtpx_unprotect_rtcp(in, buf, &blen);
	check_result(rc, buf, blen, len, ex);
	if (rc == SRTPX_OK)
		rx_control(buf, blen);
	if (twice) {
		memcpy(buf, pkt, len);
		blen = len;
		rc2 = srtpx_unprotect_rtcp(in, buf, &blen);
		if (rc == SRTPX_OK)
			FUZZ_CHECK(rc2 == SRTPX_E_REPLAY);
		if (rc2 == SRTPX_OK)
			rx_control(buf, blen);
	}
	free(buf);
	srtpx_free(in);
}

/*
 * Protects plain with the room key into out (which has room for the
 * trailer); returns the protected length, or 0 when libsrtp refuses it.
 */
static size_t
protect(enum srtpx_suite suite, bool rtcp, const uint8_t *plain, size_t len,
    uint8_t *out)
{
	struct srtpx *tx;
	size_t n = len;
	int rc;

	tx = ctx_new(suite, SRTPX_OUT, fuzz_get32(plain + (rtcp ? 4 : 8)));
	memcpy(out, plain, len);
	rc = rtcp ? srtpx_protect_rtcp(tx, out, &n) :
	    srtpx_protect(tx, out, &n);
	srtpx_free(tx);
	if (rc != SRTPX_OK)
		return 0;
	FUZZ_CHECK(n > len && n <= len + SRTPX_RTCP_TRAILER);
	return n;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK(srtpx_init() == 0);
	admit_ctx[SRTPX_AES_CM_128_HMAC_SHA1_80] = ctx_new(
	    SRTPX_AES_CM_128_HMAC_SHA1_80, SRTPX_IN_ANY, 0);
	admit_ctx[SRTPX_AEAD_AES_128_GCM] = ctx_new(SRTPX_AEAD_AES_128_GCM,
	    SRTPX_IN_ANY, 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct expect ex = { NULL, 0, false };
	enum srtpx_suite suite;
	struct jbuf *jb;
	const uint8_t *pkt, *plain;
	uint8_t mode, pos, cut, *prot = NULL;
	size_t len, plen, at;
	bool rtcp;

	mode = fuzz_u8(&in);
	pos = fuzz_u8(&in);
	cut = fuzz_u8(&in);
	pkt = in.p;
	len = in.len;
	suite = mode & MODE_GCM ? SRTPX_AEAD_AES_128_GCM :
	    SRTPX_AES_CM_128_HMAC_SHA1_80;
	rtcp = rtp_is_rtcp(pkt, len);
	if ((mode & MODE_PROTECT) && len >= (rtcp ? 8 : RTP_HDR_LEN) &&
	    len <= CONFD_PKT_MAX - SRTPX_RTCP_TRAILER) {
		plain = pkt;
		prot = malloc(len + SRTPX_RTCP_TRAILER);
		FUZZ_CHECK(prot != NULL);
		if ((plen = protect(suite, rtcp, plain, len, prot)) > 0) {
			ex.plain = plain;
			ex.plain_len = len;
			if (mode & MODE_FLIP) {
				at = (pos & 0x7f) % plen;
				if (pos & 0x80)
					at = plen - 1 - at;
				prot[at] ^= (uint8_t)(1 << (cut & 7));
				ex.forged = true;
			}
			if (mode & MODE_CUT) {
				plen -= 1 + cut % plen;
				ex.forged = true;
			}
			if (ex.forged)
				ex.plain = NULL;
			pkt = prot;
			len = plen;
		}
	}
	/*
	 * What rx_on_readable() lets through: no more than it reads, at
	 * least a fixed header, RTP version 2; then RTCP by its second byte.
	 */
	if (len > CONFD_PKT_MAX || len < RTP_HDR_LEN ||
	    pkt[0] >> 6 != RTP_VERSION) {
		free(prot);
		return 0;
	}
	/* A flipped bit may have turned RTP into RTCP or back. */
	if (rtp_is_rtcp(pkt, len))
		rx_rtcp(suite, pkt, len, &ex, mode & MODE_TWICE);
	else {
		FUZZ_CHECK((jb = jbuf_new(NULL)) != NULL);
		rx_rtp(suite, pkt, len, &ex, mode & MODE_TWICE, jb);
		jbuf_free(jb);
	}
	free(prot);
	return 0;
}
