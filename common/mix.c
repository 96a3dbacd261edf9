/* mix: see mix.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mix.h"

/*
 * A slot's score is its recent speech loudness above silence, in 1/16 dB so
 * that the decay below stays smooth in integers.  It rises at once with a
 * louder frame and falls an eighth of the way per quieter speech frame, so
 * the dips between syllables do not make a talker look quiet.
 */
#define MIX_SCORE_UNIT	16
#define MIX_SCORE_DECAY	8

#define MIX_MAX_FRAMES	3000	/* one minute: bounds hold and displace */

/*
 * The limiter works on 1 ms blocks: each block's peak sets the gain it
 * needs, and the gain moves linearly from one block boundary to the next so
 * that no change is a step.  Reaching the gain a loud block needs during the
 * block before it is the look-ahead; the frame itself is the window, so it
 * adds no delay.  After a loud block the gain holds for 10 ms, longer than
 * half a period of any voice, so it does not pump within a waveform; then
 * it rises exponentially with a 50 ms time constant towards 1.1 rather than
 * 1, so that it reaches unity within 10 + 50 * ln(1.1 / 0.1) = 130 ms of the
 * last loud block however deep the cut was, and stays exactly there.
 */
#define MIX_LIM_CEIL	29204		/* -1 dBFS: 32767 * 10^(-1/20) */
#define MIX_LIM_BLOCK	48		/* samples: 1 ms */
#define MIX_LIM_NBLOCK	(MIX_FRAME / MIX_LIM_BLOCK)
#define MIX_LIM_HOLD	10		/* blocks */
#define MIX_LIM_DECAY	0.98019867f	/* exp(-1 ms / 50 ms) per block */
#define MIX_LIM_AIM	1.1f

_Static_assert(MIX_FRAME % MIX_LIM_BLOCK == 0,
    "a frame must hold whole limiter blocks");

struct mix_slot {
	int16_t		score;		/* MIX_SCORE_UNIT per dB; 0: none */
	uint16_t	quiet;		/* frames since its last speech */
	uint16_t	streak;		/* frames in a row it beat a speaker */
	uint8_t		speaker;
};

struct mix_sel {
	struct mix_params	 p;
	size_t			 nslots;
	size_t			 nspeakers;
	unsigned		*cand;		/* scratch: this frame's talkers */
	struct mix_slot		 slot[];
};

uint8_t
mix_level(const int16_t *pcm, size_t n)
{
	const int16_t *p;
	uint64_t sum = 0;
	double db;
	size_t i, j;

	/* Fixed-length inner loops are the ones the compiler vectorises. */
	for (i = 0; i + MIX_LIM_BLOCK <= n; i += MIX_LIM_BLOCK) {
		p = pcm + i;
		for (j = 0; j < MIX_LIM_BLOCK; j++)
			sum += (uint32_t)(p[j] * p[j]);
	}
	for (; i < n; i++)
		sum += (uint32_t)(pcm[i] * pcm[i]);
	if (sum == 0)
		return MIX_SILENCE;
	/* 0 dBov is the RMS of a full-scale square wave, as in RFC 6464. */
	db = -10.0 * log10((double)sum / ((double)n * 32768.0 * 32768.0));
	if (db < 0.5)
		return 0;
	if (db >= MIX_SILENCE)
		return MIX_SILENCE;
	return (uint8_t)(db + 0.5);
}

void
mix_params_default(struct mix_params *p)
{
	p->speakers = 3;
	p->threshold = 50;
	p->hold = 15;
	p->margin = 6;
	p->displace = 3;
}

static int
mix_params_valid(const struct mix_params *p)
{
	return p->speakers >= 0 && p->speakers <= MIX_MAX_SLOTS &&
	    p->threshold >= 0 && p->threshold <= MIX_SILENCE &&
	    p->hold >= 0 && p->hold <= MIX_MAX_FRAMES &&
	    p->margin >= 0 && p->margin <= MIX_SILENCE &&
	    p->displace >= 1 && p->displace <= MIX_MAX_FRAMES;
}

struct mix_sel *
mix_sel_new(const struct mix_params *p, size_t nslots)
{
	struct mix_sel *sel;

	if (!mix_params_valid(p) || nslots == 0 || nslots > MIX_MAX_SLOTS) {
		errno = EINVAL;
		return NULL;
	}
	sel = calloc(1, sizeof(*sel) + nslots * sizeof(sel->slot[0]));
	if (sel == NULL)
		return NULL;
	if ((sel->cand = calloc(nslots, sizeof(*sel->cand))) == NULL) {
		free(sel);
		return NULL;
	}
	sel->p = *p;
	sel->nslots = nslots;
	return sel;
}

void
mix_sel_free(struct mix_sel *sel)
{
	if (sel == NULL)
		return;
	free(sel->cand);
	free(sel);
}

int
mix_sel_set_params(struct mix_sel *sel, const struct mix_params *p)
{
	if (!mix_params_valid(p))
		return EINVAL;
	/* A smaller K takes effect in mix_sel_update(), quietest first. */
	sel->p = *p;
	return 0;
}

/* Makes a slot a listener again, with no score to carry over. */
static void
mix_sel_drop(struct mix_sel *sel, unsigned slot)
{
	if (sel->slot[slot].speaker)
		sel->nspeakers--;
	memset(&sel->slot[slot], 0, sizeof(sel->slot[slot]));
}

static void
mix_sel_add(struct mix_sel *sel, unsigned slot)
{
	sel->slot[slot].speaker = 1;
	sel->slot[slot].streak = 0;
	sel->nspeakers++;
}

void
mix_sel_remove(struct mix_sel *sel, unsigned slot)
{
	if (slot < sel->nslots)
		mix_sel_drop(sel, slot);
}

int
mix_sel_is_speaker(const struct mix_sel *sel, unsigned slot)
{
	return slot < sel->nslots && sel->slot[slot].speaker;
}

/*
 * The speaker a newcomer would displace: the lowest score, then the one
 * quiet for longest, then the highest slot, so that the choice is stable.
 */
static unsigned
mix_sel_quietest(const struct mix_sel *sel)
{
	const struct mix_slot *s, *best = NULL;
	unsigned i, q = 0;

	for (i = 0; i < sel->nslots; i++) {
		s = &sel->slot[i];
		if (!s->speaker)
			continue;
		if (best == NULL || s->score < best->score ||
		    (s->score == best->score && s->quiet >= best->quiet)) {
			best = s;
			q = i;
		}
	}
	return q;
}

/* Follows one slot's frame into its score and quiet time; 1 if speech. */
static int
mix_sel_track(struct mix_slot *s, uint8_t level, int threshold)
{
	int loud;

	if (level > threshold) {
		if (s->quiet < UINT16_MAX)
			s->quiet++;
		return 0;
	}
	loud = (MIX_SILENCE - level) * MIX_SCORE_UNIT;
	if (loud >= s->score)
		s->score = (int16_t)loud;
	else
		s->score -= (int16_t)((s->score - loud + MIX_SCORE_DECAY - 1) /
		    MIX_SCORE_DECAY);
	s->quiet = 0;
	return 1;
}

/* Sorts the candidates loudest first; equal scores keep slot order. */
static void
mix_sel_sort(struct mix_sel *sel, size_t n)
{
	unsigned c;
	size_t i, j;

	for (i = 1; i < n; i++) {
		c = sel->cand[i];
		for (j = i; j > 0 && sel->slot[sel->cand[j - 1]].score <
		    sel->slot[c].score; j--)
			sel->cand[j] = sel->cand[j - 1];
		sel->cand[j] = c;
	}
}

/* K = 0: every slot that sent a frame is mixed, whatever its level. */
static void
mix_sel_everyone(struct mix_sel *sel, const uint8_t *level)
{
	struct mix_slot *s;
	size_t i;

	sel->nspeakers = 0;
	for (i = 0; i < sel->nslots; i++) {
		s = &sel->slot[i];
		s->speaker = level[i] != MIX_NOFRAME;
		s->streak = 0;
		sel->nspeakers += s->speaker;
	}
}

/*
 * The rules, in order: a speaker quiet for longer than the hold time leaves
 * (keeping its score meanwhile, so that a pause between sentences does not
 * hand its place to anyone not clearly louder); a smaller K drops the
 * quietest; talkers fill free places at once, loudest first, so that their
 * first words are heard; then a talker that beats the quietest speaker by
 * the margin for enough frames in a row takes its place.  Everything but
 * free places needs evidence over several frames, which is what keeps the
 * choice from flapping.
 */
size_t
mix_sel_update(struct mix_sel *sel, const uint8_t *level, unsigned *speakers)
{
	const struct mix_params *p = &sel->p;
	const size_t k = (size_t)p->speakers;
	struct mix_slot *s;
	size_t i, n = 0, ncand = 0;
	unsigned q = 0;
	int speech;

	for (i = 0; i < sel->nslots; i++) {
		s = &sel->slot[i];
		speech = mix_sel_track(s, level[i], p->threshold);
		if (s->speaker) {
			if (k > 0 && s->quiet > p->hold)
				mix_sel_drop(sel, (unsigned)i);
		} else if (speech)
			sel->cand[ncand++] = (unsigned)i;
		else {
			/* A listener's score is only its current talk spurt. */
			s->score = 0;
			s->streak = 0;
		}
	}
	if (k == 0)
		mix_sel_everyone(sel, level);
	else {
		while (sel->nspeakers > k)
			mix_sel_drop(sel, mix_sel_quietest(sel));
		mix_sel_sort(sel, ncand);
		if (sel->nspeakers == k)
			q = mix_sel_quietest(sel);
		for (i = 0; i < ncand; i++) {
			s = &sel->slot[sel->cand[i]];
			if (sel->nspeakers < k) {
				/* A free place: no reason to clip its onset. */
				mix_sel_add(sel, sel->cand[i]);
				if (sel->nspeakers == k)
					q = mix_sel_quietest(sel);
				continue;
			}
			if (s->score < sel->slot[q].score +
			    p->margin * MIX_SCORE_UNIT) {
				s->streak = 0;
				continue;
			}
			if (++s->streak < p->displace)
				continue;
			mix_sel_drop(sel, q);
			mix_sel_add(sel, sel->cand[i]);
			q = mix_sel_quietest(sel);
		}
	}
	for (i = 0; i < sel->nslots; i++)
		if (sel->slot[i].speaker)
			speakers[n++] = (unsigned)i;
	return n;
}

float
mix_limiter_gain(const struct mix_limiter *lim)
{
	return 1.0f - lim->cut;
}

/*
 * Sets the gain at every block boundary of the frame, env[0] at its first
 * sample and env[NBLOCK] at the first of the next frame, from the gain each
 * block needs.  A boundary's gain fits both blocks it joins, so the linear
 * ramp across a block never exceeds what the block needs.
 */
static void
mix_lim_envelope(struct mix_limiter *lim, const float *need, float *env)
{
	float g = 1.0f - lim->cut, want;
	unsigned hold = lim->hold;
	size_t j;

	for (j = 0; j <= MIX_LIM_NBLOCK; j++) {
		if (j == 0)
			want = need[0];
		else if (j == MIX_LIM_NBLOCK)
			want = need[j - 1];
		else
			want = fminf(need[j - 1], need[j]);
		if (want <= g) {
			/*
			 * Instant attack.  At j == 0 it is a step, as the
			 * gain of the last frame's end was already applied;
			 * the ramps within the frame are the look-ahead.
			 */
			g = want;
			hold = MIX_LIM_HOLD;
		} else if (j == 0) {
			/* No time passes between one frame and the next. */
		} else if (hold > 0)
			hold--;
		else
			g = fminf(MIX_LIM_AIM - (MIX_LIM_AIM - g) * MIX_LIM_DECAY,
			    want);
		env[j] = g;
	}
	lim->cut = 1.0f - g;
	lim->hold = hold;
}

/* Writes x through the limiter into out; returns the MIX_OUT_* flags. */
static unsigned
mix_lim_run(struct mix_limiter *lim, const int32_t *x, int16_t *out)
{
	float need[MIX_LIM_NBLOCK], env[MIX_LIM_NBLOCK + 1], g0, d, y;
	int32_t hi, lo, v, peak[MIX_LIM_NBLOCK], top = 0;
	const int32_t *xb;
	int16_t *ob;
	size_t b, i;

	for (b = 0; b < MIX_LIM_NBLOCK; b++) {
		xb = x + b * MIX_LIM_BLOCK;
		hi = lo = 0;
		for (i = 0; i < MIX_LIM_BLOCK; i++) {
			hi = xb[i] > hi ? xb[i] : hi;
			lo = xb[i] < lo ? xb[i] : lo;
		}
		peak[b] = hi > -lo ? hi : -lo;
		top = peak[b] > top ? peak[b] : top;
	}
	if (lim->cut == 0.0f && top <= MIX_LIM_CEIL) {
		/* The common case: unity gain, so a bit-exact copy. */
		lim->hold = MIX_LIM_HOLD;
		for (i = 0; i < MIX_FRAME; i++)
			out[i] = (int16_t)x[i];
		return 0;
	}
	for (b = 0; b < MIX_LIM_NBLOCK; b++)
		need[b] = peak[b] > MIX_LIM_CEIL ?
		    (float)MIX_LIM_CEIL / (float)peak[b] : 1.0f;
	/* Here the gain starts below unity or must go there: it limits. */
	mix_lim_envelope(lim, need, env);
	for (b = 0; b < MIX_LIM_NBLOCK; b++) {
		xb = x + b * MIX_LIM_BLOCK;
		ob = out + b * MIX_LIM_BLOCK;
		g0 = env[b];
		if (g0 == 1.0f && env[b + 1] == 1.0f) {
			for (i = 0; i < MIX_LIM_BLOCK; i++)
				ob[i] = (int16_t)xb[i];
			continue;
		}
		d = (env[b + 1] - g0) * (1.0f / MIX_LIM_BLOCK);
		for (i = 0; i < MIX_LIM_BLOCK; i++) {
			/*
			 * Truncation keeps the sign and never rounds up past
			 * the ceiling; the clamp only guards float rounding.
			 */
			y = (float)xb[i] * (g0 + d * (float)(int32_t)i);
			v = (int32_t)y;
			v = v > MIX_LIM_CEIL ? MIX_LIM_CEIL : v;
			v = v < -MIX_LIM_CEIL ? -MIX_LIM_CEIL : v;
			ob[i] = (int16_t)v;
		}
	}
	return MIX_OUT_LIMITED;
}

/* An output that nothing went into: zeros, while the gain keeps recovering. */
static void
mix_out_silent(struct mix_out *o)
{
	float need[MIX_LIM_NBLOCK], env[MIX_LIM_NBLOCK + 1];
	size_t b;

	if (o->lim->cut != 0.0f) {
		for (b = 0; b < MIX_LIM_NBLOCK; b++)
			need[b] = 1.0f;
		mix_lim_envelope(o->lim, need, env);
	}
	memset(o->pcm, 0, MIX_FRAME * sizeof(o->pcm[0]));
	o->flags = MIX_OUT_SILENT;
}

void
mix_frame(const int16_t *const *in, size_t n, struct mix_out *shared,
    struct mix_out *minus)
{
	int32_t sum[MIX_FRAME], part[MIX_FRAME];
	const int16_t *f;
	size_t i, j, nin = 0;

	/* At most MIX_MAX_SLOTS inputs, so int32 cannot overflow. */
	memset(sum, 0, sizeof(sum));
	for (i = 0; i < n; i++) {
		if ((f = in[i]) == NULL)
			continue;
		nin++;
		for (j = 0; j < MIX_FRAME; j++)
			sum[j] += f[j];
	}
	for (i = 0; minus != NULL && i < n; i++) {
		f = in[i];
		if (nin == (f != NULL ? 1u : 0u)) {
			/* Alone in the mix: the caller need not encode it. */
			mix_out_silent(&minus[i]);
			continue;
		}
		if (f == NULL) {
			minus[i].flags = mix_lim_run(minus[i].lim, sum,
			    minus[i].pcm);
			continue;
		}
		/* Subtracting exactly what was added leaves no trace of it. */
		for (j = 0; j < MIX_FRAME; j++)
			part[j] = sum[j] - f[j];
		minus[i].flags = mix_lim_run(minus[i].lim, part, minus[i].pcm);
	}
	if (shared == NULL)
		return;
	if (nin == 0)
		mix_out_silent(shared);
	else
		shared->flags = mix_lim_run(shared->lim, sum, shared->pcm);
}
