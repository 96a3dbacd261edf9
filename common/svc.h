/*
 * svc: the lifecycle of a daemon on its event loop.
 *
 * Signals arrive as events (SIGTERM and SIGINT stop, SIGHUP reloads), and
 * systemd hears about readiness, status, watchdog keep-alives and stopping
 * through sd_notify(3), which does nothing when NOTIFY_SOCKET is unset.
 */
#ifndef SVC_H
#define SVC_H

struct event_base;
struct svc;

struct svc_ops {
	void	(*reload)(void *arg);	/* SIGHUP */
	void	(*stop)(void *arg);	/* SIGTERM, SIGINT; NULL: leave loop */
};

/* Sets up signal events and the watchdog timer on base. */
struct svc *svc_new(struct event_base *base, const struct svc_ops *ops,
	    void *arg);
/* Tells systemd the daemon is ready, with a status line. */
void	svc_ready(struct svc *svc, const char *status);
/* Updates the status line systemd shows. */
void	svc_status(struct svc *svc, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Tells systemd that a reload started (RELOADING=1) or finished. */
void	svc_reloading(struct svc *svc, int on);
/* Tells systemd the daemon is stopping. */
void	svc_stopping(struct svc *svc);
/* Removes the events and frees svc. */
void	svc_free(struct svc *svc);

#endif
