// SPDX-License-Identifier: MIT
/*
 * The target: a command launched and held before exec until the probes are
 * in place (so not one invocation is missed), or a running process; its
 * liveness and its exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "record/launch.h"

int launch__fork(struct launch *l, char *const argv[])
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		char go = 0;

		close(fds[1]);
		/* the collector's signal dispositions are not the command's */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (read(fds[0], &go, 1) != 1 || go != 'g')
			_exit(127);
		close(fds[0]);
		execvp(argv[0], argv);
		fprintf(stderr, "taskprof: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	l->pid = pid;
	l->go_fd = fds[1];
	return 0;
}

int launch__go(struct launch *l)
{
	int err = 0;

	if (write(l->go_fd, "g", 1) != 1)
		err = -errno;
	close(l->go_fd);
	l->go_fd = -1;
	return err;
}

/* Returns true once the command has ended; its status is then in *status. */
bool launch__ended(struct launch *l, int *status)
{
	return l->pid > 0 && waitpid(l->pid, status, WNOHANG) == l->pid;
}

/* Waits for the command; a command never let go exits without running. */
int launch__wait(struct launch *l, int *status)
{
	pid_t pid = l->pid;

	if (pid <= 0)
		return -ECHILD;
	if (l->go_fd >= 0) {
		close(l->go_fd);
		l->go_fd = -1;
	}
	l->pid = 0;
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* The shell's convention: 128 + signal for a command a signal killed. */
int tp_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

