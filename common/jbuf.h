/*
 * jbuf: the adaptive jitter buffer of one RTP source of 20 ms Opus frames.
 *
 * Packets go in as they arrive; one frame comes out per 20 ms tick of the
 * caller's clock.  The buffer is pure: the caller passes monotonic time in
 * milliseconds, decodes what it is handed (with Opus FEC or PLC when told
 * to) and owns all the I/O.  jbuf_new() allocates everything; jbuf_put()
 * and jbuf_get() never allocate, so they are fit for the media path.
 *
 * Frames play in sequence-number order.  A missing sequence number is loss;
 * a timestamp that jumps further than its sequence step is Opus DTX silence
 * and is never counted as loss.  Timestamps are 48 kHz units (RFC 7587).
 */
#ifndef JBUF_H
#define JBUF_H

#include <stddef.h>
#include <stdint.h>

#define JBUF_MAX_PAYLOAD	1275	/* the largest Opus packet (RFC 6716) */
#define JBUF_FRAME_TS		960	/* timestamp units per 20 ms frame */
#define JBUF_FRAMES_MAX		50	/* the largest max_frames: 1 s */

/* Bounds of the target depth; jbuf_conf_default() gives the values shown. */
struct jbuf_conf {
	int	min_frames;	/* the initial and smallest target, 1.. (1) */
	int	max_frames;	/* the largest target, ..50 (10: 200 ms) */
};

enum jbuf_put_status {
	JBUF_PUT_STORED = 0,
	JBUF_PUT_DUPLICATE,	/* already queued or played: dropped */
	JBUF_PUT_LATE,		/* its playout time has passed: dropped */
	JBUF_PUT_TOOBIG,	/* over JBUF_MAX_PAYLOAD bytes: dropped */
	JBUF_PUT_OUTSIDE,	/* far from the stream: dropped (see below) */
	JBUF_PUT_RESYNC,	/* a sender restart: stored, a new start */
};

enum jbuf_get_status {
	JBUF_NONE = 0,		/* silence, or not started: decode nothing */
	JBUF_FRAME,		/* decode data */
	JBUF_FEC,		/* lost; data is the next packet: use its FEC */
	JBUF_LOST,		/* lost: run Opus PLC */
};

/*
 * What jbuf_get() hands out.  data stays valid until the next call on the
 * buffer; for JBUF_FEC it is the next packet, which plays on the next tick.
 */
struct jbuf_frame {
	const uint8_t	*data;		/* NULL for JBUF_NONE and JBUF_LOST */
	size_t		 len;
	uint16_t	 seq;		/* the frame of this tick, even lost */
	uint32_t	 ts;		/* its timestamp, estimated if lost */
};

struct jbuf_stats {
	uint64_t	received;	/* packets given to jbuf_put() */
	uint64_t	duplicates;
	uint64_t	late;		/* arrived after their frame's tick */
	uint64_t	lost;		/* frames never played: JBUF_FEC, */
					/* JBUF_LOST, and gaps skipped */
	uint64_t	fec_available;	/* lost frames handed out as JBUF_FEC */
	uint64_t	discarded;	/* queued frames dropped to cut delay */
	uint64_t	too_big;
	uint64_t	outside;	/* JBUF_PUT_OUTSIDE */
	uint64_t	resyncs;	/* JBUF_PUT_RESYNC */
	unsigned	depth;		/* frames from the next to play to */
					/* the newest queued, holes included */
	unsigned	target;		/* the depth the buffer aims for */
	uint32_t	jitter;		/* RFC 3550 interarrival jitter, in */
					/* timestamp units as RTCP wants */
};

struct jbuf;

/* Fills conf with the defaults. */
void	jbuf_conf_default(struct jbuf_conf *conf);
/*
 * A new, empty buffer; conf NULL means the defaults.  NULL with errno
 * EINVAL when the bounds are not 1 <= min_frames <= max_frames <= 50, or
 * ENOMEM.  It takes (max_frames + 9) * 1296 bytes: 24 KiB by default.
 */
struct jbuf *jbuf_new(const struct jbuf_conf *conf);
/* Frees the buffer. */
void	jbuf_free(struct jbuf *jb);
/* Forgets the stream, the estimates and the counters, as if new. */
void	jbuf_reset(struct jbuf *jb);
/*
 * Queues one packet that arrived at now_ms.  A packet far away from the
 * stream, in sequence number or in arrival time against its timestamp, is
 * dropped as JBUF_PUT_OUTSIDE; a second one that follows it closely proves
 * a sender restart, and the buffer restarts from those two (JBUF_PUT_RESYNC).
 */
enum jbuf_put_status jbuf_put(struct jbuf *jb, uint16_t seq, uint32_t ts,
	    const uint8_t *payload, size_t len, uint64_t now_ms);
/* The frame to decode at this tick of the 20 ms clock, into out. */
enum jbuf_get_status jbuf_get(struct jbuf *jb, uint64_t now_ms,
	    struct jbuf_frame *out);
/* The counters and the current depth, target and jitter. */
void	jbuf_get_stats(const struct jbuf *jb, struct jbuf_stats *st);

#endif
