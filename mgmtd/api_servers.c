/*
 * api_servers: the half of the API that conference servers and operators
 * use: registration, heartbeats and the feed (each confd with its own
 * secret), the list of servers and their drain state (operators).
 */
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

/* POST /v1/servers/{id}/register: what the confd offers. */
void
api_server_register(struct api_call *c)
{
	struct server reg;
	struct mgmtd_err e;

	if (api_parse_register(c->body, &reg, &e) != 0 ||
	    registry_register(c->m, c->srv, &reg, &e) != 0) {
		api_reply_err(c->req, &e);
		return;
	}
	api_reply_server(c, c->srv);
}

/* POST /v1/servers/{id}/heartbeat: the live load. */
void
api_server_heartbeat(struct api_call *c)
{
	struct mgmtd_err e;
	double cpu;
	int parts;

	if (api_parse_heartbeat(c->body, &parts, &cpu, &e) != 0 ||
	    registry_heartbeat(c->m, c->srv, parts, cpu, &e) != 0) {
		api_reply_err(c->req, &e);
		return;
	}
	api_reply_server(c, c->srv);
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

/* PUT /v1/servers/{id}/state: draining or active again. */
void
api_server_state(struct api_call *c)
{
	struct server *srv;
	struct mgmtd_err e;
	bool draining;

	if ((srv = api_path_server(c)) == NULL)
		return;
	if (api_parse_state(c->body, &draining, &e) != 0 ||
	    registry_set_draining(c->m, srv, draining, &e) != 0)
		goto fail;
	api_reply_server(c, srv);
	return;
fail:
	api_reply_err(c->req, &e);
}
