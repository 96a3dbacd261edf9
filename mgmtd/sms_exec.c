/*
 * sms_exec: the exec channel of the SMS of code 2, for sites without
 * Kannel.  Each attempt runs [sms] command with two arguments, the phone
 * number and the text, through posix_spawn: no shell, standard input from
 * /dev/null, its output where mgmtd's goes.  A pidfd on the event loop
 * says when it exits, so nothing blocks and no SIGCHLD handler is needed;
 * the same event's timeout kills a command that hangs.  Exit status 0 is
 * sent, anything else a retry.
 */
#include <sys/pidfd.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "mgmtd.h"

/* A command running for one attempt. */
struct sms_child {
	TAILQ_ENTRY(sms_child) entry;
	struct sms_exec		*x;
	struct sms		*sms;	/* NULL once the message is gone */
	pid_t			 pid;
	int			 pidfd;
	struct event		*ev;	/* the pidfd, with the timeout */
	bool			 killed;
};
TAILQ_HEAD(sms_children, sms_child);

struct sms_exec {
	struct mgmtd		*m;
	struct sms_children	 children;
};

/* Closes the pidfd and frees a child once libevent let go of its event. */
static void
sms_child_finalize(struct event *ev, void *arg)
{
	struct sms_child *ch = arg;

	(void)ev;
	close(ch->pidfd);
	free(ch);
}

/* The command exited (or ran out of time): its status is the outcome. */
static void
sms_on_child(evutil_socket_t fd, short what, void *arg)
{
	struct sms_child *ch = arg;
	struct sms *s = ch->sms;
	char why[MGMTD_SMS_ERR_MAX];
	int status;
	pid_t r;

	(void)fd;
	if ((what & EV_TIMEOUT) && !ch->killed) {
		/* Through the pidfd: the pid cannot have been reused. */
		pidfd_send_signal(ch->pidfd, SIGKILL, NULL, 0);
		ch->killed = true;
		event_add(ch->ev, NULL);
		return;
	}
	while ((r = waitpid(ch->pid, &status, WNOHANG)) == -1 &&
	    errno == EINTR)
		;
	if (r == 0) {
		event_add(ch->ev, NULL);
		return;
	}
	TAILQ_REMOVE(&ch->x->children, ch, entry);
	if (s != NULL)
		s->child = NULL;
	if (s != NULL && s->state == SMS_QUEUED) {
		if (r == -1)
			snprintf(why, sizeof(why), "the command was lost: %s",
			    strerror(errno));
		else if (ch->killed)
			snprintf(why, sizeof(why), "the command ran longer "
			    "than [sms] timeout and was killed");
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			snprintf(why, sizeof(why), "the command exited with "
			    "status 0");
		else if (WIFEXITED(status))
			snprintf(why, sizeof(why), "the command exited with "
			    "status %d", WEXITSTATUS(status));
		else
			snprintf(why, sizeof(why), "the command was killed by "
			    "signal %d", WTERMSIG(status));
		if (r != -1 && !ch->killed && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			sms_set_state(s, SMS_SENT, why);
		else
			sms_retry(s, why);
	}
	/* The event is the callback running: free the child after it. */
	event_free_finalize(0, ch->ev, sms_child_finalize);
}

int
sms_exec_start(struct sms_exec *x, struct sms *s, char *why, size_t whylen)
{
	const struct mgmtd_conf *c = &x->m->conf;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	struct sms_child *ch;
	struct timeval tv;
	char *argv[4];
	int rc;

	if ((ch = calloc(1, sizeof(*ch))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	argv[0] = (char *)c->sms_command;
	argv[1] = s->cred->phone;
	argv[2] = s->text;
	argv[3] = NULL;
	/* mgmtd ignores SIGPIPE; the command should not inherit that. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&ch->pid, c->sms_command, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		free(ch);
		snprintf(why, whylen, "cannot run %s: %s", c->sms_command,
		    strerror(rc));
		return rc;
	}
	ch->x = x;
	ch->sms = s;
	if ((ch->pidfd = pidfd_open(ch->pid, 0)) == -1 ||
	    (ch->ev = event_new(x->m->base, ch->pidfd, EV_READ, sms_on_child,
	    ch)) == NULL) {
		rc = errno ? errno : ENOMEM;
		/* Unwatched, it must not run on: stop it and reap it. */
		kill(ch->pid, SIGKILL);
		while (waitpid(ch->pid, NULL, 0) == -1 && errno == EINTR)
			;
		if (ch->pidfd != -1)
			close(ch->pidfd);
		free(ch);
		snprintf(why, whylen, "cannot watch %s: %s", c->sms_command,
		    strerror(rc));
		return rc;
	}
	tv.tv_sec = (time_t)(c->sms_timeout / 1000);
	tv.tv_usec = (suseconds_t)(c->sms_timeout % 1000) * 1000;
	event_add(ch->ev, &tv);
	TAILQ_INSERT_TAIL(&x->children, ch, entry);
	s->child = ch;
	return 0;
}

void
sms_exec_forget(struct sms *s)
{
	if (s->child != NULL) {
		s->child->sms = NULL;
		s->child = NULL;
	}
}

int
sms_exec_new(struct mgmtd *m, struct sms_exec **out, char *why,
    size_t whylen)
{
	struct sms_exec *x;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ENOMEM;
	}
	x->m = m;
	TAILQ_INIT(&x->children);
	*out = x;
	return 0;
}

void
sms_exec_free(struct sms_exec *x)
{
	struct sms_child *ch;

	if (x == NULL)
		return;
	/* A command still running finishes on its own; it is tried again. */
	while ((ch = TAILQ_FIRST(&x->children)) != NULL) {
		TAILQ_REMOVE(&x->children, ch, entry);
		if (ch->sms != NULL)
			ch->sms->child = NULL;
		log_info("sms", "command %ld still running at shutdown; its "
		    "SMS is tried again at the next start", (long)ch->pid);
		event_free(ch->ev);
		close(ch->pidfd);
		free(ch);
	}
	free(x);
}
