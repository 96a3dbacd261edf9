/*
 * metrics: the Prometheus text exposition at /metrics, per conference and
 * per participant, on an HTTP listener bound to 127.0.0.1 by default.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "confd.h"

/* A family of per-room counters: name, help, and how to read one. */
struct metric {
	const char	*name;
	const char	*type;
	const char	*help;
	size_t		 off;	/* in struct confd_stats */
	int		 room_only;	/* no line per participant */
};

#define ST(f)	offsetof(struct confd_stats, f)
static const struct metric metrics_counters[] = {
	{ "confd_packets_received_total", "counter",
	  "Authentic RTP packets received.", ST(rx_packets), 0 },
	{ "confd_packets_sent_total", "counter", "RTP packets sent.",
	  ST(tx_packets), 0 },
	{ "confd_auth_failures_total", "counter",
	  "Packets of a known SSRC that failed SRTP authentication.",
	  ST(auth_fail), 0 },
	{ "confd_replays_total", "counter", "Replayed or too old packets.",
	  ST(replay), 0 },
	{ "confd_malformed_total", "counter",
	  "Authentic packets that are not valid RTP or RTCP.", ST(malformed), 0 },
	{ "confd_bad_payload_type_total", "counter",
	  "Packets of another payload type than Opus.", ST(bad_pt), 0 },
	{ "confd_late_total", "counter",
	  "Packets that came after their playout time.", ST(late), 0 },
	{ "confd_lost_total", "counter", "Frames lost in the network.",
	  ST(lost), 0 },
	{ "confd_concealed_total", "counter",
	  "Frames concealed by Opus PLC.", ST(concealed), 0 },
	{ "confd_fec_recovered_total", "counter",
	  "Lost frames recovered from in-band FEC.", ST(fec_recovered), 0 },
	{ "confd_decoded_total", "counter", "Frames decoded.", ST(decoded), 0 },
	{ "confd_encoded_total", "counter", "Frames encoded: one per tick "
	  "for all listeners, one per speaker.", ST(encoded), 1 },
	{ "confd_forwarded_total", "counter", "Frames sent on as they came "
	  "instead of encoded: a lone talker's to the listeners (once per "
	  "tick), or a talker's to a speaker who hears it alone.",
	  ST(forwarded), 1 },
};

static void
metrics_part_line(struct evbuffer *b, const struct metric *m,
    const struct part *p)
{
	evbuffer_add_printf(b, "%s{room=\"%s\",ssrc=\"%08x\"} %llu\n", m->name,
	    p->room->name, p->ssrc, (unsigned long long)*(const uint64_t *)
	    ((const char *)&p->st + m->off));
}

/* Writes one counter family: a room total line and one per participant. */
static void
metrics_family(struct evbuffer *b, const struct confd *cd,
    const struct metric *m)
{
	const struct room *r;
	const struct part *p;
	uint64_t sum;
	int i;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", m->name,
	    m->help, m->name, m->type);
	TAILQ_FOREACH(r, &cd->rooms, entry) {
		sum = *(const uint64_t *)((const char *)&r->st + m->off);
		for (i = 0; i < CONFD_MAX_PARTS; i++) {
			if ((p = r->parts[i]) == NULL)
				continue;
			sum += *(const uint64_t *)((const char *)&p->st + m->off);
			if (!m->room_only)
				metrics_part_line(b, m, p);
		}
		evbuffer_add_printf(b, "%s{room=\"%s\"} %llu\n", m->name,
		    r->name, (unsigned long long)sum);
	}
}

/* Writes a histogram in the Prometheus text format. */
static void
metrics_hist(struct evbuffer *b, const char *name, const char *help,
    const struct confd_hist *h)
{
	uint64_t cum = 0;
	size_t i;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name,
	    help, name);
	for (i = 0; i < CONFD_DELAY_BUCKETS; i++) {
		cum += h->bucket[i];
		if (isinf(tick_delay_bounds[i]))
			evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n",
			    name, (unsigned long long)cum);
		else
			evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n",
			    name, tick_delay_bounds[i], (unsigned long long)cum);
	}
	evbuffer_add_printf(b, "%s_sum %.3f\n%s_count %llu\n", name, h->sum,
	    name, (unsigned long long)h->count);
}

static void
metrics_gauges(struct evbuffer *b, const struct confd *cd)
{
	const struct room *r;
	const struct part *p;
	struct jbuf_stats js;
	int i;

	evbuffer_add_printf(b, "# HELP confd_participants Participants in "
	    "the conference now.\n# TYPE confd_participants gauge\n");
	TAILQ_FOREACH(r, &cd->rooms, entry)
		evbuffer_add_printf(b, "confd_participants{room=\"%s\"} %d\n",
		    r->name, r->nparts);
	evbuffer_add_printf(b, "# HELP confd_capacity Most participants at "
	    "once.\n# TYPE confd_capacity gauge\n");
	TAILQ_FOREACH(r, &cd->rooms, entry)
		evbuffer_add_printf(b, "confd_capacity{room=\"%s\"} %d\n",
		    r->name, r->capacity);
	evbuffer_add_printf(b, "# HELP confd_unknown_ssrc_total Packets from "
	    "SSRCs that are not participants and could not join.\n"
	    "# TYPE confd_unknown_ssrc_total counter\n");
	TAILQ_FOREACH(r, &cd->rooms, entry)
		evbuffer_add_printf(b, "confd_unknown_ssrc_total{room=\"%s\"} "
		    "%llu\n", r->name, (unsigned long long)r->unknown_ssrc);
	evbuffer_add_printf(b, "# HELP confd_socket_drops_total Datagrams "
	    "the kernel dropped at the conference's sockets, their buffer "
	    "full (counted as the next one is read).\n"
	    "# TYPE confd_socket_drops_total counter\n");
	TAILQ_FOREACH(r, &cd->rooms, entry)
		evbuffer_add_printf(b, "confd_socket_drops_total{room=\"%s\"} "
		    "%llu\n", r->name, (unsigned long long)r->kernel_drops[0] +
		    r->kernel_drops[1]);
	evbuffer_add_printf(b, "# HELP confd_garbage_total Datagrams that "
	    "were not RTP or RTCP at all.\n"
	    "# TYPE confd_garbage_total counter\n");
	TAILQ_FOREACH(r, &cd->rooms, entry)
		evbuffer_add_printf(b, "confd_garbage_total{room=\"%s\"} %llu\n",
		    r->name, (unsigned long long)r->garbage);
	evbuffer_add_printf(b, "# HELP confd_refused_total Joins refused "
	    "because the conference was full.\n"
	    "# TYPE confd_refused_total counter\n");
	TAILQ_FOREACH(r, &cd->rooms, entry)
		evbuffer_add_printf(b, "confd_refused_total{room=\"%s\"} %llu\n",
		    r->name, (unsigned long long)r->refused_full);
	evbuffer_add_printf(b, "# HELP confd_rooms_open Conferences open "
	    "now.\n# TYPE confd_rooms_open gauge\nconfd_rooms_open %d\n"
	    "# HELP confd_rooms_max Conferences that may be open at once "
	    "([media] max_rooms).\n# TYPE confd_rooms_max gauge\n"
	    "confd_rooms_max %d\n"
	    "# HELP confd_rooms_refused_total Conferences not opened because "
	    "max_rooms were open.\n# TYPE confd_rooms_refused_total counter\n"
	    "confd_rooms_refused_total %llu\n"
	    "# HELP confd_participants_max Participants at once over all "
	    "conferences ([media] max_total_participants).\n"
	    "# TYPE confd_participants_max gauge\nconfd_participants_max %d\n"
	    "# HELP confd_server_full_total Joins refused because the server "
	    "held max_total_participants.\n"
	    "# TYPE confd_server_full_total counter\n"
	    "confd_server_full_total %llu\n", cd->nopen, cd->conf.max_rooms,
	    (unsigned long long)cd->rooms_refused, cd->conf.max_total_parts,
	    (unsigned long long)cd->server_full);
	evbuffer_add_printf(b, "# HELP confd_jitter_ms Interarrival jitter "
	    "of a participant's packets.\n# TYPE confd_jitter_ms gauge\n"
	    "# HELP confd_level_dbov Audio level heard from a participant "
	    "(-dBov, 127 is silence).\n# TYPE confd_level_dbov gauge\n"
	    "# HELP confd_speaking Whether a participant is mixed as a "
	    "speaker now.\n# TYPE confd_speaking gauge\n");
	TAILQ_FOREACH(r, &cd->rooms, entry)
		for (i = 0; i < CONFD_MAX_PARTS; i++) {
			if ((p = r->parts[i]) == NULL)
				continue;
			jbuf_get_stats(p->jb, &js);
			evbuffer_add_printf(b, "confd_jitter_ms{room=\"%s\","
			    "ssrc=\"%08x\"} %.1f\nconfd_level_dbov{room=\"%s\","
			    "ssrc=\"%08x\"} %d\nconfd_speaking{room=\"%s\","
			    "ssrc=\"%08x\"} %d\n", r->name, p->ssrc,
			    js.jitter / 48.0, r->name, p->ssrc, p->level,
			    r->name, p->ssrc, mix_sel_is_speaker(r->sel, (unsigned)i));
		}
	metrics_hist(b, "confd_mix_delay_ms", "From a packet's arrival to "
	    "the first packet that carries its audio.", &cd->delay_mix);
	metrics_hist(b, "confd_work_delay_ms", "From a tick taking the "
	    "frames to the last of its packets sent.", &cd->delay_work);
	evbuffer_add_printf(b, "# HELP confd_ticks_total Mixing clock "
	    "ticks.\n# TYPE confd_ticks_total counter\nconfd_ticks_total %llu\n"
	    "# HELP confd_ticks_late_total Ticks that ran more than one frame "
	    "late.\n# TYPE confd_ticks_late_total counter\n"
	    "confd_ticks_late_total %llu\n", (unsigned long long)cd->ticks,
	    (unsigned long long)cd->ticks_late);
}

static void
metrics_on_request(struct evhttp_request *req, void *arg)
{
	struct confd *cd = arg;
	struct evbuffer *b;
	size_t i;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "only GET");
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	for (i = 0; i < sizeof(metrics_counters) / sizeof(metrics_counters[0]);
	    i++)
		metrics_family(b, cd, &metrics_counters[i]);
	metrics_gauges(b, cd);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

int
metrics_start(struct confd *cd, char *why, size_t whylen)
{
	if (cd->conf.metrics_port == 0 || cd->conf.metrics_addr[0] == '\0')
		return 0;
	if ((cd->http = evhttp_new(cd->base)) == NULL) {
		snprintf(why, whylen, "cannot create the HTTP server");
		return ENOMEM;
	}
	evhttp_set_allowed_methods(cd->http, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(cd->http, 8192);
	evhttp_set_max_body_size(cd->http, 0);
	evhttp_set_timeout(cd->http, 10);
	evhttp_set_cb(cd->http, "/metrics", metrics_on_request, cd);
	if (evhttp_bind_socket(cd->http, cd->conf.metrics_addr,
	    (ev_uint16_t)cd->conf.metrics_port) != 0) {
		snprintf(why, whylen, "cannot listen on %s port %d: %s",
		    cd->conf.metrics_addr, cd->conf.metrics_port,
		    strerror(errno));
		evhttp_free(cd->http);
		cd->http = NULL;
		return EADDRINUSE;
	}
	log_info("metrics", "listening on %s port %d", cd->conf.metrics_addr,
	    cd->conf.metrics_port);
	return 0;
}

void
metrics_stop(struct confd *cd)
{
	if (cd->http)
		evhttp_free(cd->http);
	cd->http = NULL;
}
