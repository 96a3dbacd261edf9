/*
 * bench_mgmtd: how fast mgmtd decides and books, at the scale it is built
 * for: 1,000 servers and 90 days of 15-minute slots.  It drives the
 * modules of libmgmtd.a directly, without HTTP, and prints:
 *   - the memory of the idle table;
 *   - the time of one allocation decision (booking_plan) in a table
 *     already holding many bookings;
 *   - the time of a refusal that searches for the earliest start;
 *   - bookings per second through booking_create, each committed to the
 *     SQLite store (WAL, synchronous=FULL) before it counts.
 *   bench_mgmtd [STATE_DIR]     (default: a new directory in /var/tmp)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../../mgmtd/mgmtd.h"
#include "log.h"

#define NSERVERS	1000
#define CAPACITY	200
#define NPREFILL	100000
#define NPLAN		20000
#define NREFUSE		200
#define NBOOK		2000

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A mgmtd with NSERVERS registered, active servers and an empty store. */
static void
bench_setup(struct mgmtd *m, const char *dir)
{
	struct server_conf *sc;
	struct server reg;
	struct mgmtd_err e;
	char why[512];
	size_t i;

	memset(m, 0, sizeof(*m));
	mgmtd_conf_init(&m->conf);
	cfg_defaults(&mgmtd_schema, &m->conf);
	snprintf(m->conf.state_dir, sizeof(m->conf.state_dir), "%s", dir);
	for (i = 0; i < NSERVERS; i++) {
		if ((sc = calloc(1, sizeof(*sc))) == NULL)
			exit(71);
		snprintf(sc->name, sizeof(sc->name), "s%04zu", i);
		snprintf(sc->secret, sizeof(sc->secret),
		    "secret-%zu-0123456789", i);
		TAILQ_INSERT_TAIL(&m->conf.servers, sc, entry);
	}
	if (store_open(dir, &m->store, why, sizeof(why)) != 0 ||
	    store_feed_get(m->store, m->epoch, sizeof(m->epoch),
	    &m->feed_version, why, sizeof(why)) != 0) {
		fprintf(stderr, "bench_mgmtd: %s\n", why);
		exit(1);
	}
	if (slot_table_new(&m->slots, m->conf.slot_len / 1000,
	    m->conf.horizon / 1000, mgmtd_now()) != 0 ||
	    booking_index_init(&m->bookings) != 0 ||
	    registry_init(m, why, sizeof(why)) != 0) {
		fprintf(stderr, "bench_mgmtd: setup failed: %s\n", why);
		exit(1);
	}
	memset(&reg, 0, sizeof(reg));
	reg.naddrs = 1;
	snprintf(reg.addrs[0], MGMTD_ADDR_MAX, "192.0.2.1");
	reg.port_min = 20000;
	reg.port_max = 29999;
	reg.capacity = CAPACITY;
	for (i = 0; i < m->reg.n; i++)
		if (registry_register(m, m->reg.srv[i], &reg, &e) != 0) {
			fprintf(stderr, "bench_mgmtd: %s\n", e.msg);
			exit(1);
		}
}

/* A request like an organiser's: within 60 days, 15 min to 2 h, 2-30. */
static void
bench_request(struct booking_req *r, int64_t now)
{
	memset(r, 0, sizeof(*r));
	r->organiser = "bench";
	r->start = now + 600 + (int64_t)randombytes_uniform(60 * 86400);
	r->duration = 900 * (1 + (int64_t)randombytes_uniform(8));
	r->capacity = 2 + (int)randombytes_uniform(29);
	r->region = "";
}

int
main(int argc, char **argv)
{
	static double lat[NPLAN];
	char dir[256], cmd[300];
	struct booking_req r;
	struct booking_plan plan;
	struct booking *b;
	struct mgmtd m;
	struct mgmtd_err e;
	int64_t now, full;
	double t0, t1, sum = 0;
	size_t i, ok = 0, refused = 0;

	if (sodium_init() < 0)
		return 71;
	log_set_level(LOG_LVL_WARN);
	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else {
		snprintf(dir, sizeof(dir), "/var/tmp/bench_mgmtd.XXXXXX");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			return 1;
		}
	}
	t0 = bench_now();
	bench_setup(&m, dir);
	t1 = bench_now();
	now = mgmtd_now();
	printf("bench_mgmtd: %d servers of capacity %d, %lld slots of %lld "
	    "min (%lld days), store in %s\n", NSERVERS, CAPACITY,
	    (long long)(m.conf.horizon / m.conf.slot_len),
	    (long long)(m.conf.slot_len / 60000),
	    (long long)(m.conf.horizon / 86400000), dir);
	printf("  registered %d servers durably in %.2f s\n", NSERVERS,
	    t1 - t0);
	printf("  idle table: %.1f MiB of slot counters (%lld B per server)\n",
	    (double)NSERVERS * (double)(m.conf.horizon / m.conf.slot_len) *
	    2 / 1048576, (long long)(m.conf.horizon / m.conf.slot_len * 2));

	/* Load the table as a busy system would have it. */
	for (i = 0; i < NPREFILL; i++) {
		bench_request(&r, now);
		if (booking_plan(&m, &r, now, &plan, &e) == 0 &&
		    slot_reserve(m.slots, plan.srv->idx, plan.start, plan.end,
		    r.capacity, plan.port, ++m.next_ref) == 0)
			ok++;
	}
	printf("  prefilled %zu bookings into the table (policy %s)\n", ok,
	    alloc_policy_name(m.conf.policy));

	for (i = 0; i < NPLAN; i++) {
		bench_request(&r, now);
		t0 = bench_now();
		(void)booking_plan(&m, &r, now, &plan, &e);
		lat[i] = (bench_now() - t0) * 1e6;
		sum += lat[i];
	}
	qsort(lat, NPLAN, sizeof(lat[0]), bench_cmp);
	printf("  allocation decision: mean %.1f us, median %.1f us, p99 %.1f "
	    "us, max %.1f us over %d\n", sum / NPLAN, lat[NPLAN / 2],
	    lat[NPLAN * 99 / 100], lat[NPLAN - 1], NPLAN);

	ok = 0;
	t0 = bench_now();
	for (i = 0; i < NBOOK; i++) {
		bench_request(&r, now);
		r.capacity = 2;
		if (booking_create(&m, &r, now, &b, &e) == 0)
			ok++;
	}
	t1 = bench_now();
	printf("  durable bookings (booking_create, commit each): %zu in "
	    "%.2f s = %.0f bookings/s\n", ok, t1 - t0, (double)ok / (t1 - t0));

	/* Refusals: every server full for two hours, so each searches. */
	full = now + 30 * 86400;
	for (i = 0; i < m.reg.n; i++)
		(void)slot_reserve(m.slots, i, full, full + 7200, CAPACITY,
		    29999, ++m.next_ref);
	t0 = bench_now();
	for (i = 0; i < NREFUSE; i++) {
		bench_request(&r, now);
		r.start = full + (int64_t)randombytes_uniform(6300);
		if (booking_plan(&m, &r, now, &plan, &e) == ENOSPC &&
		    e.earliest >= full + 7200)
			refused++;
	}
	t1 = bench_now();
	printf("  refusal with the earliest start: mean %.2f ms over %zu\n",
	    (t1 - t0) * 1e3 / (double)(refused ? refused : 1), refused);

	booking_index_free(&m.bookings);
	registry_free(&m.reg);
	slot_table_free(m.slots);
	store_free(m.store);
	mgmtd_conf_free(&m.conf);
	if (argc <= 1) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_mgmtd: cannot remove %s\n", dir);
	}
	return 0;
}
