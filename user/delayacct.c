// SPDX-License-Identifier: MIT
/*
 * kernel.task_delayacct, switched on while any taskprof needs it and back
 * to what it was when the last one lets go, even if that one was killed.
 *
 * IO wait is delay accounting's blkio_delay (what taskstats reports), which
 * counts only for tasks created while the switch is on (off by default
 * since 5.14). Several collectors may run at once, so the switch is held,
 * not toggled: /run/taskprof/delayacct keeps the original value and one
 * line per holder (PID and start time, so a reused PID is not mistaken for
 * a holder), under flock. A holder that died without letting go is dropped
 * by the next one to look; the guardian (guardian.c) lets go for a
 * collector that was killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tp.h"

#define SYSCTL "/proc/sys/kernel/task_delayacct"
#define STATE_DIR "/run/taskprof"
#define STATE_FILE STATE_DIR "/delayacct"
#define LOCK_FILE STATE_DIR "/delayacct.lock"
#define MAX_HOLDERS 256

struct holder {
	pid_t pid;
	unsigned long long start;
};

struct state {
	int orig;  /* the value before the first holder, -1 if none recorded */
	size_t n;
	struct holder v[MAX_HOLDERS];
};

static int sysctl_get(void)
{
	FILE *f = fopen(SYSCTL, "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int sysctl_set(int v)
{
	FILE *f = fopen(SYSCTL, "we");
	int err = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%d\n", v) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

static void state_read(struct state *s)
{
	FILE *f = fopen(STATE_FILE, "re");
	struct holder h;

	s->orig = -1;
	s->n = 0;
	if (!f)
		return;
	if (fscanf(f, "orig %d\n", &s->orig) != 1)
		s->orig = -1;
	while (s->n < MAX_HOLDERS && fscanf(f, "%d %llu\n", &h.pid, &h.start) == 2)
		s->v[s->n++] = h;
	fclose(f);
}

static void state_write(const struct state *s)
{
	char tmp[] = STATE_FILE ".XXXXXX";
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	fprintf(f, "orig %d\n", s->orig);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%d %llu\n", s->v[i].pid, s->v[i].start);
	if (fclose(f) == 0)
		rename(tmp, STATE_FILE);
	else
		unlink(tmp);
}

static void state_drop(struct state *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++) {
		bool gone = s->v[i].pid == pid ||
			    tp_proc_start_time(s->v[i].pid) != s->v[i].start;

		if (gone)
			s->v[i--] = s->v[--s->n];
	}
}

static int lock_state(void)
{
	int fd;

	if (mkdir(STATE_DIR, 0700) && errno != EEXIST)
		return -errno;
	fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return -errno;
	}
	return fd;
}

int delayacct__hold(pid_t holder)
{
	struct state s;
	int lock, err, cur = sysctl_get();

	if (cur < 0)
		return -ENOENT; /* no delay accounting in this kernel */
	lock = lock_state();
	if (lock < 0)
		return lock;
	state_read(&s);
	state_drop(&s, holder);
	if (!s.n) {
		/* holders that died without letting go: undo them first */
		if (s.orig >= 0 && s.orig != cur && !sysctl_set(s.orig))
			cur = s.orig;
		s.orig = cur;
	}
	err = s.n < MAX_HOLDERS ? 0 : -EBUSY;
	if (!err) {
		s.v[s.n++] = (struct holder){ holder, tp_proc_start_time(holder) };
		err = cur == 1 ? 0 : sysctl_set(1);
	}
	if (!err)
		state_write(&s);
	close(lock);
	return err;
}

void delayacct__release(pid_t holder)
{
	struct state s;
	int lock = lock_state();

	if (lock < 0)
		return;
	state_read(&s);
	state_drop(&s, holder);
	if (s.n) {
		state_write(&s);
	} else {
		if (s.orig >= 0 && s.orig != sysctl_get())
			sysctl_set(s.orig);
		unlink(STATE_FILE);
	}
	close(lock);
}
