/*
 * metrics: the Prometheus text exposition at /metrics, per conference and
 * per participant, on an HTTP listener bound to 127.0.0.1 by default.
 *
 * The listener is the control thread's; the counters are the workers'.  A
 * scrape asks each worker for a copy of them (metrics_snap(), on the
 * worker's thread) and is answered when all have come back, the rooms of
 * worker 0 first, the histograms and tick counters summed over workers.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * A scrape waiting for its workers: each fills its own snapshot on its own
 * thread, and the control thread renders once every one has answered.
 */
struct metrics_req {
	TAILQ_ENTRY(metrics_req) entry;		/* confd->mreqs */
	struct evhttp_request	*req;
	unsigned		 waiting;	/* workers yet to answer */
	struct snap		 snaps[];	/* one per worker */
};

/* The counter at off in a struct confd_stats. */
static uint64_t
metrics_stat(const struct confd_stats *st, size_t off)
{
	return *(const uint64_t *)((const char *)st + off);
}

/* Writes one counter family: a room total line and one per participant. */
static void
metrics_family(struct evbuffer *b, const struct snap *snaps, unsigned n,
    const struct metric *m)
{
	const struct snap_room *r;
	const struct snap_part *p;
	uint64_t sum;
	unsigned w;
	size_t i, j;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", m->name,
	    m->help, m->name, m->type);
	for (w = 0; w < n; w++)
		for (i = 0; i < snaps[w].nrooms; i++) {
			r = &snaps[w].rooms[i];
			sum = metrics_stat(&r->st, m->off);
			for (j = 0; j < r->npart; j++) {
				p = &snaps[w].parts[r->part0 + j];
				sum += metrics_stat(&p->st, m->off);
				if (!m->room_only)
					evbuffer_add_printf(b, "%s{room=\"%s\","
					    "ssrc=\"%08x\"} %llu\n", m->name,
					    r->name, p->ssrc, (unsigned long long)
					    metrics_stat(&p->st, m->off));
			}
			evbuffer_add_printf(b, "%s{room=\"%s\"} %llu\n",
			    m->name, r->name, (unsigned long long)sum);
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

/* Adds one worker's histogram into a sum over the workers. */
static void
metrics_hist_add(struct confd_hist *sum, const struct confd_hist *h)
{
	size_t i;

	for (i = 0; i < CONFD_DELAY_BUCKETS; i++)
		sum->bucket[i] += h->bucket[i];
	sum->count += h->count;
	sum->sum += h->sum;
}

/* Which per-room gauge or counter metrics_room_lines() writes. */
enum metrics_room_field {
	MRF_PARTS, MRF_CAPACITY, MRF_UNKNOWN, MRF_GARBAGE, MRF_REFUSED,
	MRF_DROPS,
};

/* Writes one line per room of every worker for a field. */
static void
metrics_room_lines(struct evbuffer *b, const struct snap *snaps, unsigned n,
    const char *name, enum metrics_room_field f)
{
	const struct snap_room *r;
	unsigned long long v;
	unsigned w;
	size_t i;

	for (w = 0; w < n; w++)
		for (i = 0; i < snaps[w].nrooms; i++) {
			r = &snaps[w].rooms[i];
			v = f == MRF_PARTS ? (unsigned long long)r->nparts :
			    f == MRF_CAPACITY ? (unsigned long long)r->capacity :
			    f == MRF_UNKNOWN ? r->unknown_ssrc :
			    f == MRF_GARBAGE ? r->garbage :
			    f == MRF_DROPS ? r->socket_drops : r->refused_full;
			evbuffer_add_printf(b, "%s{room=\"%s\"} %llu\n", name,
			    r->name, v);
		}
}

static void
metrics_gauges(struct evbuffer *b, const struct confd *cd,
    const struct snap *snaps, unsigned n)
{
	const struct snap_room *r;
	const struct snap_part *p;
	struct confd_hist mix, work;
	uint64_t ticks = 0, late = 0, full = 0;
	unsigned w;
	size_t i, j;

	memset(&mix, 0, sizeof(mix));
	memset(&work, 0, sizeof(work));
	for (w = 0; w < n; w++) {
		metrics_hist_add(&mix, &snaps[w].delay_mix);
		metrics_hist_add(&work, &snaps[w].delay_work);
		ticks += snaps[w].ticks;
		late += snaps[w].ticks_late;
		full += snaps[w].server_full;
	}
	evbuffer_add_printf(b, "# HELP confd_participants Participants in "
	    "the conference now.\n# TYPE confd_participants gauge\n");
	metrics_room_lines(b, snaps, n, "confd_participants", MRF_PARTS);
	evbuffer_add_printf(b, "# HELP confd_capacity Most participants at "
	    "once.\n# TYPE confd_capacity gauge\n");
	metrics_room_lines(b, snaps, n, "confd_capacity", MRF_CAPACITY);
	evbuffer_add_printf(b, "# HELP confd_unknown_ssrc_total Packets from "
	    "SSRCs that are not participants and could not join.\n"
	    "# TYPE confd_unknown_ssrc_total counter\n");
	metrics_room_lines(b, snaps, n, "confd_unknown_ssrc_total",
	    MRF_UNKNOWN);
	evbuffer_add_printf(b, "# HELP confd_socket_drops_total Datagrams "
	    "the kernel dropped at the conference's sockets, their buffer "
	    "full (counted as the next one is read).\n"
	    "# TYPE confd_socket_drops_total counter\n");
	metrics_room_lines(b, snaps, n, "confd_socket_drops_total",
	    MRF_DROPS);
	evbuffer_add_printf(b, "# HELP confd_garbage_total Datagrams that "
	    "were not RTP or RTCP at all.\n"
	    "# TYPE confd_garbage_total counter\n");
	metrics_room_lines(b, snaps, n, "confd_garbage_total", MRF_GARBAGE);
	evbuffer_add_printf(b, "# HELP confd_refused_total Joins refused "
	    "because the conference was full.\n"
	    "# TYPE confd_refused_total counter\n");
	metrics_room_lines(b, snaps, n, "confd_refused_total", MRF_REFUSED);
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
	    (unsigned long long)full);
	evbuffer_add_printf(b, "# HELP confd_jitter_ms Interarrival jitter "
	    "of a participant's packets.\n# TYPE confd_jitter_ms gauge\n"
	    "# HELP confd_level_dbov Audio level heard from a participant "
	    "(-dBov, 127 is silence).\n# TYPE confd_level_dbov gauge\n"
	    "# HELP confd_speaking Whether a participant is mixed as a "
	    "speaker now.\n# TYPE confd_speaking gauge\n");
	for (w = 0; w < n; w++)
		for (i = 0; i < snaps[w].nrooms; i++) {
			r = &snaps[w].rooms[i];
			for (j = 0; j < r->npart; j++) {
				p = &snaps[w].parts[r->part0 + j];
				evbuffer_add_printf(b, "confd_jitter_ms{room=\"%s\","
				    "ssrc=\"%08x\"} %.1f\nconfd_level_dbov{room="
				    "\"%s\",ssrc=\"%08x\"} %d\nconfd_speaking{"
				    "room=\"%s\",ssrc=\"%08x\"} %d\n", r->name,
				    p->ssrc, p->jitter_ms, r->name, p->ssrc,
				    p->level, r->name, p->ssrc, p->speaking);
			}
		}
	metrics_hist(b, "confd_mix_delay_ms", "From a packet's arrival to "
	    "the first packet that carries its audio.", &mix);
	metrics_hist(b, "confd_work_delay_ms", "From a tick taking the "
	    "frames to the last of its packets sent.", &work);
	evbuffer_add_printf(b, "# HELP confd_ticks_total Mixing clock "
	    "ticks.\n# TYPE confd_ticks_total counter\nconfd_ticks_total %llu\n"
	    "# HELP confd_ticks_late_total Ticks that ran more than one frame "
	    "late.\n# TYPE confd_ticks_late_total counter\n"
	    "confd_ticks_late_total %llu\n", (unsigned long long)ticks,
	    (unsigned long long)late);
}

/*
 * Runs on the worker: copies what /metrics shows of its rooms, so that the
 * control thread renders without reading anything a worker changes.  The
 * message, now WMSG_SNAP_DONE, goes back to the control thread.
 */
void
metrics_snap(struct worker *w, struct wmsg *m)
{
	struct snap *s = &m->mreq->snaps[m->idx];
	struct snap_room *sr;
	struct snap_part *sp;
	const struct room *r;
	const struct part *p;
	struct jbuf_stats js;
	size_t nr = 0, np = 0;
	int i;

	TAILQ_FOREACH(r, &w->rooms, wentry) {
		nr++;
		np += (size_t)r->nparts;
	}
	s->rooms = calloc(nr ? nr : 1, sizeof(*s->rooms));
	s->parts = calloc(np ? np : 1, sizeof(*s->parts));
	if (s->rooms == NULL || s->parts == NULL) {
		s->failed = true;
		goto done;
	}
	TAILQ_FOREACH(r, &w->rooms, wentry) {
		sr = &s->rooms[s->nrooms++];
		memcpy(sr->name, r->name, sizeof(sr->name));
		sr->nparts = r->nparts;
		sr->capacity = r->capacity;
		sr->unknown_ssrc = r->unknown_ssrc;
		sr->socket_drops = (uint64_t)r->kernel_drops[0] +
		    r->kernel_drops[1];
		sr->garbage = r->garbage;
		sr->refused_full = r->refused_full;
		sr->st = r->st;
		sr->part0 = s->nparts;
		for (i = 0; i < CONFD_MAX_PARTS; i++) {
			if ((p = r->parts[i]) == NULL || s->nparts == np)
				continue;
			sp = &s->parts[s->nparts++];
			jbuf_get_stats(p->jb, &js);
			sp->ssrc = p->ssrc;
			sp->st = p->st;
			sp->jitter_ms = js.jitter / 48.0;
			sp->level = p->level;
			sp->speaking = mix_sel_is_speaker(r->sel, (unsigned)i);
		}
		sr->npart = s->nparts - sr->part0;
	}
	s->delay_mix = w->delay_mix;
	s->delay_work = w->delay_work;
	s->ticks = w->ticks;
	s->ticks_late = w->ticks_late;
	s->server_full = w->server_full;
done:
	m->type = WMSG_SNAP_DONE;
	wq_post(&w->cd->q, m);
}

/* Frees a scrape's snapshots and the scrape itself. */
static void
metrics_req_free(struct confd *cd, struct metrics_req *mr)
{
	unsigned i;

	TAILQ_REMOVE(&cd->mreqs, mr, entry);
	for (i = 0; i < cd->nworkers; i++) {
		free(mr->snaps[i].rooms);
		free(mr->snaps[i].parts);
	}
	free(mr);
}

void
metrics_snap_done(struct confd *cd, struct wmsg *m)
{
	struct metrics_req *mr = m->mreq;
	struct evbuffer *b;
	unsigned i;
	size_t k;

	wmsg_free(m);
	if (--mr->waiting > 0)
		return;
	for (i = 0; i < cd->nworkers; i++)
		if (mr->snaps[i].failed)
			break;
	if (i < cd->nworkers || (b = evbuffer_new()) == NULL) {
		evhttp_send_error(mr->req, 500, "out of memory");
		metrics_req_free(cd, mr);
		return;
	}
	for (k = 0; k < sizeof(metrics_counters) / sizeof(metrics_counters[0]);
	    k++)
		metrics_family(b, mr->snaps, cd->nworkers, &metrics_counters[k]);
	metrics_gauges(b, cd, mr->snaps, cd->nworkers);
	evhttp_add_header(evhttp_request_get_output_headers(mr->req),
	    "Content-Type", "text/plain; version=0.0.4");
	/*
	 * libevent keeps a request the handler has not answered, even when
	 * its connection closes meanwhile; answering frees it either way.
	 */
	evhttp_send_reply(mr->req, 200, "OK", b);
	evbuffer_free(b);
	metrics_req_free(cd, mr);
}

/*
 * Asks every worker for a snapshot and returns: the request is answered
 * from metrics_snap_done() once all have come back.
 */
static void
metrics_on_request(struct evhttp_request *req, void *arg)
{
	struct confd *cd = arg;
	struct metrics_req *mr;
	struct wmsg *m[CONFD_MAX_WORKERS];
	unsigned i, j;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "only GET");
		return;
	}
	mr = calloc(1, sizeof(*mr) + cd->nworkers * sizeof(mr->snaps[0]));
	for (i = 0; mr != NULL && i < cd->nworkers; i++)
		if ((m[i] = wmsg_new(WMSG_SNAP, NULL)) == NULL)
			break;
	if (mr == NULL || i < cd->nworkers) {
		for (j = 0; mr != NULL && j < i; j++)
			wmsg_free(m[j]);
		free(mr);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	mr->req = req;
	mr->waiting = cd->nworkers;
	TAILQ_INSERT_TAIL(&cd->mreqs, mr, entry);
	for (i = 0; i < cd->nworkers; i++) {
		m[i]->mreq = mr;
		m[i]->idx = i;
		wq_post(&cd->workers[i].q, m[i]);
	}
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
	struct metrics_req *mr;

	/* Only a scrape whose worker was gone before it could answer. */
	while ((mr = TAILQ_FIRST(&cd->mreqs)) != NULL) {
		evhttp_send_error(mr->req, 503, "stopping");
		metrics_req_free(cd, mr);
	}
	if (cd->http)
		evhttp_free(cd->http);
	cd->http = NULL;
}
