/*
 * feedmsg: one message of mgmtd's feed (docs/api.md, "The feed"), from
 * bytes to the conferences and participant credentials it carries.
 *
 * It is pure: mgmt.c applies what it returns to the rooms, and
 * tests/fuzz/fuzz_feed.c feeds it anything.  A message is read whole
 * before any of it is applied, so that one that breaks the protocol
 * anywhere changes nothing; every type, length and range the protocol
 * gives is checked, and key material is wiped from every copy that is let
 * go, whether the message was taken or refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "confd.h"
#include "rfc3339.h"

#define FEEDMSG_VERSION_MAX	(1LL << 53)	/* exact in a double */

/* Whether s is exactly n lowercase hex digits. */
static bool
feedmsg_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* Orders credentials by SSRC, to find duplicates. */
static int
feedmsg_cred_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct cred *)a)->ssrc;
	uint32_t y = ((const struct cred *)b)->ssrc;

	return x < y ? -1 : x > y;
}

/* Wipes and frees the credentials of one conference. */
static void
feedmsg_conf_clear(struct feedmsg_conf *fc)
{
	if (fc->creds != NULL) {
		sodium_memzero(fc->creds, fc->ncreds * sizeof(*fc->creds));
		free(fc->creds);
	}
	memset(fc, 0, sizeof(*fc));
}

/*
 * Reads the participants of one conference into fc->creds; 0, or EINVAL
 * or ENOMEM with why, when the caller's feedmsg_conf_clear() wipes them.
 */
static int
feedmsg_parse_creds(const json_t *parts, struct feedmsg_conf *fc, char *why,
    size_t whylen)
{
	const char *up, *down;
	json_int_t ssrc, cid;
	json_t *p;
	char kwhy[128];
	size_t i, n = json_array_size(parts);

	if (n == 0)
		return 0;
	if ((fc->creds = calloc(n, sizeof(*fc->creds))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	/* Counted whole from here, so that a refusal wipes every slot. */
	fc->ncreds = n;
	json_array_foreach(parts, i, p) {
		if (json_unpack(p, "{s:I, s:I, s:s, s:s}", "id", &cid, "ssrc",
		    &ssrc, "key_up", &up, "key_down", &down) != 0 ||
		    ssrc < 1 || ssrc > 0xffffffffLL ||
		    srtpx_key_decode(SRTPX_AES_CM_128_HMAC_SHA1_80, up,
		    fc->creds[i].key_up, kwhy, sizeof(kwhy)) != 0 ||
		    srtpx_key_decode(SRTPX_AES_CM_128_HMAC_SHA1_80, down,
		    fc->creds[i].key_down, kwhy, sizeof(kwhy)) != 0) {
			/*
			 * This one's key_up may be decoded already: the
			 * caller wipes all n, not only those done.
			 */
			snprintf(why, whylen, "%s: participant %zu is "
			    "malformed", fc->id, i);
			return EINVAL;
		}
		fc->creds[i].ssrc = (uint32_t)ssrc;
	}
	/* confd finds a credential by its SSRC: two would be ambiguous. */
	qsort(fc->creds, n, sizeof(*fc->creds), feedmsg_cred_cmp);
	for (i = 1; i < n; i++)
		if (fc->creds[i].ssrc == fc->creds[i - 1].ssrc) {
			snprintf(why, whylen, "%s: SSRC %lu is given twice",
			    fc->id, (unsigned long)fc->creds[i].ssrc);
			return EINVAL;
		}
	return 0;
}

/*
 * Reads one conference of the feed into fc, checking every type, length
 * and range the protocol gives; 0, or EINVAL or ENOMEM with why.
 */
static int
feedmsg_parse_conf(const json_t *o, struct feedmsg_conf *fc, char *why,
    size_t whylen)
{
	const char *id, *state, *suite, *st, *en;
	json_int_t jport, jcap;
	json_t *parts;

	if (json_unpack((json_t *)o, "{s:s, s:s, s:I, s:s, s:s, s:I, s:s, "
	    "s:o}", "id", &id, "state", &state, "port", &jport, "start", &st,
	    "end", &en, "capacity", &jcap, "suite", &suite, "participants",
	    &parts) != 0 || !json_is_array(parts)) {
		snprintf(why, whylen, "a conference lacks a field");
		return EINVAL;
	}
	if (!feedmsg_hex(id, FEEDMSG_ID_LEN)) {
		snprintf(why, whylen, "a conference id is not 20 hex digits");
		return EINVAL;
	}
	memcpy(fc->id, id, FEEDMSG_ID_LEN + 1);
	fc->cancelled = strcmp(state, "cancelled") == 0;
	if (!fc->cancelled && strcmp(state, "booked") != 0) {
		snprintf(why, whylen, "%s: unknown state '%.16s'", fc->id,
		    state);
		return EINVAL;
	}
	if (jport < 1024 || jport > 65535 || jcap < 1 || jcap > 65535 ||
	    rfc3339_parse(st, &fc->start) != 0 ||
	    rfc3339_parse(en, &fc->end) != 0 || fc->end <= fc->start ||
	    strcmp(suite, "AES_CM_128_HMAC_SHA1_80") != 0 ||
	    json_array_size(parts) > FEEDMSG_MAX_PARTS) {
		snprintf(why, whylen, "%s: a field is out of range", fc->id);
		return EINVAL;
	}
	fc->port = (int)jport;
	fc->capacity = (int)jcap;
	return feedmsg_parse_creds(parts, fc, why, whylen);
}

/* A message as jansson read it, for server_id: checked, then copied. */
int
feedmsg_parse_json(const json_t *msg, const char *server_id,
    struct feedmsg *out, char *why, size_t whylen)
{
	const char *type, *server, *epoch;
	json_int_t protocol, version;
	json_t *confs, *o;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if (json_unpack((json_t *)msg, "{s:s, s:I, s:s, s:s, s:I, s:o}",
	    "type", &type, "protocol", &protocol, "server", &server, "epoch",
	    &epoch, "version", &version, "conferences", &confs) != 0 ||
	    !json_is_array(confs)) {
		snprintf(why, whylen, "a feed message lacks a field");
		return EINVAL;
	}
	if (protocol != FEEDMSG_PROTOCOL) {
		snprintf(why, whylen, "feed protocol %lld, this confd speaks "
		    "%d", (long long)protocol, FEEDMSG_PROTOCOL);
		return EINVAL;
	}
	out->snapshot = strcmp(type, "snapshot") == 0;
	/* The epoch goes back into the next request's query: hex only. */
	if ((!out->snapshot && strcmp(type, "changes") != 0) ||
	    strcmp(server, server_id) != 0 ||
	    !feedmsg_hex(epoch, FEEDMSG_EPOCH_LEN) || version < 0 ||
	    version > FEEDMSG_VERSION_MAX) {
		snprintf(why, whylen, "a feed message of the wrong type, "
		    "server, epoch or version");
		memset(out, 0, sizeof(*out));
		return EINVAL;
	}
	memcpy(out->epoch, epoch, FEEDMSG_EPOCH_LEN + 1);
	out->version = (uint64_t)version;
	if (json_array_size(confs) > 0 && (out->confs = calloc(
	    json_array_size(confs), sizeof(*out->confs))) == NULL) {
		snprintf(why, whylen, "out of memory");
		memset(out, 0, sizeof(*out));
		return ENOMEM;
	}
	json_array_foreach(confs, i, o) {
		/* Counted first, so that a refusal frees this one too. */
		out->nconfs = i + 1;
		if ((err = feedmsg_parse_conf(o, &out->confs[i], why,
		    whylen)) != 0) {
			feedmsg_free(out);
			return err;
		}
	}
	return 0;
}

/* A message from the bytes of an answer. */
int
feedmsg_parse(const char *buf, size_t len, const char *server_id,
    struct feedmsg *out, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *msg;
	int err;

	memset(out, 0, sizeof(*out));
	/* As mgmt.c reads an answer: an object or array, no key twice. */
	if ((msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		snprintf(why, whylen, "a feed message is not JSON: line %d, "
		    "column %d: %s", jerr.line, jerr.column, jerr.text);
		return EINVAL;
	}
	err = feedmsg_parse_json(msg, server_id, out, why, whylen);
	json_decref(msg);
	return err;
}

/* Wipes every key of a message, then frees it. */
void
feedmsg_free(struct feedmsg *m)
{
	size_t i;

	for (i = 0; i < m->nconfs; i++)
		feedmsg_conf_clear(&m->confs[i]);
	free(m->confs);
	memset(m, 0, sizeof(*m));
}
