/*
 * fuzz_rtcp: the compound RTCP parser (common/rtp.c) on arbitrary bytes.
 *
 * The input is one datagram after SRTCP.  What the parser extracts must
 * point inside it and respect its own limits; a compound that parses is
 * then written again with rtcp_write_sr(), rtcp_write_rr() or
 * rtcp_write_bye(), into a buffer exactly as large as the writer says it
 * needs, and the result must parse back to the same report.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rtp.h"

#define WRITE_MAX	2048	/* more than the largest compound written */

/* Checks what rtcp_parse() extracted against the datagram it read. */
static void
check_info(const uint8_t *buf, size_t len, const struct rtcp_info *info)
{
	size_t i;

	/* Lengths add up to the datagram, and each is a count of words. */
	FUZZ_CHECK(len >= 8 && len % 4 == 0);
	FUZZ_CHECK(buf[0] >> 6 == RTP_VERSION);
	FUZZ_CHECK(buf[1] == RTCP_SR || buf[1] == RTCP_RR);
	FUZZ_CHECK(rtp_is_rtcp(buf, len));
	FUZZ_CHECK(info->ssrc == fuzz_get32(buf + 4));
	FUZZ_CHECK(info->has_sr == (buf[1] == RTCP_SR));
	FUZZ_CHECK(!info->has_sr || info->sr.ssrc == info->ssrc);
	FUZZ_CHECK(info->nrb <= RTCP_MAX_RB);
	FUZZ_CHECK(info->nrb_dropped == 0 || info->nrb == RTCP_MAX_RB);
	for (i = 0; i < info->nrb; i++)
		FUZZ_CHECK(info->rb[i].lost >= -0x800000 &&
		    info->rb[i].lost <= 0x7fffff);
	FUZZ_CHECK(info->nbye <= RTCP_MAX_BYE);
	FUZZ_CHECK(info->nbye_dropped == 0 || info->nbye == RTCP_MAX_BYE);
	FUZZ_CHECK(info->has_bye || (info->nbye == 0 && info->reason == NULL));
	if (info->cname != NULL) {
		FUZZ_CHECK(info->cname_len <= 255);
		FUZZ_CHECK(fuzz_within(info->cname, info->cname_len, buf, len));
		fuzz_touch(info->cname, info->cname_len);
	} else
		FUZZ_CHECK(info->cname_len == 0);
	if (info->reason != NULL) {
		FUZZ_CHECK(info->reason_len >= 1 && info->reason_len <= 255);
		FUZZ_CHECK(fuzz_within(info->reason, info->reason_len, buf,
		    len));
		fuzz_touch(info->reason, info->reason_len);
	} else
		FUZZ_CHECK(info->reason_len == 0);
}

/*
 * A C string of the bytes of an SDES or BYE text, which may hold NULs
 * that the writers, taking C strings, cannot express.
 */
static void
text_of(const uint8_t *p, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = p[i] != 0 ? (char)p[i] : '?';
	out[len] = '\0';
}

/* Writes the report again into the smallest buffer that holds it. */
static size_t
rewrite(const struct rtcp_info *info, const char *cname, const char *reason,
    uint8_t *buf, size_t cap)
{
	if (info->has_bye)
		return rtcp_write_bye(buf, cap, info->ssrc, info->rb,
		    info->nrb, cname, reason);
	if (info->has_sr)
		return rtcp_write_sr(buf, cap, &info->sr, info->rb, info->nrb,
		    cname);
	return rtcp_write_rr(buf, cap, info->ssrc, info->rb, info->nrb,
	    cname);
}

/*
 * The round trip.  The writers put out one chunk of CNAME and at most one
 * BYE source, so only the first packet's report, its CNAME and the BYE
 * reason are compared; a BYE is written only for its sender, after an RR.
 */
static void
check_roundtrip(const struct rtcp_info *info)
{
	struct rtcp_info got;
	char cname[256], reason[256];
	uint8_t *big, *buf;
	size_t n, i, rlen;

	text_of(info->cname != NULL ? info->cname : (const uint8_t *)"",
	    info->cname_len, cname);
	text_of(info->reason != NULL ? info->reason : (const uint8_t *)"",
	    info->reason_len, reason);
	big = malloc(WRITE_MAX);
	FUZZ_CHECK(big != NULL);
	n = rewrite(info, cname, reason, big, WRITE_MAX);
	FUZZ_CHECK(n > 0 && n <= WRITE_MAX);
	free(big);
	buf = malloc(n);
	FUZZ_CHECK(buf != NULL);
	FUZZ_CHECK(rewrite(info, cname, reason, buf, n - 1) == 0);
	FUZZ_CHECK(rewrite(info, cname, reason, buf, n) == n);
	FUZZ_CHECK(rtcp_parse(buf, n, &got) == 0);
	check_info(buf, n, &got);
	/* rtcp_write_bye() reports with an RR, whatever came before. */
	FUZZ_CHECK(got.ssrc == info->ssrc);
	FUZZ_CHECK(got.has_sr == (info->has_sr && !info->has_bye));
	if (got.has_sr)
		FUZZ_CHECK(got.sr.ntp == info->sr.ntp &&
		    got.sr.rtp_ts == info->sr.rtp_ts &&
		    got.sr.packets == info->sr.packets &&
		    got.sr.octets == info->sr.octets);
	FUZZ_CHECK(got.nrb == info->nrb && got.nrb_dropped == 0);
	for (i = 0; i < info->nrb; i++) {
		const struct rtcp_rb *a = &info->rb[i], *b = &got.rb[i];

		FUZZ_CHECK(a->ssrc == b->ssrc && a->fraction == b->fraction &&
		    a->lost == b->lost && a->ext_seq == b->ext_seq &&
		    a->jitter == b->jitter && a->lsr == b->lsr &&
		    a->dlsr == b->dlsr);
	}
	FUZZ_CHECK(got.cname != NULL && got.cname_len == info->cname_len);
	FUZZ_CHECK(memcmp(got.cname, cname, got.cname_len) == 0);
	FUZZ_CHECK(got.has_bye == info->has_bye);
	if (info->has_bye) {
		FUZZ_CHECK(got.nbye == 1 && got.bye[0] == info->ssrc);
		rlen = strlen(reason);
		FUZZ_CHECK(got.reason_len == rlen);
		FUZZ_CHECK(rlen == 0 || memcmp(got.reason, reason, rlen) == 0);
	}
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtcp_info info;
	int rc;

	rc = rtcp_parse(data, size, &info);
	FUZZ_CHECK(rc == 0 || rc == EMSGSIZE || rc == EINVAL);
	if (rc != 0)
		return 0;
	check_info(data, size, &info);
	check_roundtrip(&info);
	return 0;
}
