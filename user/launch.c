// SPDX-License-Identifier: MIT
/*
 * Launch mode: the command is forked first and held before exec until the
 * probes are attached, so not one invocation is missed.
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

void launch__abort(struct launch *l)
{
	if (!l || l->pid <= 0)
		return;
	if (l->go_fd >= 0) {
		close(l->go_fd);
		l->go_fd = -1;
	}
	waitpid(l->pid, NULL, 0);
	l->pid = 0;
}
