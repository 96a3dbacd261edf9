/* Unit tests of mix: levels, speaker selection, minus mixes, the limiter. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mix.h"

#define CEIL		29204	/* the limiter's -1 dBFS */
#define NPART		10

/* Test buffers: too large for comfort on the stack, and reused by cases. */
static int16_t	in_buf[NPART][MIX_FRAME];
static int16_t	out_buf[NPART + 1][MIX_FRAME];

/* A fixed pseudo-random sequence, so that failures repeat. */
static uint32_t
test_rand(uint32_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 17;
	*st ^= *st << 5;
	return *st;
}

/* Uniform noise in [-amp, amp]. */
static void
fill_noise(int16_t *f, int amp, uint32_t *st)
{
	size_t i;

	for (i = 0; i < MIX_FRAME; i++)
		f[i] = (int16_t)((int)(test_rand(st) % (2u * (unsigned)amp + 1)) -
		    amp);
}

static void
fill_const(int16_t *f, int v)
{
	size_t i;

	for (i = 0; i < MIX_FRAME; i++)
		f[i] = (int16_t)v;
}

/*
 * A Walsh function of amplitude amp: the rows of a 64-point Hadamard matrix
 * are exactly orthogonal, so the correlation of one with a sum of others is
 * exactly zero, and with itself 960 * amp^2.
 */
static void
fill_walsh(int16_t *f, unsigned row, int amp)
{
	size_t i;

	for (i = 0; i < MIX_FRAME; i++)
		f[i] = (int16_t)(__builtin_parity(row & (i % 64)) ? -amp : amp);
}

/* A sine of amplitude amp and frequency hz, from sample start on. */
static void
fill_sine(int16_t *f, double amp, double hz, long start)
{
	size_t i;

	for (i = 0; i < MIX_FRAME; i++)
		f[i] = (int16_t)lrint(amp * sin(2 * M_PI * hz *
		    (double)(start + (long)i) / 48000.0));
}

static int64_t
corr(const int16_t *a, const int16_t *b)
{
	int64_t s = 0;
	size_t i;

	for (i = 0; i < MIX_FRAME; i++)
		s += (int64_t)a[i] * b[i];
	return s;
}

/* Whether the speaker list is exactly want[0..nwant-1] (both ascending). */
static int
same_slots(const unsigned *got, size_t ngot, const unsigned *want,
    size_t nwant)
{
	return ngot == nwant && memcmp(got, want, nwant * sizeof(*got)) == 0;
}

static struct mix_sel *
new_sel(int speakers, size_t nslots)
{
	struct mix_params p;

	mix_params_default(&p);
	p.speakers = speakers;
	return mix_sel_new(&p, nslots);
}

static void
test_level_silence(void)
{
	fill_const(in_buf[0], 0);
	CHECK_INT(mix_level(in_buf[0], MIX_FRAME), ==, 127);
	CHECK_INT(mix_level(in_buf[0], 0), ==, 127);
	/* One LSB in a frame: 10 log10(960 * 2^30) = 120.1 dB down. */
	in_buf[0][100] = 1;
	CHECK_INT(mix_level(in_buf[0], MIX_FRAME), ==, 120);
}

static void
test_level_square(void)
{
	size_t i;

	for (i = 0; i < MIX_FRAME; i++)
		in_buf[0][i] = (int16_t)(i % 48 < 24 ? 32767 : -32767);
	CHECK_INT(mix_level(in_buf[0], MIX_FRAME), ==, 0);
	for (i = 0; i < MIX_FRAME; i++)
		in_buf[0][i] = (int16_t)(i % 2 ? 32767 : -32768);
	CHECK_INT(mix_level(in_buf[0], MIX_FRAME), ==, 0);
	/* Half amplitude is 6.02 dB down, a tenth 20 dB. */
	for (i = 0; i < MIX_FRAME; i++)
		in_buf[0][i] = (int16_t)(i % 48 < 24 ? 16384 : -16384);
	CHECK_INT(mix_level(in_buf[0], MIX_FRAME), ==, 6);
	for (i = 0; i < MIX_FRAME; i++)
		in_buf[0][i] = (int16_t)(i % 48 < 24 ? 3277 : -3277);
	CHECK_INT(mix_level(in_buf[0], MIX_FRAME), ==, 20);
	/* A full-scale sine has 3 dB less power than the square wave. */
	fill_sine(in_buf[0], 32767, 1000, 0);
	CHECK_INT(mix_level(in_buf[0], MIX_FRAME), ==, 3);
}

static void
test_minus_exact(void)
{
	struct mix_limiter lim[4];
	struct mix_out shared, minus[3];
	const int16_t *in[3];
	uint32_t st = 1;
	size_t f, i, j;

	memset(lim, 0, sizeof(lim));
	shared = (struct mix_out){ out_buf[3], &lim[3], 0xff };
	for (i = 0; i < 3; i++) {
		minus[i] = (struct mix_out){ out_buf[i], &lim[i], 0xff };
		in[i] = in_buf[i];
	}
	fill_const(in_buf[0], 1000);
	fill_const(in_buf[1], -2000);
	fill_const(in_buf[2], 4000);
	mix_frame(in, 3, &shared, minus);
	for (j = 0; j < MIX_FRAME; j++) {
		CHECK_INT(out_buf[3][j], ==, 3000);
		CHECK_INT(out_buf[0][j], ==, 2000);
		CHECK_INT(out_buf[1][j], ==, 5000);
		CHECK_INT(out_buf[2][j], ==, -1000);
	}
	CHECK_INT(shared.flags, ==, 0);
	for (i = 0; i < 3; i++)
		CHECK_INT(minus[i].flags, ==, 0);

	/* Any signals that fit under the ceiling add exactly. */
	for (f = 0; f < 20; f++) {
		for (i = 0; i < 3; i++)
			fill_noise(in_buf[i], 9700, &st);
		mix_frame(in, 3, &shared, minus);
		for (j = 0; j < MIX_FRAME; j++) {
			int a = in_buf[0][j], b = in_buf[1][j], c = in_buf[2][j];

			CHECK_INT(out_buf[3][j], ==, a + b + c);
			CHECK_INT(out_buf[0][j], ==, b + c);
			CHECK_INT(out_buf[1][j], ==, a + c);
			CHECK_INT(out_buf[2][j], ==, a + b);
		}
	}
}

/*
 * The whole frame period for five participants, as confd runs it: what
 * each one hears holds every speaker's voice and never its own.
 */
static void
test_never_hears_self(void)
{
	static const int amp[5] = { 8000, 7000, 9000, 6000, 50 };
	struct mix_limiter lim[6];
	struct mix_out shared, minus[5];
	const int16_t *in[5], *heard[5];
	unsigned spk[5];
	uint8_t level[5];
	struct mix_sel *sel;
	size_t f, i, n, p;

	CHECK((sel = new_sel(3, 5)) != NULL);
	memset(lim, 0, sizeof(lim));
	for (p = 0; p < 5; p++)
		fill_walsh(in_buf[p], (unsigned)p + 1, amp[p]);
	for (f = 0; f < 10; f++) {
		for (p = 0; p < 5; p++)
			level[p] = mix_level(in_buf[p], MIX_FRAME);
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 2 }, 3));
		shared = (struct mix_out){ out_buf[5], &lim[5], 0 };
		for (p = 0; p < 5; p++)
			heard[p] = out_buf[5];
		for (i = 0; i < n; i++) {
			in[i] = in_buf[spk[i]];
			minus[i] = (struct mix_out){ out_buf[spk[i]],
			    &lim[spk[i]], 0 };
			heard[spk[i]] = out_buf[spk[i]];
		}
		mix_frame(in, n, &shared, minus);
		for (p = 0; p < 5; p++) {
			CHECK_INT(corr(heard[p], in_buf[p]), ==, 0);
			for (i = 0; i < n; i++)
				if (spk[i] != p)
					CHECK_INT(corr(heard[p], in_buf[spk[i]]),
					    ==, (int64_t)MIX_FRAME *
					    amp[spk[i]] * amp[spk[i]]);
		}
	}
	mix_sel_free(sel);
}

static void
test_select_loudest(void)
{
	static const uint8_t level[5] = { 40, 10, 30, 20, 45 };
	struct mix_sel *sel;
	unsigned spk[5];
	size_t f, n;

	CHECK((sel = new_sel(3, 5)) != NULL);
	for (f = 0; f < 50; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 1, 2, 3 }, 3));
	}
	CHECK(mix_sel_is_speaker(sel, 1));
	CHECK(!mix_sel_is_speaker(sel, 0));
	CHECK(!mix_sel_is_speaker(sel, 99));
	mix_sel_free(sel);
}

/* Quiet talkers hold the places first; louder ones take them over. */
static void
test_select_late_loud(void)
{
	static const uint8_t first[5] = { 40, MIX_NOFRAME, MIX_NOFRAME,
	    MIX_NOFRAME, 45 };
	static const uint8_t all[5] = { 40, 10, 30, 20, 45 };
	struct mix_sel *sel;
	unsigned spk[5];
	size_t f, n;

	CHECK((sel = new_sel(3, 5)) != NULL);
	for (f = 0; f < 5; f++) {
		n = mix_sel_update(sel, first, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 4 }, 2));
	}
	/* The free place goes at once; displacing takes three frames. */
	for (f = 0; f < 2; f++) {
		n = mix_sel_update(sel, all, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 4 }, 3));
	}
	for (f = 0; f < 20; f++) {
		n = mix_sel_update(sel, all, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 1, 2, 3 }, 3));
	}
	mix_sel_free(sel);
}

static void
test_select_margin(void)
{
	uint8_t level[4] = { 30, 32, 34, MIX_NOFRAME };
	struct mix_sel *sel;
	unsigned spk[4];
	size_t f, n;

	CHECK((sel = new_sel(3, 4)) != NULL);
	for (f = 0; f < 5; f++)
		n = mix_sel_update(sel, level, spk);
	/* 5 dB louder than the quietest speaker is not enough. */
	level[3] = 29;
	for (f = 0; f < 100; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 2 }, 3));
	}
	/* 6 dB louder is, after three frames in a row. */
	level[3] = 28;
	for (f = 0; f < 2; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 2 }, 3));
	}
	n = mix_sel_update(sel, level, spk);
	CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 3 }, 3));
	/* The one displaced cannot come straight back: 6 dB quieter now. */
	for (f = 0; f < 50; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 3 }, 3));
	}
	mix_sel_free(sel);
}

/* A much louder newcomer must be so for consecutive frames. */
static void
test_select_streak(void)
{
	uint8_t level[4] = { 30, 32, 34, MIX_NOFRAME };
	struct mix_sel *sel;
	unsigned spk[4];
	size_t f, n;

	CHECK((sel = new_sel(3, 4)) != NULL);
	for (f = 0; f < 5; f++)
		n = mix_sel_update(sel, level, spk);
	for (f = 0; f < 30; f++) {
		level[3] = f % 3 == 2 ? MIX_NOFRAME : 10;
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 2 }, 3));
	}
	level[3] = 10;
	for (f = 0; f < 2; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 2 }, 3));
	}
	n = mix_sel_update(sel, level, spk);
	CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 3 }, 3));
	mix_sel_free(sel);
}

static void
test_select_hold(void)
{
	uint8_t level[4] = { 30, 30, 30, MIX_NOFRAME };
	struct mix_sel *sel;
	unsigned spk[4];
	size_t f, n;

	CHECK((sel = new_sel(3, 4)) != NULL);
	for (f = 0; f < 5; f++)
		n = mix_sel_update(sel, level, spk);
	/* A pause shorter than the hold time keeps the place. */
	level[1] = MIX_NOFRAME;
	for (f = 0; f < 14; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 2 }, 3));
	}
	level[1] = 30;
	n = mix_sel_update(sel, level, spk);
	CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 2 }, 3));
	/*
	 * Sending silence, and with a newcomer as loud as it was talking,
	 * it keeps the place for exactly the 15 frames of the hold time.
	 */
	level[1] = 127;
	level[3] = 30;
	for (f = 0; f < 15; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 2 }, 3));
	}
	n = mix_sel_update(sel, level, spk);
	CHECK(same_slots(spk, n, (const unsigned[]){ 0, 2, 3 }, 3));
	/* Back, it is the newcomer now, and no louder than the others. */
	level[1] = 30;
	for (f = 0; f < 20; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 2, 3 }, 3));
	}
	mix_sel_free(sel);
}

static void
test_select_threshold(void)
{
	uint8_t level[2] = { 51, MIX_NOFRAME };
	struct mix_sel *sel;
	unsigned spk[2];
	size_t f, n;

	CHECK((sel = new_sel(3, 2)) != NULL);
	for (f = 0; f < 20; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK_INT(n, ==, 0);
	}
	level[0] = 50;
	n = mix_sel_update(sel, level, spk);
	CHECK(same_slots(spk, n, (const unsigned[]){ 0 }, 1));
	mix_sel_free(sel);
}

/* A participant leaving frees its place; its slot starts afresh. */
static void
test_select_remove(void)
{
	uint8_t level[3] = { 30, 30, 30 };
	struct mix_sel *sel;
	unsigned spk[3];
	size_t f, n;

	CHECK((sel = new_sel(2, 3)) != NULL);
	for (f = 0; f < 5; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1 }, 2));
	}
	mix_sel_remove(sel, 0);
	mix_sel_remove(sel, 7);
	CHECK(!mix_sel_is_speaker(sel, 0));
	level[0] = MIX_NOFRAME;
	n = mix_sel_update(sel, level, spk);
	CHECK(same_slots(spk, n, (const unsigned[]){ 1, 2 }, 2));
	/* Someone new in slot 0 inherits no place and no hold. */
	level[0] = 35;
	for (f = 0; f < 20; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 1, 2 }, 2));
	}
	mix_sel_free(sel);
}

static void
test_select_everyone(void)
{
	static const uint8_t level[5] = { 127, 90, 10, MIX_NOFRAME, 40 };
	struct mix_params p;
	struct mix_sel *sel;
	unsigned spk[5];
	size_t f, n;

	CHECK((sel = new_sel(0, 5)) != NULL);
	for (f = 0; f < 3; f++) {
		n = mix_sel_update(sel, level, spk);
		CHECK(same_slots(spk, n, (const unsigned[]){ 0, 1, 2, 4 }, 4));
	}
	/* A reload to K = 2 keeps the two who talk. */
	mix_params_default(&p);
	p.speakers = 2;
	CHECK_INT(mix_sel_set_params(sel, &p), ==, 0);
	n = mix_sel_update(sel, level, spk);
	CHECK(same_slots(spk, n, (const unsigned[]){ 2, 4 }, 2));
	mix_sel_free(sel);
}

static void
test_select_params(void)
{
	struct mix_params p;
	struct mix_sel *sel;

	mix_params_default(&p);
	CHECK_INT(p.speakers, ==, 3);
	CHECK_INT(p.threshold, ==, 50);
	CHECK_INT(p.hold, ==, 15);
	CHECK_INT(p.margin, ==, 6);
	CHECK_INT(p.displace, ==, 3);
	errno = 0;
	CHECK(mix_sel_new(&p, 0) == NULL);
	CHECK_INT(errno, ==, EINVAL);
	CHECK((sel = mix_sel_new(&p, 64)) != NULL);
	p.threshold = 128;
	CHECK_INT(mix_sel_set_params(sel, &p), ==, EINVAL);
	errno = 0;
	CHECK(mix_sel_new(&p, 64) == NULL);
	CHECK_INT(errno, ==, EINVAL);
	mix_params_default(&p);
	p.displace = 0;
	CHECK_INT(mix_sel_set_params(sel, &p), ==, EINVAL);
	p.displace = 1;
	p.speakers = -1;
	CHECK_INT(mix_sel_set_params(sel, &p), ==, EINVAL);
	mix_sel_free(sel);
	mix_sel_free(NULL);
}

/* One speaker is the cheap case: its frame is the mix, it hears nothing. */
static void
test_one_speaker(void)
{
	struct mix_limiter lim[3];
	struct mix_out shared, minus[2];
	const int16_t *in[2];
	uint32_t st = 7;
	size_t j;

	memset(lim, 0, sizeof(lim));
	fill_noise(in_buf[0], 20000, &st);
	memset(out_buf, 0x55, sizeof(out_buf));
	shared = (struct mix_out){ out_buf[2], &lim[2], 0xff };
	minus[0] = (struct mix_out){ out_buf[0], &lim[0], 0xff };
	in[0] = in_buf[0];
	mix_frame(in, 1, &shared, minus);
	CHECK(memcmp(out_buf[2], in_buf[0], sizeof(in_buf[0])) == 0);
	CHECK_INT(shared.flags, ==, 0);
	CHECK_INT(minus[0].flags, ==, MIX_OUT_SILENT);
	for (j = 0; j < MIX_FRAME; j++)
		CHECK_INT(out_buf[0][j], ==, 0);

	/* A speaker in its hold time sends nothing: the other is alone. */
	memset(out_buf, 0x55, sizeof(out_buf));
	minus[1] = (struct mix_out){ out_buf[1], &lim[1], 0xff };
	in[1] = NULL;
	mix_frame(in, 2, &shared, minus);
	CHECK(memcmp(out_buf[2], in_buf[0], sizeof(in_buf[0])) == 0);
	CHECK(memcmp(out_buf[1], in_buf[0], sizeof(in_buf[0])) == 0);
	CHECK_INT(minus[0].flags, ==, MIX_OUT_SILENT);
	CHECK_INT(minus[1].flags, ==, 0);

	/* Nobody: the shared mix is silent too. */
	mix_frame(in, 0, &shared, NULL);
	CHECK_INT(shared.flags, ==, MIX_OUT_SILENT);
	for (j = 0; j < MIX_FRAME; j++)
		CHECK_INT(out_buf[2][j], ==, 0);
	mix_frame(in, 1, NULL, minus);
	CHECK_INT(minus[0].flags, ==, MIX_OUT_SILENT);
}

static void
test_limiter_passthrough(void)
{
	struct mix_limiter lim;
	struct mix_out shared;
	const int16_t *in[1] = { in_buf[0] };
	uint32_t st = 3;
	size_t f, j;

	memset(&lim, 0, sizeof(lim));
	shared = (struct mix_out){ out_buf[0], &lim, 0xff };
	for (f = 0; f < 20; f++) {
		fill_noise(in_buf[0], CEIL, &st);
		in_buf[0][f] = CEIL;
		in_buf[0][f + 1] = -CEIL;
		mix_frame(in, 1, &shared, NULL);
		CHECK(memcmp(out_buf[0], in_buf[0], sizeof(in_buf[0])) == 0);
		CHECK_INT(shared.flags, ==, 0);
		CHECK(mix_limiter_gain(&lim) == 1.0f);
	}
	/* One sample past the ceiling, and the limiter acts. */
	in_buf[0][500] = 32767;
	mix_frame(in, 1, &shared, NULL);
	CHECK_INT(shared.flags, ==, MIX_OUT_LIMITED);
	CHECK(mix_limiter_gain(&lim) < 1.0f);
	for (j = 0; j < MIX_FRAME; j++) {
		CHECK_INT(out_buf[0][j], <=, CEIL);
		CHECK_INT(out_buf[0][j], >=, -CEIL);
	}
}

/*
 * Checks one limited output against the sum it came from: under the
 * ceiling, the sign kept (no wrap-around), no plateau of equal samples at
 * the top (no hard clip), no jump larger than the sine's own slope, and the
 * gain within 1% of one value (no pumping within a waveform).  Returns the
 * number of samples at full scale.
 */
static size_t
check_limited(const int16_t *y, const int32_t *sum, int steady,
    double *gmin, double *gmax)
{
	size_t j, full = 0;
	double g;

	for (j = 0; j < MIX_FRAME; j++) {
		if (y[j] == 32767 || y[j] == -32767 || y[j] == -32768)
			full++;
		if (y[j] > CEIL || y[j] < -CEIL) {
			check_fail(__FILE__, __LINE__, "sample %zu: %d over "
			    "the ceiling", j, y[j]);
			break;
		}
		if ((int64_t)y[j] * sum[j] < 0 ||
		    ((sum[j] >= 1000 || sum[j] <= -1000) && y[j] == 0)) {
			check_fail(__FILE__, __LINE__, "sample %zu: %d for a "
			    "sum of %d", j, y[j], sum[j]);
			break;
		}
		if (j >= 2 && y[j] == y[j - 1] && y[j] == y[j - 2] &&
		    abs(y[j]) > 20000) {
			check_fail(__FILE__, __LINE__, "samples %zu..%zu: "
			    "plateau at %d", j - 2, j, y[j]);
			break;
		}
		if (j >= 1 && abs(y[j] - y[j - 1]) > 2000) {
			check_fail(__FILE__, __LINE__, "sample %zu: jump of %d",
			    j, y[j] - y[j - 1]);
			break;
		}
		if (steady && abs(sum[j]) > 100000) {
			g = (double)y[j] / sum[j];
			*gmin = g < *gmin ? g : *gmin;
			*gmax = g > *gmax ? g : *gmax;
		}
	}
	return full;
}

/* Ten people shouting the same full-scale tone, in phase, for a second. */
static void
test_limiter_ten_sines(void)
{
	static int32_t sum[2][MIX_FRAME];
	struct mix_limiter lim[NPART + 1];
	struct mix_out shared, minus[NPART];
	const int16_t *in[NPART];
	double gmin[2] = { 1, 1 }, gmax[2] = { 0, 0 };
	size_t f, i, j, full = 0;

	memset(lim, 0, sizeof(lim));
	shared = (struct mix_out){ out_buf[NPART], &lim[NPART], 0 };
	for (i = 0; i < NPART; i++) {
		minus[i] = (struct mix_out){ out_buf[i], &lim[i], 0 };
		in[i] = in_buf[i];
	}
	for (f = 0; f < 50; f++) {
		for (i = 0; i < NPART; i++)
			fill_sine(in_buf[i], 32767, 440, (long)f * MIX_FRAME);
		for (j = 0; j < MIX_FRAME; j++) {
			sum[0][j] = 0;
			for (i = 0; i < NPART; i++)
				sum[0][j] += in_buf[i][j];
			sum[1][j] = sum[0][j] - in_buf[0][j];
		}
		mix_frame(in, NPART, &shared, minus);
		CHECK_INT(shared.flags, ==, MIX_OUT_LIMITED);
		CHECK_INT(minus[0].flags, ==, MIX_OUT_LIMITED);
		full += check_limited(out_buf[NPART], sum[0], f > 0, &gmin[0],
		    &gmax[0]);
		full += check_limited(out_buf[0], sum[1], f > 0, &gmin[1],
		    &gmax[1]);
		if (check_failed())
			return;
		/* Every minus mix is the same nine voices. */
		for (i = 1; i < NPART; i++)
			CHECK(memcmp(out_buf[i], out_buf[0],
			    sizeof(out_buf[0])) == 0);
	}
	CHECK_INT(full, <=, 2 * 50 * MIX_FRAME / 1000);
	for (i = 0; i < 2; i++) {
		/* Limited to the ceiling, not far below it, and steadily. */
		CHECK(gmax[i] * (i == 0 ? 327670 : 294903) > 0.99 * CEIL);
		CHECK(gmax[i] * (i == 0 ? 327670 : 294903) < 1.001 * CEIL);
		CHECK(gmin[i] > 0.99 * gmax[i]);
	}
}

/* After the shouting stops, the gain comes back smoothly and completely. */
static void
test_limiter_release(void)
{
	struct mix_limiter lim;
	struct mix_out shared;
	const int16_t *in[NPART];
	float g, prev;
	uint32_t st = 5;
	size_t f, i;

	memset(&lim, 0, sizeof(lim));
	shared = (struct mix_out){ out_buf[0], &lim, 0 };
	for (i = 0; i < NPART; i++)
		in[i] = in_buf[i];
	for (f = 0; f < 10; f++) {
		for (i = 0; i < NPART; i++)
			fill_sine(in_buf[i], 32767, 440, (long)f * MIX_FRAME);
		mix_frame(in, NPART, &shared, NULL);
	}
	prev = mix_limiter_gain(&lim);
	CHECK(prev < 0.1f);
	/*
	 * 10 ms of hold, then at most 120 ms of release: unity within the
	 * seventh frame, and an exact copy from the eighth on.
	 */
	for (f = 1; f <= 20; f++) {
		fill_noise(in_buf[0], 3000, &st);
		mix_frame(in, 1, &shared, NULL);
		g = mix_limiter_gain(&lim);
		CHECK(g >= prev);
		if (f == 1)
			CHECK(g < 0.5f);
		if (f >= 7)
			CHECK(g == 1.0f);
		if (f >= 8) {
			CHECK(memcmp(out_buf[0], in_buf[0],
			    sizeof(in_buf[0])) == 0);
			CHECK_INT(shared.flags, ==, 0);
		} else
			CHECK_INT(shared.flags, ==, MIX_OUT_LIMITED);
		prev = g;
	}
}

/*
 * A loud half frame after a quiet one: the gain is down by the time the
 * loud part starts, reached by a ramp over the block before it, and the
 * quiet part before that ramp is untouched.
 */
static void
test_limiter_lookahead(void)
{
	struct mix_limiter lim[4];
	struct mix_out shared, minus[3];
	const int16_t *in[3];
	double r = (double)CEIL / 60000, g, gprev = 1;
	size_t i, j;

	memset(lim, 0, sizeof(lim));
	shared = (struct mix_out){ out_buf[3], &lim[3], 0 };
	for (i = 0; i < 3; i++) {
		minus[i] = (struct mix_out){ out_buf[i], &lim[i], 0 };
		in[i] = in_buf[i];
	}
	fill_const(in_buf[0], 20000);
	for (j = 0; j < MIX_FRAME; j++)
		in_buf[1][j] = in_buf[2][j] = (int16_t)(j < 480 ? 0 : 20000);
	mix_frame(in, 3, &shared, minus);
	for (j = 0; j < MIX_FRAME; j++) {
		if (j < 432)
			CHECK_INT(out_buf[3][j], ==, 20000);
		else
			CHECK_INT(out_buf[3][j], <=, CEIL);
		if (j >= 480)
			CHECK_INT(out_buf[3][j], >=, CEIL - 10);
		g = (double)out_buf[3][j] / (j < 480 ? 20000 : 60000);
		CHECK(fabs(g - gprev) <= (1 - r) / 48 + 1e-4);
		gprev = g;
		CHECK_INT(out_buf[0][j], <=, CEIL);
		CHECK_INT(out_buf[1][j], <=, CEIL);
	}
	CHECK(fabs(mix_limiter_gain(&lim[3]) - r) < 1e-4);
}

CHECK_MAIN(
	CHECK_CASE(test_level_silence),
	CHECK_CASE(test_level_square),
	CHECK_CASE(test_minus_exact),
	CHECK_CASE(test_never_hears_self),
	CHECK_CASE(test_select_loudest),
	CHECK_CASE(test_select_late_loud),
	CHECK_CASE(test_select_margin),
	CHECK_CASE(test_select_streak),
	CHECK_CASE(test_select_hold),
	CHECK_CASE(test_select_threshold),
	CHECK_CASE(test_select_remove),
	CHECK_CASE(test_select_everyone),
	CHECK_CASE(test_select_params),
	CHECK_CASE(test_one_speaker),
	CHECK_CASE(test_limiter_passthrough),
	CHECK_CASE(test_limiter_ten_sines),
	CHECK_CASE(test_limiter_release),
	CHECK_CASE(test_limiter_lookahead),
)
