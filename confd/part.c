/*
 * part: one participant of a room: its SRTP contexts in both directions,
 * its jitter buffer and its Opus decoder, all made at join time so that
 * the packet path never allocates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "confd.h"

int
part_new(struct room *r, uint32_t ssrc, struct srtpx *rx,
    const uint8_t *rx_key, const uint8_t *tx_key, struct part **out)
{
	const struct confd_conf *c = &r->w->conf;
	struct jbuf_conf jc;
	struct part *p;
	int err;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		srtpx_free(rx);
		return ENOMEM;
	}
	p->room = r;
	p->ssrc = ssrc;
	p->out_ssrc = ~ssrc;
	p->enc = -1;
	p->fwd_from = -1;
	p->ext_level = -1;
	p->level = MIX_SILENCE;
	p->leave_reason = "left";
	/* RFC 3550: the first sequence number and timestamp are random. */
	p->tx_seq = (uint16_t)randombytes_uniform(65536);
	p->tx_ts = randombytes_random();
	/* Ownership of rx passes to p here, whatever happens next. */
	p->rx = rx;
	if ((rx == NULL &&
	    (err = srtpx_new(&p->rx, r->suite, rx_key, SRTPX_IN, ssrc)) != 0) ||
	    (err = srtpx_new(&p->tx, r->suite, tx_key, SRTPX_OUT,
	    p->out_ssrc)) != 0)
		goto fail;
	jbuf_conf_default(&jc);
	jc.max_frames = (int)(c->jitter_max / CONFD_FRAME_MS);
	if ((p->jb = jbuf_new(&jc)) == NULL) {
		err = ENOMEM;
		goto fail;
	}
	if ((p->dec = opus_decoder_create(CONFD_RATE, 1, &err)) == NULL) {
		err = ENOMEM;
		goto fail;
	}
	*out = p;
	return 0;
fail:
	part_free(p);
	return err;
}

void
part_stats_add(struct confd_stats *sum, const struct confd_stats *st)
{
	const uint64_t *a = (const uint64_t *)st;
	uint64_t *s = (uint64_t *)sum;
	size_t i;

	/* struct confd_stats holds nothing but uint64_t counters. */
	for (i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		s[i] += a[i];
}

void
part_free(struct part *p)
{
	struct jbuf_stats js;

	if (p == NULL)
		return;
	if (p->jb != NULL && p->joined_ms != 0) {
		jbuf_get_stats(p->jb, &js);
		log_info("part", "%s: participant %08x left (%s) after %llu s: "
		    "%llu packets in, %llu out, %llu lost, %llu late, "
		    "%llu concealed, %llu recovered by FEC, %llu failed "
		    "authentication, jitter %.1f ms, buffer %u ms", p->room->name,
		    p->ssrc,
		    p->leave_reason, (unsigned long long)((confd_now_ms() -
		    p->joined_ms) / 1000), (unsigned long long)p->st.rx_packets,
		    (unsigned long long)p->st.tx_packets,
		    (unsigned long long)p->st.lost,
		    (unsigned long long)p->st.late,
		    (unsigned long long)p->st.concealed,
		    (unsigned long long)p->st.fec_recovered,
		    (unsigned long long)p->st.auth_fail, js.jitter / 48.0,
		    js.target * CONFD_FRAME_MS);
	}
	srtpx_free(p->rx);
	srtpx_free(p->tx);
	jbuf_free(p->jb);
	if (p->dec)
		opus_decoder_destroy(p->dec);
	free(p);
}
