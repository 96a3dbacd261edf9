/*
 * mix: a conference's audio mix, one 20 ms frame at a time.
 *
 * Three pure parts, frames in and frames out: the loudness of a frame as an
 * RFC 6464 level; the choice of at most K speakers, with hysteresis so that
 * the choice does not flap; and the mix itself, where listeners share one
 * sum of the speakers and each speaker hears that sum minus its own voice,
 * every output through its own limiter.  Nothing here allocates per frame.
 *
 * A frame period goes: level of each slot (mix_level() or the RTP audio
 * level extension), mix_sel_update(), then mix_frame() with the speakers'
 * frames in the order mix_sel_update() listed them.
 */
#ifndef MIX_H
#define MIX_H

#include <stddef.h>
#include <stdint.h>

#define MIX_FRAME	960	/* samples per frame: 20 ms mono at 48 kHz */
#define MIX_SILENCE	127	/* the level of digital silence */
#define MIX_NOFRAME	255	/* the "level" of a slot that sent no frame */
#define MIX_MAX_SLOTS	65535	/* slots per selector, inputs per mix */

/* Loudness of pcm[0..n-1] from its RMS, in -dBov: 0 loudest, 127 silent. */
uint8_t	mix_level(const int16_t *pcm, size_t n);

/*
 * How speakers are chosen: defaults from mix_params_default(), then ranges.
 * With speakers = 0 every slot that sent a frame is mixed, whatever its
 * level, and the other fields do not apply.
 */
struct mix_params {
	int	speakers;	/* K, most mixed at once: 3; 0..MIX_MAX_SLOTS */
	int	threshold;	/* a level above it is no speech: 50; 0..127 */
	int	hold;		/* frames a quiet speaker stays: 15; 0..3000 */
	int	margin;		/* dB a newcomer must be louder by: 6; 0..127 */
	int	displace;	/* frames in a row it must be: 3; 1..3000 */
};

struct mix_sel;

/* Fills p with the defaults. */
void	mix_params_default(struct mix_params *p);
/*
 * A selector for slots 0..nslots-1, all silent; NULL with errno EINVAL
 * (parameters out of range) or ENOMEM.
 */
struct mix_sel *mix_sel_new(const struct mix_params *p, size_t nslots);
/* Frees sel. */
void	mix_sel_free(struct mix_sel *sel);
/* Applies new parameters from the next frame on; 0 or EINVAL. */
int	mix_sel_set_params(struct mix_sel *sel, const struct mix_params *p);
/* Forgets a slot whose participant left, freeing its place at once. */
void	mix_sel_remove(struct mix_sel *sel, unsigned slot);
/*
 * Takes this frame's level of every slot (MIX_NOFRAME when none arrived)
 * and writes the slots to mix, ascending, into speakers, which has room for
 * nslots entries.  Returns how many.  A speaker may be listed during its
 * hold time without a frame of its own.
 */
size_t	mix_sel_update(struct mix_sel *sel, const uint8_t *level,
	    unsigned *speakers);
/* Whether slot was listed by the last mix_sel_update(). */
int	mix_sel_is_speaker(const struct mix_sel *sel, unsigned slot);

/*
 * The gain envelope of one output stream; zero-initialise it.  When a
 * listener becomes a speaker, copying the shared stream's limiter into its
 * own continues the gain it was hearing without a jump.
 */
struct mix_limiter {
	float		cut;	/* 1 - gain at the end of the last frame */
	unsigned	hold;	/* blocks before the gain may rise again */
};

/* The gain at the end of the last frame: 1 when not limiting. */
float	mix_limiter_gain(const struct mix_limiter *lim);

#define MIX_OUT_SILENT	0x01	/* no frame went in: all zeros, skip it */
#define MIX_OUT_LIMITED	0x02	/* the gain was below unity in this frame */

/* One output of mix_frame(). */
struct mix_out {
	int16_t			*pcm;	/* MIX_FRAME samples, written */
	struct mix_limiter	*lim;	/* this stream's own state */
	unsigned		 flags;	/* MIX_OUT_*, set by mix_frame() */
};

/*
 * Mixes the frames of n speakers (NULL: none this time): shared gets their
 * sum, minus[i] the sum of all but in[i], each limited under -1 dBFS and
 * otherwise bit-exact.  With one speaker, shared is its frame and minus[0]
 * is MIX_OUT_SILENT.  shared may be NULL when nobody listens, minus when
 * only the shared mix is wanted; outputs must not overlap the inputs.
 */
void	mix_frame(const int16_t *const *in, size_t n, struct mix_out *shared,
	    struct mix_out *minus);

#endif
