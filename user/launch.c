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

#include "tp.h"

char *tp_which(const char *cmd)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *dir, buf[PATH_MAX];

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0 ? realpath(cmd, NULL) : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = strdup(path);
	if (!copy)
		return NULL;
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", *dir ? dir : ".", cmd);
		if (access(buf, X_OK) == 0) {
			free(copy);
			return realpath(buf, NULL);
		}
	}
	free(copy);
	return NULL;
}

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

/* A zombie has ended too: its parent just has not reaped it yet. */
bool tp_pid_alive(pid_t pid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	if (kill(pid, 0) && errno != EPERM)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	paren = strrchr(buf, ')');
	return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
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

/* Start time in clock ticks since boot (/proc/PID/stat field 22), 0 if gone. */
unsigned long long tp_proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	/* after the command: state is field 3, start time field 22 */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}
