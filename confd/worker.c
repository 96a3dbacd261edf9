/*
 * worker: the media threads.
 *
 * Each worker runs its own libevent loop with its own rooms, their sockets
 * and events, its own mixing clock and scratch buffers, so that nothing on
 * the packet path is shared and nothing there takes a lock.  The control
 * thread (main.c: configuration, signals, mgmtd's feed, the schedule,
 * /metrics) changes a room only by posting a message to the room's worker:
 * a mutex-protected queue and an event made active, one lock per message,
 * never per packet.  Answers (metrics snapshots) come back the same way to
 * the control thread's own queue.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "confd.h"

int
wq_init(struct wq *q, struct event_base *base,
    void (*cb)(evutil_socket_t, short, void *), void *arg)
{
	int err;

	TAILQ_INIT(&q->msgs);
	if ((err = pthread_mutex_init(&q->mu, NULL)) != 0)
		return err;
	q->init = true;
	if ((q->ev = event_new(base, -1, 0, cb, arg)) == NULL)
		return ENOMEM;
	return 0;
}

/*
 * Posts under the lock and wakes the receiver; event_active() from another
 * thread is safe because libevent runs with evthread_use_pthreads().
 */
void
wq_post(struct wq *q, struct wmsg *m)
{
	pthread_mutex_lock(&q->mu);
	TAILQ_INSERT_TAIL(&q->msgs, m, entry);
	pthread_mutex_unlock(&q->mu);
	event_active(q->ev, EV_READ, 0);
}

void
wq_take(struct wq *q, struct wmsgs *out)
{
	struct wmsg *m;

	TAILQ_INIT(out);
	pthread_mutex_lock(&q->mu);
	while ((m = TAILQ_FIRST(&q->msgs)) != NULL) {
		TAILQ_REMOVE(&q->msgs, m, entry);
		TAILQ_INSERT_TAIL(out, m, entry);
	}
	pthread_mutex_unlock(&q->mu);
}

void
wq_free(struct wq *q)
{
	struct wmsg *m;

	if (!q->init)
		return;
	while ((m = TAILQ_FIRST(&q->msgs)) != NULL) {
		TAILQ_REMOVE(&q->msgs, m, entry);
		wmsg_free(m);
	}
	if (q->ev)
		event_free(q->ev);
	q->ev = NULL;
	pthread_mutex_destroy(&q->mu);
	q->init = false;
}

struct wmsg *
wmsg_new(enum wmsg_type type, struct room *r)
{
	struct wmsg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->type = type;
	m->room = r;
	return m;
}

void
wmsg_free(struct wmsg *m)
{
	if (m == NULL || m->embedded)
		return;
	if (m->creds != NULL) {
		sodium_memzero(m->creds, m->ncreds * sizeof(*m->creds));
		free(m->creds);
	}
	free(m->conf);
	free(m);
}

unsigned
worker_count(const struct confd_conf *c)
{
	long n;

	if (c->workers > 0)
		return (unsigned)c->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > CONFD_MAX_WORKERS ? CONFD_MAX_WORKERS : (unsigned)n;
}

/* Copies the configuration a worker reads: no rooms list, no secret. */
static void
worker_conf_copy(struct confd_conf *dst, const struct confd_conf *src)
{
	*dst = *src;
	TAILQ_INIT(&dst->rooms);
	sodium_memzero(dst->mgmtd_secret, sizeof(dst->mgmtd_secret));
}

/* Handles the messages of the control thread, in the order posted. */
static void
worker_on_msg(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct wmsgs msgs;
	struct wmsg *m;

	(void)fd;
	(void)what;
	wq_take(&w->q, &msgs);
	while ((m = TAILQ_FIRST(&msgs)) != NULL) {
		TAILQ_REMOVE(&msgs, m, entry);
		switch (m->type) {
		case WMSG_ADD:
			TAILQ_INSERT_TAIL(&w->rooms, m->room, wentry);
			break;
		case WMSG_OPEN:
			room_attach(m->room);
			break;
		case WMSG_CREDS:
			m->room->capacity = m->capacity;
			/* The credentials pass to the room. */
			room_install_creds(m->room, m->creds, m->ncreds);
			m->creds = NULL;
			m->ncreds = 0;
			break;
		case WMSG_FREE:
			/* The room's own message: it goes with the room. */
			room_free(m->room);
			continue;
		case WMSG_CONF:
			worker_conf_copy(&w->conf, m->conf);
			break;
		case WMSG_SNAP:
			/* The message goes back to the control thread. */
			metrics_snap(w, m);
			continue;
		case WMSG_STOP:
			event_base_loopbreak(w->base);
			break;
		case WMSG_SNAP_DONE:
			break;
		}
		wmsg_free(m);
	}
}

/* The thread of a worker: its loop, until WMSG_STOP. */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* Sets up one worker, not yet running; 0 or an errno with why. */
static int
worker_init(struct confd *cd, struct worker *w, unsigned id, char *why,
    size_t whylen)
{
	int err;

	w->cd = cd;
	w->id = id;
	TAILQ_INIT(&w->rooms);
	TAILQ_INIT(&w->active);
	worker_conf_copy(&w->conf, &cd->conf);
	w->msg_stop.type = WMSG_STOP;
	w->msg_stop.embedded = true;
	if ((w->io = calloc(1, sizeof(*w->io))) == NULL ||
	    (w->base = event_base_new()) == NULL ||
	    event_base_priority_init(w->base, CONFD_NPRIO) != 0) {
		snprintf(why, whylen, "worker %u: cannot create its event loop",
		    id);
		return ENOMEM;
	}
	if ((err = wq_init(&w->q, w->base, worker_on_msg, w)) != 0) {
		snprintf(why, whylen, "worker %u: cannot create its queue: %s",
		    id, strerror(err));
		return err;
	}
	return 0;
}

int
worker_start(struct confd *cd, char *why, size_t whylen)
{
	unsigned i, n = worker_count(&cd->conf);
	sigset_t all, old;
	char name[16];
	int err;

	if ((cd->workers = calloc(n, sizeof(*cd->workers))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	cd->nworkers = n;
	for (i = 0; i < n; i++)
		if ((err = worker_init(cd, &cd->workers[i], i, why, whylen)) != 0)
			return err;
	/*
	 * Signals are the control thread's events: the workers start with
	 * them blocked, so that none lands in a media thread.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0, err = 0; i < n && err == 0; i++) {
		if ((err = pthread_create(&cd->workers[i].thread, NULL,
		    worker_main, &cd->workers[i])) != 0)
			snprintf(why, whylen, "cannot start worker %u: %s", i,
			    strerror(err));
		else {
			cd->workers[i].started = true;
			/*
			 * Named here, not by the thread itself, so that it
			 * has its name (top -H, /proc/PID/task/TID/comm) by
			 * the time confd says it is ready.
			 */
			snprintf(name, sizeof(name), "confd-w%u",
			    i % CONFD_MAX_WORKERS);
			pthread_setname_np(cd->workers[i].thread, name);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0)
		return err;
	log_info("worker", "%u media thread%s", n, n == 1 ? "" : "s");
	return 0;
}

struct worker *
worker_pick(struct confd *cd)
{
	struct worker *best = &cd->workers[0];
	unsigned i;

	for (i = 1; i < cd->nworkers; i++)
		if (cd->workers[i].nrooms < best->nrooms)
			best = &cd->workers[i];
	return best;
}

void
worker_reconf(struct confd *cd)
{
	struct wmsg *m;
	unsigned i;

	for (i = 0; i < cd->nworkers; i++) {
		if ((m = wmsg_new(WMSG_CONF, NULL)) == NULL ||
		    (m->conf = malloc(sizeof(*m->conf))) == NULL) {
			wmsg_free(m);
			log_err("worker", "out of memory: worker %u keeps its "
			    "configuration", i);
			continue;
		}
		worker_conf_copy(m->conf, &cd->conf);
		wq_post(&cd->workers[i].q, m);
	}
}

/*
 * Posts WMSG_STOP after whatever was posted before (the rooms' WMSG_FREE at
 * shutdown), joins every thread, then frees what the workers held.
 */
void
worker_stop(struct confd *cd)
{
	struct worker *w;
	unsigned i;

	for (i = 0; i < cd->nworkers; i++)
		if (cd->workers[i].started)
			wq_post(&cd->workers[i].q, &cd->workers[i].msg_stop);
	for (i = 0; i < cd->nworkers; i++) {
		w = &cd->workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		w->started = false;
	}
	for (i = 0; i < cd->nworkers; i++) {
		w = &cd->workers[i];
		/* Rooms the control thread never released (a failed start). */
		while (!TAILQ_EMPTY(&w->rooms))
			room_free(TAILQ_FIRST(&w->rooms));
		tick_free(w);
		wq_free(&w->q);
		if (w->base)
			event_base_free(w->base);
		free(w->io);
	}
	free(cd->workers);
	cd->workers = NULL;
	cd->nworkers = 0;
}
