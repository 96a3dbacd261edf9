/*
 * rtcp: what confd reads from and writes to a participant's SRTCP.
 *
 * Receiver reports tell how the participant hears confd (loss, jitter);
 * a BYE removes the participant; every five seconds confd sends a sender
 * report with a report block on what it receives from the participant.
 */
#include <string.h>
#include <time.h>

#include "confd.h"

#define RTCP_INTERVAL_MS	5000

void
rtcp_handle(struct part *p, const uint8_t *buf, size_t len)
{
	struct rtcp_info info;
	struct timespec ts;
	size_t i;

	if (rtcp_parse(buf, len, &info) != 0) {
		p->st.malformed++;
		log_debug_rl(&p->room->rl, "rtcp", "%s: %08x: malformed RTCP "
		    "(%zu bytes)", p->room->name, p->ssrc, len);
		return;
	}
	if (info.has_sr) {
		clock_gettime(CLOCK_REALTIME, &ts);
		p->lsr = rtp_ntp_middle(info.sr.ntp);
		p->lsr_ms = confd_now_ms();
	}
	for (i = 0; i < info.nrb; i++) {
		if (info.rb[i].ssrc != p->out_ssrc)
			continue;
		p->rr_fraction = info.rb[i].fraction;
		p->rr_lost = info.rb[i].lost;
		p->rr_jitter = info.rb[i].jitter;
	}
	for (i = 0; i < info.nbye; i++)
		if (info.bye[i] == p->ssrc && !p->leaving) {
			p->leaving = true;
			p->leave_reason = "BYE";
		}
}

/* The report block on what confd receives from p (RFC 3550 A.3). */
static void
rtcp_block(struct part *p, uint64_t now_ms, struct rtcp_rb *rb)
{
	struct jbuf_stats js;
	uint32_t ext, expected, exp_int, rcv_int;
	int64_t lost, lost_int;

	jbuf_get_stats(p->jb, &js);
	memset(rb, 0, sizeof(*rb));
	rb->ssrc = p->ssrc;
	ext = rtp_seq_highest(&p->rxseq);
	expected = ext - p->base_seq + 1;
	lost = (int64_t)expected - (int64_t)p->st.rx_packets;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	exp_int = expected - p->expected_prior;
	rcv_int = (uint32_t)(p->st.rx_packets - p->received_prior);
	p->expected_prior = expected;
	p->received_prior = (uint32_t)p->st.rx_packets;
	lost_int = (int64_t)exp_int - (int64_t)rcv_int;
	rb->fraction = exp_int == 0 || lost_int <= 0 ? 0 :
	    (uint8_t)((lost_int << 8) / exp_int);
	rb->lost = (int32_t)lost;
	rb->ext_seq = ext;
	rb->jitter = js.jitter;
	if (p->lsr_ms != 0) {
		rb->lsr = p->lsr;
		rb->dlsr = (uint32_t)(((now_ms - p->lsr_ms) << 16) / 1000);
	}
}

void
rtcp_maybe_send(struct part *p, uint64_t now_ms)
{
	struct room *r = p->room;
	struct rtcp_sender s;
	struct rtcp_rb rb;
	struct timespec ts;
	uint8_t buf[256];
	size_t len;
	int fd;

	if (now_ms - p->last_sr_ms < RTCP_INTERVAL_MS || p->addrlen == 0)
		return;
	p->last_sr_ms = now_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	s.ssrc = p->out_ssrc;
	s.ntp = rtp_ntp_from_timespec(&ts);
	s.rtp_ts = p->tx_ts;
	s.packets = (uint32_t)p->st.tx_packets;
	s.octets = p->tx_octets;
	rtcp_block(p, now_ms, &rb);
	len = rtcp_write_sr(buf, sizeof(buf) - SRTPX_RTCP_TRAILER, &s,
	    p->have_base ? &rb : NULL, p->have_base ? 1 : 0,
	    r->cd->conf.server_id);
	if (len == 0 || srtpx_protect_rtcp(p->tx, buf, &len) != SRTPX_OK)
		return;
	fd = r->fd[p->addr.ss_family == AF_INET6 ? 1 : 0];
	if (fd != -1)
		(void)sendto(fd, buf, len, 0, (struct sockaddr *)&p->addr,
		    p->addrlen);
}
