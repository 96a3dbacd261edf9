/*
 * confd: the conference daemon's internal header.
 *
 * All process state hangs off one struct confd, created in main.c and passed
 * down.  A conference ("room") owns one UDP port; its participants send
 * SRTP-protected Opus RTP to that port and get back, at their source
 * address, everyone else mixed.  See docs/confd.md for the packet path and
 * the mixing clock.
 */
#ifndef CONFD_H
#define CONFD_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/util.h>
#include <opus/opus.h>

#include "cfg.h"
#include "daemon.h"
#include "jbuf.h"
#include "log.h"
#include "mix.h"
#include "rtp.h"
#include "srtpx.h"

#define CONFD_DEFAULT_CONF	"/etc/conference/confd.ini"

#define CONFD_RATE		48000
#define CONFD_FRAME		960		/* samples per 20 ms frame */
#define CONFD_FRAME_MS		20
#define CONFD_MAX_PARTS		64		/* participants per room */
#define CONFD_MAX_OPUS		1275		/* largest Opus frame */
#define CONFD_PKT_MAX		1500		/* largest datagram handled */
#define CONFD_BATCH		32		/* datagrams per recvmmsg */
#define CONFD_NENC		(1 + CONFD_MAX_PARTS)	/* encoders per room */
#define CONFD_DELAY_BUCKETS	18		/* see tick.c */
/* Event priorities: sockets are read before the clock ticks; the rest. */
#define CONFD_PRIO_MEDIA	0
#define CONFD_PRIO_TICK		1
#define CONFD_NPRIO		3
#define CONFD_CMSG		64		/* room for SCM_TIMESTAMPNS */
#define CONFD_MAX_WORKERS	64		/* [media] workers */

/* A permanent conference declared in the INI file: [room NAME]. */
struct confd_room_conf {
	TAILQ_ENTRY(confd_room_conf) entry;
	char	name[64];
	int	port;
	int	capacity;
	int	suite;			/* enum srtpx_suite */
	char	key[128];		/* base64 master key and salt */
};
TAILQ_HEAD(confd_room_confs, confd_room_conf);

/* The configuration, as described by confd_schema (options.c). */
struct confd_conf {
	int	log_level;		/* enum log_level */
	char	server_id[64];
	/* [media] */
	char	ipv4[64];
	char	ipv6[64];
	int	payload_type;
	int	level_ext_id;
	int64_t	jitter_max;		/* ms */
	int64_t	idle_timeout;		/* ms without packets: removed */
	int	max_participants;	/* per room, a hard cap */
	int	max_rooms;		/* open at once */
	int	max_total_parts;	/* over all rooms */
	int	workers;		/* media threads; 0: one per CPU */
	int64_t	close_grace;		/* ms a booked room stays open late */
	/* [mixer] */
	int	max_speakers;		/* 0: everyone */
	bool	forward;		/* a lone talker's packets as they are */
	/* [opus] */
	int	bitrate;
	int	complexity;
	bool	fec;
	bool	dtx;
	int	loss_percent;
	/* [mgmtd] */
	char	mgmtd_addr[64];		/* empty: standalone */
	int	mgmtd_port;
	bool	mgmtd_tls;
	char	mgmtd_ca[256];
	char	mgmtd_secret[128];
	char	region[64];
	char	public_ipv4[64];
	char	public_ipv6[64];
	int	port_min, port_max;
	int	capacity;
	/* [metrics] */
	char	metrics_addr[64];
	int	metrics_port;		/* 0: no metrics listener */
	/* [room NAME] sections, owned */
	struct confd_room_confs rooms;
};

/* Counters of one participant, also summed per room. */
struct confd_stats {
	uint64_t	rx_packets, rx_bytes;
	uint64_t	tx_packets, tx_bytes;
	uint64_t	auth_fail, replay, malformed, bad_pt;
	uint64_t	late, lost, concealed, fec_recovered, duplicates;
	uint64_t	decoded, encoded, forwarded;
};

/* A histogram of delays in ms, buckets as tick_delay_bounds. */
struct confd_hist {
	uint64_t	bucket[CONFD_DELAY_BUCKETS];
	uint64_t	count;
	double		sum;
};

struct room;
struct worker;

/* Ticks a lone talker must last before its packets replace a mix. */
#define FWD_HOLD	10
/* Its level (-dBov) at which they may: the switch is masked below it; */
#define FWD_QUIET	40
/* or in a valley this many dB below its loudest frame of the run. */
#define FWD_VALLEY	10
/* A speaker's level (-dBov) past which it is not heard: not a talker. */
#define FWD_AUDIBLE	60
/* Frames the room's encoder codes again before it takes over. */
#define FWD_PRIME	3

/* Forwarding state of a room (fwd.c). */
struct fwd {
	int		 slot;		/* the talker forwarded, or -1 */
	int		 solo;		/* the lone talker of the last ticks */
	unsigned	 solo_ticks;	/* how many ticks it has been alone */
	int		 loud;		/* its loudest level since (-dBov) */
	/* Its last frames, decoded, oldest first from pcm[next]. */
	int16_t		 pcm[FWD_PRIME][CONFD_FRAME];
	unsigned	 next;
};

/* What a tick sends (fwd.c). */
enum fwd_action {
	FWD_MIX,		/* mix and encode as usual */
	FWD_SEND,		/* send the talker's packet to the listeners */
	FWD_GAP,		/* its frame is missing: skip a sequence number */
};

/* One participant of a room. */
struct part {
	struct room	*room;
	int		 slot;		/* index in room->parts */
	uint32_t	 ssrc;		/* what it sends */
	uint32_t	 out_ssrc;	/* what confd sends it */
	struct srtpx	*rx, *tx;	/* owned */
	struct sockaddr_storage addr;	/* latched from authentic packets */
	socklen_t	 addrlen;
	struct jbuf	*jb;		/* owned */
	OpusDecoder	*dec;		/* owned */
	int16_t		 pcm[CONFD_FRAME];
	bool		 have_pcm;	/* pcm holds this tick's audio */
	int		 level;		/* this tick, 0 loud .. 127 silent */
	int		 ext_level;	/* last RFC 6464 level, -1 if none */
	int		 enc;		/* encoder slot of its own mix, or -1 */
	/* This tick's packet if it may be forwarded (fwd.c), else 0 bytes. */
	const uint8_t	*fwd;
	size_t		 fwd_len;
	int		 fwd_from;	/* slot whose packet it gets, or -1 */
	enum part_fed {
		PART_FED_NONE,		/* sent nothing */
		PART_FED_ENC,		/* one of the room's encoders */
		PART_FED_FWD,		/* another's packet, forwarded */
	}		 fed;		/* what its last packet was */
	/* The outgoing stream: one SSRC, continuous seq and timestamps. */
	uint16_t	 tx_seq;
	uint32_t	 tx_ts;
	uint32_t	 tx_octets;
	uint64_t	 last_rx_ms;	/* monotonic */
	uint64_t	 arrival_us[64];	/* by seq % 64, for the delay */
	uint64_t	 frame_arrival_us;	/* of this tick's frame, or 0 */
	uint64_t	 joined_ms;
	uint64_t	 last_sr_ms;
	struct rtp_rx	 rx_report;	/* of its packets, for our reports */
	uint32_t	 rr_jitter;	/* from its receiver reports */
	uint8_t		 rr_fraction;
	int32_t		 rr_lost;
	bool		 leaving;	/* BYE or timeout: freed after the tick */
	const char	*leave_reason;
	struct confd_stats st;
};

/*
 * What a participant of a booked conference was given: its SSRC and one
 * SRTP master key per direction.  Its inbound context is made when its
 * first packet comes and handed to the participant when that packet proves
 * authentic.
 */
struct cred {
	uint32_t	 ssrc;
	uint8_t		 key_up[SRTPX_MAX_MASTER];	/* participant to confd */
	uint8_t		 key_down[SRTPX_MAX_MASTER];	/* confd to participant */
	struct srtpx	*rx;		/* owned until handed over */
};

enum wmsg_type {
	WMSG_ADD,		/* a new room joins the worker's list */
	WMSG_OPEN,		/* its sockets are bound: start reading them */
	WMSG_CREDS,		/* a booked room's credentials and capacity */
	WMSG_FREE,		/* the room is gone: log its summary, free it */
	WMSG_CONF,		/* the configuration was reloaded */
	WMSG_SNAP,		/* copy the counters /metrics shows */
	WMSG_SNAP_DONE,		/* to the control thread: a copy is ready */
	WMSG_STOP,		/* leave the event loop */
};

struct metrics_req;

/*
 * A message between the control thread and a worker (worker.c).  The
 * sender fills it and posts it; from then on it belongs to the receiver,
 * which frees it, except for the messages embedded in a room or a worker.
 */
struct wmsg {
	TAILQ_ENTRY(wmsg) entry;
	enum wmsg_type	 type;
	bool		 embedded;	/* part of a room or worker: not freed */
	struct room	*room;
	int		 capacity;	/* WMSG_CREDS */
	struct cred	*creds;		/* WMSG_CREDS: owned, sorted, wiped */
	size_t		 ncreds;
	struct confd_conf *conf;	/* WMSG_CONF: owned, rooms list empty */
	struct metrics_req *mreq;	/* WMSG_SNAP, WMSG_SNAP_DONE */
	unsigned	 idx;		/* the worker's slot in mreq */
};
TAILQ_HEAD(wmsgs, wmsg);

/* A thread's inbox: the one lock, taken on the control path only. */
struct wq {
	pthread_mutex_t	 mu;
	struct wmsgs	 msgs;
	struct event	*ev;		/* made active by each post */
	bool		 init;
};

/*
 * One conference on one UDP port.  The control thread owns the fields
 * marked (control); everything else belongs to the room's worker once
 * WMSG_ADD is posted, and the control thread changes it only through
 * messages.  Fields the control thread writes before posting a message are
 * read by the worker after it: the queue's mutex orders them.
 */
struct room {
	TAILQ_ENTRY(room) entry;	/* confd->rooms (control) */
	TAILQ_ENTRY(room) wentry;	/* worker->rooms */
	TAILQ_ENTRY(room) active;	/* worker->active, while it has people */
	bool		 is_active;
	uint64_t	 tick_next_ns;	/* monotonic deadline of its next tick */
	struct confd	*cd;		/* only its atomics from a worker */
	struct worker	*w;		/* for the room's life */
	char		 name[64];	/* [room NAME], or the booking id */
	int		 port;
	int		 capacity;
	enum srtpx_suite suite;
	bool		 shared;	/* one key for everyone (INI rooms) */
	uint8_t		 key[SRTPX_MAX_MASTER];	/* shared room key; wiped */
	struct srtpx	*admit;		/* authenticates unknown SSRCs */
	struct cred	*creds;		/* booked rooms: sorted by SSRC */
	size_t		 ncreds;
	uint64_t	 cred_auth_fail;	/* known SSRC, not authentic */
	/* The window of a booked room, wall-clock ms; INI rooms: forever. */
	int64_t		 start_ms, end_ms;	/* (control) */
	uint64_t	 version;	/* of the booking, from mgmtd (control) */
	bool		 open;		/* its sockets are bound (control) */
	bool		 closing;	/* failed to open: waits for its end (c.) */
	bool		 seen;		/* mgmt.c: listed in a snapshot (c.) */
	bool		 in_heap;	/* sched.c (control) */
	size_t		 heap_idx;	/* (control) */
	struct wmsg	 msg_free;	/* WMSG_FREE, which cannot fail */
	int		 fd[2];		/* IPv4, IPv6; -1 when not used */
	struct event	*ev[2];
	struct part	*parts[CONFD_MAX_PARTS];
	uint32_t	 ssrcs[CONFD_MAX_PARTS];	/* parallel, for lookup */
	int		 nparts;
	struct mix_sel	*sel;		/* speaker selection state, owned */
	/*
	 * Encoder 0 makes the shared mix that listeners hear; encoder e > 0
	 * makes the mix of the speaker in slot enc_owner[e], without its own
	 * voice.  They are created on first use and kept for the room's life.
	 */
	OpusEncoder	*enc[CONFD_NENC];
	int		 enc_owner[CONFD_NENC];	/* slot, or -1 */
	struct mix_limiter lim[CONFD_NENC];
	bool		 talking;	/* the last tick sent audio */
	struct fwd	 fwd;
	uint64_t	 opened_ms;
	struct confd_stats st;		/* of participants that left */
	uint64_t	 unknown_ssrc, refused_full, garbage, joins, leaves;
	/* What the kernel dropped at each socket, full (SO_RXQ_OVFL). */
	uint32_t	 kernel_drops[2];
	struct log_rl	 rl;
};
TAILQ_HEAD(rooms, room);

/* Scratch space of the packet path, allocated once. */
struct confd_io {
	struct mmsghdr		 msg[CONFD_BATCH];
	struct iovec		 iov[CONFD_BATCH];
	struct sockaddr_storage	 addr[CONFD_BATCH];
	uint8_t			 buf[CONFD_BATCH][CONFD_PKT_MAX];
	/* The kernel's arrival time of each (SO_TIMESTAMPNS). */
	union {
		struct cmsghdr	 align;
		uint8_t		 buf[CONFD_CMSG];
	}			 cmsg[CONFD_BATCH];
	uint8_t			 scratch[CONFD_PKT_MAX];	/* admission */
	/* Outgoing: one packet per participant of one room per tick. */
	struct mmsghdr		 tmsg[CONFD_MAX_PARTS];
	struct iovec		 tiov[CONFD_MAX_PARTS];
	uint8_t			 tbuf[CONFD_MAX_PARTS][CONFD_PKT_MAX];
	struct sockaddr_storage	 taddr[CONFD_MAX_PARTS];
	/* Encoded frames of this tick, by encoder slot. */
	uint8_t			 opus[CONFD_NENC][CONFD_MAX_OPUS];
	int			 opus_len[CONFD_NENC];
	int16_t			 out_pcm[CONFD_NENC][CONFD_FRAME];
	int16_t			 discard[CONFD_FRAME];	/* unused output */
	struct mix_limiter	 discard_lim;
};

/*
 * A media thread (worker.c): its own event loop, rooms, mixing clock and
 * scratch buffers, so that the packet path takes no lock.  Rooms are given
 * to the worker with the fewest when they are made and never move.
 */
struct worker {
	struct confd		*cd;
	unsigned		 id;
	pthread_t		 thread;
	bool			 started;
	struct event_base	*base;
	struct wq		 q;		/* from the control thread */
	struct wmsg		 msg_stop;	/* WMSG_STOP, which cannot fail */
	struct confd_conf	 conf;		/* its copy; rooms list empty */
	struct rooms		 rooms;		/* its rooms, by wentry */
	struct rooms		 active;	/* ticked every 20 ms */
	int			 nactive;
	struct event		*ev_tick;
	uint64_t		 ticks, ticks_late, ticks_skipped;
	uint64_t		 server_full;	/* joins it refused: server full */
	struct confd_io		*io;		/* owned */
	/* A packet's arrival to the first packet carrying its audio. */
	struct confd_hist	 delay_mix;
	/* The part of it after the tick took the frame: mixing work. */
	struct confd_hist	 delay_work;
	int			 nrooms;	/* the control thread's count */
};

struct confd {
	struct event_base	*base;		/* the control thread's */
	struct svc		*svc;
	struct daemon_args	 args;
	struct confd_conf	 conf;		/* the control thread's */
	struct rooms		 rooms;
	struct worker		*workers;	/* owned */
	unsigned		 nworkers;
	struct wq		 q;		/* answers from the workers */
	struct evhttp		*http;		/* /metrics */
	TAILQ_HEAD(, metrics_req) mreqs;	/* waiting for snapshots */
	struct event		*ev_sched;	/* sched.c: next open or close */
	struct room		**heap;
	size_t			 nheap, capheap;
	struct mgmt		*mgmt;		/* mgmt.c; NULL: standalone */
	/* limits.c: rooms open, and what the limits turned away. */
	int			 nopen;
	uint64_t		 rooms_refused;
	/* Participants over all workers, reserved before a join. */
	atomic_int		 parts_total;
	atomic_bool		 server_full_logged;
};

/* options.c */
extern const struct cfg_schema confd_schema;
/* Prepares an empty configuration for cfg_load(). */
void	confd_conf_init(struct confd_conf *c);
/* Frees the [room] sections of a configuration. */
void	confd_conf_free(struct confd_conf *c);
/* Checks what the table cannot: keys, port clashes; adds to errs. */
void	confd_conf_check(const struct confd_conf *c, const char *path,
	    struct cfg_errs *errs);

/* fwd.c */
/* Starts with nobody forwarded. */
void	fwd_reset(struct fwd *f);
/*
 * Decides a tick: solo is the slot of the one speaker heard, or -1; ready
 * whether its frame is a packet that may be forwarded, level its level;
 * was_sending whether the last tick sent audio.  *leave is set when
 * forwarding ends, so that the room's encoder must first code f->pcm.
 */
enum fwd_action fwd_decide(struct fwd *f, int solo, bool ready, int level,
	    bool was_sending, bool *leave);
/* Keeps the talker's decoded frame for a later fwd_decide() *leave. */
void	fwd_keep(struct fwd *f, const int16_t *pcm);

/* room.c */
/*
 * Creates a room, not yet open.  With a shared key (INI rooms) any SSRC may
 * join; without, only the SSRCs of room_set_creds().
 */
int	room_new(struct confd *cd, const char *name, int port, int capacity,
	    enum srtpx_suite suite, const uint8_t *shared_key,
	    struct room **out, char *why, size_t whylen);
/*
 * Control thread: sends a booked room's worker a sorted copy of its
 * credentials and its capacity; 0 or ENOMEM.
 */
int	room_set_creds(struct room *r, const struct cred *creds, size_t n,
	    int capacity);
/* Worker: installs the credentials of a WMSG_CREDS, which it takes over. */
void	room_install_creds(struct room *r, struct cred *creds, size_t n);
/* The credential of ssrc in a booked room, or NULL. */
struct cred *room_cred(struct room *r, uint32_t ssrc);
/* Control thread: binds the room's sockets and has its worker read them. */
int	room_open(struct room *r, char *why, size_t whylen);
/* Worker: starts reading the sockets bound by room_open(). */
void	room_attach(struct room *r);
/*
 * Control thread: forgets the room and hands it to its worker to free; the
 * caller must not touch it afterwards.
 */
void	room_release(struct room *r);
/* Worker: removes every participant, closes the sockets, frees the room. */
void	room_free(struct room *r);
/* The participant sending ssrc, or NULL. */
struct part *room_find(struct room *r, uint32_t ssrc);
/*
 * Admits a participant with its keys (rx may be a ready inbound context,
 * which the participant then owns); 0, ENOSPC when full, EEXIST on an SSRC
 * clash.
 */
int	room_join(struct room *r, uint32_t ssrc, struct srtpx *rx,
	    const uint8_t *key_up, const uint8_t *key_down,
	    const struct sockaddr *sa, socklen_t salen, uint64_t now_ms,
	    struct part **out);
/* Removes and frees the participants marked leaving. */
void	room_reap(struct room *r);

/* limits.c */
/* About how many file descriptors the configuration may hold at once. */
uint64_t limits_fd_need(const struct confd_conf *c);
/* Raises the descriptor limit to fit; 0, or an errno with why. */
int	limits_fds_ensure(const struct confd_conf *c, char *why,
	    size_t whylen);
/* Whether one more room may open under [media] max_rooms; 0 or ENOSPC. */
int	limits_room_may_open(struct room *r, char *why, size_t whylen);
/*
 * Whether a newcomer fits the room and the server; 0 or ENOSPC, counted.
 * On 0 a place is reserved: limits_leave() gives it back.
 */
int	limits_may_join(struct room *r, uint32_t ssrc);
/* Gives back a place of limits_may_join(): a participant left. */
void	limits_leave(struct room *r);
/* part.c */
/*
 * A participant with its SRTP contexts, jitter buffer and decoder.  rx, if
 * not NULL, is a ready inbound context that the participant takes over.
 */
int	part_new(struct room *r, uint32_t ssrc, struct srtpx *rx,
	    const uint8_t *rx_key, const uint8_t *tx_key, struct part **out);
/* Logs the participant's summary line and frees it. */
void	part_free(struct part *p);
/* Adds a participant's counters into a sum. */
void	part_stats_add(struct confd_stats *sum, const struct confd_stats *st);

/* rx.c */
/* Reads every pending datagram of a room socket (event callback). */
void	rx_on_readable(evutil_socket_t fd, short what, void *arg);

/* tick.c */
/* Frees a worker's mixing clock. */
void	tick_free(struct worker *w);
/* Puts a room on the mixing clock (first participant). */
void	tick_activate(struct room *r);
/* Takes a room off the mixing clock (no participant left). */
void	tick_deactivate(struct room *r);
/* Mixes and sends one 20 ms frame of a room. */
void	tick_room(struct room *r, uint64_t now_ms);
/* Upper bounds of the mixing delay histogram's buckets, in ms. */
extern const double tick_delay_bounds[CONFD_DELAY_BUCKETS];

/* rtcp.c */
/* Handles a decrypted RTCP compound from a participant. */
void	rtcp_handle(struct part *p, const uint8_t *buf, size_t len);
/* Sends a sender report to the participant when one is due. */
void	rtcp_maybe_send(struct part *p, uint64_t now_ms);

/* sched.c */
/* Sets up the timer of the booked rooms' windows. */
int	sched_init(struct confd *cd);
/* Puts a room in the schedule, or moves it after its window changed. */
void	sched_update(struct confd *cd, struct room *r);
/* Takes a room out of the schedule (it is being freed). */
void	sched_forget(struct confd *cd, struct room *r);
/* Frees the schedule. */
void	sched_free(struct confd *cd);
/* Wall-clock time in milliseconds since the epoch. */
int64_t	confd_wall_ms(void);

/* mgmt.c */
/* Registers with mgmtd and follows its feed, if [mgmtd] address is set. */
int	mgmt_start(struct confd *cd, char *why, size_t whylen);
/* Stops talking to mgmtd; the rooms stay. */
void	mgmt_stop(struct confd *cd);

/* feedmsg.c: one message of mgmtd's feed, docs/api.md "The feed" */
#define FEEDMSG_PROTOCOL	1	/* the version this confd speaks */
#define FEEDMSG_ID_LEN		20	/* hex digits of a booking id */
#define FEEDMSG_EPOCH_LEN	16	/* hex digits of a store's epoch */
#define FEEDMSG_MAX_PARTS	1000	/* participants of one conference */

/* One conference of a message: booked (an upsert) or cancelled. */
struct feedmsg_conf {
	char		 id[FEEDMSG_ID_LEN + 1];
	bool		 cancelled;
	int		 port;		/* 1024 to 65535 */
	int64_t		 start, end;	/* Unix seconds, start < end */
	int		 capacity;	/* 1 to 65535 */
	struct cred	*creds;		/* owned, by SSRC, rx NULL; wiped */
	size_t		 ncreds;	/* at most FEEDMSG_MAX_PARTS */
};

/* A message, read whole before any of it is applied. */
struct feedmsg {
	bool		 snapshot;	/* else changes */
	char		 epoch[FEEDMSG_EPOCH_LEN + 1];
	uint64_t	 version;	/* 0 to 2^53 */
	struct feedmsg_conf *confs;	/* owned */
	size_t		 nconfs;
};

struct json_t;
/*
 * Reads a message for server_id, checking every field the protocol gives;
 * 0, or EINVAL (ENOMEM) with why and *out empty, its keys wiped.
 */
int	feedmsg_parse_json(const struct json_t *msg, const char *server_id,
	    struct feedmsg *out, char *why, size_t whylen);
/* The same from the bytes of an answer, as mgmt.c reads them. */
int	feedmsg_parse(const char *buf, size_t len, const char *server_id,
	    struct feedmsg *out, char *why, size_t whylen);
/* Wipes the keys of a message and frees what it holds. */
void	feedmsg_free(struct feedmsg *m);

/* worker.c */
/* Sets up a thread's inbox on its base; 0 or an errno. */
int	wq_init(struct wq *q, struct event_base *base,
	    void (*cb)(evutil_socket_t, short, void *), void *arg);
/* Posts a message; it then belongs to the receiving thread. */
void	wq_post(struct wq *q, struct wmsg *m);
/* Takes every message posted so far, in order. */
void	wq_take(struct wq *q, struct wmsgs *out);
/* Frees an inbox and any message left in it. */
void	wq_free(struct wq *q);
/* A message of a type, or NULL when out of memory. */
struct wmsg *wmsg_new(enum wmsg_type type, struct room *r);
/* Frees a message and what it owns, unless it is embedded. */
void	wmsg_free(struct wmsg *m);
/* Creates the workers of [media] workers and starts their threads. */
int	worker_start(struct confd *cd, char *why, size_t whylen);
/* The worker a new room goes to: the one with the fewest rooms. */
struct worker *worker_pick(struct confd *cd);
/* Sends each worker a copy of the reloaded configuration. */
void	worker_reconf(struct confd *cd);
/* Stops every worker, after the messages posted so far, and frees them. */
void	worker_stop(struct confd *cd);
/* How many workers [media] workers asks for on this machine. */
unsigned worker_count(const struct confd_conf *c);

/* metrics.c */
/* What /metrics shows of one participant. */
struct snap_part {
	uint32_t		 ssrc;
	struct confd_stats	 st;
	double			 jitter_ms;
	int			 level;
	int			 speaking;
};

/* What /metrics shows of one room; its participants follow in parts. */
struct snap_room {
	char			 name[64];
	int			 nparts, capacity;
	uint64_t		 unknown_ssrc, garbage, refused_full;
	uint64_t		 socket_drops;
	struct confd_stats	 st;		/* of participants that left */
	size_t			 part0, npart;	/* in snap->parts */
};

/* A copy of one worker's counters, made on its thread. */
struct snap {
	struct snap_room	*rooms;		/* owned */
	size_t			 nrooms;
	struct snap_part	*parts;		/* owned */
	size_t			 nparts;
	struct confd_hist	 delay_mix, delay_work;
	uint64_t		 ticks, ticks_late, server_full;
	bool			 failed;	/* out of memory */
};

/* Starts the /metrics HTTP listener; 0 or an errno with why. */
int	metrics_start(struct confd *cd, char *why, size_t whylen);
/* Worker: fills the snapshot of a WMSG_SNAP and answers it. */
void	metrics_snap(struct worker *w, struct wmsg *m);
/* Control thread: a worker answered; replies when all have. */
void	metrics_snap_done(struct confd *cd, struct wmsg *m);
/* Stops it; call after worker_stop() and the last answers. */
void	metrics_stop(struct confd *cd);

/* Monotonic time in milliseconds. */
uint64_t confd_now_ms(void);
/* Monotonic time in microseconds. */
uint64_t confd_now_us(void);

#endif
