/* test_worker: confd's media threads and their queues (confd/worker.c). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "../../confd/confd.h"
#include "check.h"

#define NMSG	2000

struct recv {
	struct wq		 q;
	struct event_base	*base;
	unsigned		 got;
	bool			 in_order;
};

/* Takes what was posted and checks it comes in the order it was sent. */
static void
on_msg(evutil_socket_t fd, short what, void *arg)
{
	struct recv *r = arg;
	struct wmsgs msgs;
	struct wmsg *m;

	(void)fd;
	(void)what;
	wq_take(&r->q, &msgs);
	while ((m = TAILQ_FIRST(&msgs)) != NULL) {
		TAILQ_REMOVE(&msgs, m, entry);
		if (m->idx != r->got)
			r->in_order = false;
		r->got++;
		wmsg_free(m);
	}
	if (r->got == NMSG)
		event_base_loopbreak(r->base);
}

/* Posts NMSG numbered messages from another thread. */
static void *
sender(void *arg)
{
	struct recv *r = arg;
	struct wmsg *m;
	unsigned i;

	for (i = 0; i < NMSG; i++) {
		if ((m = wmsg_new(WMSG_CONF, NULL)) == NULL)
			break;
		m->idx = i;
		wq_post(&r->q, m);
	}
	return NULL;
}

/* Messages posted from another thread all arrive, in order, and wake it. */
static void
test_queue_across_threads(void)
{
	struct recv r;
	pthread_t t;

	memset(&r, 0, sizeof(r));
	r.in_order = true;
	CHECK(evthread_use_pthreads() == 0);
	CHECK((r.base = event_base_new()) != NULL);
	CHECK_INT(wq_init(&r.q, r.base, on_msg, &r), ==, 0);
	CHECK_INT(pthread_create(&t, NULL, sender, &r), ==, 0);
	event_base_loop(r.base, EVLOOP_NO_EXIT_ON_EMPTY);
	pthread_join(t, NULL);
	CHECK_INT(r.got, ==, NMSG);
	CHECK(r.in_order);
	wq_free(&r.q);
	event_base_free(r.base);
}

/* A message left in a queue is freed with it, keys wiped. */
static void
test_queue_free(void)
{
	struct event_base *base;
	struct wq q;
	struct wmsg *m;

	CHECK(evthread_use_pthreads() == 0);
	CHECK((base = event_base_new()) != NULL);
	memset(&q, 0, sizeof(q));
	CHECK_INT(wq_init(&q, base, on_msg, NULL), ==, 0);
	CHECK((m = wmsg_new(WMSG_CREDS, NULL)) != NULL);
	CHECK((m->creds = calloc(3, sizeof(*m->creds))) != NULL);
	m->ncreds = 3;
	wq_post(&q, m);
	wq_free(&q);
	event_base_free(base);
}

/* [media] workers: a number is taken as it is, 0 is the CPUs online. */
static void
test_count(void)
{
	struct confd_conf c;

	confd_conf_init(&c);
	c.workers = 3;
	CHECK_INT(worker_count(&c), ==, 3);
	c.workers = 0;
	CHECK(worker_count(&c) >= 1 && worker_count(&c) <= CONFD_MAX_WORKERS);
}

/* Workers start, are given rooms evenly, and stop when told, joined. */
static void
test_start_stop(void)
{
	struct confd cd;
	struct worker *w;
	char why[256];

	memset(&cd, 0, sizeof(cd));
	TAILQ_INIT(&cd.rooms);
	confd_conf_init(&cd.conf);
	cd.conf.workers = 2;
	CHECK(evthread_use_pthreads() == 0);
	CHECK_INT(worker_start(&cd, why, sizeof(why)), ==, 0);
	CHECK_INT(cd.nworkers, ==, 2);
	w = worker_pick(&cd);
	CHECK(w == &cd.workers[0]);
	w->nrooms++;
	CHECK(worker_pick(&cd) == &cd.workers[1]);
	cd.workers[1].nrooms++;
	CHECK(worker_pick(&cd) == &cd.workers[0]);
	cd.workers[0].nrooms = cd.workers[1].nrooms = 0;
	worker_reconf(&cd);
	worker_stop(&cd);
	CHECK(cd.workers == NULL && cd.nworkers == 0);
}

CHECK_MAIN(
	CHECK_CASE(test_queue_across_threads),
	CHECK_CASE(test_queue_free),
	CHECK_CASE(test_count),
	CHECK_CASE(test_start_stop),
)
