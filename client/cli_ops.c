/*
 * cli_ops: an operator's verbs: list and show the conference servers, and
 * drain one (it keeps its bookings and gets no new ones) or let it take
 * bookings again.
 */
#include <stdio.h>
#include <string.h>

#include "confcli.h"

/* The addresses of a server object, comma-separated, into buf. */
static void
cli_addresses(const json_t *s, char *buf, size_t len)
{
	const json_t *a;
	size_t i;

	buf[0] = '\0';
	json_array_foreach(json_object_get(s, "addresses"), i, a)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
		    i > 0 ? "," : "", json_string_value(a) ?
		    json_string_value(a) : "?");
	if (buf[0] == '\0')
		snprintf(buf, len, "-");
}

/* The state of a server as a person reads it: "down, draining". */
static void
cli_server_state(const json_t *s, char *buf, size_t len)
{
	const char *st = cli_str(s, "state");

	snprintf(buf, len, "%s%s", st, json_is_true(json_object_get(s,
	    "draining")) && strcmp(st, "draining") != 0 ? ", draining" : "");
}

static void
cli_server_print(const json_t *s)
{
	char addrs[256], state[64], hb[64], reg[64];
	const json_t *cpu = json_object_get(s, "cpu");

	cli_addresses(s, addrs, sizeof(addrs));
	cli_server_state(s, state, sizeof(state));
	cli_time_human(json_string_value(json_object_get(s,
	    "last_heartbeat")), hb, sizeof(hb));
	cli_time_human(json_string_value(json_object_get(s, "registered")),
	    reg, sizeof(reg));
	printf("server %s (%s)\n", cli_str(s, "id"), state);
	printf("  region          %s\n", cli_str(s, "region"));
	printf("  addresses       %s\n", addrs);
	printf("  ports           %lld-%lld\n",
	    (long long)json_integer_value(json_object_get(s, "port_min")),
	    (long long)json_integer_value(json_object_get(s, "port_max")));
	printf("  capacity        %lld participants\n",
	    (long long)json_integer_value(json_object_get(s, "capacity")));
	printf("  connected now   %lld participants, CPU %.0f %%\n",
	    (long long)json_integer_value(json_object_get(s, "participants")),
	    json_number_value(cpu) * 100);
	printf("  booked now      %lld participants\n",
	    (long long)json_integer_value(json_object_get(s, "booked_now")));
	printf("  registered      %s\n", reg);
	printf("  last heartbeat  %s\n", hb);
}

int
cli_servers(struct confcli *cc, int argc, char **argv)
{
	char addrs[256], state[64], ports[32], load[32], hb[64];
	json_t *body, *list, *s;
	char **pos;
	size_t i;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 0, 0, &pos)) != 0)
		return ex;
	if ((ex = cli_request(cc, EVHTTP_REQ_GET, "/v1/servers", NULL,
	    "cannot list the servers", &body)) != 0)
		return ex;
	list = json_object_get(body, "servers");
	if (cc->json)
		ex = cli_print_json(body);
	else if (json_array_size(list) == 0)
		printf("no servers\n");
	else {
		printf("%-12s  %-17s  %-10s  %-20s  %-11s  %-11s  %4s  %s\n",
		    "SERVER", "STATE", "REGION", "ADDRESSES", "PORTS",
		    "CONNECTED", "CPU", "LAST HEARTBEAT");
		json_array_foreach(list, i, s) {
			cli_addresses(s, addrs, sizeof(addrs));
			cli_server_state(s, state, sizeof(state));
			snprintf(ports, sizeof(ports), "%lld-%lld",
			    (long long)json_integer_value(json_object_get(s,
			    "port_min")), (long long)json_integer_value(
			    json_object_get(s, "port_max")));
			snprintf(load, sizeof(load), "%lld/%lld",
			    (long long)json_integer_value(json_object_get(s,
			    "participants")), (long long)json_integer_value(
			    json_object_get(s, "capacity")));
			cli_time_human(json_string_value(json_object_get(s,
			    "last_heartbeat")), hb, sizeof(hb));
			printf("%-12s  %-17s  %-10s  %-20s  %-11s  %-11s  "
			    "%3.0f%%  %s\n", cli_str(s, "id"), state,
			    cli_str(s, "region"), addrs, ports, load,
			    json_number_value(json_object_get(s, "cpu")) * 100,
			    hb);
		}
	}
	json_decref(body);
	return ex;
}

/* Checks a server name argument; 0 or a usage error. */
static int
cli_check_server(struct confcli *cc, const char *name)
{
	if (!cli_name_ok(name))
		return confcli_usage_err(cc, "'%s' is not a server name "
		    "(letters, digits, '-', '_', '.')", name);
	return CONFCLI_EX_OK;
}

int
cli_server(struct confcli *cc, int argc, char **argv)
{
	char path[128], what[96];
	json_t *body, *s;
	char **pos;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 1, 1, &pos)) != 0 ||
	    (ex = cli_check_server(cc, pos[0])) != 0)
		return ex;
	snprintf(path, sizeof(path), "/v1/servers/%s", pos[0]);
	snprintf(what, sizeof(what), "server %s", pos[0]);
	if ((ex = cli_request(cc, EVHTTP_REQ_GET, path, NULL, what,
	    &body)) != 0)
		return ex;
	s = json_object_get(body, "server");
	if (cc->json)
		ex = cli_print_json(body);
	else if (!json_is_object(s)) {
		confcli_err("%s: mgmtd's answer holds no server", what);
		ex = CONFCLI_EX_FAIL;
	} else
		cli_server_print(s);
	json_decref(body);
	return ex;
}

/* Sets a server's state: "draining" or "active"; an exit status. */
static int
cli_set_state(struct confcli *cc, int argc, char **argv, const char *state)
{
	char path[128], what[96];
	json_t *req, *body;
	char **pos;
	int ex;

	if ((ex = cli_args(cc, argc, argv, 1, 1, &pos)) != 0 ||
	    (ex = cli_check_server(cc, pos[0])) != 0)
		return ex;
	snprintf(path, sizeof(path), "/v1/servers/%s/state", pos[0]);
	snprintf(what, sizeof(what), "cannot %s %s", cc->verb, pos[0]);
	if ((req = json_pack("{s:s}", "state", state)) == NULL) {
		confcli_err("out of memory");
		return CONFCLI_EX_FAIL;
	}
	ex = cli_request(cc, EVHTTP_REQ_PUT, path, req, what, &body);
	json_decref(req);
	if (ex != 0)
		return ex;
	if (cc->json)
		ex = cli_print_json(body);
	else if (strcmp(state, "draining") == 0)
		printf("server %s is draining: it keeps its bookings and gets "
		    "no new ones\n", pos[0]);
	else
		printf("server %s takes new bookings again (state %s)\n",
		    pos[0], cli_str(json_object_get(body, "server"), "state"));
	json_decref(body);
	return ex;
}

int
cli_drain(struct confcli *cc, int argc, char **argv)
{
	return cli_set_state(cc, argc, argv, "draining");
}

int
cli_undrain(struct confcli *cc, int argc, char **argv)
{
	return cli_set_state(cc, argc, argv, "active");
}
