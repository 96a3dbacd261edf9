/*
 * rtp: the RTP and RTCP wire formats (RFC 3550), header extensions
 * (RFC 8285) with the client-to-mixer audio level (RFC 6464), and RTP and
 * RTCP sharing one port (RFC 5761).
 *
 * Everything here is pure: bytes in, fields out, no sockets, allocation or
 * logging, so the media path can call it per packet and a fuzzer can feed it
 * anything.  Parsers never read outside [buf, buf + len) and never trust a
 * length or count field; what they return points into the caller's buffer
 * and lives as long as it.  The input is plain RTP or RTCP: libsrtp2 has
 * already checked and removed the SRTP and SRTCP trailers.  Functions for
 * the control protocol carry the prefix rtcp_.
 *
 * Parsers return 0, EMSGSIZE when a length or count in the packet points
 * past its end (or the lengths of a compound RTCP packet do not add up to
 * the datagram), or EINVAL when a field holds a value that is not allowed.
 * Writers return the number of bytes written, or 0 when the result would not
 * fit in cap or an argument is out of range.
 */
#ifndef RTP_H
#define RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RTP_VERSION		2
#define RTP_HDR_LEN		12	/* the fixed header */
#define RTP_MAX_CSRC		15
#define RTP_EXT_ONEBYTE		0xbede	/* RFC 8285 one-byte form profile */
#define RTP_EXT_TWOBYTE		0x1000	/* two-byte form: 0x100X */
#define RTP_LEVEL_EXT_LEN	8	/* what rtp_write() adds for a level */

#define RTCP_SR			200
#define RTCP_RR			201
#define RTCP_SDES		202
#define RTCP_BYE		203
#define RTCP_APP		204
#define RTCP_MAX_RB		31	/* report blocks kept per compound */
#define RTCP_MAX_BYE		31	/* BYE sources kept per compound */

/* The fields of an RTP packet; pointers are into the parsed buffer. */
struct rtp_hdr {
	bool		 padding;	/* P: padlen bytes end the packet */
	bool		 marker;	/* M */
	bool		 has_ext;	/* X */
	uint8_t		 pt;		/* payload type, 0..127 */
	uint8_t		 padlen;	/* padding bytes, count byte included */
	uint16_t	 seq;
	uint32_t	 ts;
	uint32_t	 ssrc;
	uint8_t		 cc;		/* CSRC count, 0..15 */
	uint32_t	 csrc[RTP_MAX_CSRC];
	uint16_t	 ext_profile;	/* when has_ext */
	const uint8_t	*ext;		/* extension data after its header */
	size_t		 ext_len;	/* in bytes, a multiple of 4 */
	const uint8_t	*payload;
	size_t		 payload_len;	/* may be 0: see rtp_parse() */
};

/* One RFC 8285 extension element. */
struct rtp_ext_elem {
	uint8_t		 id;		/* one-byte form 1..14, else 1..255 */
	const uint8_t	*data;
	size_t		 len;		/* one-byte form 1..16, else 0..255 */
};

/* Walks the elements of one packet's extension; its fields are private. */
struct rtp_ext_iter {
	const uint8_t	*p;
	size_t		 len, off;
	bool		 twobyte;
};

/* An RFC 6464 client-to-mixer audio level. */
struct rtp_level {
	uint8_t		id;		/* negotiated extension id */
	uint8_t		level;		/* 0..127, in -dBov: 127 is silence */
	bool		vad;		/* the sender detected voice */
};

/* Extends 16-bit sequence numbers (RFC 3550 A.1); zero-initialise it. */
struct rtp_seq {
	uint32_t	cycles;		/* wraps seen, times 65536 */
	uint16_t	max;		/* highest sequence number accepted */
	uint16_t	bad;		/* the seq after a jump, if have_bad */
	bool		have_bad;
	bool		started;
};

/* The sender info of an SR. */
struct rtcp_sender {
	uint32_t	ssrc;
	uint64_t	ntp;		/* NTP timestamp, 32.32 fixed point */
	uint32_t	rtp_ts;		/* the same instant in RTP units */
	uint32_t	packets;	/* sender's packet count */
	uint32_t	octets;		/* sender's payload octet count */
};

/* One reception report block. */
struct rtcp_rb {
	uint32_t	ssrc;		/* the source reported on */
	uint8_t		fraction;	/* lost since last report, in 1/256 */
	int32_t		lost;		/* cumulative, signed 24-bit */
	uint32_t	ext_seq;	/* extended highest sequence number */
	uint32_t	jitter;		/* interarrival jitter, RTP units */
	uint32_t	lsr;		/* middle 32 bits of last SR's NTP */
	uint32_t	dlsr;		/* delay since that SR, in 1/65536 s */
};

/* What a compound RTCP packet says; pointers are into the parsed buffer. */
struct rtcp_info {
	uint32_t	 ssrc;		/* sender of the first SR or RR */
	bool		 has_sr;	/* the first packet is an SR */
	struct rtcp_sender sr;		/* its sender info, when has_sr */
	struct rtcp_rb	 rb[RTCP_MAX_RB];	/* of every SR and RR */
	size_t		 nrb;
	size_t		 nrb_dropped;	/* blocks past RTCP_MAX_RB */
	const uint8_t	*cname;		/* ssrc's SDES CNAME; NULL if none */
	size_t		 cname_len;
	bool		 has_bye;
	uint32_t	 bye[RTCP_MAX_BYE];	/* of every BYE */
	size_t		 nbye;
	size_t		 nbye_dropped;	/* sources past RTCP_MAX_BYE */
	const uint8_t	*reason;	/* first BYE reason; NULL if none */
	size_t		 reason_len;
};

/*
 * Parses an RTP packet into h.  Returns 0; EMSGSIZE when the fixed header,
 * CSRC list, extension or padding count runs past len; EINVAL when the
 * version is not 2 or the padding count is 0.  A zero-length payload is
 * valid RTP, used by some senders as a keep-alive; Opus would take it for a
 * lost packet, so callers should not decode it.
 */
int	rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h);
/*
 * Starts walking h's extension elements.  An absent extension or an unknown
 * profile yields no elements.
 */
void	rtp_ext_iter_init(struct rtp_ext_iter *it, const struct rtp_hdr *h);
/*
 * The next element; false at the end.  An element whose length runs past
 * the extension ends the walk: it and any after it are treated as absent.
 */
bool	rtp_ext_next(struct rtp_ext_iter *it, struct rtp_ext_elem *e);
/* Finds the first element with id; 0 or ENOENT. */
int	rtp_ext_find(const struct rtp_hdr *h, uint8_t id,
	    struct rtp_ext_elem *e);
/*
 * Reads the RFC 6464 audio level sent as extension id into lvl; 0, or
 * ENOENT when absent or not exactly one byte long.
 */
int	rtp_ext_level(const struct rtp_hdr *h, uint8_t id,
	    struct rtp_level *lvl);
/*
 * Writes the fixed header of h (version 2, no padding, no CSRCs; marker,
 * pt, seq, ts, ssrc) and, unless lvl is NULL, a one-byte form extension
 * with the audio level (lvl->id 1..14).  The payload goes at buf + the
 * returned length, so an encoder can write it in place.
 */
size_t	rtp_write(uint8_t *buf, size_t cap, const struct rtp_hdr *h,
	    const struct rtp_level *lvl);

/* Whether a packet on an rtcp-mux port is RTCP (RFC 5761 section 4). */
bool	rtp_is_rtcp(const uint8_t *buf, size_t len);
/*
 * Validates a compound RTCP packet (RFC 3550 A.2: version 2 throughout,
 * first packet SR or RR, padding only in the last, lengths adding up to len
 * exactly, each packet's counts fitting its length) and extracts into info.
 * Returns 0, EMSGSIZE or EINVAL; on error info is unspecified.
 */
int	rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_info *info);
/*
 * Writes a compound SR with nrb (<= 31) blocks and an SDES with cname, which
 * is required and holds at most 255 bytes.
 */
size_t	rtcp_write_sr(uint8_t *buf, size_t cap, const struct rtcp_sender *s,
	    const struct rtcp_rb *rb, size_t nrb, const char *cname);
/* Writes a compound RR and SDES CNAME, with the limits of rtcp_write_sr. */
size_t	rtcp_write_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
	    const struct rtcp_rb *rb, size_t nrb, const char *cname);
/*
 * Writes a compound RR, SDES CNAME and BYE for ssrc; reason may be NULL and
 * holds at most 255 bytes.
 */
size_t	rtcp_write_bye(uint8_t *buf, size_t cap, uint32_t ssrc,
	    const struct rtcp_rb *rb, size_t nrb, const char *cname,
	    const char *reason);

/*
 * Extends seq against the highest one seen into *ext.  Returns 0, or ERANGE
 * for a packet to drop: one 3000 or more ahead or 100 or more behind (a
 * second packet following on from such a jump restarts the count, keeping
 * *ext increasing), or one from before the first packet across a wrap.
 */
int	rtp_seq_update(struct rtp_seq *s, uint16_t seq, uint32_t *ext);
/* The extended highest sequence number, as sent in report blocks. */
uint32_t rtp_seq_highest(const struct rtp_seq *s);
/* a - b in 16-bit serial arithmetic, -32768..32767. */
int32_t	rtp_seq_diff(uint16_t a, uint16_t b);
/* a - b in 32-bit serial arithmetic, for RTP timestamps. */
int32_t	rtp_ts_diff(uint32_t a, uint32_t b);
/* Whether seq a comes after b. */
bool	rtp_seq_newer(uint16_t a, uint16_t b);
/* Whether timestamp a comes after b. */
bool	rtp_ts_newer(uint32_t a, uint32_t b);

/* Converts a CLOCK_REALTIME time to a 64-bit NTP timestamp. */
uint64_t rtp_ntp_from_timespec(const struct timespec *ts);
/* The middle 32 bits of an NTP timestamp, as in LSR. */
uint32_t rtp_ntp_middle(uint64_t ntp);

/*
 * What a receiver keeps about one stream for its reception reports
 * (RFC 3550 A.3): zero-initialise it.
 */
struct rtp_rx {
	struct rtp_seq	seq;
	uint32_t	base;		/* first extended seq, if have_base */
	bool		have_base;
	uint32_t	received;	/* packets counted with rtp_rx_packet() */
	uint32_t	expected_prior, received_prior;
	uint32_t	lsr;		/* middle of the last SR's NTP time */
	uint64_t	lsr_ms;		/* when it came; 0: no SR yet */
};

/* Counts an authentic packet of the stream; 0, or ERANGE when dropped. */
int	rtp_rx_packet(struct rtp_rx *rx, uint16_t seq);
/* Notes a sender report of the stream received at now_ms. */
void	rtp_rx_sr(struct rtp_rx *rx, uint64_t ntp, uint64_t now_ms);
/*
 * Fills the report block on the stream (ssrc, its jitter in timestamp
 * units) and starts the next reporting interval; false before any packet.
 */
bool	rtp_rx_block(struct rtp_rx *rx, uint32_t ssrc, uint32_t jitter,
	    uint64_t now_ms, struct rtcp_rb *rb);

#endif
