/*
 * options: every mgmtd.ini option, once.  The loader, the example file
 * etc/mgmtd.ini and the man page mgmtd.ini(5) are all made from this table.
 */
#include "mgmtd.h"

#define F(field)	CFG_FIELD(struct mgmtd_conf, field)

static const struct cfg_opt mgmtd_opts[] = {
	{ "general", "log_level", CFG_ENUM, 0, 0,
	  "err|warning|notice|info|debug", "info",
	  "The least important messages that are logged.", CFG_RELOAD,
	  F(log_level) },
	{ "general", "state_dir", CFG_STR, 0, 0, NULL, "/var/lib/mgmtd",
	  "Directory of the durable booking store.", 0, F(state_dir) },
};

const struct cfg_schema mgmtd_schema = {
	"mgmtd", mgmtd_opts, sizeof(mgmtd_opts) / sizeof(mgmtd_opts[0]),
	NULL, 0,
};
