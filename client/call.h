/*
 * call: the media half of one participant in a conference.
 *
 * A call sends a source of audio (a sine tone, a WAV file or silence) as
 * SRTP-protected Opus RTP to a conference port, and plays out what comes
 * back from that port: decoded through a jitter buffer, with Opus FEC and
 * concealment for what was lost, then recorded and analysed.  It runs on
 * the caller's libevent base: one UDP socket for RTP and RTCP (rtcp-mux),
 * and two 20 ms timers on absolute deadlines of the monotonic clock, one
 * that sends and one that plays out, so neither drifts however late a
 * callback runs.  call_new() allocates everything; the packet path does
 * not allocate.
 *
 * confd sends a participant the mix of the others under the complement of
 * the participant's SSRC (~ssrc); a call accepts exactly that SSRC, or the
 * one set in rx_ssrc when two calls talk to each other directly.
 *
 * Analysis is what tests need: for each configured frequency, the share of
 * the energy heard that lies at it (see tone.h), measured from half a
 * second after the first frame played, so that a test can ask "do I hear
 * the 400 Hz of the other party, and not my own 600 Hz?".
 *
 * For tests the send side can also impair its own stream as a network
 * would: drop packets, swap neighbours, and delay each by a random 0..J ms
 * in a delay line that releases packets in order of their release time, so
 * that jitter reorders them as it does on a real path.  The random choices
 * come from a seeded generator, so a run can be repeated.
 */
#ifndef CALL_H
#define CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "srtpx.h"
#include "tone.h"

#define CALL_MAX_FREQS	TONE_MAX_FREQS

struct event_base;
struct call;

enum call_source {
	CALL_SRC_SILENCE = 0,	/* digital silence, still sent every 20 ms */
	CALL_SRC_TONE,		/* a sine of tone_hz at tone_amp */
	CALL_SRC_WAV,		/* a 48 kHz mono file, see wav.h */
};

/*
 * What call_conf_default() does not set must be set by the caller.  The
 * keys are read by call_new() and not kept: wipe them with
 * call_conf_wipe() once the call exists.
 */
struct call_conf {
	const char	*server_addr;	/* IPv4 or IPv6 literal; NULL: set */
					/* later with call_set_server() */
	uint16_t	 server_port;
	const char	*bind_addr;	/* NULL: loopback of the server's */
					/* family if it is loopback, else any */
	uint16_t	 bind_port;	/* 0: ephemeral */
	uint32_t	 ssrc;		/* what we send */
	bool		 rx_ssrc_set;	/* false: receive from ~ssrc */
	uint32_t	 rx_ssrc;
	enum srtpx_suite suite;
	uint8_t		 tx_key[SRTPX_MAX_MASTER];	/* master key+salt */
	uint8_t		 rx_key[SRTPX_MAX_MASTER];	/* both: room key */
	int		 payload_type;	/* 111 */
	const char	*cname;		/* NULL: made from the SSRC */

	enum call_source source;	/* CALL_SRC_SILENCE */
	double		 tone_hz;	/* 0 < tone_hz < 24000 */
	double		 tone_amp;	/* of full scale: 0.25 */
	const char	*wav_path;	/* CALL_SRC_WAV */
	bool		 wav_loop;	/* start over at the end: false */
	bool		 send_level;	/* add the RFC 6464 level: false */
	int		 level_ext_id;	/* its extension id, 1..14: 1 */

	int		 bitrate;	/* 32000 */
	int		 complexity;	/* 5 */
	bool		 fec;		/* inband FEC: true */
	bool		 dtx;		/* false: test tones never pause */
	int		 loss_percent;	/* loss the encoder plans for: 10 */
	int		 jitter_max_ms;	/* deepest jitter buffer: 200 */
	int		 rtcp_interval_ms;	/* between reports: 5000 */

	const char	*record_path;	/* NULL: no recording */
	double		 freqs[CALL_MAX_FREQS];	/* analysed frequencies */
	size_t		 nfreqs;
	int		 analysis_skip_ms;	/* of the first audio: 500 */

	/* Impairment of what we send, for tests; all off by default. */
	double		 loss_pct;	/* packets dropped, 0..100 */
	double		 reorder_pct;	/* packets swapped with the next */
	int		 jitter_ms;	/* extra delay 0..jitter_ms, <= 1000 */
	uint64_t	 seed;		/* of the impairment's choices */
};

struct call_stats {
	uint64_t	sent;		/* RTP packets put on the wire */
	uint64_t	dropped;	/* by the impairment, never sent */
	uint64_t	send_errors;	/* sendto() failed */
	uint64_t	received;	/* authentic RTP of the expected SSRC */
	uint64_t	lost;		/* frames never played */
	uint64_t	late;		/* arrived after their playout tick */
	uint64_t	duplicates;
	uint64_t	concealed;	/* frames made up by Opus PLC */
	uint64_t	fec;		/* frames recovered from FEC */
	uint64_t	auth_fail;	/* SRTP or SRTCP not authentic */
	uint64_t	replay;		/* replayed or too old */
	uint64_t	foreign;	/* from another SSRC */
	uint64_t	malformed;	/* not RTP, other payload, bad Opus */
	uint64_t	rtcp_sent;	/* reports and the BYE */
	uint64_t	rtcp_received;	/* authentic compounds */
	uint64_t	bye_received;	/* BYEs of the stream we receive */
	uint64_t	frames_played;	/* ticks that played a frame */
	uint64_t	ticks_skipped;	/* periods a stalled loop lost */
	uint64_t	resyncs;	/* the server's stream started anew */
	double		jitter_ms;	/* RFC 3550 interarrival jitter */
	int		level;		/* of the last frame heard, in -dBov */
					/* (0 loud .. 127 silent) */
	int		rx_level;	/* last RFC 6464 level heard, or -1 */
	int32_t		remote_lost;	/* of ours, as the far end reports */
};

/* Fills conf with the defaults shown in struct call_conf. */
void	call_conf_default(struct call_conf *conf);
/* Wipes the keys of conf. */
void	call_conf_wipe(struct call_conf *conf);
/*
 * Creates a call on base: binds its socket, makes its SRTP contexts, Opus
 * encoder and decoder, jitter buffer, meter and files.  Nothing is sent
 * before call_start().  0, or an errno with why.
 */
int	call_new(struct call **out, struct event_base *base,
	    const struct call_conf *conf, char *why, size_t whylen);
/* Sends to another address of the same family from now on; 0 or EINVAL. */
int	call_set_server(struct call *c, const char *addr, uint16_t port,
	    char *why, size_t whylen);
/* The local port the call's socket is bound to. */
uint16_t call_local_port(const struct call *c);
/*
 * Starts sending, receiving and playing out.  0; EDESTADDRREQ without a
 * server; EALREADY when started before (a stopped call stays stopped).
 */
int	call_start(struct call *c);
/*
 * Ends the call: sends what the delay line still holds and an RTCP BYE,
 * stops the timers and the socket, and flushes the recording.  Safe to
 * call from a callback of the call's base, and more than once; the stats
 * and the analysis stay readable.  0, or EIO with why when the recording
 * could not be written.
 */
int	call_stop(struct call *c, char *why, size_t whylen);
/* Frees the call (stopping it first, without a word if that fails). */
void	call_free(struct call *c);
/* Whether the call was started and not yet stopped. */
bool	call_running(const struct call *c);
/* Reads the counters. */
void	call_stats(const struct call *c, struct call_stats *st);
/*
 * The fraction of the energy heard that lies at hz (one of conf->freqs);
 * 0 before enough was heard and in silence, -1 if hz is not analysed.
 */
double	call_tone_ratio(const struct call *c, double hz);
/* The mean energy per sample heard and analysed (full scale 1); 0 if none. */
double	call_heard_energy(const struct call *c);

#endif
