// SPDX-License-Identifier: MIT
/*
 * The guardian: a small process that outlives a collector killed without
 * warning (SIGKILL, the OOM killer, a unit's stop timeout) and marks its
 * session aborted, so the database says how the recording ended. No system
 * setting is changed by a collector, so none is left to restore.
 *
 * The collector starts it before opening a session, tells it the session,
 * and dismisses it at a normal end. It learns of the collector's death from
 * the pipe between them: end of file without "done". It runs in a session
 * of its own (no terminal signal reaches it), is the OOM killer's last
 * choice, and holds none of the collector's BPF links, so it keeps nothing
 * attached to a target. Nothing a target could notice is left to undo: the
 * probes leave no trace in a target once their links are gone (user/plan.c).
 */
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "session/guardian.h"

#include "profile_repo.h"
#include "sink/sink.h"
#include "base/log.h"
#include "base/util.h"

#define GUARD_FD 3

struct guardian {
	pid_t pid;
	int fd; /* write end of the pipe */
};

static void child_exec(int rfd, pid_t collector, const char *db)
{
	char pidarg[16];
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	snprintf(pidarg, sizeof(pidarg), "%d", collector);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1); /* stdout may be a pipe someone reads to its end */
	}
	if (dup2(rfd, GUARD_FD) != GUARD_FD)
		_exit(127);
	close_range(GUARD_FD + 1, ~0U, 0);
	execl("/proc/self/exe", "tp-guardian", TP_GUARDIAN_CMD, pidarg, db, (char *)NULL);
	_exit(127);
}

static struct guardian *guardian__start(const char *db)
{
	struct guardian *g = calloc(1, sizeof(*g));
	int fds[2];

	if (!g) {
		errno = ENOMEM;
		return NULL;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		free(g);
		return NULL;
	}
	g->pid = fork();
	if (g->pid == 0)
		child_exec(fds[0], getppid(), db);
	close(fds[0]);
	if (g->pid < 0) {
		int err = errno;

		close(fds[1]);
		free(g);
		errno = err;
		return NULL;
	}
	g->fd = fds[1];
	return g;
}

struct guardian *guardian__protect(const char *who, const char *db)
{
	struct guardian *g = guardian__start(db);
	int err;

	if (!g) {
		err = errno;
		tp_err("%s: cannot start the guardian process: %s", who, strerror(err));
		errno = err;
		return NULL;
	}
	return g;
}

void guardian__tell_session(struct guardian *g, int64_t session)
{
	if (g)
		dprintf(g->fd, "session %lld\n", (long long)session);
}

/* A normal end: nothing for it to undo. */
void guardian__dismiss(struct guardian *g)
{
	if (!g)
		return;
	dprintf(g->fd, "done\n");
	close(g->fd);
	waitpid(g->pid, NULL, 0);
	free(g);
}

static void become_guardian(void)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
				       SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2 };
	FILE *f;

	setsid();
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		signal(ignored[i], SIG_IGN);
	prctl(PR_SET_NAME, "tp-guardian");
	f = fopen("/proc/self/oom_score_adj", "we");
	if (f) {
		fputs("-1000\n", f);
		fclose(f);
	}
}

static void mark_aborted(const char *db, int64_t session, pid_t collector)
{
	char now[PROFILE_TIME_LEN], why[256];
	struct sink *sink = sink__open_local(db);

	if (!sink)
		return;
	snprintf(why, sizeof(why),
		 "collector (PID %d) died before it ended the session: invocations still open "
		 "or not yet stored are missing", collector);
	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now, sizeof(now));
	sink__session_abort(sink, session, now, why);
	sink__close(sink);
}

/* taskprof __guardian COLLECTOR_PID DB ; the pipe is fd 3 */
int guardian__main(int argc, char **argv)
{
	char line[64];
	int64_t session = 0;
	bool done = false;
	pid_t collector;
	FILE *in;

	if (argc != 3)
		return 2;
	collector = atoi(argv[1]);
	become_guardian();
	in = fdopen(GUARD_FD, "r");
	if (!in)
		return 1;
	while (fgets(line, sizeof(line), in)) {
		long long id;

		if (sscanf(line, "session %lld", &id) == 1)
			session = id;
		else if (!strcmp(line, "done\n"))
			done = true;
	}
	fclose(in);
	if (done)
		return 0;
	if (session > 0)
		mark_aborted(argv[2], session, collector);
	tp_err("guardian: the collector (PID %d) died: %s", collector,
	       session > 0 ? "its session is marked aborted" : "no session was open");
	return 0;
}
