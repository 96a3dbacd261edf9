/*
 * Unit tests of tone generation and detection (common/tone.c) with exact
 * sample arrays: what the generator writes, and what fraction of the
 * energy of known signals the detector finds at each frequency.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tone.h"

#define SECOND	TONE_RATE
#define FRAME	960

/* Whether |a - b| <= tol. */
static int
near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

#define CHECK_NEAR(a, b, tol) do {					\
	double check_x_ = (a), check_y_ = (b);				\
	if (!near(check_x_, check_y_, (tol))) {				\
		check_fail(__FILE__, __LINE__, "%s ~ %s (%.6f vs %.6f)", \
		    #a, #b, check_x_, check_y_);			\
		return;							\
	}								\
} while (0)

/* n samples of a sine of hz at amp, from phase 0. */
static void
sine(int16_t *pcm, size_t n, double hz, double amp)
{
	struct tone_gen g;

	tone_gen_init(&g, hz, amp);
	tone_gen_fill(&g, pcm, n);
}

/* A quarter of the rate is four samples a period: exact values. */
static void
test_gen_exact(void)
{
	static const int16_t want[8] = {
		0, 32767, 0, -32767, 0, 32767, 0, -32767,
	};
	static const int16_t half[4] = { 0, 16384, 0, -16384 };
	int16_t pcm[8];
	struct tone_gen g;

	tone_gen_init(&g, 12000, 1.0);
	tone_gen_fill(&g, pcm, 8);
	CHECK(memcmp(pcm, want, sizeof(want)) == 0);
	/* Amplitudes outside 0..1 are clamped, not wrapped. */
	tone_gen_init(&g, 12000, 7.0);
	tone_gen_fill(&g, pcm, 8);
	CHECK(memcmp(pcm, want, sizeof(want)) == 0);
	tone_gen_init(&g, 12000, 0.5);
	tone_gen_fill(&g, pcm, 4);
	CHECK(memcmp(pcm, half, sizeof(half)) == 0);
	tone_gen_init(&g, 12000, -1.0);
	tone_gen_fill(&g, pcm, 8);
	CHECK_INT(tone_energy(pcm, 8), ==, 0);
}

/* Frame by frame, the sine is the same as in one piece. */
static void
test_gen_continuous(void)
{
	static int16_t whole[SECOND], parts[SECOND];
	struct tone_gen g;
	size_t i;

	sine(whole, SECOND, 437, 0.3);
	tone_gen_init(&g, 437, 0.3);
	for (i = 0; i < SECOND; i += FRAME)
		tone_gen_fill(&g, parts + i, FRAME);
	CHECK(memcmp(whole, parts, sizeof(whole)) == 0);
	/* A sine of amplitude A holds A^2 / 2 per sample. */
	CHECK_NEAR(tone_energy(whole, SECOND) / SECOND, 0.3 * 0.3 / 2, 1e-4);
}

static void
test_energy_exact(void)
{
	static const int16_t pcm[4] = { 16384, -16384, -32768, 0 };

	CHECK_NEAR(tone_energy(pcm, 2), 0.5, 1e-12);
	CHECK_NEAR(tone_energy(pcm, 4), 1.5, 1e-12);
	CHECK_NEAR(tone_energy(pcm, 0), 0, 0);
}

/* A pure 600 Hz sine is all at 600 Hz and nothing at its neighbours. */
static void
test_pure_tone(void)
{
	static int16_t pcm[TONE_BLOCK];
	double total;

	sine(pcm, TONE_BLOCK, 600, 0.5);
	total = tone_energy(pcm, TONE_BLOCK);
	CHECK_NEAR(tone_ratio(tone_power(pcm, TONE_BLOCK, 600), total), 1,
	    0.01);
	CHECK(tone_ratio(tone_power(pcm, TONE_BLOCK, 400), total) < 0.001);
	CHECK(tone_ratio(tone_power(pcm, TONE_BLOCK, 800), total) < 0.001);
	CHECK(tone_ratio(tone_power(pcm, TONE_BLOCK, 1000), total) < 0.001);
	/* 50 Hz away is outside the window's main lobe. */
	CHECK(tone_ratio(tone_power(pcm, TONE_BLOCK, 550), total) < 0.001);
	/* Quieter or louder, the ratio is the same. */
	sine(pcm, TONE_BLOCK, 600, 0.01);
	CHECK_NEAR(tone_ratio(tone_power(pcm, TONE_BLOCK, 600),
	    tone_energy(pcm, TONE_BLOCK)), 1, 0.01);
}

/* A tone between bins is measured at its own frequency. */
static void
test_off_bin(void)
{
	static int16_t pcm[TONE_BLOCK];
	double total;

	sine(pcm, TONE_BLOCK, 443.3, 0.4);
	total = tone_energy(pcm, TONE_BLOCK);
	CHECK_NEAR(tone_ratio(tone_power(pcm, TONE_BLOCK, 443.3), total), 1,
	    0.01);
	CHECK(tone_ratio(tone_power(pcm, TONE_BLOCK, 400), total) < 0.01);
	CHECK(tone_ratio(tone_power(pcm, TONE_BLOCK, 500), total) < 0.01);
}

/* Three tones of one amplitude: a third of the energy at each. */
static void
test_three_tones(void)
{
	static int16_t a[TONE_BLOCK], b[TONE_BLOCK], c[TONE_BLOCK];
	static int16_t sum[TONE_BLOCK];
	double total;
	size_t i;

	sine(a, TONE_BLOCK, 400, 0.25);
	sine(b, TONE_BLOCK, 600, 0.25);
	sine(c, TONE_BLOCK, 1000, 0.25);
	for (i = 0; i < TONE_BLOCK; i++)
		sum[i] = (int16_t)(a[i] + b[i] + c[i]);
	total = tone_energy(sum, TONE_BLOCK);
	CHECK_NEAR(tone_ratio(tone_power(sum, TONE_BLOCK, 400), total),
	    1.0 / 3, 0.01);
	CHECK_NEAR(tone_ratio(tone_power(sum, TONE_BLOCK, 600), total),
	    1.0 / 3, 0.01);
	CHECK_NEAR(tone_ratio(tone_power(sum, TONE_BLOCK, 1000), total),
	    1.0 / 3, 0.01);
	CHECK(tone_ratio(tone_power(sum, TONE_BLOCK, 800), total) < 0.001);
}

/* Silence holds no tone, and nothing divides by zero. */
static void
test_silence(void)
{
	static const int16_t zero[TONE_BLOCK];
	static const double hz[] = { 400, 600 };
	struct tone_meter *m;
	size_t i;

	CHECK_INT(tone_energy(zero, TONE_BLOCK), ==, 0);
	CHECK_INT(tone_power(zero, TONE_BLOCK, 600), ==, 0);
	CHECK_INT(tone_power(zero, 0, 600), ==, 0);
	CHECK_INT(tone_ratio(0, 0), ==, 0);
	CHECK_INT(tone_ratio(1, 0), ==, 0);
	CHECK_INT(tone_meter_new(&m, hz, 2, 0), ==, 0);
	/* Before any block, then after silent ones. */
	CHECK(tone_meter_ratio(m, 600) == 0);
	CHECK(tone_meter_energy(m) == 0);
	for (i = 0; i < 10; i++)
		tone_meter_feed(m, zero, TONE_BLOCK);
	CHECK_INT(tone_meter_samples(m), ==, 10 * TONE_BLOCK);
	CHECK(tone_meter_ratio(m, 400) == 0);
	CHECK(tone_meter_ratio(m, 600) == 0);
	CHECK(tone_meter_energy(m) == 0);
	tone_meter_free(m);
}

/* Noise spreads its energy: no frequency takes a noticeable share. */
static void
test_noise(void)
{
	static int16_t pcm[TONE_BLOCK];
	double total;
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < TONE_BLOCK; i++) {
		x = x * 1103515245u + 12345u;
		pcm[i] = (int16_t)((x >> 16) & 0x3fff) - 0x2000;
	}
	total = tone_energy(pcm, TONE_BLOCK);
	CHECK(total > 0);
	CHECK(tone_ratio(tone_power(pcm, TONE_BLOCK, 400), total) < 0.01);
	CHECK(tone_ratio(tone_power(pcm, TONE_BLOCK, 1000), total) < 0.01);
}

/*
 * Fed frame by frame, the meter skips the start (a 400 Hz lead-in) and
 * hears only the 600 Hz that follows; a partial block is not measured.
 */
static void
test_meter_stream(void)
{
	static int16_t lead[SECOND / 2], body[SECOND + FRAME];
	static const double hz[] = { 400, 600, 1000 };
	struct tone_meter *m;
	size_t i;

	sine(lead, SECOND / 2, 400, 0.5);
	sine(body, SECOND + FRAME, 600, 0.5);
	CHECK_INT(tone_meter_new(&m, hz, 3, SECOND / 2), ==, 0);
	for (i = 0; i < SECOND / 2; i += FRAME)
		tone_meter_feed(m, lead + i, FRAME);
	CHECK_INT(tone_meter_samples(m), ==, 0);
	for (i = 0; i < SECOND + FRAME; i += FRAME)
		tone_meter_feed(m, body + i, FRAME);
	/* 1.02 s fed: ten whole blocks, the last 960 samples waiting. */
	CHECK_INT(tone_meter_samples(m), ==, 10 * TONE_BLOCK);
	CHECK_NEAR(tone_meter_ratio(m, 600), 1, 0.01);
	CHECK(tone_meter_ratio(m, 400) < 0.001);
	CHECK(tone_meter_ratio(m, 1000) < 0.001);
	CHECK_NEAR(tone_meter_energy(m), 0.5 * 0.5 / 2, 1e-3);
	/* A frequency not measured is an error, not a zero. */
	CHECK(tone_meter_ratio(m, 800) == -1);
	tone_meter_free(m);

	/* Without a skip, the lead-in counts: a third 400, two thirds 600. */
	CHECK_INT(tone_meter_new(&m, hz, 3, 0), ==, 0);
	tone_meter_feed(m, lead, SECOND / 2);
	tone_meter_feed(m, body, SECOND);
	CHECK_NEAR(tone_meter_ratio(m, 400), 1.0 / 3, 0.01);
	CHECK_NEAR(tone_meter_ratio(m, 600), 2.0 / 3, 0.01);
	tone_meter_free(m);
}

static void
test_meter_config(void)
{
	double hz[TONE_MAX_FREQS + 1];
	struct tone_meter *m = (struct tone_meter *)&m;
	size_t i;

	for (i = 0; i <= TONE_MAX_FREQS; i++)
		hz[i] = 100.0 * (double)(i + 1);
	CHECK_INT(tone_meter_new(&m, hz, 0, 0), ==, EINVAL);
	CHECK(m == NULL);
	CHECK_INT(tone_meter_new(&m, hz, TONE_MAX_FREQS + 1, 0), ==, EINVAL);
	hz[0] = 0;
	CHECK_INT(tone_meter_new(&m, hz, 1, 0), ==, EINVAL);
	hz[0] = 24000;
	CHECK_INT(tone_meter_new(&m, hz, 1, 0), ==, EINVAL);
	hz[0] = NAN;
	CHECK_INT(tone_meter_new(&m, hz, 1, 0), ==, EINVAL);
	hz[0] = 23999;
	CHECK_INT(tone_meter_new(&m, hz, TONE_MAX_FREQS, 0), ==, 0);
	tone_meter_free(m);
	tone_meter_free(NULL);
}

CHECK_MAIN(
	CHECK_CASE(test_gen_exact),
	CHECK_CASE(test_gen_continuous),
	CHECK_CASE(test_energy_exact),
	CHECK_CASE(test_pure_tone),
	CHECK_CASE(test_off_bin),
	CHECK_CASE(test_three_tones),
	CHECK_CASE(test_silence),
	CHECK_CASE(test_noise),
	CHECK_CASE(test_meter_stream),
	CHECK_CASE(test_meter_config),
)
