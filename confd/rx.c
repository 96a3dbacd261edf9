/*
 * rx: the receive half of the packet path.
 *
 * recvmmsg() takes up to CONFD_BATCH datagrams per system call.  Each is
 * matched to a participant by the SSRC in its clear header, authenticated
 * and decrypted with that participant's own SRTP context, parsed, and put
 * into its jitter buffer.  Whatever fails is dropped and counted; nothing
 * here allocates, blocks, or logs above debug level.
 */
#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "confd.h"

/* The SSRC of an RTP packet (bytes 8..11) or of an RTCP sender (4..7). */
static uint32_t
rx_ssrc(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 |
	    (uint32_t)b[off + 2] << 8 | b[off + 3];
}

/* Follows a participant to a new address, on authentic packets only. */
static void
rx_latch(struct part *p, const struct sockaddr_storage *ss, socklen_t len)
{
	if (p->addrlen == len && memcmp(&p->addr, ss, len) == 0)
		return;
	memcpy(&p->addr, ss, len);
	p->addrlen = len;
	log_debug_rl(&p->room->rl, "rx", "%s: %08x moved to a new address",
	    p->room->name, p->ssrc);
}

/* Counts an SRTP verdict on a participant's packet; true when authentic. */
static bool
rx_verdict(struct part *p, int rc)
{
	switch (rc) {
	case SRTPX_OK:
		return true;
	case SRTPX_E_REPLAY:
		p->st.replay++;
		break;
	case SRTPX_E_AUTH:
		p->st.auth_fail++;
		log_debug_rl(&p->room->rl, "rx", "%s: %08x: authentication "
		    "failed", p->room->name, p->ssrc);
		break;
	default:
		p->st.malformed++;
		break;
	}
	return false;
}

static void
rx_rtcp(struct room *r, uint8_t *buf, size_t len,
    const struct sockaddr_storage *ss, socklen_t sslen)
{
	struct part *p;

	if (len < 8) {
		r->garbage++;
		return;
	}
	if ((p = room_find(r, rx_ssrc(buf, 4))) == NULL) {
		r->unknown_ssrc++;
		return;
	}
	if (!rx_verdict(p, srtpx_unprotect_rtcp(p->rx, buf, &len)))
		return;
	rx_latch(p, ss, sslen);
	p->last_rx_ms = confd_now_ms();
	rtcp_handle(p, buf, len);
}

/* Joins an authentic newcomer; logs and counts a refusal.  */
static struct part *
rx_join(struct room *r, uint32_t ssrc, struct srtpx *rx,
    const uint8_t *key_up, const uint8_t *key_down,
    const struct sockaddr_storage *ss, socklen_t sslen, uint64_t now)
{
	struct part *p;
	int rc;

	if ((rc = room_join(r, ssrc, rx, key_up, key_down,
	    (const struct sockaddr *)ss, sslen, now, &p)) == 0)
		return p;
	if (rc != ENOSPC)
		r->unknown_ssrc++;
	log_debug_rl(&r->rl, "rx", "%s: %08x refused: %s", r->name, ssrc,
	    rc == ENOSPC ? "conference full" : rc == EEXIST ?
	    "SSRC clashes with a stream" : strerror(rc));
	return NULL;
}

/*
 * A packet from an SSRC that is not a participant.  In a room with a shared
 * key it joins once the admission context finds a copy of the packet
 * authentic, and the packet then goes through the newcomer's own context;
 * in a booked room the inbound context of its credential checks the packet
 * and passes to the newcomer.  Either way the newcomer's replay window
 * starts with this packet, which is left decrypted in buf.  Returns the
 * participant, or NULL when the packet was dropped (and counted).
 */
static struct part *
rx_admit(struct room *r, uint32_t ssrc, uint8_t *buf, size_t *len,
    const struct sockaddr_storage *ss, socklen_t sslen, uint64_t now)
{
	uint8_t *copy = r->w->io->scratch;
	size_t clen = *len;
	struct part *p;
	struct cred *c;
	int rc;

	if (r->shared) {
		memcpy(copy, buf, clen);
		if (srtpx_unprotect(r->admit, copy, &clen) != SRTPX_OK) {
			r->unknown_ssrc++;
			log_debug_rl(&r->rl, "rx", "%s: %08x: not authentic, "
			    "dropped", r->name, ssrc);
			return NULL;
		}
		srtpx_forget(r->admit, ssrc);
		p = rx_join(r, ssrc, NULL, r->key, r->key, ss, sslen, now);
		if (p != NULL && srtpx_unprotect(p->rx, buf, len) != SRTPX_OK)
			p->st.malformed++;
		return p;
	}
	if ((c = room_cred(r, ssrc)) == NULL) {
		r->unknown_ssrc++;
		return NULL;
	}
	/*
	 * The context is made once and kept: a stranger repeating a known
	 * SSRC costs one authentication check a packet, not a context.
	 */
	if (c->rx == NULL && (rc = srtpx_new(&c->rx, r->suite, c->key_up,
	    SRTPX_IN, ssrc)) != 0) {
		r->unknown_ssrc++;
		return NULL;
	}
	if (srtpx_unprotect(c->rx, buf, len) != SRTPX_OK) {
		r->cred_auth_fail++;
		log_debug_rl(&r->rl, "rx", "%s: %08x: not authentic, dropped",
		    r->name, ssrc);
		return NULL;
	}
	/* The context passes to the participant, even on failure. */
	p = rx_join(r, ssrc, c->rx, c->key_up, c->key_down, ss, sslen, now);
	c->rx = NULL;
	return p;
}

static void
rx_rtp(struct room *r, uint8_t *buf, size_t len,
    const struct sockaddr_storage *ss, socklen_t sslen, uint64_t now_us)
{
	uint64_t now = now_us / 1000;
	const struct confd_conf *conf = &r->w->conf;
	struct rtp_level lvl;
	struct rtp_hdr h;
	struct part *p;
	uint32_t ssrc = rx_ssrc(buf, 8);

	if ((p = room_find(r, ssrc)) == NULL) {
		if ((p = rx_admit(r, ssrc, buf, &len, ss, sslen, now)) == NULL)
			return;
	} else if (!rx_verdict(p, srtpx_unprotect(p->rx, buf, &len)))
		return;
	rx_latch(p, ss, sslen);
	p->last_rx_ms = now;
	if (rtp_parse(buf, len, &h) != 0) {
		p->st.malformed++;
		return;
	}
	if (h.pt != conf->payload_type) {
		p->st.bad_pt++;
		return;
	}
	p->st.rx_packets++;
	p->st.rx_bytes += len;
	(void)rtp_rx_packet(&p->rx_report, h.seq);
	if (conf->level_ext_id != 0 && h.has_ext &&
	    rtp_ext_level(&h, (uint8_t)conf->level_ext_id, &lvl) == 0)
		p->ext_level = lvl.level;
	switch (jbuf_put(p->jb, h.seq, h.ts, h.payload, h.payload_len, now)) {
	case JBUF_PUT_STORED:
	case JBUF_PUT_RESYNC:
		p->arrival_us[h.seq % 64] = now_us;
		break;
	case JBUF_PUT_LATE:
		p->st.late++;
		break;
	case JBUF_PUT_DUPLICATE:
		p->st.duplicates++;
		break;
	default:
		break;
	}
}

/*
 * The monotonic time, in microseconds, at which the kernel received a
 * datagram, from its SO_TIMESTAMPNS stamp (wall clock; off is wall clock
 * minus monotonic, now); now if it has none.  Also takes the socket's
 * drop count into *drops when the datagram carries it.
 */
static uint64_t
rx_arrival(struct msghdr *mh, int64_t off, uint64_t now, uint32_t *drops)
{
	struct cmsghdr *c;
	struct timespec ts;
	uint64_t at = now;
	int64_t us;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		/* The kernel's running count of the socket's drops. */
		if (c->cmsg_type == SO_RXQ_OVFL &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*drops)))
			memcpy(drops, CMSG_DATA(c), sizeof(*drops));
		if (c->cmsg_type != SCM_TIMESTAMPNS ||
		    c->cmsg_len < CMSG_LEN(sizeof(ts)))
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - off;
		/* A clock step can put it in the future; never later than now. */
		if (us > 0 && (uint64_t)us < now)
			at = (uint64_t)us;
	}
	return at;
}

void
rx_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct room *r = arg;
	struct confd_io *io = r->w->io;
	struct timespec wall;
	uint64_t now;
	int64_t off;
	int i, n, rounds;

	(void)what;
	/* A few batches, then back to the loop so other rooms get a turn. */
	for (rounds = 0; rounds < 4; rounds++) {
		for (i = 0; i < CONFD_BATCH; i++) {
			io->iov[i].iov_base = io->buf[i];
			io->iov[i].iov_len = CONFD_PKT_MAX;
			memset(&io->msg[i].msg_hdr, 0, sizeof(struct msghdr));
			io->msg[i].msg_hdr.msg_iov = &io->iov[i];
			io->msg[i].msg_hdr.msg_iovlen = 1;
			io->msg[i].msg_hdr.msg_name = &io->addr[i];
			io->msg[i].msg_hdr.msg_namelen = sizeof(io->addr[i]);
			io->msg[i].msg_hdr.msg_control = io->cmsg[i].buf;
			io->msg[i].msg_hdr.msg_controllen = sizeof(io->cmsg[i]);
		}
		n = recvmmsg(fd, io->msg, CONFD_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = confd_now_us();
		clock_gettime(CLOCK_REALTIME, &wall);
		off = (int64_t)wall.tv_sec * 1000000 + wall.tv_nsec / 1000 -
		    (int64_t)now;
		for (i = 0; i < n; i++) {
			size_t len = io->msg[i].msg_len;
			uint8_t *b = io->buf[i];
			socklen_t sl = io->msg[i].msg_hdr.msg_namelen;
			uint64_t at = rx_arrival(&io->msg[i].msg_hdr, off, now,
			    &r->kernel_drops[fd == r->fd[1]]);

			/* Truncated datagrams and non-RTP versions go first. */
			if ((io->msg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    len < RTP_HDR_LEN || (b[0] >> 6) != RTP_VERSION) {
				r->garbage++;
				continue;
			}
			if (rtp_is_rtcp(b, len))
				rx_rtcp(r, b, len, &io->addr[i], sl);
			else
				rx_rtp(r, b, len, &io->addr[i], sl, at);
		}
		if (n < CONFD_BATCH)
			return;
	}
}
