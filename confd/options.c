/*
 * options: every confd.ini option, once.  The loader, the example file
 * etc/confd.ini and the man page confd.ini(5) are all made from this table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "confd.h"

#define F(field)	CFG_FIELD(struct confd_conf, field)
#define R(field)	CFG_FIELD(struct confd_room_conf, field)
#define MS(n)		(n)
#define SEC(n)		((n) * 1000LL)

static const struct cfg_opt confd_opts[] = {
	{ "general", "log_level", CFG_ENUM, 0, 0,
	  "err|warning|notice|info|debug", "info",
	  "The least important messages that are logged.", CFG_RELOAD,
	  F(log_level) },
	{ "general", "server_id", CFG_STR, 0, 0, NULL, "confd",
	  "This server's name in logs, metrics and mgmtd's registry.", 0,
	  F(server_id) },

	{ "media", "ipv4", CFG_ADDR, 0, 0, NULL, "0.0.0.0",
	  "IPv4 address the conference ports are bound to; empty: no IPv4.",
	  0, F(ipv4) },
	{ "media", "ipv6", CFG_ADDR, 0, 0, NULL, "::",
	  "IPv6 address the conference ports are bound to; empty: no IPv6.",
	  0, F(ipv6) },
	{ "media", "payload_type", CFG_INT, 0, 127, NULL, "111",
	  "RTP payload type of Opus; packets of any other type are dropped.",
	  CFG_RELOAD, F(payload_type) },
	{ "media", "level_ext_id", CFG_INT, 0, 14, NULL, "1",
	  "RTP header extension id of the RFC 6464 audio level; 0: ignore it.",
	  CFG_RELOAD, F(level_ext_id) },
	{ "media", "jitter_max", CFG_DURATION, MS(20), MS(1000), NULL,
	  "200ms", "Largest delay the adaptive jitter buffer may add.", 0,
	  F(jitter_max) },
	{ "media", "idle_timeout", CFG_DURATION, SEC(1), SEC(3600), NULL,
	  "30s", "A participant that sends nothing this long is removed.",
	  CFG_RELOAD, F(idle_timeout) },
	{ "media", "close_grace", CFG_DURATION, 0, SEC(3600), NULL, "1m",
	  "How long a booked conference stays open after its end.",
	  CFG_RELOAD, F(close_grace) },
	{ "media", "max_participants", CFG_INT, 2, CONFD_MAX_PARTS, NULL,
	  "64", "Participants per conference, whatever its capacity says.",
	  0, F(max_participants) },
	{ "media", "max_rooms", CFG_INT, 1, 100000, NULL, "1000",
	  "Conferences open at once (a socket per address family each); one "
	  "more is not opened.  The descriptor limit is raised to fit, or "
	  "confd does not start.", 0, F(max_rooms) },
	{ "media", "max_total_participants", CFG_INT, 1, 1000000, NULL,
	  "4000", "Participants at once over all conferences; a newcomer past "
	  "it is refused like one in a full conference.", 0,
	  F(max_total_parts) },

	{ "media", "workers", CFG_INT, 0, CONFD_MAX_WORKERS, NULL, "0",
	  "Media threads, each with its own event loop and a share of the "
	  "conferences; 0: one per online CPU.",
	  0, F(workers) },

	{ "mixer", "max_speakers", CFG_INT, 0, 16, NULL, "3",
	  "Loudest speakers mixed at once; 0 mixes everyone.", 0,
	  F(max_speakers) },
	{ "mixer", "forward", CFG_BOOL, 0, 0, NULL, "yes",
	  "While one participant alone is heard, send the others its own "
	  "Opus packets rather than decoding and encoding them again: no "
	  "coding loss added, and most of the mixing work saved.", 0,
	  F(forward) },

	{ "opus", "bitrate", CFG_INT, 6000, 510000, NULL, "32000",
	  "Bitrate of the mixes sent, in bit/s.", 0, F(bitrate) },
	{ "opus", "complexity", CFG_INT, 0, 10, NULL, "5",
	  "Encoder complexity: higher sounds better and costs more CPU.", 0,
	  F(complexity) },
	{ "opus", "fec", CFG_BOOL, 0, 0, NULL, "yes",
	  "Send in-band forward error correction.", 0, F(fec) },
	/*
	 * Off by default: confd already sends nothing while nobody speaks,
	 * and Opus's own voice detection takes steady tones (music, a test
	 * tone) for silence and drops them.
	 */
	{ "opus", "dtx", CFG_BOOL, 0, 0, NULL, "no",
	  "Let the encoder send almost nothing when it judges a mix silent.",
	  0, F(dtx) },
	{ "opus", "loss_percent", CFG_INT, 0, 100, NULL, "10",
	  "Packet loss the encoder plans its forward error correction for.",
	  0, F(loss_percent) },

	{ "mgmtd", "address", CFG_ADDR, 0, 0, NULL, "",
	  "Address of mgmtd; empty: confd serves only its [room] sections.",
	  0, F(mgmtd_addr) },
	{ "mgmtd", "port", CFG_INT, 1, 65535, NULL, "8443",
	  "Port of mgmtd's API.", 0, F(mgmtd_port) },
	{ "mgmtd", "tls", CFG_BOOL, 0, 0, NULL, "yes",
	  "Talk to mgmtd over HTTPS, verifying its certificate.", 0,
	  F(mgmtd_tls) },
	{ "mgmtd", "ca_file", CFG_STR, 0, 0, NULL, "",
	  "CA certificates that vouch for mgmtd; empty: the system's.", 0,
	  F(mgmtd_ca) },
	{ "mgmtd", "secret", CFG_STR, 0, 0, NULL, "",
	  "This server's secret, as in mgmtd.ini's [server NAME] section.",
	  CFG_SECRET, F(mgmtd_secret) },
	{ "mgmtd", "region", CFG_STR, 0, 0, NULL, "",
	  "Region this server registers in; empty: the one mgmtd gives it.",
	  0, F(region) },
	{ "mgmtd", "public_ipv4", CFG_ADDR, 0, 0, NULL, "",
	  "IPv4 address participants reach; empty: [media] ipv4 if not any.",
	  0, F(public_ipv4) },
	{ "mgmtd", "public_ipv6", CFG_ADDR, 0, 0, NULL, "",
	  "IPv6 address participants reach; empty: [media] ipv6 if not any.",
	  0, F(public_ipv6) },
	{ "mgmtd", "port_min", CFG_INT, 1024, 65535, NULL, "40000",
	  "Lowest UDP port mgmtd may book on this server.", 0, F(port_min) },
	{ "mgmtd", "port_max", CFG_INT, 1024, 65535, NULL, "49999",
	  "Highest UDP port mgmtd may book on this server.", 0,
	  F(port_max) },
	{ "mgmtd", "capacity", CFG_INT, 1, 65535, NULL, "500",
	  "Participants this server takes at once, over all conferences.", 0,
	  F(capacity) },

	{ "metrics", "address", CFG_ADDR, 0, 0, NULL, "127.0.0.1",
	  "Address of the Prometheus /metrics listener.", 0,
	  F(metrics_addr) },
	{ "metrics", "port", CFG_INT, 0, 65535, NULL, "9180",
	  "Port of the /metrics listener; 0: no listener.", 0,
	  F(metrics_port) },

	{ "room", "port", CFG_INT, 1024, 65535, NULL, NULL,
	  "UDP port of the conference.", 0, R(port) },
	{ "room", "capacity", CFG_INT, 2, CONFD_MAX_PARTS, NULL, "10",
	  "Most participants at once; joins beyond it are refused.", 0,
	  R(capacity) },
	{ "room", "suite", CFG_ENUM, 0, 0,
	  "AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM",
	  "AES_CM_128_HMAC_SHA1_80", "SRTP crypto suite of the room.", 0,
	  R(suite) },
	{ "room", "key", CFG_STR, 0, 0, NULL, NULL,
	  "Base64 SRTP master key and salt shared by all participants.",
	  CFG_SECRET, R(key) },
};

/* Adds a [room NAME] section; the configuration owns it. */
static void *
confd_room_add(void *conf, const char *name)
{
	struct confd_conf *c = conf;
	struct confd_room_conf *rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	snprintf(rc->name, sizeof(rc->name), "%s", name);
	TAILQ_INSERT_TAIL(&c->rooms, rc, entry);
	return rc;
}

static const struct cfg_multi confd_multi[] = {
	{ "room", "A permanent conference that confd serves on its own, "
	  "without mgmtd.", confd_room_add },
};

const struct cfg_schema confd_schema = {
	"confd", confd_opts, sizeof(confd_opts) / sizeof(confd_opts[0]),
	confd_multi, sizeof(confd_multi) / sizeof(confd_multi[0]),
};

void
confd_conf_init(struct confd_conf *c)
{
	memset(c, 0, sizeof(*c));
	TAILQ_INIT(&c->rooms);
}

void
confd_conf_free(struct confd_conf *c)
{
	struct confd_room_conf *rc;

	while ((rc = TAILQ_FIRST(&c->rooms)) != NULL) {
		TAILQ_REMOVE(&c->rooms, rc, entry);
		sodium_memzero(rc->key, sizeof(rc->key));
		free(rc);
	}
}

void
confd_conf_check(const struct confd_conf *c, const char *path,
    struct cfg_errs *errs)
{
	const struct confd_room_conf *rc, *o;
	uint8_t master[SRTPX_MAX_MASTER];
	char why[128];
	int nrooms;

	if (c->mgmtd_addr[0] != '\0' && strlen(c->mgmtd_secret) < 16)
		cfg_errs_add(errs, "%s: [mgmtd] secret: needs at least 16 "
		    "characters when [mgmtd] address is set", path);
	if (c->port_min > c->port_max)
		cfg_errs_add(errs, "%s: [mgmtd]: port_min %d is above port_max "
		    "%d", path, c->port_min, c->port_max);
	if (c->ipv4[0] == '\0' && c->ipv6[0] == '\0')
		cfg_errs_add(errs, "%s: [media]: ipv4 and ipv6 are both empty; "
		    "conferences could not be reached", path);
	nrooms = 0;
	TAILQ_FOREACH(rc, &c->rooms, entry)
		nrooms++;
	if (nrooms > c->max_rooms)
		cfg_errs_add(errs, "%s: [media] max_rooms: %d, fewer than the "
		    "%d [room] sections", path, c->max_rooms, nrooms);
	TAILQ_FOREACH(rc, &c->rooms, entry) {
		if (rc->key[0] != '\0' && srtpx_key_decode(rc->suite, rc->key,
		    master, why, sizeof(why)) != 0)
			cfg_errs_add(errs, "%s: [room %s] key: %s", path,
			    rc->name, why);
		sodium_memzero(master, sizeof(master));
		TAILQ_FOREACH(o, &c->rooms, entry) {
			if (o == rc)
				break;
			if (o->port == rc->port)
				cfg_errs_add(errs, "%s: [room %s] port: %d is "
				    "already the port of [room %s]", path,
				    rc->name, rc->port, o->name);
		}
		if (rc->port == c->metrics_port)
			cfg_errs_add(errs, "%s: [room %s] port: %d is the "
			    "metrics port", path, rc->name, rc->port);
	}
}
