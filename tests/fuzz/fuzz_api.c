/*
 * fuzz_api: the request bodies of mgmtd's HTTP API (mgmtd/api_parse.c), as
 * api_read_body() and the handlers read them, without the HTTP server or
 * the store.
 *
 * The first byte picks what the rest is: its low three bits the body kind
 * (0 a booking request, 1 an extension, 2 an access request, 3 a
 * registration, 4 a heartbeat, 5 a server state, 6 the JSON alone, 7 every
 * kind in turn), bits 3 and 4 [booking] max_duration (1 min, 4 h, 1 d,
 * 366 d), bit 5 whether the organiser has a default region, bit 6 a moved
 * code's pickup (POST /v1/access/moved) whatever the low bits say.  The
 * rest is the body, as bytes.  Whatever it holds, a body must be refused with a
 * 400, a code of docs/api.md and a message a client can be sent: non-empty,
 * not cut short, valid UTF-8, no control characters; or taken with every
 * value within the range docs/api.md gives and equal to what the body
 * says.  No leak.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../../mgmtd/mgmtd.h"
#include "fuzz.h"

/* The kinds past the low three bits: bit 6 of the first byte. */
#define KIND_MOVED	8

static const int64_t max_durations[] = { 60, 4 * 3600, 86400, 366 * 86400 };

/* Whether a message can go to a client as it is: see the header. */
static FUZZ_NO_COVERAGE void
check_err(int rc, const struct mgmtd_err *e)
{
	static const char *const codes[] = { "malformed_json", "invalid_body",
	    "unknown_field", "missing_field", "invalid_field" };
	size_t i, len;
	json_t *s;

	FUZZ_CHECK(rc == EINVAL);
	FUZZ_CHECK(e->status == 400);
	FUZZ_CHECK(e->code != NULL);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(e->code, codes[i]) == 0)
			break;
	FUZZ_CHECK(i < sizeof(codes) / sizeof(codes[0]));
	len = strnlen(e->msg, sizeof(e->msg));
	FUZZ_CHECK(len > 0 && len < sizeof(e->msg) - 1);
	FUZZ_CHECK(e->msg[0] != ' ' && e->msg[len - 1] != ' ');
	for (i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)e->msg[i] >= 0x20 &&
		    e->msg[i] != 0x7f);
	/* api_reply_err() sends it with json_string(): it must be UTF-8. */
	s = json_string(e->msg);
	FUZZ_CHECK(s != NULL);
	json_decref(s);
}

/* An integer field of body, which an accepted body must have. */
static FUZZ_NO_COVERAGE json_int_t
int_field(const json_t *body, const char *name)
{
	json_t *v = json_object_get(body, name);

	FUZZ_CHECK(json_is_integer(v));
	return json_integer_value(v);
}

static FUZZ_NO_COVERAGE void
check_booking(const json_t *body, int64_t maxdur, const char *defregion,
    const struct booking_req *r)
{
	const char *start = json_string_value(json_object_get(body, "start"));
	json_t *inv = json_object_get(body, "invitees");
	json_t *region = json_object_get(body, "region");
	char back[32];
	size_t i, j;

	FUZZ_CHECK(start != NULL);
	if (r->now)
		FUZZ_CHECK(strcmp(start, "now") == 0);
	else {
		FUZZ_CHECK(r->start >= 0);
		rfc3339_format(r->start, back, sizeof(back));
		FUZZ_CHECK(strcmp(back, start) == 0);
	}
	FUZZ_CHECK(r->duration >= 1 && r->duration <= maxdur);
	FUZZ_CHECK(r->duration == int_field(body, "duration"));
	FUZZ_CHECK(r->capacity >= 1 && r->capacity <= 65535);
	FUZZ_CHECK(r->capacity == int_field(body, "capacity"));
	FUZZ_CHECK(r->region != NULL && api_name_ok(r->region));
	FUZZ_CHECK(strlen(r->region) < MGMTD_NAME_MAX);
	FUZZ_CHECK(strcmp(r->region, region ? json_string_value(region) :
	    defregion) == 0);
	FUZZ_CHECK(r->ninvitees == json_array_size(inv));
	FUZZ_CHECK(r->ninvitees <= MGMTD_MAX_INVITEES);
	for (i = 0; i < r->ninvitees; i++) {
		FUZZ_CHECK(api_phone_ok(r->invitees[i]));
		/* What booking_create() copies into its phone slots. */
		FUZZ_CHECK(strlen(r->invitees[i]) < MGMTD_PHONE_MAX);
		FUZZ_CHECK(r->invitees[i] == json_string_value(
		    json_array_get(inv, i)));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(r->invitees[i], r->invitees[j]) != 0);
	}
}

static FUZZ_NO_COVERAGE void
check_register(const json_t *body, const struct server *reg)
{
	unsigned char sa[sizeof(struct in6_addr)];
	json_t *addrs = json_object_get(body, "addresses");
	json_t *region = json_object_get(body, "region");
	int i;

	FUZZ_CHECK(reg->naddrs >= 1 && reg->naddrs <= MGMTD_MAX_ADDRS);
	FUZZ_CHECK((size_t)reg->naddrs == json_array_size(addrs));
	for (i = 0; i < reg->naddrs; i++) {
		FUZZ_CHECK(memchr(reg->addrs[i], '\0', MGMTD_ADDR_MAX) != NULL);
		FUZZ_CHECK(inet_pton(AF_INET, reg->addrs[i], sa) == 1 ||
		    inet_pton(AF_INET6, reg->addrs[i], sa) == 1);
		FUZZ_CHECK(strcmp(reg->addrs[i], json_string_value(
		    json_array_get(addrs, (size_t)i))) == 0);
	}
	FUZZ_CHECK(reg->port_min >= 1024 && reg->port_min <= reg->port_max &&
	    reg->port_max <= 65535);
	FUZZ_CHECK(reg->port_min == int_field(body, "port_min"));
	FUZZ_CHECK(reg->port_max == int_field(body, "port_max"));
	FUZZ_CHECK(reg->capacity >= 1 && reg->capacity <= 65535);
	FUZZ_CHECK(reg->capacity == int_field(body, "capacity"));
	FUZZ_CHECK(api_name_ok(reg->region));
	FUZZ_CHECK(strcmp(reg->region, region ? json_string_value(region) :
	    "") == 0);
}

/* An old code 1 taken is the body's, and a code 1 in form. */
static FUZZ_NO_COVERAGE void
check_moved(const json_t *body, const char *code1)
{
	uint8_t raw[ACODE_CODE1_BYTES_MAX];
	char why[256];
	size_t len;

	FUZZ_CHECK(code1 != NULL);
	FUZZ_CHECK(code1 == json_string_value(json_object_get(body,
	    "code1")));
	FUZZ_CHECK(json_object_size(body) == 1);
	FUZZ_CHECK(acode_code1_bytes(code1, raw, sizeof(raw), &len, why,
	    sizeof(why)) == ACODE_OK);
	FUZZ_CHECK(len >= 1 && len <= sizeof(raw));
}

/* One body of one kind: parse, then check the answer. */
static void
fuzz_kind(int kind, const json_t *body, int64_t maxdur,
    const char *defregion)
{
	const char *invitees[MGMTD_MAX_INVITEES], *phone = NULL, *code1;
	struct booking_req req;
	struct server reg;
	struct mgmtd_err e;
	int64_t by = -1;
	double cpu = -1;
	int rc, parts = -1;
	bool draining;

	memset(&e, 0, sizeof(e));
	switch (kind) {
	case 0:
		rc = api_parse_booking(body, maxdur, defregion, &req, invitees,
		    &e);
		if (rc == 0)
			check_booking(body, maxdur, defregion, &req);
		break;
	case 1:
		rc = api_parse_extend(body, maxdur, &by, &e);
		if (rc == 0)
			FUZZ_CHECK(by >= 1 && by <= maxdur &&
			    by == int_field(body, "by"));
		break;
	case 2:
		rc = api_parse_access(body, &phone, &e);
		if (rc == 0)
			FUZZ_CHECK(api_phone_ok(phone) &&
			    strlen(phone) < MGMTD_PHONE_MAX);
		break;
	case 3:
		rc = api_parse_register(body, &reg, &e);
		if (rc == 0)
			check_register(body, &reg);
		break;
	case 4:
		rc = api_parse_heartbeat(body, &parts, &cpu, &e);
		if (rc == 0)
			FUZZ_CHECK(parts >= 0 && parts <= 1000000 &&
			    parts == int_field(body, "participants") &&
			    cpu >= 0.0 && cpu <= 1.0 && !isnan(cpu));
		break;
	case KIND_MOVED:
		rc = api_parse_moved(body, &code1, &e);
		if (rc == 0)
			check_moved(body, code1);
		else
			FUZZ_CHECK(code1 == NULL);
		break;
	default:
		rc = api_parse_state(body, &draining, &e);
		if (rc == 0)
			FUZZ_CHECK(strcmp(json_string_value(json_object_get(
			    body, "state")), draining ? "draining" : "active")
			    == 0);
		break;
	}
	if (rc != 0)
		check_err(rc, &e);
	else
		/* Only the fields a kind has: an accepted body has no other. */
		FUZZ_CHECK(json_object_size(body) <= 5);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *defregion;
	struct mgmtd_err e;
	json_t *body;
	int64_t maxdur;
	char *buf;
	int kind, rc;

	if (size < 1)
		return 0;
	kind = data[0] & 0x40 ? KIND_MOVED : data[0] & 7;
	maxdur = max_durations[(data[0] >> 3) & 3];
	defregion = data[0] & 0x20 ? "eu-west" : "";
	/* An exact-size copy, so that a read past the body is caught. */
	buf = (char *)fuzz_dup(data + 1, size - 1);
	memset(&e, 0, sizeof(e));
	rc = api_parse_json(buf, size - 1, &body, &e);
	if (rc != 0) {
		FUZZ_CHECK(body == NULL);
		check_err(rc, &e);
		free(buf);
		return 0;
	}
	FUZZ_CHECK(json_is_object(body));
	if (kind < 6 || kind == KIND_MOVED)
		fuzz_kind(kind, body, maxdur, defregion);
	else if (kind == 7) {
		for (kind = 0; kind < 6; kind++)
			fuzz_kind(kind, body, maxdur, defregion);
		fuzz_kind(KIND_MOVED, body, maxdur, defregion);
	}
	json_decref(body);
	free(buf);
	return 0;
}
