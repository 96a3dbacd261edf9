/*
 * fuzz_feed: confd's reader of mgmtd's feed messages (confd/feedmsg.c), as
 * mgmt.c gives it an answer's bytes, for the server "s1".
 *
 * The input is the message.  Whatever it holds, feedmsg_parse() must take
 * it or refuse it with a sentence that fits and nothing held; what it takes
 * must be within docs/api.md: ids and epochs of their hex length, ports,
 * capacities and counts within range, each window ordered, SSRCs non-zero
 * and distinct, and each key the 30 bytes its base64 text says, as this
 * target decodes it on its own.  Key material must be wiped before it is
 * let go: an ASan free hook looks, in every block of credentials freed
 * while the reader runs or frees the message, for the keys of the input.
 * No leak.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sanitizer/allocator_interface.h>
#include <sodium.h>

#include "../../confd/confd.h"
#include "fuzz.h"

#define SERVER		"s1"
#define KEY_LEN		30	/* AES_CM_128_HMAC_SHA1_80 key and salt */

/*
 * What the free hook looks for, set around the calls under test.  The hook
 * cannot take an argument, so this one piece of state is the target's own.
 */
static struct {
	const uint8_t	(*keys)[KEY_LEN];
	size_t		  nkeys;
	bool		  on;
	size_t		  found;	/* freed blocks that held a key */
} watch;

/*
 * Whether a block being freed holds one of the input's keys.  Only blocks
 * the size of whole credential arrays are searched, the only ones that
 * hold keys in binary; a plain loop, since the hook runs inside free().
 */
static FUZZ_NO_COVERAGE void
on_free(const volatile void *ptr)
{
	const volatile uint8_t *p = ptr;
	size_t size, i, k, j;

	if (!watch.on || ptr == NULL)
		return;
	size = __sanitizer_get_allocated_size(ptr);
	if (size < sizeof(struct cred) || size % sizeof(struct cred) != 0)
		return;
	for (k = 0; k < watch.nkeys; k++)
		for (i = 0; i + KEY_LEN <= size; i++) {
			for (j = 0; j < KEY_LEN; j++)
				if (p[i + j] != watch.keys[k][j])
					break;
			if (j == KEY_LEN) {
				watch.found++;
				return;
			}
		}
}

/* The runtime takes the two hooks together only: this one has no use. */
static FUZZ_NO_COVERAGE void
on_malloc(const volatile void *ptr, size_t size)
{
	(void)ptr;
	(void)size;
}

/*
 * A key of the input as the protocol defines it: base64 of exactly 30
 * bytes (blanks ignored, as srtpx_key_decode() does).  Only keys of at
 * least 8 distinct bytes are watched, so that a wiped block of zeros never
 * looks like the key "AAAA...".
 */
static FUZZ_NO_COVERAGE bool
decode_key(const json_t *v, uint8_t *key, bool *watched)
{
	const char *s = json_string_value(v), *end;
	uint8_t buf[64];
	bool seen[256] = { false };
	size_t len, i, distinct = 0;

	*watched = false;
	if (s == NULL || sodium_base642bin(buf, sizeof(buf), s, strlen(s),
	    " \t", &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    *end != '\0' || len != KEY_LEN)
		return false;
	memcpy(key, buf, KEY_LEN);
	for (i = 0; i < KEY_LEN; i++)
		if (!seen[key[i]]) {
			seen[key[i]] = true;
			distinct++;
		}
	*watched = distinct >= 8;
	return true;
}

/* The participants array of conference i of the input, or NULL. */
static FUZZ_NO_COVERAGE json_t *
parts_of(const json_t *msg, size_t i)
{
	return json_object_get(json_array_get(json_object_get(msg,
	    "conferences"), i), "participants");
}

/* Collects the watched keys of every participant of the input. */
static FUZZ_NO_COVERAGE uint8_t (*
collect_keys(const json_t *msg, size_t *n))[KEY_LEN]
{
	static const char *const names[] = { "key_up", "key_down" };
	uint8_t (*keys)[KEY_LEN] = NULL, (*more)[KEY_LEN];
	size_t i, j, f, cap = 0;
	json_t *parts;
	bool watched;
	uint8_t key[KEY_LEN];

	*n = 0;
	for (i = 0; i < json_array_size(json_object_get(msg, "conferences"));
	    i++)
		for (parts = parts_of(msg, i), j = 0;
		    j < json_array_size(parts); j++)
			for (f = 0; f < 2; f++) {
				if (!decode_key(json_object_get(json_array_get(
				    parts, j), names[f]), key, &watched) ||
				    !watched)
					continue;
				if (*n == cap) {
					cap = cap ? 2 * cap : 16;
					more = realloc(keys, cap * KEY_LEN);
					FUZZ_CHECK(more != NULL);
					keys = more;
				}
				memcpy(keys[(*n)++], key, KEY_LEN);
			}
	return keys;
}

/* Checks one conference taken against the input's conference i. */
static FUZZ_NO_COVERAGE void
check_conf(const struct feedmsg_conf *fc, const json_t *msg, size_t i)
{
	json_t *parts = parts_of(msg, i), *p;
	const struct cred *c;
	uint8_t up[KEY_LEN], down[KEY_LEN];
	size_t j, k;
	bool watched;

	FUZZ_CHECK(strlen(fc->id) == FEEDMSG_ID_LEN &&
	    strspn(fc->id, "0123456789abcdef") == FEEDMSG_ID_LEN);
	FUZZ_CHECK(fc->port >= 1024 && fc->port <= 65535);
	FUZZ_CHECK(fc->capacity >= 1 && fc->capacity <= 65535);
	FUZZ_CHECK(fc->start >= 0 && fc->start < fc->end);
	FUZZ_CHECK(fc->ncreds <= FEEDMSG_MAX_PARTS);
	FUZZ_CHECK((fc->ncreds == 0) == (fc->creds == NULL));
	FUZZ_CHECK(fc->ncreds == json_array_size(parts));
	for (k = 0; k < fc->ncreds; k++) {
		c = &fc->creds[k];
		FUZZ_CHECK(c->ssrc != 0 && c->rx == NULL);
		FUZZ_CHECK(k == 0 || c[-1].ssrc < c->ssrc);
	}
	/* Each participant of the input has its credential, keys exact. */
	json_array_foreach(parts, j, p) {
		json_int_t ssrc = json_integer_value(json_object_get(p,
		    "ssrc"));

		FUZZ_CHECK(decode_key(json_object_get(p, "key_up"), up,
		    &watched));
		FUZZ_CHECK(decode_key(json_object_get(p, "key_down"), down,
		    &watched));
		for (k = 0; k < fc->ncreds; k++)
			if (fc->creds[k].ssrc == (uint32_t)ssrc)
				break;
		FUZZ_CHECK(k < fc->ncreds && (json_int_t)fc->creds[k].ssrc ==
		    ssrc);
		FUZZ_CHECK(memcmp(fc->creds[k].key_up, up, KEY_LEN) == 0);
		FUZZ_CHECK(memcmp(fc->creds[k].key_down, down, KEY_LEN) == 0);
	}
	sodium_memzero(up, sizeof(up));
	sodium_memzero(down, sizeof(down));
}

/* Checks a message taken against the input it came from. */
static FUZZ_NO_COVERAGE void
check_msg(const struct feedmsg *fm, const json_t *msg)
{
	json_t *confs = json_object_get(msg, "conferences");
	size_t i;

	FUZZ_CHECK(msg != NULL);
	FUZZ_CHECK(strlen(fm->epoch) == FEEDMSG_EPOCH_LEN &&
	    strspn(fm->epoch, "0123456789abcdef") == FEEDMSG_EPOCH_LEN);
	FUZZ_CHECK(fm->version <= (1ULL << 53));
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(msg, "type")),
	    fm->snapshot ? "snapshot" : "changes") == 0);
	FUZZ_CHECK(strcmp(json_string_value(json_object_get(msg, "server")),
	    SERVER) == 0);
	FUZZ_CHECK(fm->nconfs == json_array_size(confs));
	FUZZ_CHECK((fm->nconfs == 0) == (fm->confs == NULL));
	for (i = 0; i < fm->nconfs; i++)
		check_conf(&fm->confs[i], msg, i);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t probe_key[KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8,
	    9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
	    26, 27, 28, 29, 30 };
	struct cred *probe;

	(void)argc;
	(void)argv;
	FUZZ_CHECK(sodium_init() >= 0);
	FUZZ_CHECK(__sanitizer_install_malloc_and_free_hooks(on_malloc,
	    on_free) != 0);
	/* The wipe check must be able to fail: an unwiped key is found. */
	FUZZ_CHECK((probe = calloc(2, sizeof(*probe))) != NULL);
	memcpy(probe[1].key_down, probe_key, KEY_LEN);
	watch.keys = &probe_key;
	watch.nkeys = 1;
	watch.on = true;
	free(probe);
	watch.on = false;
	FUZZ_CHECK(watch.found == 1);
	memset(&watch, 0, sizeof(watch));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t (*keys)[KEY_LEN] = NULL;
	struct feedmsg fm;
	json_t *msg;
	char why[256], *buf;
	size_t nkeys = 0, len;
	int rc;

	/* The input as this target reads it, to check the reader against. */
	msg = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL);
	if (msg != NULL)
		keys = collect_keys(msg, &nkeys);
	buf = (char *)fuzz_dup(data, size);
	memset(&fm, 0xa5, sizeof(fm));
	why[0] = '\0';

	watch.keys = (const uint8_t (*)[KEY_LEN])keys;
	watch.nkeys = nkeys;
	watch.found = 0;
	watch.on = true;
	rc = feedmsg_parse(buf, size, SERVER, &fm, why, sizeof(why));
	watch.on = false;
	FUZZ_CHECK(watch.found == 0);

	len = strnlen(why, sizeof(why));
	if (rc != 0) {
		FUZZ_CHECK(rc == EINVAL);
		FUZZ_CHECK(len > 0 && len < sizeof(why) - 1);
		FUZZ_CHECK(fm.confs == NULL && fm.nconfs == 0);
	} else {
		FUZZ_CHECK(len == 0);
		check_msg(&fm, msg);
		watch.on = true;
		feedmsg_free(&fm);
		watch.on = false;
		FUZZ_CHECK(watch.found == 0);
		FUZZ_CHECK(fm.confs == NULL && fm.nconfs == 0);
	}
	if (keys != NULL) {
		sodium_memzero(keys, nkeys * KEY_LEN);
		free(keys);
	}
	json_decref(msg);
	free(buf);
	return 0;
}
