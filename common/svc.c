/* svc: see svc.h. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "svc.h"

struct svc {
	struct event_base	*base;
	const struct svc_ops	*ops;
	void			*arg;
	struct event		*ev_term, *ev_int, *ev_hup;
	struct event		*ev_watchdog;
};

static void
svc_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct svc *svc = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_notice("svc", "SIGHUP: reloading the configuration");
		if (svc->ops->reload)
			svc->ops->reload(svc->arg);
		return;
	}
	log_notice("svc", "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	svc_stopping(svc);
	if (svc->ops->stop)
		svc->ops->stop(svc->arg);
	else
		event_base_loopbreak(svc->base);
}

static void
svc_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

struct svc *
svc_new(struct event_base *base, const struct svc_ops *ops, void *arg)
{
	struct svc *svc;
	struct timeval tv;
	uint64_t usec;

	if ((svc = calloc(1, sizeof(*svc))) == NULL)
		return NULL;
	svc->base = base;
	svc->ops = ops;
	svc->arg = arg;
	/* A peer that goes away must cost an EPIPE, never the process. */
	signal(SIGPIPE, SIG_IGN);
	svc->ev_term = evsignal_new(base, SIGTERM, svc_on_signal, svc);
	svc->ev_int = evsignal_new(base, SIGINT, svc_on_signal, svc);
	svc->ev_hup = evsignal_new(base, SIGHUP, svc_on_signal, svc);
	if (svc->ev_term == NULL || svc->ev_int == NULL || svc->ev_hup == NULL ||
	    evsignal_add(svc->ev_term, NULL) != 0 ||
	    evsignal_add(svc->ev_int, NULL) != 0 ||
	    evsignal_add(svc->ev_hup, NULL) != 0) {
		svc_free(svc);
		return NULL;
	}
	/* Keep-alives at half the interval leave room for a slow iteration. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		usec /= 2;
		tv.tv_sec = (time_t)(usec / 1000000);
		tv.tv_usec = (suseconds_t)(usec % 1000000);
		svc->ev_watchdog = event_new(base, -1, EV_PERSIST,
		    svc_on_watchdog, svc);
		if (svc->ev_watchdog == NULL ||
		    event_add(svc->ev_watchdog, &tv) != 0) {
			svc_free(svc);
			return NULL;
		}
		log_info("svc", "systemd watchdog: keep-alive every %llu ms",
		    (unsigned long long)(usec / 1000));
	}
	return svc;
}

void
svc_ready(struct svc *svc, const char *status)
{
	(void)svc;
	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status,
	    (unsigned long)getpid());
}

void
svc_status(struct svc *svc, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	(void)svc;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
}

void
svc_reloading(struct svc *svc, int on)
{
	(void)svc;
	sd_notify(0, on ? "RELOADING=1" : "READY=1");
}

void
svc_stopping(struct svc *svc)
{
	(void)svc;
	sd_notify(0, "STOPPING=1");
}

void
svc_free(struct svc *svc)
{
	if (svc == NULL)
		return;
	if (svc->ev_term)
		event_free(svc->ev_term);
	if (svc->ev_int)
		event_free(svc->ev_int);
	if (svc->ev_hup)
		event_free(svc->ev_hup);
	if (svc->ev_watchdog)
		event_free(svc->ev_watchdog);
	free(svc);
}
