/*
 * fuzz_rtp: the RTP parser (common/rtp.c) on arbitrary bytes.
 *
 * The input is one datagram, as confd would hand it over after SRTP.  Every
 * pointer and length the parser returns must lie inside the input, the
 * RFC 8285 walk must stay inside the extension and agree with
 * rtp_ext_find() and rtp_ext_level(), and a header that parses must come
 * back unchanged through rtp_write() and rtp_parse().  The same bytes, read
 * as a run of sequence numbers, also drive rtp_seq_update(), whose extended
 * highest number must never go down, and the RFC 3550 A.3 reception
 * statistics of rtp_rx, whose report blocks must agree with a count kept
 * here.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rtp.h"

/* The most distinct ids an extension can hold in either form. */
#define EXT_IDS		256

/* Checks the fields of a header that parsed against the bytes it came from. */
static void
check_hdr(const uint8_t *buf, size_t len, const struct rtp_hdr *h)
{
	size_t hdr;

	FUZZ_CHECK(len >= RTP_HDR_LEN);
	FUZZ_CHECK(buf[0] >> 6 == RTP_VERSION);
	FUZZ_CHECK(h->cc == (buf[0] & 0x0f) && h->cc <= RTP_MAX_CSRC);
	FUZZ_CHECK(h->pt == (buf[1] & 0x7f));
	FUZZ_CHECK(h->has_ext == ((buf[0] & 0x10) != 0));
	FUZZ_CHECK(h->padding == ((buf[0] & 0x20) != 0));
	hdr = RTP_HDR_LEN + (size_t)h->cc * 4;
	if (h->has_ext) {
		FUZZ_CHECK(h->ext == buf + hdr + 4);
		FUZZ_CHECK(h->ext_len % 4 == 0);
		FUZZ_CHECK(fuzz_within(h->ext, h->ext_len, buf, len));
		fuzz_touch(h->ext, h->ext_len);
		hdr += 4 + h->ext_len;
	} else
		FUZZ_CHECK(h->ext == NULL && h->ext_len == 0);
	FUZZ_CHECK(h->payload == buf + hdr);
	FUZZ_CHECK(h->padding ? h->padlen >= 1 : h->padlen == 0);
	/* Header, payload and padding are the whole datagram, no more. */
	FUZZ_CHECK(hdr + h->payload_len + h->padlen == len);
	fuzz_touch(h->payload, h->payload_len);
}

/*
 * Walks the extension and cross-checks every element against the lookup
 * functions; returns the id of an audio level a writer could send, or 0.
 */
static uint8_t
check_ext(const struct rtp_hdr *h)
{
	struct rtp_ext_iter it;
	struct rtp_ext_elem e, f;
	struct rtp_level lvl;
	const uint8_t *first[EXT_IDS], *end;
	size_t n = 0;
	unsigned id;
	uint8_t level_id = 0;
	bool twobyte = (h->ext_profile & 0xfff0) == RTP_EXT_TWOBYTE;

	memset(first, 0, sizeof(first));
	end = h->ext;
	rtp_ext_iter_init(&it, h);
	while (rtp_ext_next(&it, &e)) {
		/* Each element takes at least a byte, so the walk must end. */
		FUZZ_CHECK(++n <= h->ext_len);
		FUZZ_CHECK(h->has_ext);
		FUZZ_CHECK(fuzz_within(e.data, e.len, h->ext, h->ext_len));
		/* Elements follow one another without overlapping. */
		FUZZ_CHECK(e.data > end);
		end = e.data + e.len;
		fuzz_touch(e.data, e.len);
		if (twobyte)
			FUZZ_CHECK(e.id >= 1 && e.len <= 255);
		else
			FUZZ_CHECK(e.id >= 1 && e.id <= 14 && e.len >= 1 &&
			    e.len <= 16);
		if (first[e.id] == NULL)
			first[e.id] = e.data;
	}
	FUZZ_CHECK(!rtp_ext_next(&it, &e));
	for (id = 0; id < EXT_IDS; id++) {
		/*
		 * Every id seen, and a sample of the others: a walk per id
		 * of 256 would make the target too slow to be useful.
		 */
		if (first[id] == NULL && id > 15 && id != 255)
			continue;
		if (rtp_ext_find(h, (uint8_t)id, &f) != 0) {
			FUZZ_CHECK(first[id] == NULL);
			FUZZ_CHECK(rtp_ext_level(h, (uint8_t)id, &lvl) ==
			    ENOENT);
			continue;
		}
		FUZZ_CHECK(f.id == id && f.data == first[id]);
		if (rtp_ext_level(h, (uint8_t)id, &lvl) == 0) {
			FUZZ_CHECK(f.len == 1);
			FUZZ_CHECK(lvl.id == id && lvl.level <= 127);
			FUZZ_CHECK(lvl.level == (f.data[0] & 0x7f));
			FUZZ_CHECK(lvl.vad == ((f.data[0] & 0x80) != 0));
			if (level_id == 0 && id >= 1 && id <= 14)
				level_id = (uint8_t)id;
		} else
			FUZZ_CHECK(f.len != 1);
	}
	return level_id;
}

/*
 * Writes what parsed (with its audio level, if it had one rtp_write() can
 * express) and its payload, and parses it again: every field must survive.
 * The buffer is exactly as large as needed, then one byte short.
 */
static void
check_roundtrip(const struct rtp_hdr *h, uint8_t level_id)
{
	struct rtp_level lvl, got;
	const struct rtp_level *lp = NULL;
	struct rtp_hdr h2;
	uint8_t *buf;
	size_t need, n;

	if (level_id != 0) {
		FUZZ_CHECK(rtp_ext_level(h, level_id, &lvl) == 0);
		lp = &lvl;
	}
	need = RTP_HDR_LEN + (lp != NULL ? RTP_LEVEL_EXT_LEN : 0);
	buf = malloc(need + h->payload_len);
	FUZZ_CHECK(buf != NULL);
	FUZZ_CHECK(rtp_write(buf, need - 1, h, lp) == 0);
	n = rtp_write(buf, need + h->payload_len, h, lp);
	FUZZ_CHECK(n == need);
	if (h->payload_len > 0)
		memcpy(buf + n, h->payload, h->payload_len);
	FUZZ_CHECK(rtp_parse(buf, n + h->payload_len, &h2) == 0);
	FUZZ_CHECK(h2.marker == h->marker && h2.pt == h->pt &&
	    h2.seq == h->seq && h2.ts == h->ts && h2.ssrc == h->ssrc);
	FUZZ_CHECK(h2.cc == 0 && !h2.padding && h2.has_ext == (lp != NULL));
	FUZZ_CHECK(h2.payload_len == h->payload_len);
	FUZZ_CHECK(h->payload_len == 0 ||
	    memcmp(h2.payload, h->payload, h->payload_len) == 0);
	if (lp != NULL) {
		FUZZ_CHECK(rtp_ext_level(&h2, level_id, &got) == 0);
		FUZZ_CHECK(got.level == lvl.level && got.vad == lvl.vad);
	}
	free(buf);
}

/*
 * The report block of a stream, against a count kept here: the highest
 * number is the sequence's, and the fraction lost is that of the interval
 * since the last block, never a loss of 100 % or more wrapped to a byte.
 */
static void
check_block(struct rtp_rx *rx, uint32_t base, uint32_t *exp_prior,
    uint32_t *rcv_prior, uint32_t received, uint64_t now)
{
	struct rtcp_rb rb;
	uint32_t expected, exp_int, rcv_int;

	if (!rtp_rx_block(rx, 0x5eed, 0, now, &rb)) {
		FUZZ_CHECK(received == 0);
		return;
	}
	FUZZ_CHECK(rb.ssrc == 0x5eed);
	FUZZ_CHECK(rb.ext_seq == rtp_seq_highest(&rx->seq));
	FUZZ_CHECK(rb.lost >= -0x800000 && rb.lost <= 0x7fffff);
	expected = rb.ext_seq - base + 1;
	exp_int = expected - *exp_prior;
	rcv_int = received - *rcv_prior;
	*exp_prior = expected;
	*rcv_prior = received;
	if (exp_int <= rcv_int)
		FUZZ_CHECK(rb.fraction == 0);
	else {
		FUZZ_CHECK((uint64_t)(exp_int - rcv_int) * 256 / exp_int < 256);
		FUZZ_CHECK(rb.fraction ==
		    (uint64_t)(exp_int - rcv_int) * 256 / exp_int);
	}
}

/*
 * RFC 3550 A.1 sequence extension and A.3 reception statistics over the
 * input read as 16-bit numbers: an accepted number keeps its low 16 bits,
 * the highest extended number, which goes into every report block, never
 * decreases, and the blocks add up.
 */
static void
check_seq(const uint8_t *data, size_t size)
{
	struct rtp_seq s;
	struct rtp_rx rx;
	uint32_t ext, high = 0, base = 0, received = 0;
	uint32_t exp_prior = 0, rcv_prior = 0;
	uint16_t seq, prev = 0;
	size_t i;

	memset(&s, 0, sizeof(s));
	memset(&rx, 0, sizeof(rx));
	for (i = 0; i + 1 < size; i += 2) {
		seq = (uint16_t)(data[i] << 8 | data[i + 1]);
		if (rtp_seq_update(&s, seq, &ext) == 0) {
			FUZZ_CHECK((ext & 0xffff) == seq);
			FUZZ_CHECK(ext <= rtp_seq_highest(&s));
		}
		FUZZ_CHECK(i == 0 || rtp_seq_highest(&s) >= high);
		high = rtp_seq_highest(&s);
		/* rtp_rx counts what rtp_seq_update() accepts, no more. */
		if (rtp_rx_packet(&rx, seq) == 0) {
			if (received++ == 0)
				base = rtp_seq_highest(&rx.seq);
		}
		FUZZ_CHECK(rx.received == received);
		if ((data[i] & 0x0f) == 0)
			check_block(&rx, base, &exp_prior, &rcv_prior,
			    received, 1000 + i);
		/* Serial arithmetic: a - b added back to b gives a. */
		FUZZ_CHECK((uint16_t)(prev + rtp_seq_diff(seq, prev)) == seq);
		FUZZ_CHECK(!(rtp_seq_newer(seq, prev) &&
		    rtp_seq_newer(prev, seq)));
		prev = seq;
	}
	for (i = 0; i + 7 < size; i += 8) {
		uint32_t a = fuzz_get32(data + i), b = fuzz_get32(data + i + 4);

		FUZZ_CHECK(b + (uint32_t)rtp_ts_diff(a, b) == a);
		FUZZ_CHECK(!(rtp_ts_newer(a, b) && rtp_ts_newer(b, a)));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_hdr h;
	uint8_t level_id;
	int rc;

	FUZZ_CHECK(rtp_is_rtcp(data, size) ==
	    (size >= 2 && data[1] >= 192 && data[1] <= 223));
	rc = rtp_parse(data, size, &h);
	FUZZ_CHECK(rc == 0 || rc == EMSGSIZE || rc == EINVAL);
	if (rc == 0) {
		check_hdr(data, size, &h);
		level_id = check_ext(&h);
		check_roundtrip(&h, level_id);
	}
	check_seq(data, size);
	return 0;
}
