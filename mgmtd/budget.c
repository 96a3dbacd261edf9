/*
 * budget: the file descriptors mgmtd's configuration may need at once,
 * checked against RLIMIT_NOFILE before anything starts.
 */
#include <stdio.h>

#include "fdlimit.h"
#include "log.h"
#include "mgmtd.h"

/* The refused connections answered at once: API_REFUSE_MAX in api_conn.c. */
#define BUDGET_REFUSING		64
/* SQLite: the database, its write-ahead log and shared memory, a journal. */
#define BUDGET_STORE		8
/* The listener, the event loop's epoll and signal descriptors. */
#define BUDGET_LOOP		8
/* Kannel's connection, the report listener and its connections, or the
 * pipes of commands running at once. */
#define BUDGET_SMS		64

uint64_t
budget_fd_need(const struct mgmtd_conf *c)
{
	uint64_t n = FDLIMIT_MARGIN + BUDGET_STORE + BUDGET_LOOP;

	if (c->api_port != 0)
		n += (uint64_t)c->api_max_conns + BUDGET_REFUSING;
	if (c->sms_channel != SMS_CH_NONE)
		n += BUDGET_SMS;
	return n;
}

int
budget_fds_ensure(const struct mgmtd_conf *c, char *why, size_t whylen)
{
	uint64_t need = budget_fd_need(c), soft, hard;
	int rc;

	if ((rc = fdlimit_ensure(need, &soft, &hard, why, whylen)) != 0)
		return rc;
	log_info("main", "file descriptors: about %llu needed ([api] "
	    "max_connections %d), limit %llu", (unsigned long long)need,
	    c->api_max_conns, (unsigned long long)soft);
	return 0;
}
