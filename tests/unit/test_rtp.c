/* Unit tests of rtp: exact RTP and RTCP byte arrays, round trips, seq. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rtp.h"

/*
 * Parsers get an exact-size heap copy, so that under ASan a read one byte
 * past the end is reported rather than landing in the rest of an array.
 */
static uint8_t *
dup_exact(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p != NULL && len > 0)
		memcpy(p, src, len);
	return p;
}

/* Walks an extension, checking every element lies inside the buffer. */
static int
ext_count(const struct rtp_hdr *h, const uint8_t *buf, size_t len)
{
	struct rtp_ext_iter it;
	struct rtp_ext_elem e;
	int n = 0;

	rtp_ext_iter_init(&it, h);
	while (rtp_ext_next(&it, &e)) {
		if (e.data < buf || e.data + e.len > buf + len)
			return -1;
		n++;
	}
	return n;
}

/* V=2, PT 96, seq 0x1234, ts 1000, SSRC 0xdeadbeef, 3 payload bytes. */
static const uint8_t pkt_min[] = {
	0x80, 0x60, 0x12, 0x34, 0x00, 0x00, 0x03, 0xe8,
	0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03,
};

/* Two CSRCs, one-byte extension (level and a 3-byte element), payload. */
static const uint8_t pkt_full[] = {
	0x92, 0x6f, 0x00, 0x07, 0x00, 0x00, 0x00, 0xa0,
	0x12, 0x34, 0x56, 0x78, 0x11, 0x11, 0x11, 0x11,
	0x22, 0x22, 0x22, 0x22, 0xbe, 0xde, 0x00, 0x02,
	0x10, 0xaa, 0x00, 0x22, 0x01, 0x02, 0x03, 0x00,
	0xfc, 0xff,
};
#define PKT_FULL_HDR	32

/* The SR + SDES CNAME "alice" compound of test_rtcp_sr_sdes. */
static const uint8_t rtcp_sr[] = {
	0x81, 0xc8, 0x00, 0x0c, 0x11, 0x22, 0x33, 0x44,
	0xe1, 0xa2, 0xb3, 0xc4, 0x80, 0x00, 0x00, 0x00,
	0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x00, 0x64,
	0x00, 0x00, 0x3e, 0x80,
	0x55, 0x66, 0x77, 0x88, 0x40, 0x00, 0x00, 0x05,
	0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x20,
	0xa2, 0xb3, 0xc4, 0x80, 0x00, 0x01, 0x00, 0x00,
	0x81, 0xca, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44,
	0x01, 0x05, 'a', 'l', 'i', 'c', 'e', 0x00,
};
#define RTCP_SR_LEN	52	/* the SR alone */

static void
test_rtp_minimal(void)
{
	uint8_t m[sizeof(pkt_min)];
	struct rtp_hdr h;

	CHECK_INT(rtp_parse(pkt_min, sizeof(pkt_min), &h), ==, 0);
	CHECK(!h.padding && !h.marker && !h.has_ext);
	CHECK_INT(h.pt, ==, 96);
	CHECK_INT(h.seq, ==, 0x1234);
	CHECK_INT(h.ts, ==, 1000);
	CHECK_INT(h.ssrc, ==, 0xdeadbeef);
	CHECK_INT(h.cc, ==, 0);
	CHECK(h.payload == pkt_min + 12);
	CHECK_INT(h.payload_len, ==, 3);
	memcpy(m, pkt_min, sizeof(m));
	m[1] = 0xe0;
	CHECK_INT(rtp_parse(m, sizeof(m), &h), ==, 0);
	CHECK(h.marker);
	CHECK_INT(h.pt, ==, 96);
	/* A bare header is a packet with an empty payload, not an error. */
	CHECK_INT(rtp_parse(pkt_min, 12, &h), ==, 0);
	CHECK_INT(h.payload_len, ==, 0);
	CHECK(h.payload == pkt_min + 12);
}

static void
test_rtp_csrc(void)
{
	static const uint8_t p[] = {
		0x82, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x00, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
		0x22, 0x22, 0x22, 0x22, 0xaa,
	};
	/* The count says 15 CSRCs (60 bytes) but 9 bytes follow. */
	static const uint8_t past[] = {
		0x8f, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x00, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11,
		0x22, 0x22, 0x22, 0x22, 0xaa,
	};
	struct rtp_hdr h;

	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, 0);
	CHECK_INT(h.pt, ==, 8);
	CHECK_INT(h.cc, ==, 2);
	CHECK_INT(h.csrc[0], ==, 0x11111111);
	CHECK_INT(h.csrc[1], ==, 0x22222222);
	CHECK(h.payload == p + 20);
	CHECK_INT(h.payload_len, ==, 1);
	CHECK_INT(rtp_parse(past, sizeof(past), &h), ==, EMSGSIZE);
	/* Two CSRCs need 20 bytes; the last one is one byte short. */
	CHECK_INT(rtp_parse(p, 19, &h), ==, EMSGSIZE);
}

static void
test_rtp_bad_version(void)
{
	uint8_t m[sizeof(pkt_min)];
	struct rtp_hdr h;
	int v;

	memcpy(m, pkt_min, sizeof(m));
	for (v = 0; v < 4; v++) {
		if (v == 2)
			continue;
		m[0] = (uint8_t)(v << 6);
		CHECK_INT(rtp_parse(m, sizeof(m), &h), ==, EINVAL);
	}
}

static void
test_rtp_ext_onebyte(void)
{
	struct rtp_ext_iter it;
	struct rtp_ext_elem e;
	struct rtp_level lvl;
	struct rtp_hdr h;

	CHECK_INT(rtp_parse(pkt_full, sizeof(pkt_full), &h), ==, 0);
	CHECK(h.has_ext);
	CHECK_INT(h.ext_profile, ==, 0xbede);
	CHECK(h.ext == pkt_full + 24);
	CHECK_INT(h.ext_len, ==, 8);
	CHECK(h.payload == pkt_full + PKT_FULL_HDR);
	CHECK_INT(h.payload_len, ==, 2);
	rtp_ext_iter_init(&it, &h);
	CHECK(rtp_ext_next(&it, &e));
	CHECK_INT(e.id, ==, 1);
	CHECK_INT(e.len, ==, 1);
	CHECK_INT(e.data[0], ==, 0xaa);
	/* The zero byte between the elements is padding, skipped. */
	CHECK(rtp_ext_next(&it, &e));
	CHECK_INT(e.id, ==, 2);
	CHECK_INT(e.len, ==, 3);
	CHECK(memcmp(e.data, "\x01\x02\x03", 3) == 0);
	CHECK(!rtp_ext_next(&it, &e));
	CHECK(!rtp_ext_next(&it, &e));

	CHECK_INT(rtp_ext_level(&h, 1, &lvl), ==, 0);
	CHECK_INT(lvl.level, ==, 42);
	CHECK(lvl.vad);
	CHECK_INT(lvl.id, ==, 1);
	/* Element 2 is three bytes long, so it is no audio level. */
	CHECK_INT(rtp_ext_level(&h, 2, &lvl), ==, ENOENT);
	CHECK_INT(rtp_ext_level(&h, 3, &lvl), ==, ENOENT);
	CHECK_INT(rtp_ext_find(&h, 2, &e), ==, 0);
	CHECK_INT(e.len, ==, 3);
	CHECK_INT(rtp_ext_find(&h, 0, &e), ==, ENOENT);
	CHECK_INT(rtp_ext_find(&h, 15, &e), ==, ENOENT);
	/* Without the extension bit there is nothing to find. */
	CHECK_INT(rtp_parse(pkt_min, sizeof(pkt_min), &h), ==, 0);
	CHECK_INT(rtp_ext_level(&h, 1, &lvl), ==, ENOENT);
}

static void
test_rtp_ext_twobyte(void)
{
	uint8_t p[] = {
		0x90, 0x6f, 0x00, 0x07, 0x00, 0x00, 0x00, 0xa0,
		0x12, 0x34, 0x56, 0x78, 0x10, 0x00, 0x00, 0x02,
		0x01, 0x01, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00,
		0xfc,
	};
	struct rtp_ext_iter it;
	struct rtp_ext_elem e;
	struct rtp_level lvl;
	struct rtp_hdr h;

	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, 0);
	CHECK_INT(h.ext_profile, ==, 0x1000);
	CHECK_INT(h.payload_len, ==, 1);
	CHECK_INT(h.payload[0], ==, 0xfc);
	rtp_ext_iter_init(&it, &h);
	CHECK(rtp_ext_next(&it, &e));
	CHECK_INT(e.id, ==, 1);
	CHECK_INT(e.len, ==, 1);
	CHECK(rtp_ext_next(&it, &e));
	CHECK_INT(e.id, ==, 7);
	CHECK_INT(e.len, ==, 0);
	CHECK(!rtp_ext_next(&it, &e));
	CHECK_INT(rtp_ext_level(&h, 1, &lvl), ==, 0);
	CHECK_INT(lvl.level, ==, 5);
	CHECK(!lvl.vad);
	CHECK_INT(rtp_ext_level(&h, 7, &lvl), ==, ENOENT);

	/* The low four bits of 0x100X are application bits. */
	p[13] = 0x03;
	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, 0);
	CHECK_INT(rtp_ext_level(&h, 1, &lvl), ==, 0);
	CHECK_INT(lvl.level, ==, 5);
	/* An unknown profile yields no elements at all. */
	p[12] = 0x12;
	p[13] = 0x34;
	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, 0);
	CHECK_INT(ext_count(&h, p, sizeof(p)), ==, 0);
	CHECK_INT(rtp_ext_level(&h, 1, &lvl), ==, ENOENT);
}

/* Parses a header with the 4-word extension ext and counts its elements. */
static int
ext_case(const uint8_t ext[8], uint8_t id, struct rtp_level *lvl, int *n)
{
	uint8_t p[20] = { 0x90, 0x6f, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 };
	struct rtp_hdr h;
	uint8_t *q;
	int rc;

	memcpy(p + 12, ext, 8);
	if ((q = dup_exact(p, sizeof(p))) == NULL)
		return -1;
	if (rtp_parse(q, sizeof(p), &h) != 0) {
		free(q);
		return -1;
	}
	*n = ext_count(&h, q, sizeof(p));
	rc = rtp_ext_level(&h, id, lvl);
	free(q);
	return rc;
}

static void
test_rtp_ext_malformed(void)
{
	struct rtp_level lvl;
	int n;

	/* Element 2 claims 4 bytes with 1 left: element 1 still counts. */
	CHECK_INT(ext_case((const uint8_t *)"\xbe\xde\x00\x01\x10\x7f\x23\x01",
	    1, &lvl, &n), ==, 0);
	CHECK_INT(n, ==, 1);
	CHECK_INT(lvl.level, ==, 127);
	CHECK(!lvl.vad);
	CHECK_INT(ext_case((const uint8_t *)"\xbe\xde\x00\x01\x10\x7f\x23\x01",
	    2, &lvl, &n), ==, ENOENT);
	/* Id 15 ends the walk; the level after it is not looked at. */
	CHECK_INT(ext_case((const uint8_t *)"\xbe\xde\x00\x01\xf0\x10\x55\x00",
	    1, &lvl, &n), ==, ENOENT);
	CHECK_INT(n, ==, 0);
	/* Id 0 with a length is neither padding nor an element. */
	CHECK_INT(ext_case((const uint8_t *)"\xbe\xde\x00\x01\x01\x10\x55\x00",
	    1, &lvl, &n), ==, ENOENT);
	CHECK_INT(n, ==, 0);
	/* One byte too long, in either form. */
	CHECK_INT(ext_case((const uint8_t *)"\xbe\xde\x00\x01\x13\x01\x02\x03",
	    1, &lvl, &n), ==, ENOENT);
	CHECK_INT(n, ==, 0);
	CHECK_INT(ext_case((const uint8_t *)"\x10\x00\x00\x01\x01\x03\x02\x03",
	    1, &lvl, &n), ==, ENOENT);
	CHECK_INT(n, ==, 0);
	CHECK_INT(ext_case((const uint8_t *)"\x10\x00\x00\x01\x01\x02\x02\x03",
	    1, &lvl, &n), ==, ENOENT);
	CHECK_INT(n, ==, 1);
	/* A two-byte level of length 5 at the end of the extension. */
	CHECK_INT(ext_case((const uint8_t *)"\x10\x00\x00\x01\x01\x05\x00\x00",
	    1, &lvl, &n), ==, ENOENT);
	CHECK_INT(n, ==, 0);
	/* A two-byte id in the last byte, with no room for its length. */
	CHECK_INT(ext_case((const uint8_t *)"\x10\x00\x00\x01\x00\x00\x00\x03",
	    3, &lvl, &n), ==, ENOENT);
	CHECK_INT(n, ==, 0);
	/* A level must be exactly one byte. */
	CHECK_INT(ext_case((const uint8_t *)"\xbe\xde\x00\x01\x11\x80\x00\x00",
	    1, &lvl, &n), ==, ENOENT);
	CHECK_INT(n, ==, 1);
}

static void
test_rtp_ext_past_end(void)
{
	static const uint8_t p[] = {
		0x90, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x00, 0x00, 0x03, 0xbe, 0xde, 0x00, 0x03,
		0x10, 0xaa, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	struct rtp_hdr h;

	/* Three words of extension announced, two present. */
	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, EMSGSIZE);
	/* The X bit with no room for the extension header. */
	CHECK_INT(rtp_parse(p, 14, &h), ==, EMSGSIZE);
	CHECK_INT(rtp_parse(p, 15, &h), ==, EMSGSIZE);
}

static void
test_rtp_padding(void)
{
	uint8_t p[] = {
		0xa0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03, 0x00,
		0x00, 0x03,
	};
	/* An extension, then two bytes of payload room: 3 is too many. */
	static const uint8_t q[] = {
		0xb0, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x00, 0x00, 0x03, 0xbe, 0xde, 0x00, 0x01,
		0x10, 0xaa, 0x00, 0x00, 0x01, 0x03,
	};
	struct rtp_hdr h;

	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, 0);
	CHECK(h.padding);
	CHECK_INT(h.padlen, ==, 3);
	CHECK_INT(h.payload_len, ==, 3);
	CHECK(memcmp(h.payload, "\x01\x02\x03", 3) == 0);
	/* Padding may take the whole payload. */
	p[17] = 6;
	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, 0);
	CHECK_INT(h.payload_len, ==, 0);
	p[17] = 7;
	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, EMSGSIZE);
	p[17] = 255;
	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, EMSGSIZE);
	p[17] = 0;
	CHECK_INT(rtp_parse(p, sizeof(p), &h), ==, EINVAL);
	/* The P bit on a bare header: there is no count byte. */
	CHECK_INT(rtp_parse(p, 12, &h), ==, EMSGSIZE);
	p[11] = 0;
	CHECK_INT(rtp_parse(p, 12, &h), ==, EMSGSIZE);
	/* Padding never eats into the extension before the payload. */
	CHECK_INT(rtp_parse(q, sizeof(q), &h), ==, EMSGSIZE);
	CHECK_INT(rtp_parse(q, sizeof(q) - 1, &h), ==, 0);
	CHECK_INT(h.payload_len, ==, 0);
}

/* Every prefix of a packet shorter than its header fails; longer ones hold. */
static void
test_rtp_truncated(void)
{
	struct rtp_hdr h;
	uint8_t *q;
	size_t i;
	int rc, n;

	for (i = 0; i <= sizeof(pkt_full); i++) {
		if ((q = dup_exact(pkt_full, i)) == NULL)
			CHECK(!"out of memory");
		rc = rtp_parse(q, i, &h);
		n = rc == 0 ? ext_count(&h, q, i) : 0;
		free(q);
		if (i < PKT_FULL_HDR) {
			CHECK_INT(rc, !=, 0);
			continue;
		}
		CHECK_INT(rc, ==, 0);
		CHECK_INT(n, ==, 2);
		CHECK_INT(h.payload_len, ==, i - PKT_FULL_HDR);
	}
}

static void
test_rtp_write_roundtrip(void)
{
	static const uint8_t want[] = {
		0x90, 0xef, 0xff, 0xfe, 0x01, 0x02, 0x03, 0x04,
		0xca, 0xfe, 0xba, 0xbe, 0xbe, 0xde, 0x00, 0x01,
		0x30, 0x9e, 0x00, 0x00,
	};
	struct rtp_level lvl = { 3, 30, true }, got;
	struct rtp_hdr h, r;
	uint8_t buf[64];
	size_t n;

	memset(&h, 0, sizeof(h));
	h.marker = true;
	h.pt = 111;
	h.seq = 0xfffe;
	h.ts = 0x01020304;
	h.ssrc = 0xcafebabe;
	n = rtp_write(buf, sizeof(buf), &h, &lvl);
	CHECK_INT(n, ==, sizeof(want));
	CHECK_INT(n, ==, RTP_HDR_LEN + RTP_LEVEL_EXT_LEN);
	CHECK(memcmp(buf, want, n) == 0);
	memcpy(buf + n, "opus", 4);
	CHECK_INT(rtp_parse(buf, n + 4, &r), ==, 0);
	CHECK(r.marker);
	CHECK_INT(r.pt, ==, 111);
	CHECK_INT(r.seq, ==, 0xfffe);
	CHECK_INT(r.ts, ==, 0x01020304);
	CHECK_INT(r.ssrc, ==, 0xcafebabe);
	CHECK_INT(r.payload_len, ==, 4);
	CHECK(memcmp(r.payload, "opus", 4) == 0);
	CHECK_INT(rtp_ext_level(&r, 3, &got), ==, 0);
	CHECK_INT(got.level, ==, 30);
	CHECK(got.vad);

	h.marker = false;
	CHECK_INT(rtp_write(buf, sizeof(buf), &h, NULL), ==, 12);
	CHECK(memcmp(buf, "\x80\x6f\xff\xfe", 4) == 0);
	CHECK_INT(rtp_parse(buf, 12, &r), ==, 0);
	CHECK(!r.has_ext && !r.marker);

	/* Capacity and argument checks. */
	CHECK_INT(rtp_write(buf, 19, &h, &lvl), ==, 0);
	CHECK_INT(rtp_write(buf, 11, &h, NULL), ==, 0);
	CHECK_INT(rtp_write(buf, 12, &h, NULL), ==, 12);
	lvl.id = 15;
	CHECK_INT(rtp_write(buf, sizeof(buf), &h, &lvl), ==, 0);
	lvl.id = 0;
	CHECK_INT(rtp_write(buf, sizeof(buf), &h, &lvl), ==, 0);
	lvl.id = 14;
	lvl.level = 128;
	CHECK_INT(rtp_write(buf, sizeof(buf), &h, &lvl), ==, 0);
	h.pt = 128;
	CHECK_INT(rtp_write(buf, sizeof(buf), &h, NULL), ==, 0);
}

static void
test_rtp_is_rtcp(void)
{
	CHECK(rtp_is_rtcp((const uint8_t *)"\x80\xc8", 2));
	CHECK(rtp_is_rtcp((const uint8_t *)"\x80\xc0", 2));
	CHECK(rtp_is_rtcp((const uint8_t *)"\x81\xdf", 2));
	CHECK(!rtp_is_rtcp((const uint8_t *)"\x80\xbf", 2));
	CHECK(!rtp_is_rtcp((const uint8_t *)"\x80\xe0", 2));
	CHECK(!rtp_is_rtcp((const uint8_t *)"\x80\x60", 2));
	CHECK(!rtp_is_rtcp((const uint8_t *)"\x80\xc8", 1));
	CHECK(!rtp_is_rtcp(NULL, 0));
	CHECK(rtp_is_rtcp(rtcp_sr, sizeof(rtcp_sr)));
	CHECK(!rtp_is_rtcp(pkt_min, sizeof(pkt_min)));
}

/* Parses an exact-size heap copy of an RTCP test array. */
static int
rtcp_try(const uint8_t *p, size_t len)
{
	struct rtcp_info in;
	uint8_t *q;
	int rc;

	if ((q = dup_exact(p, len)) == NULL)
		return -1;
	rc = rtcp_parse(q, len, &in);
	free(q);
	return rc;
}

#define RTCP_TRY(arr)	rtcp_try((arr), sizeof(arr))

static void
test_rtcp_sr_sdes(void)
{
	/* RR from 1; SDES of 2 (CNAME "bob"), then of 1 (NAME "A", CNAME). */
	static const uint8_t two_chunks[] = {
		0x80, 0xc9, 0x00, 0x01, 0, 0, 0, 1,
		0x82, 0xca, 0x00, 0x06, 0, 0, 0, 2, 0x01, 0x03, 'b', 'o',
		'b', 0, 0, 0, 0, 0, 0, 1, 0x02, 0x01, 'A', 0x01,
		0x02, 'a', 'l', 0,
	};
	struct rtcp_info in;

	CHECK_INT(rtcp_parse(rtcp_sr, sizeof(rtcp_sr), &in), ==, 0);
	CHECK_INT(in.ssrc, ==, 0x11223344);
	CHECK(in.has_sr);
	CHECK_INT(in.sr.ssrc, ==, 0x11223344);
	CHECK(in.sr.ntp == 0xe1a2b3c480000000ULL);
	CHECK_INT(in.sr.rtp_ts, ==, 123456);
	CHECK_INT(in.sr.packets, ==, 100);
	CHECK_INT(in.sr.octets, ==, 16000);
	CHECK_INT(in.nrb, ==, 1);
	CHECK_INT(in.rb[0].ssrc, ==, 0x55667788);
	CHECK_INT(in.rb[0].fraction, ==, 64);
	CHECK_INT(in.rb[0].lost, ==, 5);
	CHECK_INT(in.rb[0].ext_seq, ==, 65546);
	CHECK_INT(in.rb[0].jitter, ==, 32);
	CHECK_INT(in.rb[0].lsr, ==, 0xa2b3c480);
	CHECK_INT(in.rb[0].dlsr, ==, 65536);
	CHECK_INT(in.cname_len, ==, 5);
	CHECK(in.cname != NULL && memcmp(in.cname, "alice", 5) == 0);
	CHECK(!in.has_bye);
	CHECK_INT(in.nbye, ==, 0);

	/* The CNAME is the one of the reporter's chunk, not the first. */
	CHECK_INT(RTCP_TRY(two_chunks), ==, 0);
	CHECK_INT(rtcp_parse(two_chunks, sizeof(two_chunks), &in), ==, 0);
	CHECK_INT(in.cname_len, ==, 2);
	CHECK(memcmp(in.cname, "al", 2) == 0);
}

static void
test_rtcp_rr_two_blocks(void)
{
	static const uint8_t p[] = {
		0x82, 0xc9, 0x00, 0x0d, 0xaa, 0xbb, 0xcc, 0xdd,
		0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff,
		0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x05, 0x06, 0x07, 0x08, 0x00, 0x80, 0x00, 0x00,
		0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x80, 0x00,
	};
	struct rtcp_info in;

	CHECK_INT(rtcp_parse(p, sizeof(p), &in), ==, 0);
	CHECK(!in.has_sr);
	CHECK_INT(in.ssrc, ==, 0xaabbccdd);
	CHECK_INT(in.nrb, ==, 2);
	CHECK_INT(in.rb[0].ssrc, ==, 0x01020304);
	CHECK_INT(in.rb[0].fraction, ==, 255);
	CHECK_INT(in.rb[0].lost, ==, -1);
	CHECK_INT(in.rb[0].ext_seq, ==, 0x00020003);
	CHECK_INT(in.rb[0].jitter, ==, 16);
	CHECK_INT(in.rb[1].ssrc, ==, 0x05060708);
	CHECK_INT(in.rb[1].fraction, ==, 0);
	CHECK_INT(in.rb[1].lost, ==, -8388608);
	CHECK_INT(in.rb[1].ext_seq, ==, 0xffff);
	CHECK_INT(in.rb[1].lsr, ==, 0x12345678);
	CHECK_INT(in.rb[1].dlsr, ==, 0x8000);
	CHECK(in.cname == NULL);
}

static void
test_rtcp_bye(void)
{
	static const uint8_t p[] = {
		0x80, 0xc9, 0x00, 0x01, 0x0a, 0x0b, 0x0c, 0x0d,
		0x82, 0xcb, 0x00, 0x03, 0x0a, 0x0b, 0x0c, 0x0d,
		0x01, 0x02, 0x03, 0x04, 0x03, 'b', 'y', 'e',
	};
	/* The last packet padded by one word. */
	static const uint8_t padded[] = {
		0x80, 0xc9, 0x00, 0x01, 0x0a, 0x0b, 0x0c, 0x0d,
		0xa1, 0xcb, 0x00, 0x02, 0x0a, 0x0b, 0x0c, 0x0d,
		0x00, 0x00, 0x00, 0x04,
	};
	uint8_t unpadded[sizeof(padded)];
	struct rtcp_info in;

	CHECK_INT(rtcp_parse(p, sizeof(p), &in), ==, 0);
	CHECK_INT(in.ssrc, ==, 0x0a0b0c0d);
	CHECK_INT(in.nrb, ==, 0);
	CHECK(in.has_bye);
	CHECK_INT(in.nbye, ==, 2);
	CHECK_INT(in.bye[0], ==, 0x0a0b0c0d);
	CHECK_INT(in.bye[1], ==, 0x01020304);
	CHECK_INT(in.reason_len, ==, 3);
	CHECK(in.reason != NULL && memcmp(in.reason, "bye", 3) == 0);

	CHECK_INT(rtcp_parse(padded, sizeof(padded), &in), ==, 0);
	CHECK(in.has_bye);
	CHECK_INT(in.nbye, ==, 1);
	CHECK(in.reason == NULL);
	/* Without padding, the same zero bytes are an empty reason. */
	memcpy(unpadded, padded, sizeof(unpadded));
	unpadded[8] = 0x81;
	CHECK_INT(rtcp_parse(unpadded, sizeof(unpadded), &in), ==, 0);
	CHECK_INT(in.nbye, ==, 1);
	CHECK(in.reason == NULL);
}

static void
test_rtcp_invalid(void)
{
	static const uint8_t rr[] = { 0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4 };
	static const uint8_t rr_long[] = { 0x80, 0xc9, 0x00, 0x02, 1, 2, 3, 4 };
	static const uint8_t trail[] = {
		0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4, 0x80, 0xca, 0x00, 0x01,
	};
	static const uint8_t sdes_first[] = {
		0x81, 0xca, 0x00, 0x02, 1, 2, 3, 4, 0x01, 0x01, 'x', 0x00,
	};
	static const uint8_t bye_first[] = { 0x81, 0xcb, 0, 1, 1, 2, 3, 4 };
	static const uint8_t ver1[] = { 0x40, 0xc9, 0x00, 0x01, 1, 2, 3, 4 };
	static const uint8_t ver_second[] = {
		0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4, 0xc0, 0xcb, 0x00, 0x00,
	};
	static const uint8_t pad_first[] = {
		0xa0, 0xc9, 0x00, 0x02, 1, 2, 3, 4, 0, 0, 0, 4,
		0x81, 0xcb, 0x00, 0x01, 1, 2, 3, 4,
	};
	static const uint8_t pad_zero[] = {
		0xa0, 0xc9, 0x00, 0x02, 1, 2, 3, 4, 0, 0, 0, 0,
	};
	static const uint8_t pad_big[] = {
		0xa0, 0xc9, 0x00, 0x02, 1, 2, 3, 4, 0, 0, 0, 9,
	};
	static const uint8_t rc_past[] = { 0x81, 0xc9, 0x00, 0x01, 1, 2, 3, 4 };
	static const uint8_t sr_short[] = { 0x80, 0xc8, 0, 1, 1, 2, 3, 4 };
	static const uint8_t bye_sc_past[] = {
		0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
		0x83, 0xcb, 0x00, 0x02, 1, 2, 3, 4, 5, 6, 7, 8,
	};
	static const uint8_t rc_by_one[] = {
		0x81, 0xc9, 0x00, 0x06, 1, 2, 3, 4,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t bye_reason_by_one[] = {
		0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
		0x81, 0xcb, 0x00, 0x02, 1, 2, 3, 4, 4, 'a', 'b', 'c',
	};
	static const uint8_t bye_reason_past[] = {
		0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
		0x81, 0xcb, 0x00, 0x02, 1, 2, 3, 4, 9, 'a', 'b', 'c',
	};
	static const uint8_t sdes_unterminated[] = {
		0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
		0x81, 0xca, 0x00, 0x02, 1, 2, 3, 4, 0x01, 0x02, 'a', 'b',
	};
	static const uint8_t sdes_item_past[] = {
		0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
		0x81, 0xca, 0x00, 0x02, 1, 2, 3, 4, 0x01, 0x09, 'a', 0,
	};
	/* The chunk's zero bytes would run into the packet's padding. */
	static const uint8_t sdes_align_past[] = {
		0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
		0xa1, 0xca, 0x00, 0x03, 1, 2, 3, 4, 0x01, 0x02, 'a', 'b',
		0, 0, 0, 1,
	};
	static const uint8_t sdes_chunks_past[] = {
		0x80, 0xc9, 0x00, 0x01, 1, 2, 3, 4,
		0x82, 0xca, 0x00, 0x02, 1, 2, 3, 4, 0x01, 0x01, 'a', 0,
	};

	CHECK_INT(RTCP_TRY(rr), ==, 0);
	CHECK_INT(rtcp_try(rr, 0), ==, EMSGSIZE);
	CHECK_INT(rtcp_try(rr, 3), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(rr_long), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(trail), ==, EMSGSIZE);
	CHECK_INT(rtcp_try(trail, 10), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(sdes_first), ==, EINVAL);
	CHECK_INT(RTCP_TRY(bye_first), ==, EINVAL);
	CHECK_INT(RTCP_TRY(ver1), ==, EINVAL);
	CHECK_INT(RTCP_TRY(ver_second), ==, EINVAL);
	CHECK_INT(RTCP_TRY(pad_first), ==, EINVAL);
	CHECK_INT(RTCP_TRY(pad_zero), ==, EINVAL);
	CHECK_INT(RTCP_TRY(pad_big), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(rc_past), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(sr_short), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(bye_sc_past), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(bye_reason_past), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(bye_reason_by_one), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(rc_by_one), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(sdes_unterminated), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(sdes_item_past), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(sdes_chunks_past), ==, EMSGSIZE);
	CHECK_INT(RTCP_TRY(sdes_align_past), ==, EMSGSIZE);
}

/* Only the prefix that ends exactly after the SR is itself a compound. */
static void
test_rtcp_truncated(void)
{
	size_t i;

	for (i = 0; i < sizeof(rtcp_sr); i++) {
		if (i == RTCP_SR_LEN)
			CHECK_INT(rtcp_try(rtcp_sr, i), ==, 0);
		else
			CHECK_INT(rtcp_try(rtcp_sr, i), !=, 0);
	}
	CHECK_INT(rtcp_try(rtcp_sr, sizeof(rtcp_sr)), ==, 0);
}

static void
test_rtcp_write_sr(void)
{
	struct rtcp_sender s = { 0x11223344, 0xe1a2b3c480000000ULL, 123456,
	    100, 16000 };
	struct rtcp_rb rb = { 0x55667788, 64, 5, 65546, 32, 0xa2b3c480,
	    65536 };
	uint8_t buf[128];
	size_t i, n;

	/* The writer produces the very bytes the parser test reads. */
	n = rtcp_write_sr(buf, sizeof(buf), &s, &rb, 1, "alice");
	CHECK_INT(n, ==, sizeof(rtcp_sr));
	CHECK(memcmp(buf, rtcp_sr, n) == 0);
	for (i = 0; i < sizeof(rtcp_sr); i++)
		CHECK_INT(rtcp_write_sr(buf, i, &s, &rb, 1, "alice"), ==, 0);
	/* No blocks: SR 28 bytes, SDES 16. */
	CHECK_INT(rtcp_write_sr(buf, sizeof(buf), &s, NULL, 0, "alice"), ==,
	    44);
}

static void
test_rtcp_write_rr(void)
{
	struct rtcp_rb rb[2] = {
		{ 0x01020304, 12, -9000000, 0x00011234, 7, 0x11112222, 300 },
		{ 0x05060708, 255, 9000000, 0xffffffff, 0, 0, 0 },
	};
	struct rtcp_rb many[RTCP_MAX_RB + 1];
	struct rtcp_info in;
	char cname[257];
	uint8_t buf[2048];
	size_t n, m;

	n = rtcp_write_rr(buf, sizeof(buf), 0xfeedf00d, rb, 2, "bob@host");
	CHECK_INT(n, ==, 56 + 20);
	CHECK_INT(rtcp_parse(buf, n, &in), ==, 0);
	CHECK(!in.has_sr);
	CHECK_INT(in.ssrc, ==, 0xfeedf00d);
	CHECK_INT(in.nrb, ==, 2);
	CHECK_INT(in.rb[0].ssrc, ==, 0x01020304);
	CHECK_INT(in.rb[0].fraction, ==, 12);
	/* Out-of-range counts saturate at the 24-bit limits. */
	CHECK_INT(in.rb[0].lost, ==, -8388608);
	CHECK_INT(in.rb[1].lost, ==, 8388607);
	CHECK_INT(in.rb[0].ext_seq, ==, 0x00011234);
	CHECK_INT(in.rb[0].jitter, ==, 7);
	CHECK_INT(in.rb[0].lsr, ==, 0x11112222);
	CHECK_INT(in.rb[0].dlsr, ==, 300);
	CHECK_INT(in.rb[1].ext_seq, ==, 0xffffffff);
	CHECK_INT(in.cname_len, ==, 8);
	CHECK(memcmp(in.cname, "bob@host", 8) == 0);

	/* Blocks of a second RR in the compound count, up to the limit. */
	memset(many, 0, sizeof(many));
	n = rtcp_write_rr(buf, sizeof(buf), 1, many, RTCP_MAX_RB, "a");
	CHECK_INT(n, >, 0);
	m = rtcp_write_rr(buf + n, sizeof(buf) - n, 1, rb, 2, "a");
	CHECK_INT(m, >, 0);
	CHECK_INT(rtcp_parse(buf, n + m, &in), ==, 0);
	CHECK_INT(in.nrb, ==, RTCP_MAX_RB);
	CHECK_INT(in.nrb_dropped, ==, 2);

	/* Here the zero byte ending the chunk needs a word of its own. */
	n = rtcp_write_rr(buf, sizeof(buf), 1, NULL, 0, "ab");
	CHECK_INT(n, ==, 8 + 16);
	CHECK_INT(buf[20], ==, 0);
	CHECK_INT(rtcp_parse(buf, n, &in), ==, 0);
	CHECK_INT(in.cname_len, ==, 2);

	CHECK_INT(rtcp_write_rr(buf, sizeof(buf), 1, many, RTCP_MAX_RB + 1,
	    "a"), ==, 0);
	CHECK_INT(rtcp_write_rr(buf, sizeof(buf), 1, NULL, 0, NULL), ==, 0);
	memset(cname, 'c', sizeof(cname) - 1);
	cname[256] = '\0';
	CHECK_INT(rtcp_write_rr(buf, sizeof(buf), 1, NULL, 0, cname), ==, 0);
	cname[255] = '\0';
	n = rtcp_write_rr(buf, sizeof(buf), 1, NULL, 0, cname);
	/* RR 8; SDES header, SSRC, item 2 + 255, zero byte, 2 to align. */
	CHECK_INT(n, ==, 8 + 4 + 4 + 257 + 1 + 2);
	CHECK_INT(rtcp_parse(buf, n, &in), ==, 0);
	CHECK_INT(in.cname_len, ==, 255);
}

static void
test_rtcp_write_bye(void)
{
	static const uint8_t want[] = {
		0x80, 0xc9, 0x00, 0x01, 0xab, 0xcd, 0xef, 0x01,
		0x81, 0xca, 0x00, 0x02, 0xab, 0xcd, 0xef, 0x01,
		0x01, 0x01, 'x', 0x00,
		0x81, 0xcb, 0x00, 0x01, 0xab, 0xcd, 0xef, 0x01,
	};
	struct rtcp_rb rb = { 0x01020304, 1, 2, 3, 4, 5, 6 };
	struct rtcp_info in;
	char reason[257];
	uint8_t buf[512];
	size_t i, n;

	n = rtcp_write_bye(buf, sizeof(buf), 0xabcdef01, NULL, 0, "x", NULL);
	CHECK_INT(n, ==, sizeof(want));
	CHECK(memcmp(buf, want, n) == 0);

	n = rtcp_write_bye(buf, sizeof(buf), 0xabcdef01, &rb, 1, "x",
	    "session ended");
	CHECK_INT(n, ==, 32 + 12 + 8 + 16);
	CHECK_INT(rtcp_parse(buf, n, &in), ==, 0);
	CHECK_INT(in.ssrc, ==, 0xabcdef01);
	CHECK_INT(in.nrb, ==, 1);
	CHECK_INT(in.rb[0].dlsr, ==, 6);
	CHECK(in.has_bye);
	CHECK_INT(in.nbye, ==, 1);
	CHECK_INT(in.bye[0], ==, 0xabcdef01);
	CHECK_INT(in.reason_len, ==, 13);
	CHECK(memcmp(in.reason, "session ended", 13) == 0);
	for (i = 0; i < n; i++)
		CHECK_INT(rtcp_write_bye(buf, i, 0xabcdef01, &rb, 1, "x",
		    "session ended"), ==, 0);

	memset(reason, 'r', sizeof(reason) - 1);
	reason[256] = '\0';
	CHECK_INT(rtcp_write_bye(buf, sizeof(buf), 1, NULL, 0, "x", reason), ==,
	    0);
	reason[255] = '\0';
	n = rtcp_write_bye(buf, sizeof(buf), 1, NULL, 0, "x", reason);
	CHECK_INT(n, >, 0);
	CHECK_INT(rtcp_parse(buf, n, &in), ==, 0);
	CHECK_INT(in.reason_len, ==, 255);
}

static void
test_rtcp_bye_limit(void)
{
	uint8_t buf[8 + 4 + 31 * 4 + 8];
	struct rtcp_info in;
	size_t i, off;

	memcpy(buf, "\x80\xc9\x00\x01\x00\x00\x00\x01", 8);
	memcpy(buf + 8, "\x9f\xcb\x00\x1f", 4);
	for (i = 0, off = 12; i < 31; i++, off += 4)
		memcpy(buf + off, (const uint8_t[]){ 0, 0, 1, (uint8_t)i }, 4);
	memcpy(buf + off, "\x81\xcb\x00\x01\x00\x00\x02\x00", 8);
	CHECK_INT(off + 8, ==, sizeof(buf));
	CHECK_INT(rtcp_parse(buf, sizeof(buf), &in), ==, 0);
	CHECK_INT(in.nbye, ==, RTCP_MAX_BYE);
	CHECK_INT(in.nbye_dropped, ==, 1);
	CHECK_INT(in.bye[30], ==, 0x0000011e);
}

static void
test_seq_wrap(void)
{
	struct rtp_seq s = { 0 };
	uint32_t ext;

	CHECK_INT(rtp_seq_update(&s, 65534, &ext), ==, 0);
	CHECK_INT(ext, ==, 65534);
	CHECK_INT(rtp_seq_update(&s, 65535, &ext), ==, 0);
	CHECK_INT(ext, ==, 65535);
	CHECK_INT(rtp_seq_update(&s, 0, &ext), ==, 0);
	CHECK_INT(ext, ==, 65536);
	CHECK_INT(rtp_seq_update(&s, 1, &ext), ==, 0);
	CHECK_INT(ext, ==, 65537);
	CHECK_INT(rtp_seq_highest(&s), ==, 65537);
	/* Losses of under 3000 packets across the wrap still extend. */
	memset(&s, 0, sizeof(s));
	CHECK_INT(rtp_seq_update(&s, 64000, &ext), ==, 0);
	CHECK_INT(rtp_seq_update(&s, 1000, &ext), ==, 0);
	CHECK_INT(ext, ==, 65536 + 1000);
	CHECK_INT(rtp_seq_highest(&s), ==, 65536 + 1000);
}

static void
test_seq_reorder(void)
{
	struct rtp_seq s = { 0 };
	uint32_t ext;

	CHECK_INT(rtp_seq_update(&s, 65534, &ext), ==, 0);
	CHECK_INT(rtp_seq_update(&s, 0, &ext), ==, 0);
	CHECK_INT(ext, ==, 65536);
	/* Late from before the wrap: the previous cycle. */
	CHECK_INT(rtp_seq_update(&s, 65535, &ext), ==, 0);
	CHECK_INT(ext, ==, 65535);
	CHECK_INT(rtp_seq_highest(&s), ==, 65536);
	CHECK_INT(rtp_seq_update(&s, 1, &ext), ==, 0);
	CHECK_INT(ext, ==, 65537);
	/* A duplicate gets the same number again. */
	CHECK_INT(rtp_seq_update(&s, 0, &ext), ==, 0);
	CHECK_INT(ext, ==, 65536);
	CHECK_INT(rtp_seq_highest(&s), ==, 65537);

	/* A duplicate of the highest does not count as a wrap. */
	CHECK_INT(rtp_seq_update(&s, 1, &ext), ==, 0);
	CHECK_INT(ext, ==, 65537);
	CHECK_INT(rtp_seq_highest(&s), ==, 65537);
	/* 99 behind is late; 100 behind is a jump. */
	CHECK_INT(rtp_seq_update(&s, (uint16_t)(1 - 99), &ext), ==, 0);
	CHECK_INT(ext, ==, 65537 - 99);
	CHECK_INT(rtp_seq_update(&s, (uint16_t)(1 - 100), &ext), ==, ERANGE);
	/* 2999 ahead is a loss; 3000 ahead is a jump. */
	CHECK_INT(rtp_seq_update(&s, 3000, &ext), ==, 0);
	CHECK_INT(ext, ==, 65536 + 3000);
	CHECK_INT(rtp_seq_update(&s, 6000, &ext), ==, ERANGE);

	/* Late across a wrap before anything had wrapped: no number. */
	memset(&s, 0, sizeof(s));
	CHECK_INT(rtp_seq_update(&s, 1, &ext), ==, 0);
	CHECK_INT(rtp_seq_update(&s, 65535, &ext), ==, ERANGE);
	CHECK_INT(rtp_seq_update(&s, 2, &ext), ==, 0);
	CHECK_INT(ext, ==, 2);
}

static void
test_seq_jump(void)
{
	struct rtp_seq s = { 0 };
	uint32_t ext;

	CHECK_INT(rtp_seq_update(&s, 50000, &ext), ==, 0);
	/* A stray packet far away is dropped and changes nothing. */
	CHECK_INT(rtp_seq_update(&s, 10000, &ext), ==, ERANGE);
	CHECK_INT(rtp_seq_update(&s, 50001, &ext), ==, 0);
	CHECK_INT(ext, ==, 50001);
	/* Two in a row confirm a restart; numbers keep increasing. */
	CHECK_INT(rtp_seq_update(&s, 10000, &ext), ==, ERANGE);
	CHECK_INT(rtp_seq_update(&s, 10001, &ext), ==, 0);
	CHECK_INT(ext, ==, 65536 + 10001);
	CHECK_INT(rtp_seq_update(&s, 10002, &ext), ==, 0);
	CHECK_INT(ext, ==, 65536 + 10002);
}

static void
test_serial_compare(void)
{
	CHECK_INT(rtp_seq_diff(0, 65535), ==, 1);
	CHECK_INT(rtp_seq_diff(65535, 0), ==, -1);
	CHECK_INT(rtp_seq_diff(100, 100), ==, 0);
	CHECK_INT(rtp_seq_diff(32767, 0), ==, 32767);
	CHECK_INT(rtp_seq_diff(32768, 0), ==, -32768);
	CHECK(rtp_seq_newer(2, 65530));
	CHECK(!rtp_seq_newer(65530, 2));
	CHECK(!rtp_seq_newer(7, 7));
	CHECK_INT(rtp_ts_diff(0, 0xffffffff), ==, 1);
	CHECK_INT(rtp_ts_diff(0xffffffff, 0), ==, -1);
	CHECK_INT(rtp_ts_diff(960, 0xfffffc40), ==, 1920);
	CHECK_INT(rtp_ts_diff(0x7fffffff, 0), ==, 0x7fffffff);
	CHECK_INT(rtp_ts_diff(0x80000000, 0), ==, -2147483648LL);
	CHECK(rtp_ts_newer(100, 0xffffff00));
	CHECK(!rtp_ts_newer(0xffffff00, 100));
}

static void
test_ntp(void)
{
	struct timespec ts = { 0, 0 };

	CHECK(rtp_ntp_from_timespec(&ts) == 0x83aa7e8000000000ULL);
	ts.tv_sec = 1;
	ts.tv_nsec = 500000000;
	CHECK(rtp_ntp_from_timespec(&ts) == 0x83aa7e8180000000ULL);
	CHECK_INT(rtp_ntp_middle(rtp_ntp_from_timespec(&ts)), ==, 0x7e818000);
	ts.tv_nsec = 1;
	CHECK(rtp_ntp_from_timespec(&ts) == 0x83aa7e8100000004ULL);
	ts.tv_nsec = 999999999;
	CHECK(rtp_ntp_from_timespec(&ts) == 0x83aa7e81fffffffbULL);
	/* 2036-02-07 06:28:16 UTC: NTP era 1 starts over at zero. */
	ts.tv_sec = 2085978496;
	ts.tv_nsec = 0;
	CHECK(rtp_ntp_from_timespec(&ts) == 0);
	ts.tv_nsec = 2000000000;
	CHECK(rtp_ntp_from_timespec(&ts) == 0xfffffffbULL);
	ts.tv_nsec = -5;
	CHECK(rtp_ntp_from_timespec(&ts) == 0);
	CHECK_INT(rtp_ntp_middle(0x0123456789abcdefULL), ==, 0x456789ab);
}

/*
 * A fixed-seed stand-in for the fuzzer: random and mutated packets, each in
 * an exact-size heap buffer, must parse or fail without touching anything
 * outside it.
 */
static void
test_random_input(void)
{
	const uint8_t *seeds[] = { pkt_full, pkt_min, rtcp_sr };
	const size_t lens[] = { sizeof(pkt_full), sizeof(pkt_min),
	    sizeof(rtcp_sr) };
	struct rtp_level lvl;
	struct rtcp_info in;
	struct rtp_hdr h;
	uint32_t x = 12345;
	uint8_t src[96], *q;
	size_t len, j, k;
	int i, id;

	for (i = 0; i < 30000; i++) {
		k = (size_t)i % 4;
		if (k < 3) {
			len = lens[k];
			memcpy(src, seeds[k], len);
			for (j = 0; j < 3; j++) {
				x = x * 1103515245 + 12345;
				src[(x >> 8) % len] ^=
				    (uint8_t)(1 << (x >> 28 & 7));
			}
		} else {
			x = x * 1103515245 + 12345;
			len = (x >> 16) % sizeof(src);
			for (j = 0; j < len; j++) {
				x = x * 1103515245 + 12345;
				src[j] = (uint8_t)(x >> 16);
			}
			src[0] = (uint8_t)((src[0] & 0x3f) | 0x80);
		}
		if ((q = dup_exact(src, len)) == NULL)
			CHECK(!"out of memory");
		if (rtp_parse(q, len, &h) == 0) {
			CHECK(h.payload >= q && h.payload + h.payload_len <=
			    q + len);
			CHECK(ext_count(&h, q, len) >= 0);
			for (id = 0; id < 256; id++)
				(void)rtp_ext_level(&h, (uint8_t)id, &lvl);
		}
		if (rtcp_parse(q, len, &in) == 0) {
			CHECK(in.nrb <= RTCP_MAX_RB && in.nbye <= RTCP_MAX_BYE);
			CHECK(in.cname == NULL || (in.cname >= q &&
			    in.cname + in.cname_len <= q + len));
			CHECK(in.reason == NULL || (in.reason >= q &&
			    in.reason + in.reason_len <= q + len));
		}
		free(q);
	}
}

/* Reception reports: RFC 3550 A.3 loss fractions over two intervals. */
static void
test_rx_report(void)
{
	struct rtp_rx rx;
	struct rtcp_rb rb;
	uint16_t seq;

	memset(&rx, 0, sizeof(rx));
	CHECK(!rtp_rx_block(&rx, 7, 0, 0, &rb));
	/* 65530..65533, then 65535..9 across the wrap: 65534 is lost. */
	for (seq = 65530; seq != 65534; seq++)
		CHECK_INT(rtp_rx_packet(&rx, seq), ==, 0);
	for (seq = 65535; seq != 10; seq++)
		CHECK_INT(rtp_rx_packet(&rx, seq), ==, 0);
	rtp_rx_sr(&rx, 0x1122334455667788ULL, 1000);
	CHECK(rtp_rx_block(&rx, 7, 480, 1500, &rb));
	CHECK_INT(rb.ssrc, ==, 7);
	CHECK_INT(rb.ext_seq, ==, 65536 + 9);
	CHECK_INT(rb.lost, ==, 1);
	/* 1 of 16 expected: 256 / 16. */
	CHECK_INT(rb.fraction, ==, 16);
	CHECK_INT(rb.jitter, ==, 480);
	CHECK_INT(rb.lsr, ==, 0x33445566);
	CHECK_INT(rb.dlsr, ==, 32768);
	/* Next interval: 10..13 and 16..19; 14 and 15 lost, 2 of 10. */
	for (seq = 10; seq < 14; seq++)
		rtp_rx_packet(&rx, seq);
	for (seq = 16; seq < 20; seq++)
		rtp_rx_packet(&rx, seq);
	CHECK(rtp_rx_block(&rx, 7, 0, 2000, &rb));
	CHECK_INT(rb.lost, ==, 3);
	CHECK_INT(rb.fraction, ==, (2 << 8) / 10);
}

CHECK_MAIN(
	CHECK_CASE(test_rx_report),
	CHECK_CASE(test_rtp_minimal),
	CHECK_CASE(test_rtp_csrc),
	CHECK_CASE(test_rtp_bad_version),
	CHECK_CASE(test_rtp_ext_onebyte),
	CHECK_CASE(test_rtp_ext_twobyte),
	CHECK_CASE(test_rtp_ext_malformed),
	CHECK_CASE(test_rtp_ext_past_end),
	CHECK_CASE(test_rtp_padding),
	CHECK_CASE(test_rtp_truncated),
	CHECK_CASE(test_rtp_write_roundtrip),
	CHECK_CASE(test_rtp_is_rtcp),
	CHECK_CASE(test_rtcp_sr_sdes),
	CHECK_CASE(test_rtcp_rr_two_blocks),
	CHECK_CASE(test_rtcp_bye),
	CHECK_CASE(test_rtcp_invalid),
	CHECK_CASE(test_rtcp_truncated),
	CHECK_CASE(test_rtcp_write_sr),
	CHECK_CASE(test_rtcp_write_rr),
	CHECK_CASE(test_rtcp_write_bye),
	CHECK_CASE(test_rtcp_bye_limit),
	CHECK_CASE(test_seq_wrap),
	CHECK_CASE(test_seq_reorder),
	CHECK_CASE(test_seq_jump),
	CHECK_CASE(test_serial_compare),
	CHECK_CASE(test_ntp),
	CHECK_CASE(test_random_input),
)
