/*
 * api_parse: the request bodies of the API, from bytes to mgmtd's request
 * structs.  Each function checks one body against docs/api.md (its fields,
 * their JSON types and their ranges) and refuses it with the 400 that
 * names what is wrong; none touches the store, the registry or a request,
 * so that tests/fuzz/fuzz_api.c can feed them anything.  The handlers in
 * api_servers.c, api_bookings.c and api_moved.c call them before they
 * change a thing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mgmtd.h"

#define API_N(a)	(sizeof(a) / sizeof((a)[0]))

/* The JSON object of a body, as api_read_body() got it. */
int
api_parse_json(const char *buf, size_t len, json_t **out,
    struct mgmtd_err *e)
{
	json_error_t jerr;
	json_t *body;

	*out = NULL;
	/*
	 * Any JSON value is decoded, so that a body that is valid JSON but
	 * not an object gets invalid_body rather than malformed_json.
	 */
	body = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (body == NULL) {
		mgmtd_err_set(e, 400, "malformed_json", "the body is not JSON: "
		    "line %d, column %d: %s", jerr.line, jerr.column,
		    jerr.text);
		return EINVAL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		mgmtd_err_set(e, 400, "invalid_body", "the body must be a JSON "
		    "object");
		return EINVAL;
	}
	*out = body;
	return 0;
}

/* Whether s is an E.164 number: '+' and 6 to 15 digits, no leading 0. */
bool
api_phone_ok(const char *s)
{
	size_t n;

	if (s[0] != '+' || s[1] < '1' || s[1] > '9')
		return false;
	n = strspn(s + 1, "0123456789");
	return n >= 6 && n <= 15 && s[1 + n] == '\0';
}

static const struct api_field api_create_fields[] = {
	{ "start", JSON_STRING, true },
	{ "duration", JSON_INTEGER, true },
	{ "capacity", JSON_INTEGER, true },
	{ "invitees", JSON_ARRAY, false },
	{ "region", JSON_STRING, false },
};

/* Checks the invitees of a booking request into list, *n of them. */
static int
api_parse_invitees(const json_t *v, const char **list, size_t *n,
    struct mgmtd_err *e)
{
	const char *p;
	size_t i, j;

	*n = 0;
	if (v == NULL)
		return 0;
	if (json_array_size(v) > MGMTD_MAX_INVITEES) {
		mgmtd_err_set(e, 400, "invalid_field", "'invitees' may hold at "
		    "most %d phone numbers", MGMTD_MAX_INVITEES);
		return EINVAL;
	}
	for (i = 0; i < json_array_size(v); i++) {
		p = json_string_value(json_array_get(v, i));
		if (p == NULL || !api_phone_ok(p)) {
			mgmtd_err_set(e, 400, "invalid_field", "'invitees' "
			    "must be phone numbers in E.164 form, such as "
			    "+4930123456");
			return EINVAL;
		}
		for (j = 0; j < i; j++)
			if (strcmp(list[j], p) == 0) {
				mgmtd_err_set(e, 400, "invalid_field", "%s is "
				    "invited twice", p);
				return EINVAL;
			}
		list[(*n)++] = p;
	}
	return 0;
}

/* POST /v1/bookings: a booking request but for its organiser. */
int
api_parse_booking(const json_t *body, int64_t max_duration_s,
    const char *def_region, struct booking_req *req, const char **invitees,
    struct mgmtd_err *e)
{
	const char *start;
	json_int_t v;
	json_t *region;

	memset(req, 0, sizeof(*req));
	if (api_fields_check(body, api_create_fields,
	    API_N(api_create_fields), e) != 0)
		return EINVAL;
	start = json_string_value(json_object_get(body, "start"));
	if (strcmp(start, "now") == 0)
		req->now = true;
	else if (rfc3339_parse(start, &req->start) != 0) {
		mgmtd_err_set(e, 400, "invalid_field", "'start' must be "
		    "\"now\" or a UTC time such as 2026-12-01T10:00:00Z, not "
		    "'%.32s'", start);
		return EINVAL;
	}
	v = json_integer_value(json_object_get(body, "duration"));
	if (v < 1 || v > max_duration_s) {
		mgmtd_err_set(e, 400, "invalid_field", "'duration' must be "
		    "from 1 to %lld seconds", (long long)max_duration_s);
		return EINVAL;
	}
	req->duration = v;
	v = json_integer_value(json_object_get(body, "capacity"));
	if (v < 1 || v > 65535) {
		mgmtd_err_set(e, 400, "invalid_field", "'capacity' must be "
		    "from 1 to 65535");
		return EINVAL;
	}
	req->capacity = (int)v;
	region = json_object_get(body, "region");
	req->region = region ? json_string_value(region) : def_region;
	if (!api_name_ok(req->region)) {
		mgmtd_err_set(e, 400, "invalid_field", "'region' must be at "
		    "most %d letters, digits, '-', '_' or '.'",
		    MGMTD_NAME_MAX - 1);
		return EINVAL;
	}
	if (api_parse_invitees(json_object_get(body, "invitees"), invitees,
	    &req->ninvitees, e) != 0)
		return EINVAL;
	req->invitees = invitees;
	return 0;
}

static const struct api_field api_extend_fields[] = {
	{ "by", JSON_INTEGER, true },
};

/* POST /v1/bookings/{id}/extend: the seconds to add. */
int
api_parse_extend(const json_t *body, int64_t max_duration_s, int64_t *by,
    struct mgmtd_err *e)
{
	json_int_t v;

	if (api_fields_check(body, api_extend_fields,
	    API_N(api_extend_fields), e) != 0)
		return EINVAL;
	v = json_integer_value(json_object_get(body, "by"));
	if (v < 1 || v > max_duration_s) {
		mgmtd_err_set(e, 400, "invalid_field", "'by' must be from 1 "
		    "to %lld seconds", (long long)max_duration_s);
		return EINVAL;
	}
	*by = v;
	return 0;
}

static const struct api_field api_access_fields[] = {
	{ "phone", JSON_STRING, true },
};

/* POST /v1/bookings/{id}/access: the phone of the invitee. */
int
api_parse_access(const json_t *body, const char **phone,
    struct mgmtd_err *e)
{
	const char *p;

	if (api_fields_check(body, api_access_fields,
	    API_N(api_access_fields), e) != 0)
		return EINVAL;
	p = json_string_value(json_object_get(body, "phone"));
	if (!api_phone_ok(p)) {
		mgmtd_err_set(e, 400, "invalid_field", "'phone' must be a "
		    "phone number in E.164 form, such as +4930123456");
		return EINVAL;
	}
	*phone = p;
	return 0;
}

static const struct api_field api_register_fields[] = {
	{ "addresses", JSON_ARRAY, true },
	{ "port_min", JSON_INTEGER, true },
	{ "port_max", JSON_INTEGER, true },
	{ "capacity", JSON_INTEGER, true },
	{ "region", JSON_STRING, false },
};

/* POST /v1/servers/{id}/register: what the confd offers. */
int
api_parse_register(const json_t *body, struct server *reg,
    struct mgmtd_err *e)
{
	unsigned char sa[sizeof(struct in6_addr)];
	json_int_t pmin, pmax, cap;
	const char *a;
	json_t *v;
	size_t i;

	memset(reg, 0, sizeof(*reg));
	if (api_fields_check(body, api_register_fields,
	    API_N(api_register_fields), e) != 0)
		return EINVAL;
	v = json_object_get(body, "addresses");
	if (json_array_size(v) < 1 || json_array_size(v) > MGMTD_MAX_ADDRS) {
		mgmtd_err_set(e, 400, "invalid_field", "'addresses' must hold "
		    "1 to %d addresses", MGMTD_MAX_ADDRS);
		return EINVAL;
	}
	for (i = 0; i < json_array_size(v); i++) {
		a = json_string_value(json_array_get(v, i));
		if (a == NULL || (inet_pton(AF_INET, a, sa) != 1 &&
		    inet_pton(AF_INET6, a, sa) != 1)) {
			mgmtd_err_set(e, 400, "invalid_field", "'addresses' "
			    "must be numeric IPv4 or IPv6 addresses");
			memset(reg, 0, sizeof(*reg));
			return EINVAL;
		}
		snprintf(reg->addrs[reg->naddrs++], MGMTD_ADDR_MAX, "%s", a);
	}
	/* Compared as JSON integers, so that no out-of-range value wraps. */
	pmin = json_integer_value(json_object_get(body, "port_min"));
	pmax = json_integer_value(json_object_get(body, "port_max"));
	if (pmin < 1024 || pmax > 65535 || pmin > pmax) {
		mgmtd_err_set(e, 400, "invalid_field", "'port_min' and "
		    "'port_max' must be ports from 1024 to 65535, in order");
		memset(reg, 0, sizeof(*reg));
		return EINVAL;
	}
	reg->port_min = (int)pmin;
	reg->port_max = (int)pmax;
	cap = json_integer_value(json_object_get(body, "capacity"));
	if (cap < 1 || cap > 65535) {
		mgmtd_err_set(e, 400, "invalid_field", "'capacity' must be "
		    "from 1 to 65535");
		memset(reg, 0, sizeof(*reg));
		return EINVAL;
	}
	reg->capacity = (int)cap;
	if ((v = json_object_get(body, "region")) != NULL) {
		if (!api_name_ok(json_string_value(v))) {
			mgmtd_err_set(e, 400, "invalid_field", "'region' must "
			    "be at most %d letters, digits, '-', '_' or '.'",
			    MGMTD_NAME_MAX - 1);
			memset(reg, 0, sizeof(*reg));
			return EINVAL;
		}
		snprintf(reg->region, sizeof(reg->region), "%s",
		    json_string_value(v));
	}
	return 0;
}

static const struct api_field api_heartbeat_fields[] = {
	{ "participants", JSON_INTEGER, true },
	{ "cpu", JSON_REAL, true },
};

/* POST /v1/servers/{id}/heartbeat: the live load. */
int
api_parse_heartbeat(const json_t *body, int *parts, double *cpu,
    struct mgmtd_err *e)
{
	json_int_t n;
	double c;

	if (api_fields_check(body, api_heartbeat_fields,
	    API_N(api_heartbeat_fields), e) != 0)
		return EINVAL;
	n = json_integer_value(json_object_get(body, "participants"));
	c = json_number_value(json_object_get(body, "cpu"));
	if (n < 0 || n > 1000000) {
		mgmtd_err_set(e, 400, "invalid_field", "'participants' must "
		    "be from 0 to 1000000");
		return EINVAL;
	}
	/* Written so that NaN, which compares false, is refused too. */
	if (!(c >= 0.0 && c <= 1.0)) {
		mgmtd_err_set(e, 400, "invalid_field", "'cpu' must be from 0 "
		    "to 1");
		return EINVAL;
	}
	*parts = (int)n;
	*cpu = c;
	return 0;
}

static const struct api_field api_state_fields[] = {
	{ "state", JSON_STRING, true },
};

/* PUT /v1/servers/{id}/state: draining or active. */
int
api_parse_state(const json_t *body, bool *draining, struct mgmtd_err *e)
{
	const char *st;

	if (api_fields_check(body, api_state_fields, API_N(api_state_fields),
	    e) != 0)
		return EINVAL;
	st = json_string_value(json_object_get(body, "state"));
	if (strcmp(st, "draining") != 0 && strcmp(st, "active") != 0) {
		mgmtd_err_set(e, 400, "invalid_field", "'state' must be "
		    "\"draining\" or \"active\"");
		return EINVAL;
	}
	*draining = strcmp(st, "draining") == 0;
	return 0;
}

static const struct api_field api_moved_fields[] = {
	{ "code1", JSON_STRING, true },
};

/*
 * POST /v1/access/moved: the old code 1, in any spelling confcli takes.
 * Only its form is checked here (acode's reason when it has none); whether
 * mgmtd issued it is for the store to say.
 */
int
api_parse_moved(const json_t *body, const char **code1,
    struct mgmtd_err *e)
{
	uint8_t raw[ACODE_CODE1_BYTES_MAX];
	char why[256];
	const char *p;
	size_t len;
	int rc;

	*code1 = NULL;
	if (api_fields_check(body, api_moved_fields, API_N(api_moved_fields),
	    e) != 0)
		return EINVAL;
	p = json_string_value(json_object_get(body, "code1"));
	rc = acode_code1_bytes(p, raw, sizeof(raw), &len, why, sizeof(why));
	/* The bytes are the code's secret: the store has only their hash. */
	sodium_memzero(raw, sizeof(raw));
	if (rc != ACODE_OK) {
		mgmtd_err_set(e, 400, "invalid_field", "'code1': %s", why);
		return EINVAL;
	}
	*code1 = p;
	return 0;
}
