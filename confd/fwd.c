/*
 * fwd: when one participant alone is heard, send the listeners its own
 * Opus packets instead of decoding, mixing and encoding them again.
 *
 * Most of a conference's time one person talks, and then the mix that the
 * listeners hear is that person's voice: encoding it again costs most of
 * confd's time and adds a generation of coding loss.  Forwarding keeps each
 * listener's own stream (SSRC, sequence numbers, timestamps, SRTP context);
 * only the payload comes from the talker.  What must stay inaudible is the
 * switch between the talker's encoder and the room's, because a listener's
 * decoder carries state from one frame to the next:
 *
 * - from silence, forwarding starts at once: the decoder has nothing to
 *   carry over;
 * - from a mix, it starts only after the talker has been alone for
 *   FWD_HOLD ticks, when the room's encoder has been coding that same
 *   voice, and in a quiet frame (between words, or in a valley of its
 *   envelope FWD_VALLEY dB below its loudest), where what is left of the
 *   difference between the two encoders' states is masked;
 * - back to a mix, the caller first runs the room's encoder over the last
 *   FWD_PRIME forwarded frames (fwd->pcm) so that its state follows what
 *   the listeners just heard;
 * - a talker's frame that is lost or late while forwarded is sent as a gap
 *   in the sequence numbers, so each listener conceals it, or recovers it
 *   from the in-band FEC of the talker's next packet, as for any loss.
 *
 * This file is the decision only, a pure state machine; tick.c acts on it.
 */
#include <limits.h>
#include <string.h>

#include "confd.h"

void
fwd_reset(struct fwd *f)
{
	f->slot = -1;
	f->solo = -1;
	f->solo_ticks = 0;
	f->next = 0;
	memset(f->pcm, 0, sizeof(f->pcm));
}

void
fwd_keep(struct fwd *f, const int16_t *pcm)
{
	memcpy(f->pcm[f->next], pcm, sizeof(f->pcm[0]));
	f->next = (f->next + 1) % FWD_PRIME;
}

enum fwd_action
fwd_decide(struct fwd *f, int solo, bool ready, int level, bool was_sending,
    bool *leave)
{
	*leave = false;
	if (solo < 0) {
		f->solo = -1;
		f->solo_ticks = 0;
		if (f->slot >= 0) {
			f->slot = -1;
			*leave = true;
		}
		return FWD_MIX;
	}
	if (solo != f->solo) {
		f->solo = solo;
		f->solo_ticks = 0;
		f->loud = level;
	}
	if (level < f->loud)
		f->loud = level;
	if (f->solo_ticks < UINT_MAX)
		f->solo_ticks++;
	if (f->slot == solo)
		return ready ? FWD_SEND : FWD_GAP;
	/* Another talker took over at once: its stream replaces the last. */
	if (f->slot >= 0 && ready) {
		f->slot = solo;
		return FWD_SEND;
	}
	if (!ready) {
		if (f->slot >= 0) {
			f->slot = -1;
			*leave = true;
		}
		return FWD_MIX;
	}
	if (!was_sending || (f->solo_ticks >= FWD_HOLD &&
	    (level >= FWD_QUIET || level >= f->loud + FWD_VALLEY))) {
		f->slot = solo;
		return FWD_SEND;
	}
	return FWD_MIX;
}
