/*
 * sms: the SMS that carries each participant's code 2 to the phone.
 *
 * A message is made with its access, in the same transaction as the
 * credential, so an acknowledged access request always has its SMS on
 * disk: queued, or unsent when [sms] channel = none.  The channel then
 * tries it: Kannel smsbox's sendsms interface over HTTP, or a command run
 * with the phone number and the text.  A temporary failure (no answer, a
 * 5xx, a command's non-zero exit) is tried again after retry_min, twice
 * that, and so on up to retry_max, until max_attempts, max_age or the end
 * of the conference; a refusal (Kannel's 4xx) fails it at once.  Kannel
 * calls back with delivery reports as the SMS centre sends them:
 *
 *   queued -> sent -> buffered -> delivered
 *     |         |         |
 *     |         +---------+----> failed
 *     +--> failed, cancelled
 *
 * Every state change is stored with its time before it shows in the API,
 * and the messages still queued are resumed at start.  Delivery is at
 * least once: a crash between the gateway's acceptance and its record
 * sends the SMS again after the restart.  The text is the only copy of
 * code 2 that mgmtd keeps, and only while the message is queued.
 *
 * This module is the state machine; the channels are sms_kannel.c (with
 * the delivery report listener) and sms_exec.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sodium.h>

#include "log.h"
#include "mgmtd.h"

#define SMS_WHY_MAX	512	/* a reason being made; stored cut short */

struct sms_queue {
	struct mgmtd		*m;
	struct sms_list		 live;		/* every SMS not final */
	struct sms_kannel	*kannel;	/* channel kannel */
	struct sms_exec		*exec;		/* channel exec */
};

static const char *const sms_state_names[] = {
	"queued", "sent", "buffered", "delivered", "failed", "unsent",
	"cancelled",
};

static const char *const sms_channel_names[] = { "none", "kannel", "exec" };

static void	sms_attempt(struct sms *s);

const char *
sms_state_name(enum sms_state st)
{
	return sms_state_names[st];
}

int
sms_state_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sms_state_names) / sizeof(sms_state_names[0]);
	    i++)
		if (strcmp(sms_state_names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *
sms_channel_name(enum sms_channel ch)
{
	return sms_channel_names[ch];
}

bool
sms_final(enum sms_state st)
{
	return st == SMS_DELIVERED || st == SMS_FAILED || st == SMS_UNSENT ||
	    st == SMS_CANCELLED;
}

int
sms_dlr_state(int type)
{
	switch (type) {
	case 1:
		return SMS_DELIVERED;
	case 2:		/* the phone could not be reached */
	case 16:	/* the SMS centre refused it */
		return SMS_FAILED;
	case 4:
		return SMS_BUFFERED;
	case 8:
		return SMS_SENT;
	}
	return -1;
}

/* How far along a state is: reports may come out of order. */
static int
sms_rank(enum sms_state st)
{
	switch (st) {
	case SMS_QUEUED:
		return 0;
	case SMS_SENT:
		return 1;
	case SMS_BUFFERED:
		return 2;
	default:
		return 3;
	}
}

bool
sms_may_follow(enum sms_state from, enum sms_state to)
{
	return !sms_final(from) && sms_rank(to) > sms_rank(from);
}

int64_t
sms_backoff(const struct mgmtd_conf *c, int n)
{
	int64_t d = c->sms_retry_min;

	while (--n > 0 && d < c->sms_retry_max)
		d *= 2;
	return d < c->sms_retry_max ? d : c->sms_retry_max;
}

/* Unix time in milliseconds: retries are due at a time that restarts. */
static int64_t
sms_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sms_hist_add(struct sms *s, enum sms_state st, int64_t at)
{
	/* Past the room, the latest change replaces the one before it. */
	if (s->nhist == MGMTD_SMS_HIST)
		s->nhist--;
	s->hist[s->nhist].state = st;
	s->hist[s->nhist].at = at;
	s->nhist++;
}

int
sms_new(const struct mgmtd_conf *c, const char *code2, int64_t expires,
    int64_t now, struct sms **out)
{
	unsigned char raw[MGMTD_SMS_TOKEN_LEN / 2];
	struct sms *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ENOMEM;
	s->req_err = -1;
	if ((rc = acode_sms_text(code2, expires, s->text,
	    sizeof(s->text))) != 0) {
		sms_free(s);
		return rc;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(s->token, sizeof(s->token), raw, sizeof(raw));
	s->channel = (enum sms_channel)c->sms_channel;
	s->created = s->updated = now;
	s->next_at = now * 1000;
	if (s->channel == SMS_CH_NONE) {
		s->state = SMS_UNSENT;
		sodium_memzero(s->text, sizeof(s->text));
		snprintf(s->error, sizeof(s->error), "not sent: [sms] channel "
		    "is none");
	} else
		s->state = SMS_QUEUED;
	sms_hist_add(s, s->state, now);
	*out = s;
	return 0;
}

void
sms_free(struct sms *s)
{
	if (s == NULL)
		return;
	sms_kannel_abandon(s);
	sms_exec_forget(s);
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->linked)
		TAILQ_REMOVE(&s->m->sms->live, s, live);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

/* Writes s and, for a state change, its event; logs a failure. */
static void
sms_save(struct sms *s, bool event, const char *detail)
{
	struct store *st = s->m->store;
	char why[256];

	if (store_begin(st, why, sizeof(why)) != 0 ||
	    store_sms_update(st, s, why, sizeof(why)) != 0 ||
	    (event && store_sms_event(st, s->id, s->state, s->updated, detail,
	    why, sizeof(why)) != 0) ||
	    store_commit(st, why, sizeof(why)) != 0) {
		store_rollback(st);
		log_err("sms", "%lld: %s", (long long)s->id, why);
	}
}

void
sms_set_state(struct sms *s, enum sms_state st, const char *detail)
{
	struct sms_queue *q = s->m->sms;
	bool wipe = st != SMS_QUEUED && s->text[0] != '\0';
	char why[256];

	s->state = st;
	s->updated = mgmtd_now();
	if (st == SMS_FAILED || st == SMS_CANCELLED)
		snprintf(s->error, sizeof(s->error), "%s", detail);
	if (wipe)
		sodium_memzero(s->text, sizeof(s->text));
	if (st != SMS_QUEUED) {
		sms_kannel_abandon(s);
		if (s->timer != NULL)
			evtimer_del(s->timer);
	}
	sms_hist_add(s, st, s->updated);
	if (sms_final(st) && s->linked) {
		TAILQ_REMOVE(&q->live, s, live);
		s->linked = false;
	}
	sms_save(s, true, detail);
	if (wipe && store_scrub(s->m->store, why, sizeof(why)) != 0)
		log_err("sms", "%lld: %s", (long long)s->id, why);
	log_info("sms", "%lld (access %lld, booking %s): %s: %s",
	    (long long)s->id, (long long)s->cred->id, s->b->id,
	    sms_state_name(st), detail);
}

/* A queued message is due. */
static void
sms_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sms *s = arg;

	(void)fd;
	(void)what;
	sms_attempt(s);
}

/* Arms the timer of s for Unix time at_ms (at once when it is past). */
static void
sms_schedule(struct sms *s, int64_t at_ms)
{
	struct timeval tv;
	int64_t d = at_ms - sms_now_ms();

	if (s->timer == NULL && (s->timer = evtimer_new(s->m->base,
	    sms_on_timer, s)) == NULL) {
		log_err("sms", "%lld: out of memory; not retried until a "
		    "restart", (long long)s->id);
		return;
	}
	if (d < 0)
		d = 0;
	tv.tv_sec = (time_t)(d / 1000);
	tv.tv_usec = (suseconds_t)(d % 1000) * 1000;
	evtimer_add(s->timer, &tv);
}

/*
 * Ends a queued message that must not be tried again: its booking was
 * cancelled or is over, or its attempts or its age are used up.  Whether
 * it did.
 */
static bool
sms_give_up(struct sms *s, int64_t now_ms)
{
	const struct mgmtd_conf *c = &s->m->conf;
	char why[SMS_WHY_MAX];
	int64_t due = s->next_at > now_ms ? s->next_at : now_ms;

	if (s->b->state == BOOKING_CANCELLED) {
		sms_set_state(s, SMS_CANCELLED, "the booking was cancelled");
		return true;
	}
	if (due / 1000 >= s->b->end) {
		snprintf(why, sizeof(why), "the conference ends before it "
		    "could be sent%s%s", s->error[0] ? "; last error: " : "",
		    s->error);
		sms_set_state(s, SMS_FAILED, why);
		return true;
	}
	if (s->attempts >= c->sms_max_attempts) {
		snprintf(why, sizeof(why), "gave up after %d attempt%s: %s",
		    s->attempts, s->attempts == 1 ? "" : "s", s->error);
		sms_set_state(s, SMS_FAILED, why);
		return true;
	}
	/* created is in whole seconds: count from the next one, at least. */
	if (due - (s->created + 1) * 1000 > c->sms_max_age) {
		snprintf(why, sizeof(why), "not sent within [sms] max_age, "
		    "after %d attempt%s: %s", s->attempts, s->attempts == 1 ?
		    "" : "s", s->error[0] ? s->error : "none made");
		sms_set_state(s, SMS_FAILED, why);
		return true;
	}
	return false;
}

void
sms_retry(struct sms *s, const char *why)
{
	snprintf(s->error, sizeof(s->error), "%s", why);
	if (sms_give_up(s, sms_now_ms()))
		return;
	s->updated = mgmtd_now();
	sms_save(s, false, NULL);
	log_info("sms", "%lld (access %lld): attempt %d failed: %s; next in "
	    "%lld ms", (long long)s->id, (long long)s->cred->id, s->attempts,
	    why, (long long)(s->next_at - sms_now_ms()));
	sms_schedule(s, s->next_at);
}

/* One attempt at a queued message, unless it is time to give up. */
static void
sms_attempt(struct sms *s)
{
	struct sms_queue *q = s->m->sms;
	const struct mgmtd_conf *c = &s->m->conf;
	char why[SMS_WHY_MAX];
	int64_t now_ms = sms_now_ms();
	int rc = 0;

	if (s->state != SMS_QUEUED || s->req != NULL || s->child != NULL)
		return;
	if (sms_give_up(s, now_ms))
		return;
	/* The attempt counts before it starts: a crash loop ends too. */
	s->attempts++;
	s->next_at = now_ms + sms_backoff(c, s->attempts);
	s->channel = (enum sms_channel)c->sms_channel;
	s->updated = now_ms / 1000;
	sms_save(s, false, NULL);
	switch (s->channel) {
	case SMS_CH_NONE:
		snprintf(why, sizeof(why), "no channel: [sms] channel is "
		    "none");
		rc = ENOTCONN;
		break;
	case SMS_CH_KANNEL:
		rc = sms_kannel_send(q->kannel, s, why, sizeof(why));
		break;
	case SMS_CH_EXEC:
		rc = sms_exec_start(q->exec, s, why, sizeof(why));
		break;
	}
	if (rc != 0)
		sms_retry(s, why);
}

struct sms *
sms_find_live(struct mgmtd *m, int64_t id)
{
	struct sms *s;

	if (m->sms == NULL)
		return NULL;
	TAILQ_FOREACH(s, &m->sms->live, live)
		if (s->id == id)
			return s;
	return NULL;
}

void
sms_attach(struct mgmtd *m, struct booking *b, struct credential *c)
{
	struct sms_queue *q = m->sms;
	struct sms *s = c->sms;

	if (s == NULL)
		return;
	s->m = m;
	s->b = b;
	s->cred = c;
	s->req_err = -1;
	if (q == NULL || sms_final(s->state))
		return;
	TAILQ_INSERT_TAIL(&q->live, s, live);
	s->linked = true;
	if (s->state != SMS_QUEUED)
		return;
	if (b->state == BOOKING_CANCELLED) {
		sms_set_state(s, SMS_CANCELLED, "the booking was cancelled");
		return;
	}
	sms_schedule(s, s->next_at);
}

void
sms_cancel_booking(struct mgmtd *m, struct booking *b)
{
	struct credential *c;

	TAILQ_FOREACH(c, &b->creds, entry)
		if (c->sms != NULL && c->sms->state == SMS_QUEUED &&
		    m->sms != NULL)
			sms_set_state(c->sms, SMS_CANCELLED, "the booking was "
			    "cancelled");
}

int
sms_start(struct mgmtd *m, char *why, size_t whylen)
{
	const struct mgmtd_conf *c = &m->conf;
	struct sms_queue *q;
	struct booking *b;
	struct credential *cr;
	int64_t now = mgmtd_now();
	int n = 0, queued = 0, waiting = 0, rc;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	q->m = m;
	TAILQ_INIT(&q->live);
	m->sms = q;
	if (c->sms_channel == SMS_CH_KANNEL &&
	    (rc = sms_kannel_new(m, &q->kannel, why, whylen)) != 0)
		return rc;
	if (c->sms_channel == SMS_CH_EXEC &&
	    (rc = sms_exec_new(m, &q->exec, why, whylen)) != 0)
		return rc;
	/* Bookings too old to be loaded must not keep an SMS text. */
	if ((rc = store_sms_expire(m->store, now - MGMTD_RETAIN_S, now, &n,
	    why, whylen)) != 0)
		return rc;
	if (n > 0) {
		log_info("sms", "%d SMS of ended bookings failed unsent", n);
		if ((rc = store_scrub(m->store, why, whylen)) != 0)
			return rc;
	}
	TAILQ_FOREACH(b, &m->bookings.all, all)
		TAILQ_FOREACH(cr, &b->creds, entry) {
			sms_attach(m, b, cr);
			if (cr->sms != NULL && cr->sms->state == SMS_QUEUED)
				queued++;
			else if (cr->sms != NULL && cr->sms->linked)
				waiting++;
		}
	log_info("sms", "channel %s: %d SMS to send, %d awaiting a delivery "
	    "report", sms_channel_name((enum sms_channel)c->sms_channel),
	    queued, waiting);
	if (c->sms_channel == SMS_CH_NONE && c->api_port != 0)
		log_warn("sms", "[sms] channel is none: code 2 of new accesses "
		    "is sent to nobody, so nobody can join with them");
	return 0;
}

void
sms_stop(struct mgmtd *m)
{
	struct sms_queue *q = m->sms;
	struct sms *s;

	if (q == NULL)
		return;
	while ((s = TAILQ_FIRST(&q->live)) != NULL) {
		TAILQ_REMOVE(&q->live, s, live);
		s->linked = false;
		sms_kannel_abandon(s);
		if (s->timer != NULL) {
			event_free(s->timer);
			s->timer = NULL;
		}
	}
	sms_exec_free(q->exec);
	sms_kannel_free(q->kannel);
	free(q);
	m->sms = NULL;
}

json_t *
sms_json(const struct sms *s)
{
	json_t *o, *h, *ev;
	size_t i;

	o = json_object();
	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "state", json_string(sms_state_name(
	    s->state)));
	json_object_set_new(o, "channel", json_string(sms_channel_name(
	    s->channel)));
	json_object_set_new(o, "attempts", json_integer(s->attempts));
	if (s->state == SMS_QUEUED)
		api_set_time(o, "next_attempt", (s->next_at + 999) / 1000);
	else
		json_object_set_new(o, "next_attempt", json_null());
	json_object_set_new(o, "last_error", s->error[0] ?
	    json_string(s->error) : json_null());
	api_set_time(o, "updated", s->updated);
	h = json_array();
	for (i = 0; i < s->nhist; i++) {
		ev = json_object();
		json_object_set_new(ev, "state", json_string(sms_state_name(
		    s->hist[i].state)));
		api_set_time(ev, "at", s->hist[i].at);
		json_array_append_new(h, ev);
	}
	json_object_set_new(o, "history", h);
	return o;
}
