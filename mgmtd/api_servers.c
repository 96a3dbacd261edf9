/*
 * api_servers: the half of the API that conference servers and operators
 * use: registration, heartbeats and the feed (each confd with its own
 * secret), the list of servers and their drain state (operators).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "mgmtd.h"

/* A server as operators and its confd see it. */
static json_t *
api_server_json(const struct mgmtd *m, const struct server *srv)
{
	uint64_t now_ms = mgmtd_mono_ms();
	json_t *o, *a;
	int i;

	o = json_object();
	json_object_set_new(o, "id", json_string(srv->name));
	json_object_set_new(o, "state", json_string(registry_state_name(
	    registry_state(m, srv, now_ms))));
	json_object_set_new(o, "draining", json_boolean(srv->draining));
	json_object_set_new(o, "region", json_string(srv->region));
	a = json_array();
	for (i = 0; i < srv->naddrs; i++)
		json_array_append_new(a, json_string(srv->addrs[i]));
	json_object_set_new(o, "addresses", a);
	json_object_set_new(o, "port_min", json_integer(srv->port_min));
	json_object_set_new(o, "port_max", json_integer(srv->port_max));
	json_object_set_new(o, "capacity", json_integer(srv->capacity));
	json_object_set_new(o, "participants", json_integer(srv->live_parts));
	json_object_set_new(o, "cpu", json_real(srv->cpu));
	json_object_set_new(o, "booked_now", json_integer(slot_count(m->slots,
	    srv->idx, mgmtd_now())));
	if (srv->registered)
		api_set_time(o, "registered", srv->registered_at);
	else
		json_object_set_new(o, "registered", json_null());
	if (srv->last_seen_ms != 0)
		api_set_time(o, "last_heartbeat", srv->last_seen);
	else
		json_object_set_new(o, "last_heartbeat", json_null());
	return o;
}

/* Answers {"server": ...} with the heartbeat interval to keep. */
static void
api_reply_server(struct api_call *c, struct server *srv)
{
	json_t *body = json_object();

	json_object_set_new(body, "server", api_server_json(c->m, srv));
	json_object_set_new(body, "heartbeat_interval_ms", json_integer(
	    c->m->conf.heartbeat_timeout / 3));
	api_reply(c->req, 200, body);
}

/* GET /v1/health: alive, and the schema version of the store. */
void
api_health(struct api_call *c)
{
	json_t *body = json_object();

	json_object_set_new(body, "status", json_string("ok"));
	json_object_set_new(body, "schema", json_integer(
	    store_schema_version()));
	api_reply(c->req, 200, body);
}

static const struct api_field api_register_fields[] = {
	{ "addresses", JSON_ARRAY, true },
	{ "port_min", JSON_INTEGER, true },
	{ "port_max", JSON_INTEGER, true },
	{ "capacity", JSON_INTEGER, true },
	{ "region", JSON_STRING, false },
};

/* POST /v1/servers/{id}/register: what the confd offers. */
void
api_server_register(struct api_call *c)
{
	unsigned char sa[sizeof(struct in6_addr)];
	struct server reg;
	struct mgmtd_err e;
	const char *a;
	json_t *v;
	size_t i;

	if (api_fields_check(c->body, api_register_fields, sizeof(
	    api_register_fields) / sizeof(api_register_fields[0]), &e) != 0)
		goto fail;
	memset(&reg, 0, sizeof(reg));
	v = json_object_get(c->body, "addresses");
	if (json_array_size(v) < 1 || json_array_size(v) > MGMTD_MAX_ADDRS) {
		mgmtd_err_set(&e, 400, "invalid_field", "'addresses' must hold "
		    "1 to %d addresses", MGMTD_MAX_ADDRS);
		goto fail;
	}
	for (i = 0; i < json_array_size(v); i++) {
		a = json_string_value(json_array_get(v, i));
		if (a == NULL || (inet_pton(AF_INET, a, sa) != 1 &&
		    inet_pton(AF_INET6, a, sa) != 1)) {
			mgmtd_err_set(&e, 400, "invalid_field", "'addresses' "
			    "must be numeric IPv4 or IPv6 addresses");
			goto fail;
		}
		snprintf(reg.addrs[reg.naddrs++], MGMTD_ADDR_MAX, "%s", a);
	}
	reg.port_min = (int)json_integer_value(json_object_get(c->body,
	    "port_min"));
	reg.port_max = (int)json_integer_value(json_object_get(c->body,
	    "port_max"));
	if (json_integer_value(json_object_get(c->body, "port_min")) < 1024 ||
	    json_integer_value(json_object_get(c->body, "port_max")) > 65535 ||
	    reg.port_min > reg.port_max) {
		mgmtd_err_set(&e, 400, "invalid_field", "'port_min' and "
		    "'port_max' must be ports from 1024 to 65535, in order");
		goto fail;
	}
	v = json_object_get(c->body, "capacity");
	if (json_integer_value(v) < 1 || json_integer_value(v) > 65535) {
		mgmtd_err_set(&e, 400, "invalid_field", "'capacity' must be "
		    "from 1 to 65535");
		goto fail;
	}
	reg.capacity = (int)json_integer_value(v);
	if ((v = json_object_get(c->body, "region")) != NULL) {
		if (!api_name_ok(json_string_value(v))) {
			mgmtd_err_set(&e, 400, "invalid_field", "'region' must "
			    "be at most %d letters, digits, '-', '_' or '.'",
			    MGMTD_NAME_MAX - 1);
			goto fail;
		}
		snprintf(reg.region, sizeof(reg.region), "%s",
		    json_string_value(v));
	}
	if (registry_register(c->m, c->srv, &reg, &e) != 0)
		goto fail;
	api_reply_server(c, c->srv);
	return;
fail:
	api_reply_err(c->req, &e);
}

static const struct api_field api_heartbeat_fields[] = {
	{ "participants", JSON_INTEGER, true },
	{ "cpu", JSON_REAL, true },
};

/* POST /v1/servers/{id}/heartbeat: the live load. */
void
api_server_heartbeat(struct api_call *c)
{
	struct mgmtd_err e;
	json_int_t parts;
	double cpu;

	if (api_fields_check(c->body, api_heartbeat_fields, sizeof(
	    api_heartbeat_fields) / sizeof(api_heartbeat_fields[0]), &e) != 0)
		goto fail;
	parts = json_integer_value(json_object_get(c->body, "participants"));
	cpu = json_number_value(json_object_get(c->body, "cpu"));
	if (parts < 0 || parts > 1000000) {
		mgmtd_err_set(&e, 400, "invalid_field", "'participants' must "
		    "be from 0 to 1000000");
		goto fail;
	}
	if (!(cpu >= 0.0 && cpu <= 1.0)) {
		mgmtd_err_set(&e, 400, "invalid_field", "'cpu' must be from 0 "
		    "to 1");
		goto fail;
	}
	if (registry_heartbeat(c->m, c->srv, (int)parts, cpu, &e) != 0)
		goto fail;
	api_reply_server(c, c->srv);
	return;
fail:
	api_reply_err(c->req, &e);
}

/* GET /v1/servers/{id}/feed: hands the request to the feed. */
void
api_server_feed(struct api_call *c)
{
	static const char *const names[] = { "since", "epoch", "timeout" };
	int64_t since, timeout;
	const char *epoch;
	struct mgmtd_err e;

	if (api_query_only(c, names, 3, &e) != 0 ||
	    api_query_int(c, "since", 0, INT64_MAX, 0, &since, &e) != 0 ||
	    api_query_int(c, "timeout", 0, c->m->conf.api_feed_timeout / 1000,
	    c->m->conf.api_feed_timeout / 1000, &timeout, &e) != 0)
		goto fail;
	epoch = evhttp_find_header(c->query, "epoch");
	if (!c->srv->registered) {
		mgmtd_err_set(&e, 409, "not_registered", "server %s must "
		    "register before it reads its feed", c->srv->name);
		goto fail;
	}
	/* The feed owns the request from here: now or when it answers. */
	feed_request(c->m, c->srv, c->req, epoch, (uint64_t)since,
	    timeout * 1000);
	return;
fail:
	api_reply_err(c->req, &e);
}

/* GET /v1/servers: every server the registry knows. */
void
api_servers_list(struct api_call *c)
{
	json_t *body, *a;
	size_t i;

	a = json_array();
	for (i = 0; i < c->m->reg.n; i++)
		json_array_append_new(a, api_server_json(c->m,
		    c->m->reg.srv[i]));
	body = json_object();
	json_object_set_new(body, "servers", a);
	api_reply(c->req, 200, body);
}

/* The server named in the path, or NULL after a 404. */
static struct server *
api_path_server(struct api_call *c)
{
	struct server *srv;
	struct mgmtd_err e;

	if ((srv = registry_find(&c->m->reg, c->param)) == NULL) {
		mgmtd_err_set(&e, 404, "not_found", "no server '%s'",
		    c->param);
		api_reply_err(c->req, &e);
	}
	return srv;
}

/* GET /v1/servers/{id}. */
void
api_server_get(struct api_call *c)
{
	struct server *srv;

	if ((srv = api_path_server(c)) != NULL)
		api_reply_server(c, srv);
}

static const struct api_field api_state_fields[] = {
	{ "state", JSON_STRING, true },
};

/* PUT /v1/servers/{id}/state: draining or active again. */
void
api_server_state(struct api_call *c)
{
	struct server *srv;
	struct mgmtd_err e;
	const char *st;

	if ((srv = api_path_server(c)) == NULL)
		return;
	if (api_fields_check(c->body, api_state_fields, 1, &e) != 0)
		goto fail;
	st = json_string_value(json_object_get(c->body, "state"));
	if (strcmp(st, "draining") != 0 && strcmp(st, "active") != 0) {
		mgmtd_err_set(&e, 400, "invalid_field", "'state' must be "
		    "\"draining\" or \"active\"");
		goto fail;
	}
	if (registry_set_draining(c->m, srv, strcmp(st, "draining") == 0,
	    &e) != 0)
		goto fail;
	api_reply_server(c, srv);
	return;
fail:
	api_reply_err(c->req, &e);
}
