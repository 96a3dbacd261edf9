/* rtp: see rtp.h. */
#include <errno.h>
#include <string.h>

#include "rtp.h"

#define RTP_SEQ_MOD		65536u
#define RTP_MAX_DROPOUT		3000
#define RTP_MAX_MISORDER	100
#define RTP_NTP_UNIX_OFFSET	2208988800u	/* 1900 to 1970 in seconds */

#define RTCP_HDR_LEN		4
#define RTCP_SENDER_LEN		20	/* sender info after the SSRC */
#define RTCP_RB_LEN		24
#define RTCP_SDES_CNAME		1

/* A bounded output cursor: the first write that does not fit spoils it. */
struct rtp_wbuf {
	uint8_t	*p;
	size_t	 cap, len;
	bool	 err;
};

static uint16_t
rtp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rtp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
rtp_put8(struct rtp_wbuf *w, uint8_t v)
{
	if (w->err || w->cap - w->len < 1) {
		w->err = true;
		return;
	}
	w->p[w->len++] = v;
}

static void
rtp_put16(struct rtp_wbuf *w, uint16_t v)
{
	rtp_put8(w, (uint8_t)(v >> 8));
	rtp_put8(w, (uint8_t)v);
}

static void
rtp_put32(struct rtp_wbuf *w, uint32_t v)
{
	rtp_put16(w, (uint16_t)(v >> 16));
	rtp_put16(w, (uint16_t)v);
}

static void
rtp_putmem(struct rtp_wbuf *w, const void *src, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

/* Zero bytes up to the next multiple of four, as RTCP and RFC 8285 need. */
static void
rtp_putalign(struct rtp_wbuf *w)
{
	while (!w->err && w->len % 4 != 0)
		rtp_put8(w, 0);
}

int
rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h)
{
	size_t i, off, extlen;

	memset(h, 0, sizeof(*h));
	if (len < RTP_HDR_LEN)
		return EMSGSIZE;
	if (buf[0] >> 6 != RTP_VERSION)
		return EINVAL;
	h->padding = (buf[0] & 0x20) != 0;
	h->has_ext = (buf[0] & 0x10) != 0;
	h->cc = buf[0] & 0x0f;
	h->marker = (buf[1] & 0x80) != 0;
	h->pt = buf[1] & 0x7f;
	h->seq = rtp_get16(buf + 2);
	h->ts = rtp_get32(buf + 4);
	h->ssrc = rtp_get32(buf + 8);
	off = RTP_HDR_LEN;
	if (len - off < (size_t)h->cc * 4)
		return EMSGSIZE;
	for (i = 0; i < h->cc; i++, off += 4)
		h->csrc[i] = rtp_get32(buf + off);
	if (h->has_ext) {
		if (len - off < 4)
			return EMSGSIZE;
		h->ext_profile = rtp_get16(buf + off);
		extlen = (size_t)rtp_get16(buf + off + 2) * 4;
		off += 4;
		if (len - off < extlen)
			return EMSGSIZE;
		h->ext = buf + off;
		h->ext_len = extlen;
		off += extlen;
	}
	h->payload = buf + off;
	h->payload_len = len - off;
	if (h->padding) {
		/* The count byte itself is padding, so it must lie past off. */
		if (h->payload_len == 0)
			return EMSGSIZE;
		h->padlen = buf[len - 1];
		if (h->padlen == 0)
			return EINVAL;
		if (h->padlen > h->payload_len)
			return EMSGSIZE;
		h->payload_len -= h->padlen;
	}
	return 0;
}

void
rtp_ext_iter_init(struct rtp_ext_iter *it, const struct rtp_hdr *h)
{
	memset(it, 0, sizeof(*it));
	if (!h->has_ext || h->ext == NULL)
		return;
	if (h->ext_profile == RTP_EXT_ONEBYTE)
		it->twobyte = false;
	else if ((h->ext_profile & 0xfff0) == RTP_EXT_TWOBYTE)
		it->twobyte = true;
	else
		return;
	it->p = h->ext;
	it->len = h->ext_len;
}

/*
 * RFC 8285 lets zero bytes pad between and after elements in both forms.
 * In the one-byte form, id 15 ends the walk and a zero id with a nonzero
 * length is not padding, so it is taken as malformed.  Anything malformed
 * ends the walk because the start of the next element is then unknown.
 */
bool
rtp_ext_next(struct rtp_ext_iter *it, struct rtp_ext_elem *e)
{
	size_t room, hlen, dlen;
	uint8_t id;

	while (it->off < it->len && it->p[it->off] == 0)
		it->off++;
	if (it->off >= it->len)
		return false;
	room = it->len - it->off;
	if (it->twobyte) {
		hlen = 2;
		if (room < hlen)
			goto end;
		id = it->p[it->off];
		dlen = it->p[it->off + 1];
	} else {
		hlen = 1;
		id = it->p[it->off] >> 4;
		dlen = (size_t)(it->p[it->off] & 0x0f) + 1;
		if (id == 0 || id == 15)
			goto end;
	}
	if (room - hlen < dlen)
		goto end;
	e->id = id;
	e->data = it->p + it->off + hlen;
	e->len = dlen;
	it->off += hlen + dlen;
	return true;
end:
	it->off = it->len;
	return false;
}

int
rtp_ext_find(const struct rtp_hdr *h, uint8_t id, struct rtp_ext_elem *e)
{
	struct rtp_ext_iter it;

	rtp_ext_iter_init(&it, h);
	while (rtp_ext_next(&it, e))
		if (e->id == id)
			return 0;
	return ENOENT;
}

int
rtp_ext_level(const struct rtp_hdr *h, uint8_t id, struct rtp_level *lvl)
{
	struct rtp_ext_elem e;

	if (rtp_ext_find(h, id, &e) != 0 || e.len != 1)
		return ENOENT;
	lvl->id = id;
	lvl->vad = (e.data[0] & 0x80) != 0;
	lvl->level = e.data[0] & 0x7f;
	return 0;
}

size_t
rtp_write(uint8_t *buf, size_t cap, const struct rtp_hdr *h,
    const struct rtp_level *lvl)
{
	struct rtp_wbuf w = { buf, cap, 0, false };

	if (h->pt > 127)
		return 0;
	if (lvl != NULL && (lvl->id < 1 || lvl->id > 14 || lvl->level > 127))
		return 0;
	rtp_put8(&w, RTP_VERSION << 6 | (lvl != NULL ? 0x10 : 0));
	rtp_put8(&w, (uint8_t)((h->marker ? 0x80 : 0) | h->pt));
	rtp_put16(&w, h->seq);
	rtp_put32(&w, h->ts);
	rtp_put32(&w, h->ssrc);
	if (lvl != NULL) {
		/* One word of elements: the level byte, then zero padding. */
		rtp_put16(&w, RTP_EXT_ONEBYTE);
		rtp_put16(&w, 1);
		rtp_put8(&w, (uint8_t)(lvl->id << 4));
		rtp_put8(&w, (uint8_t)((lvl->vad ? 0x80 : 0) | lvl->level));
		rtp_putalign(&w);
	}
	return w.err ? 0 : w.len;
}

/*
 * RFC 5761 keeps RTP payload types 64..95 free so that, with the marker bit
 * in front, the second byte of RTCP packet types 192..223 never collides.
 */
bool
rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

/* Reads the report blocks of one SR or RR, keeping what fits in info. */
static void
rtcp_parse_rb(const uint8_t *p, size_t count, struct rtcp_info *info)
{
	struct rtcp_rb *rb;
	uint32_t lost;

	for (; count > 0; count--, p += RTCP_RB_LEN) {
		if (info->nrb == RTCP_MAX_RB) {
			info->nrb_dropped++;
			continue;
		}
		rb = &info->rb[info->nrb++];
		rb->ssrc = rtp_get32(p);
		rb->fraction = p[4];
		/* Sign-extend 24 bits without shifting into the sign. */
		lost = rtp_get32(p + 4) & 0xffffff;
		rb->lost = lost & 0x800000 ? (int32_t)lost - 0x1000000 :
		    (int32_t)lost;
		rb->ext_seq = rtp_get32(p + 8);
		rb->jitter = rtp_get32(p + 12);
		rb->lsr = rtp_get32(p + 16);
		rb->dlsr = rtp_get32(p + 20);
	}
}

/* An SR or RR body (after the 4-byte header) of n bytes with rc blocks. */
static int
rtcp_parse_report(const uint8_t *p, size_t n, uint8_t pt, size_t rc,
    bool first, struct rtcp_info *info)
{
	size_t need = 4 + (pt == RTCP_SR ? RTCP_SENDER_LEN : 0) +
	    rc * RTCP_RB_LEN;

	/* Bytes past the blocks are a profile-specific extension: skipped. */
	if (n < need)
		return EMSGSIZE;
	if (first) {
		info->ssrc = rtp_get32(p);
		if (pt == RTCP_SR) {
			info->has_sr = true;
			info->sr.ssrc = info->ssrc;
			info->sr.ntp = (uint64_t)rtp_get32(p + 4) << 32 |
			    rtp_get32(p + 8);
			info->sr.rtp_ts = rtp_get32(p + 12);
			info->sr.packets = rtp_get32(p + 16);
			info->sr.octets = rtp_get32(p + 20);
		}
	}
	rtcp_parse_rb(p + need - rc * RTCP_RB_LEN, rc, info);
	return 0;
}

/*
 * An SDES body of n bytes with sc chunks.  Each chunk is an SSRC, items of
 * type, length and text, then one or more zero bytes up to a 32-bit
 * boundary; the body starts on one, so offsets within it stay aligned.
 */
static int
rtcp_parse_sdes(const uint8_t *p, size_t n, size_t sc, struct rtcp_info *info)
{
	size_t off = 0, ilen;
	uint32_t ssrc;

	for (; sc > 0; sc--) {
		if (n - off < 4)
			return EMSGSIZE;
		ssrc = rtp_get32(p + off);
		off += 4;
		for (;;) {
			if (off >= n)
				return EMSGSIZE;
			if (p[off] == 0)
				break;
			if (n - off < 2 || n - off - 2 < p[off + 1])
				return EMSGSIZE;
			ilen = p[off + 1];
			if (p[off] == RTCP_SDES_CNAME && ssrc == info->ssrc &&
			    info->cname == NULL) {
				info->cname = p + off + 2;
				info->cname_len = ilen;
			}
			off += 2 + ilen;
		}
		off = (off + 4) & ~(size_t)3;
		if (off > n)
			return EMSGSIZE;
	}
	return 0;
}

/* A BYE body of n bytes with sc sources and an optional reason. */
static int
rtcp_parse_bye(const uint8_t *p, size_t n, size_t sc, struct rtcp_info *info)
{
	size_t i, rlen;

	if (n < sc * 4)
		return EMSGSIZE;
	info->has_bye = true;
	for (i = 0; i < sc; i++) {
		if (info->nbye == RTCP_MAX_BYE)
			info->nbye_dropped++;
		else
			info->bye[info->nbye++] = rtp_get32(p + i * 4);
	}
	p += sc * 4;
	n -= sc * 4;
	if (n == 0)
		return 0;
	rlen = p[0];
	if (n - 1 < rlen)
		return EMSGSIZE;
	if (rlen > 0 && info->reason == NULL) {
		info->reason = p + 1;
		info->reason_len = rlen;
	}
	return 0;
}

int
rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_info *info)
{
	size_t off = 0, plen, blen, count;
	uint8_t pt, pad;
	bool first = true, last;
	int rc;

	memset(info, 0, sizeof(*info));
	if (len == 0)
		return EMSGSIZE;
	while (off < len) {
		if (len - off < RTCP_HDR_LEN)
			return EMSGSIZE;
		if (buf[off] >> 6 != RTP_VERSION)
			return EINVAL;
		pt = buf[off + 1];
		count = buf[off] & 0x1f;
		plen = ((size_t)rtp_get16(buf + off + 2) + 1) * 4;
		if (len - off < plen)
			return EMSGSIZE;
		last = (len - off == plen);
		if (first && pt != RTCP_SR && pt != RTCP_RR)
			return EINVAL;
		blen = plen - RTCP_HDR_LEN;
		if (buf[off] & 0x20) {
			/* Only the last packet may pad the compound. */
			if (!last)
				return EINVAL;
			pad = buf[off + plen - 1];
			if (pad == 0)
				return EINVAL;
			if (pad > blen)
				return EMSGSIZE;
			blen -= pad;
		}
		switch (pt) {
		case RTCP_SR:
		case RTCP_RR:
			rc = rtcp_parse_report(buf + off + RTCP_HDR_LEN, blen,
			    pt, count, first, info);
			break;
		case RTCP_SDES:
			rc = rtcp_parse_sdes(buf + off + RTCP_HDR_LEN, blen,
			    count, info);
			break;
		case RTCP_BYE:
			rc = rtcp_parse_bye(buf + off + RTCP_HDR_LEN, blen,
			    count, info);
			break;
		default:
			/* APP, feedback and XR packets are not ours to read. */
			rc = 0;
			break;
		}
		if (rc != 0)
			return rc;
		first = false;
		off += plen;
	}
	return 0;
}

/* Fills in the length of the RTCP packet that started at start. */
static void
rtcp_end_packet(struct rtp_wbuf *w, size_t start)
{
	size_t words;

	if (w->err)
		return;
	words = (w->len - start) / 4 - 1;
	w->p[start + 2] = (uint8_t)(words >> 8);
	w->p[start + 3] = (uint8_t)words;
}

static void
rtcp_put_rb(struct rtp_wbuf *w, const struct rtcp_rb *rb)
{
	int32_t lost = rb->lost;

	/* The field holds 24 bits; a larger count saturates. */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	rtp_put32(w, rb->ssrc);
	rtp_put32(w, (uint32_t)rb->fraction << 24 |
	    ((uint32_t)lost & 0xffffff));
	rtp_put32(w, rb->ext_seq);
	rtp_put32(w, rb->jitter);
	rtp_put32(w, rb->lsr);
	rtp_put32(w, rb->dlsr);
}

/* An SR (when s is not NULL) or RR from ssrc, then its SDES CNAME. */
static size_t
rtcp_write_report(struct rtp_wbuf *w, const struct rtcp_sender *s,
    uint32_t ssrc, const struct rtcp_rb *rb, size_t nrb, const char *cname)
{
	size_t i, start, clen;

	if (nrb > RTCP_MAX_RB || cname == NULL ||
	    (clen = strlen(cname)) > 255)
		return 0;
	start = w->len;
	rtp_put8(w, (uint8_t)(RTP_VERSION << 6 | nrb));
	rtp_put8(w, s != NULL ? RTCP_SR : RTCP_RR);
	rtp_put16(w, 0);
	rtp_put32(w, ssrc);
	if (s != NULL) {
		rtp_put32(w, (uint32_t)(s->ntp >> 32));
		rtp_put32(w, (uint32_t)s->ntp);
		rtp_put32(w, s->rtp_ts);
		rtp_put32(w, s->packets);
		rtp_put32(w, s->octets);
	}
	for (i = 0; i < nrb; i++)
		rtcp_put_rb(w, &rb[i]);
	rtcp_end_packet(w, start);

	/* One chunk; the zero byte ending its item list is always written. */
	start = w->len;
	rtp_put8(w, RTP_VERSION << 6 | 1);
	rtp_put8(w, RTCP_SDES);
	rtp_put16(w, 0);
	rtp_put32(w, ssrc);
	rtp_put8(w, RTCP_SDES_CNAME);
	rtp_put8(w, (uint8_t)clen);
	rtp_putmem(w, cname, clen);
	rtp_put8(w, 0);
	rtp_putalign(w);
	rtcp_end_packet(w, start);
	return w->err ? 0 : w->len;
}

size_t
rtcp_write_sr(uint8_t *buf, size_t cap, const struct rtcp_sender *s,
    const struct rtcp_rb *rb, size_t nrb, const char *cname)
{
	struct rtp_wbuf w = { buf, cap, 0, false };

	return rtcp_write_report(&w, s, s->ssrc, rb, nrb, cname);
}

size_t
rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
    const struct rtcp_rb *rb, size_t nrb, const char *cname)
{
	struct rtp_wbuf w = { buf, cap, 0, false };

	return rtcp_write_report(&w, NULL, ssrc, rb, nrb, cname);
}

size_t
rtcp_write_bye(uint8_t *buf, size_t cap, uint32_t ssrc,
    const struct rtcp_rb *rb, size_t nrb, const char *cname,
    const char *reason)
{
	struct rtp_wbuf w = { buf, cap, 0, false };
	size_t start, rlen;

	rlen = reason != NULL ? strlen(reason) : 0;
	if (rlen > 255)
		return 0;
	if (rtcp_write_report(&w, NULL, ssrc, rb, nrb, cname) == 0)
		return 0;
	start = w.len;
	rtp_put8(&w, RTP_VERSION << 6 | 1);
	rtp_put8(&w, RTCP_BYE);
	rtp_put16(&w, 0);
	rtp_put32(&w, ssrc);
	if (rlen > 0) {
		rtp_put8(&w, (uint8_t)rlen);
		rtp_putmem(&w, reason, rlen);
		rtp_putalign(&w);
	}
	rtcp_end_packet(&w, start);
	return w.err ? 0 : w.len;
}

/*
 * RFC 3550 A.1 without the probation of new sources: a small step forward
 * advances (wrapping adds a cycle), a small step back is a late packet, and
 * anything else is a jump that only a following packet confirms.
 */
int
rtp_seq_update(struct rtp_seq *s, uint16_t seq, uint32_t *ext)
{
	uint16_t udelta;

	if (!s->started) {
		memset(s, 0, sizeof(*s));
		s->started = true;
		s->max = seq;
		*ext = seq;
		return 0;
	}
	udelta = (uint16_t)(seq - s->max);
	if (udelta < RTP_MAX_DROPOUT) {
		if (seq < s->max)
			s->cycles += RTP_SEQ_MOD;
		s->max = seq;
		s->have_bad = false;
		*ext = s->cycles + seq;
		return 0;
	}
	if (udelta <= RTP_SEQ_MOD - RTP_MAX_MISORDER) {
		if (!s->have_bad || seq != s->bad) {
			s->bad = (uint16_t)(seq + 1);
			s->have_bad = true;
			return ERANGE;
		}
		/* The sender restarted; stay above every number given out. */
		if (seq < s->max)
			s->cycles += RTP_SEQ_MOD;
		s->max = seq;
		s->have_bad = false;
		*ext = s->cycles + seq;
		return 0;
	}
	if (seq <= s->max) {
		*ext = s->cycles + seq;
		return 0;
	}
	/* Late from before the last wrap. */
	if (s->cycles == 0)
		return ERANGE;
	*ext = s->cycles - RTP_SEQ_MOD + seq;
	return 0;
}

uint32_t
rtp_seq_highest(const struct rtp_seq *s)
{
	return s->cycles + s->max;
}

/* Written without casts to signed types, whose overflow C leaves open. */
int32_t
rtp_seq_diff(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);

	return d < 0x8000 ? (int32_t)d : (int32_t)d - 0x10000;
}

int32_t
rtp_ts_diff(uint32_t a, uint32_t b)
{
	uint32_t d = a - b;

	if (d < 0x80000000u)
		return (int32_t)d;
	return -(int32_t)(0xffffffffu - d) - 1;
}

bool
rtp_seq_newer(uint16_t a, uint16_t b)
{
	return rtp_seq_diff(a, b) > 0;
}

bool
rtp_ts_newer(uint32_t a, uint32_t b)
{
	return rtp_ts_diff(a, b) > 0;
}

/*
 * NTP seconds wrap in 2036; keeping the low 32 bits is what RFC 3550 and
 * every peer do.  An out-of-range tv_nsec is clamped rather than trusted.
 */
uint64_t
rtp_ntp_from_timespec(const struct timespec *ts)
{
	uint64_t sec, nsec;

	sec = ((uint64_t)ts->tv_sec + RTP_NTP_UNIX_OFFSET) & 0xffffffffu;
	if (ts->tv_nsec < 0)
		nsec = 0;
	else if (ts->tv_nsec > 999999999)
		nsec = 999999999;
	else
		nsec = (uint64_t)ts->tv_nsec;
	return sec << 32 | (nsec << 32) / 1000000000u;
}

uint32_t
rtp_ntp_middle(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

int
rtp_rx_packet(struct rtp_rx *rx, uint16_t seq)
{
	uint32_t ext;

	if (rtp_seq_update(&rx->seq, seq, &ext) != 0)
		return ERANGE;
	if (!rx->have_base) {
		rx->base = ext;
		rx->have_base = true;
	}
	rx->received++;
	return 0;
}

void
rtp_rx_sr(struct rtp_rx *rx, uint64_t ntp, uint64_t now_ms)
{
	rx->lsr = rtp_ntp_middle(ntp);
	rx->lsr_ms = now_ms;
}

bool
rtp_rx_block(struct rtp_rx *rx, uint32_t ssrc, uint32_t jitter,
    uint64_t now_ms, struct rtcp_rb *rb)
{
	uint32_t ext, expected, exp_int, rcv_int;
	int64_t lost, lost_int;

	if (!rx->have_base)
		return false;
	memset(rb, 0, sizeof(*rb));
	rb->ssrc = ssrc;
	ext = rtp_seq_highest(&rx->seq);
	expected = ext - rx->base + 1;
	/* Duplicates can make it negative; the field holds 24 bits. */
	lost = (int64_t)expected - (int64_t)rx->received;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	exp_int = expected - rx->expected_prior;
	rcv_int = rx->received - rx->received_prior;
	rx->expected_prior = expected;
	rx->received_prior = rx->received;
	lost_int = (int64_t)exp_int - (int64_t)rcv_int;
	rb->fraction = exp_int == 0 || lost_int <= 0 ? 0 :
	    (uint8_t)((lost_int << 8) / exp_int);
	rb->lost = (int32_t)lost;
	rb->ext_seq = ext;
	rb->jitter = jitter;
	if (rx->lsr_ms != 0) {
		rb->lsr = rx->lsr;
		rb->dlsr = (uint32_t)(((now_ms - rx->lsr_ms) << 16) / 1000);
	}
	return true;
}
