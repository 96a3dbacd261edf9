/*
 * Unit tests of the idle table (mgmtd/slot.c): slot arithmetic at the
 * edges, with 15-minute slots and exact times.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../mgmtd/mgmtd.h"
#include "check.h"

#define LEN	900		/* 15 minutes */
#define DAY	86400

/* 2026-12-01 at h:m:s UTC, plus d days. */
static int64_t
at(int d, int h, int m, int s)
{
	int64_t t;

	if (rfc3339_parse("2026-12-01T00:00:00Z", &t) != 0)
		abort();
	return t + (int64_t)d * DAY + h * 3600 + m * 60 + s;
}

/* A one-day table from now with one server of capacity cap, ports lo..hi. */
static struct slot_table *
table(int64_t now, int cap, int lo, int hi)
{
	struct slot_table *t;

	if (slot_table_new(&t, LEN, DAY, now) != 0 || slot_server_add(t) != 0)
		abort();
	slot_server_set(t, 0, cap, lo, hi);
	return t;
}

static void
test_geometry(void)
{
	struct slot_table *t = table(at(0, 10, 7, 30), 10, 5000, 5009);

	CHECK_INT(slot_len(t), ==, LEN);
	CHECK_INT(slot_begin(t), ==, at(0, 10, 0, 0));
	CHECK_INT(slot_horizon_end(t), ==, at(1, 10, 0, 0));
	slot_table_free(t);
	CHECK_INT(slot_table_new(&t, 0, DAY, 0), ==, EINVAL);
	CHECK_INT(slot_table_new(&t, LEN, LEN - 1, 0), ==, EINVAL);
}

/* [10:00, 10:15) and [10:15, 10:30) share a boundary, not a slot. */
static void
test_back_to_back(void)
{
	struct slot_table *t = table(at(0, 0, 0, 0), 10, 5000, 5000);
	int port = 0;

	CHECK(slot_fits(t, 0, at(0, 10, 0, 0), at(0, 10, 15, 0), 10));
	CHECK_INT(slot_reserve(t, 0, at(0, 10, 0, 0), at(0, 10, 15, 0), 10,
	    5000, 1), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 10, 0, 0)), ==, 10);
	CHECK_INT(slot_count(t, 0, at(0, 10, 14, 59)), ==, 10);
	CHECK_INT(slot_count(t, 0, at(0, 10, 15, 0)), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 9, 59, 59)), ==, 0);
	CHECK(slot_fits(t, 0, at(0, 10, 15, 0), at(0, 10, 30, 0), 10));
	CHECK(slot_fits(t, 0, at(0, 9, 45, 0), at(0, 10, 0, 0), 10));
	CHECK(!slot_fits(t, 0, at(0, 10, 0, 0), at(0, 10, 15, 0), 1));
	/* One second into the booked slot on either side is too much. */
	CHECK(!slot_fits(t, 0, at(0, 10, 14, 59), at(0, 10, 30, 0), 1));
	CHECK(!slot_fits(t, 0, at(0, 9, 45, 0), at(0, 10, 0, 1), 1));
	/* The only port is free again from the very end of the booking. */
	CHECK_INT(slot_port_find(t, 0, at(0, 10, 15, 0), at(0, 10, 30, 0),
	    &port), ==, 0);
	CHECK_INT(port, ==, 5000);
	CHECK_INT(slot_port_find(t, 0, at(0, 10, 14, 59), at(0, 10, 30, 0),
	    &port), ==, ENOSPC);
	CHECK_INT(slot_reserve(t, 0, at(0, 10, 15, 0), at(0, 10, 30, 0), 10,
	    5000, 2), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 10, 15, 0)), ==, 10);
	CHECK_INT(slot_peak(t, 0, at(0, 9, 0, 0), at(0, 11, 0, 0)), ==, 10);
	slot_table_free(t);
}

/* Capacity counts in every slot a booking touches; ports by exact time. */
static void
test_unaligned(void)
{
	struct slot_table *t = table(at(0, 0, 0, 0), 10, 5000, 5000);
	int port = 0;

	CHECK_INT(slot_reserve(t, 0, at(0, 10, 5, 0), at(0, 10, 20, 0), 6,
	    5000, 1), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 10, 0, 0)), ==, 6);
	CHECK_INT(slot_count(t, 0, at(0, 10, 15, 0)), ==, 6);
	CHECK_INT(slot_count(t, 0, at(0, 10, 30, 0)), ==, 0);
	/* [10:20, 10:25) is in the slot of 10:15, which holds 6 of 10. */
	CHECK(!slot_fits(t, 0, at(0, 10, 20, 0), at(0, 10, 25, 0), 5));
	CHECK(slot_fits(t, 0, at(0, 10, 20, 0), at(0, 10, 25, 0), 4));
	CHECK(slot_fits(t, 0, at(0, 10, 30, 0), at(0, 10, 45, 0), 10));
	CHECK_INT(slot_port_find(t, 0, at(0, 10, 20, 0), at(0, 10, 35, 0),
	    &port), ==, 0);
	CHECK_INT(port, ==, 5000);
	CHECK_INT(slot_port_find(t, 0, at(0, 10, 19, 59), at(0, 10, 35, 0),
	    &port), ==, ENOSPC);
	CHECK_INT(slot_port_find(t, 0, at(0, 9, 0, 0), at(0, 10, 5, 0),
	    &port), ==, 0);
	slot_release(t, 0, at(0, 10, 5, 0), at(0, 10, 20, 0), 6, 1);
	CHECK_INT(slot_count(t, 0, at(0, 10, 0, 0)), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 10, 15, 0)), ==, 0);
	CHECK_INT(slot_port_find(t, 0, at(0, 10, 0, 0), at(0, 10, 30, 0),
	    &port), ==, 0);
	slot_table_free(t);
}

/*
 * 23:50 to 00:10 touches the last slot of one day and the first of the
 * next; with the table starting at noon that is also where its ring wraps.
 */
static void
test_midnight(void)
{
	struct slot_table *t = table(at(0, 12, 0, 0), 10, 5000, 5001);
	int port = 0;

	CHECK(slot_fits(t, 0, at(0, 23, 50, 0), at(1, 0, 10, 0), 10));
	CHECK_INT(slot_reserve(t, 0, at(0, 23, 50, 0), at(1, 0, 10, 0), 7,
	    5000, 1), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 23, 30, 0)), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 23, 45, 0)), ==, 7);
	CHECK_INT(slot_count(t, 0, at(1, 0, 0, 0)), ==, 7);
	CHECK_INT(slot_count(t, 0, at(1, 0, 15, 0)), ==, 0);
	/* Noon, where the table starts, shares no cell with midnight. */
	CHECK_INT(slot_count(t, 0, at(0, 12, 0, 0)), ==, 0);
	CHECK(!slot_fits(t, 0, at(0, 23, 59, 0), at(1, 0, 1, 0), 4));
	CHECK(slot_fits(t, 0, at(0, 23, 59, 0), at(1, 0, 1, 0), 3));
	CHECK_INT(slot_port_find(t, 0, at(0, 23, 0, 0), at(1, 1, 0, 0),
	    &port), ==, 0);
	CHECK_INT(port, ==, 5001);
	slot_release(t, 0, at(0, 23, 50, 0), at(1, 0, 10, 0), 7, 1);
	CHECK_INT(slot_count(t, 0, at(0, 23, 45, 0)), ==, 0);
	CHECK_INT(slot_count(t, 0, at(1, 0, 0, 0)), ==, 0);
	slot_table_free(t);
}

/* The horizon's end is the last instant a booking may reach, and moves. */
static void
test_horizon_end(void)
{
	struct slot_table *t = table(at(0, 0, 0, 0), 10, 5000, 5009);

	CHECK_INT(slot_horizon_end(t), ==, at(1, 0, 0, 0));
	CHECK(slot_fits(t, 0, at(0, 23, 45, 0), at(1, 0, 0, 0), 10));
	CHECK(!slot_fits(t, 0, at(0, 23, 45, 0), at(1, 0, 0, 1), 1));
	CHECK(!slot_fits(t, 0, at(1, 0, 0, 0), at(1, 0, 15, 0), 1));
	/* Booked now and at the last slot: the same ring cell, a day apart. */
	CHECK_INT(slot_reserve(t, 0, at(0, 0, 0, 0), at(0, 0, 15, 0), 10,
	    5000, 1), ==, 0);
	CHECK_INT(slot_reserve(t, 0, at(0, 23, 45, 0), at(1, 0, 0, 0), 3,
	    5001, 2), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 0, 0, 0)), ==, 10);
	CHECK_INT(slot_count(t, 0, at(0, 23, 45, 0)), ==, 3);
	/* A quarter later the passed slot is the new last one, and empty. */
	slot_advance(t, at(0, 0, 16, 40));
	CHECK_INT(slot_begin(t), ==, at(0, 0, 15, 0));
	CHECK_INT(slot_horizon_end(t), ==, at(1, 0, 15, 0));
	CHECK_INT(slot_count(t, 0, at(1, 0, 0, 0)), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 0, 0, 0)), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 23, 45, 0)), ==, 3);
	CHECK(slot_fits(t, 0, at(1, 0, 0, 0), at(1, 0, 15, 0), 10));
	CHECK(!slot_fits(t, 0, at(1, 0, 0, 0), at(1, 0, 15, 1), 10));
	/* Releasing what is partly past touches only the slots held. */
	slot_release(t, 0, at(0, 0, 0, 0), at(0, 0, 15, 0), 10, 1);
	CHECK_INT(slot_count(t, 0, at(1, 0, 0, 0)), ==, 0);
	/* Jumping further than the horizon empties everything. */
	slot_advance(t, at(3, 0, 0, 0));
	CHECK_INT(slot_count(t, 0, at(3, 23, 45, 0)), ==, 0);
	CHECK_INT(slot_peak(t, 0, at(3, 0, 0, 0), at(4, 0, 0, 0)), ==, 0);
	slot_table_free(t);
}

/* The earliest start that fits: after full slots, after taken ports. */
static void
test_earliest(void)
{
	struct slot_table *t = table(at(0, 0, 0, 0), 10, 5000, 5001);
	int64_t when = 0;

	CHECK_INT(slot_reserve(t, 0, at(0, 10, 0, 0), at(0, 11, 0, 0), 8,
	    5000, 1), ==, 0);
	CHECK_INT(slot_earliest(t, 0, at(0, 10, 0, 0), 1800, 5, &when), ==, 0);
	CHECK_INT(when, ==, at(0, 11, 0, 0));
	CHECK_INT(slot_earliest(t, 0, at(0, 10, 20, 0), 1800, 5, &when), ==,
	    0);
	CHECK_INT(when, ==, at(0, 11, 0, 0));
	/* Ending in a full slot is as bad as starting in one. */
	CHECK_INT(slot_earliest(t, 0, at(0, 9, 0, 0), 3600, 5, &when), ==, 0);
	CHECK_INT(when, ==, at(0, 9, 0, 0));
	CHECK_INT(slot_earliest(t, 0, at(0, 9, 10, 0), 3600, 5, &when), ==, 0);
	CHECK_INT(when, ==, at(0, 11, 0, 0));
	CHECK_INT(slot_earliest(t, 0, at(0, 10, 5, 0), 600, 2, &when), ==, 0);
	CHECK_INT(when, ==, at(0, 10, 5, 0));
	/* Both ports taken until 12:20 and 12:40: the next boundary after. */
	CHECK_INT(slot_reserve(t, 0, at(0, 12, 0, 0), at(0, 12, 20, 0), 1,
	    5000, 2), ==, 0);
	CHECK_INT(slot_reserve(t, 0, at(0, 12, 0, 0), at(0, 12, 40, 0), 1,
	    5001, 3), ==, 0);
	CHECK_INT(slot_earliest(t, 0, at(0, 12, 0, 0), 600, 1, &when), ==, 0);
	CHECK_INT(when, ==, at(0, 12, 30, 0));
	/* Nothing before the horizon, and more than the server holds. */
	CHECK_INT(slot_earliest(t, 0, at(0, 23, 50, 0), 900, 1, &when), ==,
	    ENOSPC);
	CHECK_INT(slot_earliest(t, 0, at(0, 1, 0, 0), 900, 11, &when), ==,
	    ENOSPC);
	slot_table_free(t);
}

static void
test_extend(void)
{
	struct slot_table *t = table(at(0, 0, 0, 0), 10, 5000, 5001);

	CHECK_INT(slot_reserve(t, 0, at(0, 10, 0, 0), at(0, 10, 30, 0), 5,
	    5000, 1), ==, 0);
	CHECK_INT(slot_reserve(t, 0, at(0, 10, 30, 0), at(0, 11, 0, 0), 6,
	    5001, 2), ==, 0);
	CHECK_INT(slot_reserve(t, 0, at(0, 10, 40, 0), at(0, 11, 0, 0), 1,
	    5000, 3), ==, 0);
	/* 5 + 7 booked at 10:30 would pass 10. */
	CHECK_INT(slot_extend(t, 0, at(0, 10, 0, 0), at(0, 10, 30, 0),
	    at(0, 10, 35, 0), 5, 1), ==, ENOSPC);
	CHECK_INT(slot_count(t, 0, at(0, 10, 30, 0)), ==, 7);
	CHECK_INT(slot_extend(t, 0, at(0, 10, 30, 0), at(0, 11, 0, 0),
	    at(0, 11, 15, 0), 6, 2), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 11, 0, 0)), ==, 6);
	CHECK_INT(slot_count(t, 0, at(0, 11, 15, 0)), ==, 0);
	slot_release(t, 0, at(0, 10, 30, 0), at(0, 11, 15, 0), 6, 2);
	/* Its port is taken from 10:40 by booking 3. */
	CHECK_INT(slot_extend(t, 0, at(0, 10, 0, 0), at(0, 10, 30, 0),
	    at(0, 10, 40, 0), 5, 1), ==, 0);
	CHECK_INT(slot_extend(t, 0, at(0, 10, 0, 0), at(0, 10, 40, 0),
	    at(0, 10, 41, 0), 5, 1), ==, EADDRINUSE);
	CHECK_INT(slot_count(t, 0, at(0, 10, 30, 0)), ==, 6);
	CHECK_INT(slot_extend(t, 0, at(0, 10, 0, 0), at(0, 10, 40, 0),
	    at(1, 0, 0, 1), 5, 1), ==, EINVAL);
	CHECK_INT(slot_extend(t, 0, at(0, 10, 0, 0), at(0, 10, 40, 0),
	    at(0, 10, 40, 0), 5, 1), ==, EINVAL);
	slot_table_free(t);

	/* An unaligned end's slot already counts the booking once. */
	t = table(at(0, 0, 0, 0), 10, 5000, 5000);
	CHECK_INT(slot_reserve(t, 0, at(0, 10, 5, 0), at(0, 10, 20, 0), 4,
	    5000, 1), ==, 0);
	CHECK_INT(slot_extend(t, 0, at(0, 10, 5, 0), at(0, 10, 20, 0),
	    at(0, 10, 25, 0), 4, 1), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 10, 15, 0)), ==, 4);
	CHECK_INT(slot_extend(t, 0, at(0, 10, 5, 0), at(0, 10, 25, 0),
	    at(0, 10, 31, 0), 4, 1), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 10, 15, 0)), ==, 4);
	CHECK_INT(slot_count(t, 0, at(0, 10, 30, 0)), ==, 4);
	CHECK_INT(slot_count(t, 0, at(0, 10, 45, 0)), ==, 0);
	slot_release(t, 0, at(0, 10, 5, 0), at(0, 10, 31, 0), 4, 1);
	CHECK_INT(slot_peak(t, 0, at(0, 0, 0, 0), at(1, 0, 0, 0)), ==, 0);
	slot_table_free(t);
}

/* The lowest free port, across whole words of the bitmap. */
static void
test_ports(void)
{
	struct slot_table *t = table(at(0, 0, 0, 0), 1000, 4990, 5200);
	int i, port = 0;

	for (i = 0; i < 150; i++)
		CHECK_INT(slot_reserve(t, 0, at(0, 10, 0, 0), at(0, 11, 0, 0),
		    1, 4990 + i, (uint64_t)i + 1), ==, 0);
	CHECK_INT(slot_port_find(t, 0, at(0, 10, 30, 0), at(0, 10, 31, 0),
	    &port), ==, 0);
	CHECK_INT(port, ==, 5140);
	slot_release(t, 0, at(0, 10, 0, 0), at(0, 11, 0, 0), 1, 11);
	CHECK_INT(slot_port_find(t, 0, at(0, 10, 30, 0), at(0, 10, 31, 0),
	    &port), ==, 0);
	CHECK_INT(port, ==, 5000);
	/* Narrowed to ports all taken: none, though 5000 is free. */
	slot_server_set(t, 0, 1000, 5001, 5139);
	CHECK_INT(slot_port_find(t, 0, at(0, 9, 59, 59), at(0, 10, 0, 1),
	    &port), ==, ENOSPC);
	CHECK_INT(slot_port_find(t, 0, at(0, 9, 0, 0), at(0, 10, 0, 0),
	    &port), ==, 0);
	CHECK_INT(port, ==, 5001);
	slot_table_free(t);
}

/* Many servers: each has its own ring. */
static void
test_servers(void)
{
	struct slot_table *t = table(at(0, 0, 0, 0), 10, 5000, 5000);

	CHECK_INT(slot_server_add(t), ==, 0);
	slot_server_set(t, 1, 20, 6000, 6000);
	CHECK_INT(slot_reserve(t, 1, at(0, 1, 0, 0), at(0, 2, 0, 0), 15, 6000,
	    1), ==, 0);
	CHECK_INT(slot_count(t, 0, at(0, 1, 0, 0)), ==, 0);
	CHECK_INT(slot_count(t, 1, at(0, 1, 0, 0)), ==, 15);
	CHECK(!slot_fits(t, 0, at(0, 1, 0, 0), at(0, 2, 0, 0), 11));
	CHECK(slot_fits(t, 1, at(0, 1, 0, 0), at(0, 2, 0, 0), 5));
	CHECK(!slot_fits(t, 1, at(0, 1, 0, 0), at(0, 2, 0, 0), 6));
	slot_table_free(t);
}

CHECK_MAIN(
	CHECK_CASE(test_geometry),
	CHECK_CASE(test_back_to_back),
	CHECK_CASE(test_unaligned),
	CHECK_CASE(test_midnight),
	CHECK_CASE(test_horizon_end),
	CHECK_CASE(test_earliest),
	CHECK_CASE(test_extend),
	CHECK_CASE(test_ports),
	CHECK_CASE(test_servers),
)
