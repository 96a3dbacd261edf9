/* tone: see tone.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tone.h"

#define TONE_FULL	32768.0		/* a sample of energy 1 */

struct tone_meter {
	size_t		 nhz;
	double		 hz[TONE_MAX_FREQS];
	double		 coeff[TONE_MAX_FREQS];	/* 2 cos(omega) */
	double		 at[TONE_MAX_FREQS];	/* energy at hz, summed */
	double		 total;			/* all energy, summed */
	size_t		 skip;			/* samples still to skip */
	size_t		 fill;			/* samples in block */
	size_t		 measured;		/* samples in measured blocks */
	double		 wsum;			/* the window's sum */
	double		 win[TONE_BLOCK];	/* Hann */
	double		 block[TONE_BLOCK];	/* in full-scale units */
	double		 wblock[TONE_BLOCK];	/* block times win */
};

void
tone_gen_init(struct tone_gen *g, double hz, double amp)
{
	if (amp < 0)
		amp = 0;
	if (amp > 1)
		amp = 1;
	g->phase = 0;
	g->step = 2 * M_PI * hz / TONE_RATE;
	g->amp = amp * 32767.0;
}

void
tone_gen_fill(struct tone_gen *g, int16_t *pcm, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		pcm[i] = (int16_t)lrint(g->amp * sin(g->phase));
		/* Wrapping keeps the phase exact over hours of audio. */
		g->phase += g->step;
		if (g->phase >= 2 * M_PI)
			g->phase -= 2 * M_PI;
	}
}

double
tone_energy(const int16_t *pcm, size_t n)
{
	double sum = 0, x;
	size_t i;

	for (i = 0; i < n; i++) {
		x = pcm[i] / TONE_FULL;
		sum += x * x;
	}
	return sum;
}

/* The periodic Hann window of n points: 0 at both ends of a block. */
static double
tone_hann(size_t i, size_t n)
{
	return 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)n);
}

/*
 * |X(omega)|^2 of the windowed samples x[0..n-1], where coeff is
 * 2 cos(omega).  The Goertzel recurrence needs no particular bin: its
 * final two states give the magnitude at any frequency.
 */
static double
tone_goertzel(const double *x, size_t n, double coeff)
{
	double s, s1 = 0, s2 = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		s = x[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/*
 * The energy over n samples of the sine whose windowed spectrum peaks at
 * mag2 = |X|^2: its amplitude is 2 |X| / sum(w), and a sine of amplitude
 * A holds A^2 / 2 per sample.
 */
static double
tone_scale(double mag2, size_t n, double wsum)
{
	return wsum > 0 ? 2 * mag2 * (double)n / (wsum * wsum) : 0;
}

double
tone_power(const int16_t *pcm, size_t n, double hz)
{
	double coeff = 2 * cos(2 * M_PI * hz / TONE_RATE);
	double s, s1 = 0, s2 = 0, w, wsum = 0;
	size_t i;

	if (n == 0)
		return 0;
	/* The same recurrence as tone_goertzel(), windowed on the fly. */
	for (i = 0; i < n; i++) {
		w = tone_hann(i, n);
		wsum += w;
		s = w * (pcm[i] / TONE_FULL) + coeff * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	return tone_scale(s1 * s1 + s2 * s2 - coeff * s1 * s2, n, wsum);
}

double
tone_ratio(double part, double total)
{
	return total > 0 ? part / total : 0;
}

int
tone_meter_new(struct tone_meter **out, const double *hz, size_t nhz,
    size_t skip)
{
	struct tone_meter *m;
	size_t i;

	*out = NULL;
	if (nhz == 0 || nhz > TONE_MAX_FREQS)
		return EINVAL;
	for (i = 0; i < nhz; i++)
		if (!(hz[i] > 0 && hz[i] < TONE_RATE / 2))
			return EINVAL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ENOMEM;
	m->nhz = nhz;
	for (i = 0; i < nhz; i++) {
		m->hz[i] = hz[i];
		m->coeff[i] = 2 * cos(2 * M_PI * hz[i] / TONE_RATE);
	}
	for (i = 0; i < TONE_BLOCK; i++) {
		m->win[i] = tone_hann(i, TONE_BLOCK);
		m->wsum += m->win[i];
	}
	m->skip = skip;
	*out = m;
	return 0;
}

void
tone_meter_free(struct tone_meter *m)
{
	free(m);
}

/* Measures the full block and adds it to the sums. */
static void
tone_meter_block(struct tone_meter *m)
{
	size_t i;

	for (i = 0; i < TONE_BLOCK; i++) {
		m->total += m->block[i] * m->block[i];
		m->wblock[i] = m->block[i] * m->win[i];
	}
	for (i = 0; i < m->nhz; i++)
		m->at[i] += tone_scale(tone_goertzel(m->wblock, TONE_BLOCK,
		    m->coeff[i]), TONE_BLOCK, m->wsum);
	m->measured += TONE_BLOCK;
	m->fill = 0;
}

void
tone_meter_feed(struct tone_meter *m, const int16_t *pcm, size_t n)
{
	size_t k;

	if (m->skip > 0) {
		k = n < m->skip ? n : m->skip;
		m->skip -= k;
		pcm += k;
		n -= k;
	}
	while (n > 0) {
		k = TONE_BLOCK - m->fill;
		if (k > n)
			k = n;
		for (n -= k; k > 0; k--)
			m->block[m->fill++] = *pcm++ / TONE_FULL;
		if (m->fill == TONE_BLOCK)
			tone_meter_block(m);
	}
}

double
tone_meter_ratio(const struct tone_meter *m, double hz)
{
	size_t i;

	for (i = 0; i < m->nhz; i++)
		if (fabs(m->hz[i] - hz) < 1e-6)
			return tone_ratio(m->at[i], m->total);
	return -1;
}

double
tone_meter_energy(const struct tone_meter *m)
{
	return m->measured > 0 ? m->total / (double)m->measured : 0;
}

size_t
tone_meter_samples(const struct tone_meter *m)
{
	return m->measured;
}
