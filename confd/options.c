/*
 * options: every confd.ini option, once.  The loader, the example file
 * etc/confd.ini and the man page confd.ini(5) are all made from this table.
 */
#include "confd.h"

#define F(field)	CFG_FIELD(struct confd_conf, field)

static const struct cfg_opt confd_opts[] = {
	{ "general", "log_level", CFG_ENUM, 0, 0,
	  "err|warning|notice|info|debug", "info",
	  "The least important messages that are logged.", CFG_RELOAD,
	  F(log_level) },
	{ "general", "server_id", CFG_STR, 0, 0, NULL, "confd",
	  "This server's name in logs, metrics and mgmtd's registry.", 0,
	  F(server_id) },
};

const struct cfg_schema confd_schema = {
	"confd", confd_opts, sizeof(confd_opts) / sizeof(confd_opts[0]),
	NULL, 0,
};
