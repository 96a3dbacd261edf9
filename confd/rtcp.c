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
	size_t i;

	if (rtcp_parse(buf, len, &info) != 0) {
		p->st.malformed++;
		log_debug_rl(&p->room->rl, "rtcp", "%s: %08x: malformed RTCP "
		    "(%zu bytes)", p->room->name, p->ssrc, len);
		return;
	}
	if (info.has_sr)
		rtp_rx_sr(&p->rx_report, info.sr.ntp, confd_now_ms());
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

void
rtcp_maybe_send(struct part *p, uint64_t now_ms)
{
	struct room *r = p->room;
	struct rtcp_sender s;
	struct jbuf_stats js;
	struct rtcp_rb rb;
	bool nrb;
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
	jbuf_get_stats(p->jb, &js);
	nrb = rtp_rx_block(&p->rx_report, p->ssrc, js.jitter, now_ms, &rb);
	len = rtcp_write_sr(buf, sizeof(buf) - SRTPX_RTCP_TRAILER, &s,
	    nrb ? &rb : NULL, nrb ? 1 : 0, r->w->conf.server_id);
	if (len == 0 || srtpx_protect_rtcp(p->tx, buf, &len) != SRTPX_OK)
		return;
	fd = r->fd[p->addr.ss_family == AF_INET6 ? 1 : 0];
	if (fd != -1)
		(void)sendto(fd, buf, len, 0, (struct sockaddr *)&p->addr,
		    p->addrlen);
}
