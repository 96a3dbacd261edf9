/*
 * ratelimit: token buckets by key (a phone number, a source address) for
 * the requests that cost something real: an access request sends an SMS.
 *
 * The buckets live in a fixed table, so a flood of new keys costs no
 * memory: it evicts the longest-idle bucket of a short probe run.  Keys are
 * hashed with SipHash under a random key, so nobody can aim collisions.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mgmtd.h"

#define RATELIMIT_PROBE	8

struct ratelimit_bucket {
	uint64_t	tag;		/* hash of the key; 0: free */
	uint64_t	last_ms;	/* when tokens was last brought up */
	double		tokens;
};

struct ratelimit {
	size_t			 n;		/* a power of two */
	double			 burst;		/* bucket size */
	double			 per_ms;	/* tokens refilled a ms */
	unsigned char		 key[crypto_shorthash_KEYBYTES];
	struct ratelimit_bucket	 b[];
};

int
ratelimit_new(struct ratelimit **out, size_t slots, int burst,
    int64_t period_ms)
{
	struct ratelimit *rl;
	size_t n = 64;

	*out = NULL;
	if (burst < 1 || period_ms < 1)
		return EINVAL;
	while (n < slots)
		n *= 2;
	if ((rl = calloc(1, sizeof(*rl) + n * sizeof(rl->b[0]))) == NULL)
		return ENOMEM;
	rl->n = n;
	rl->burst = burst;
	rl->per_ms = (double)burst / (double)period_ms;
	randombytes_buf(rl->key, sizeof(rl->key));
	*out = rl;
	return 0;
}

void
ratelimit_free(struct ratelimit *rl)
{
	free(rl);
}

int64_t
ratelimit_take(struct ratelimit *rl, const char *key, uint64_t now_ms)
{
	struct ratelimit_bucket *b, *victim = NULL;
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t tag;
	double wait;
	size_t i, at;

	crypto_shorthash(h, (const unsigned char *)key, strlen(key), rl->key);
	memcpy(&tag, h, sizeof(tag));
	tag |= 1;	/* never 0, the mark of a free bucket */
	at = (size_t)(tag >> 1) & (rl->n - 1);
	for (i = 0; i < RATELIMIT_PROBE; i++) {
		b = &rl->b[(at + i) & (rl->n - 1)];
		if (b->tag == tag)
			break;
		if (victim == NULL || b->tag == 0 ||
		    (victim->tag != 0 && b->last_ms < victim->last_ms))
			victim = b;
		b = NULL;
	}
	if (b == NULL) {
		/* A new key: a full bucket, in the longest-idle place. */
		b = victim;
		b->tag = tag;
		b->tokens = rl->burst;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rl->per_ms;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	/* Whole seconds until one token is back, at least one. */
	wait = ceil((1.0 - b->tokens) / rl->per_ms / 1000.0 - 1e-9);
	return wait < 1 ? 1 : (int64_t)wait;
}
