/*
 * tone: sine tones made and measured, at 48 kHz.
 *
 * Tests of a conference ask what a person would: does this participant hear
 * the 400 Hz tone of another, and not its own 600 Hz?  A generator makes
 * the tones; a Goertzel filter tuned to each frequency of interest tells
 * how much of the energy heard lies there.  Everything is pure: samples in,
 * numbers out, no allocation once a meter exists.
 *
 * Window and bins.  Audio is measured in blocks of TONE_BLOCK samples
 * (100 ms), so bins are 10 Hz apart, and each block is weighted by a Hann
 * window: its main lobe spans +-20 Hz and its side lobes fall by 18 dB per
 * octave, so tones 50 Hz or more apart do not leak into each other's
 * measurement whether or not they fall on a bin.  The Goertzel filter is
 * evaluated at the exact frequency asked for, not the nearest bin.  The
 * estimate is scaled by the window's coherent gain, so that a pure sine
 * measures its own energy, and a ratio of 1 means all the energy heard.
 * Energies are in full-scale units: a sample of 32768 has energy 1.
 */
#ifndef TONE_H
#define TONE_H

#include <stddef.h>
#include <stdint.h>

#define TONE_RATE	48000	/* samples per second */
#define TONE_BLOCK	4800	/* samples per measured block: 100 ms */
#define TONE_MAX_FREQS	16	/* frequencies one meter measures */

/* A sine generator; set it up with tone_gen_init(). */
struct tone_gen {
	double	phase;		/* radians, 0 <= phase < 2 pi */
	double	step;		/* radians per sample */
	double	amp;		/* peak, in sample units */
};

struct tone_meter;

/* Sets up a sine of hz at amp (0..1 of full scale), starting at phase 0. */
void	tone_gen_init(struct tone_gen *g, double hz, double amp);
/* Writes the next n samples of the sine; the phase carries on next call. */
void	tone_gen_fill(struct tone_gen *g, int16_t *pcm, size_t n);

/* The energy of pcm[0..n-1]: the sum of its squared samples. */
double	tone_energy(const int16_t *pcm, size_t n);
/*
 * The energy of pcm[0..n-1] that lies at hz, estimated through a Hann
 * window and a Goertzel filter; 0 when n is 0.
 */
double	tone_power(const int16_t *pcm, size_t n, double hz);
/* part / total, or 0 when total is 0: silence holds no tone. */
double	tone_ratio(double part, double total);

/*
 * A meter of the energy at nhz frequencies (1..TONE_MAX_FREQS, each in
 * (0, 24000) Hz) over a stream fed in pieces of any length, after skipping
 * its first skip samples.  0, EINVAL or ENOMEM.
 */
int	tone_meter_new(struct tone_meter **out, const double *hz, size_t nhz,
	    size_t skip);
/* Frees the meter. */
void	tone_meter_free(struct tone_meter *m);
/* Feeds n more samples; each full block is measured as it completes. */
void	tone_meter_feed(struct tone_meter *m, const int16_t *pcm, size_t n);
/*
 * The fraction of the energy of the blocks measured so far that lies at
 * hz: 0 before any block or in silence, -1 when hz is not measured.
 */
double	tone_meter_ratio(const struct tone_meter *m, double hz);
/* The mean energy per sample of the blocks measured so far; 0 if none. */
double	tone_meter_energy(const struct tone_meter *m);
/* How many samples the measured blocks hold. */
size_t	tone_meter_samples(const struct tone_meter *m);

#endif
