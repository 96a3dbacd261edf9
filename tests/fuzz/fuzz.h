/*
 * fuzz: what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each fuzz_NAME.c defines LLVMFuzzerTestOneInput() and is linked with
 * -fsanitize=fuzzer,address,undefined against the project's libraries, so
 * that a crash, a sanitizer report, a leak or a broken property (FUZZ_CHECK)
 * stops the run and leaves the input in tests/fuzz/crashes/NAME/.  See
 * tests/fuzz/README.md.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry points; declared here for -Wmissing-prototypes. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * For a target's own checks: coverage of them would only slow the run and
 * mislead libFuzzer, which is to explore the code under test.  Not inlined,
 * since inlined code is instrumented as its caller's.
 */
#define FUZZ_NO_COVERAGE	__attribute__((no_sanitize("coverage"), noinline))

/*
 * A property the code under test promised and broke.  abort() rather than
 * a return value, so that libFuzzer keeps the input as a crash.
 */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property does not hold: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/*
 * Takes bytes off the front of the input; once it runs dry every read
 * yields zero, so a short input is still a complete one.
 */
struct fuzz_in {
	const uint8_t	*p;
	size_t		 len;
};

static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	if (in->len == 0)
		return 0;
	v = in->p[0];
	in->p++;
	in->len--;
	return v;
}

static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static inline uint32_t
fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);

	return hi << 16 | fuzz_u16(in);
}

/* A 32-bit field in network byte order, as RTP and RTCP carry them. */
static inline uint32_t
fuzz_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * An exact-size heap copy: under ASan a read or write one byte past what a
 * function was given then lands in a redzone and is reported, where a
 * larger array would hide it.
 */
static inline uint8_t *
fuzz_dup(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len > 0 ? len : 1);

	if (p == NULL)
		abort();
	if (len > 0)
		memcpy(p, src, len);
	return p;
}

/*
 * Reads every byte of a region a function handed out, so that ASan checks
 * the pointer and length it claimed; the sum only keeps the loads alive.
 */
static inline unsigned
fuzz_touch(const uint8_t *p, size_t len)
{
	volatile unsigned sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

/* Whether [p, p + n) lies within [base, base + len). */
static inline int
fuzz_within(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
	return p >= base && p <= base + len && n <= (size_t)(base + len - p);
}

#endif
