// SPDX-License-Identifier: MIT
/* The integration tests' shared harness; see harness.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

char tp_bin[PATH_MAX], target[PATH_MAX], exc_target[PATH_MAX], scratch[PATH_MAX];
char out_buf[1 << 16], err_buf[1 << 16];
static char build_dir[PATH_MAX];

const char *test_bin(const char *name)
{
	static char bufs[8][PATH_MAX];
	static int k;
	char *b = bufs[k++ & 7];

	snprintf(b, PATH_MAX, "%s/tests/%s", build_dir, name);
	return b;
}

double max2(double a, double b)
{
	return a > b ? a : b;
}

int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = 0;
}

pid_t last_pid;

int run_in_groups(char *const argv[], const char *gt, uid_t uid, const gid_t *groups,
		  size_t ngroups)
{
	char outp[PATH_MAX + 16], errp[PATH_MAX + 16];
	int status;
	pid_t pid;

	snprintf(outp, sizeof(outp), "%s/stdout", scratch);
	snprintf(errp, sizeof(errp), "%s/stderr", scratch);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* opened as root: scratch may be in a directory nobody can enter */
		int o = open(outp, O_CREAT | O_TRUNC | O_WRONLY, 0644);
		int e = open(errp, O_CREAT | O_TRUNC | O_WRONLY, 0644);

		dup2(o, 1);
		dup2(e, 2);
		if (gt)
			setenv("TP_GT", gt, 1);
		if (uid && ((groups && setgroups(ngroups, groups)) || setgid(uid) || setuid(uid)))
			_exit(98);
		execv(argv[0], argv);
		_exit(97);
	}
	last_pid = pid;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	slurp(outp, out_buf, sizeof(out_buf));
	slurp(errp, err_buf, sizeof(err_buf));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_as(char *const argv[], const char *gt, uid_t uid)
{
	return run_in_groups(argv, gt, uid, NULL, 0);
}

int run(char *const argv[], const char *gt)
{
	return run_as(argv, gt, 0);
}

void reference_run(char *const argv[], char *out, size_t len, int *status)
{
	*status = run(argv, NULL);
	snprintf(out, len, "%s", out_buf);
}

char *path_in(const char *name)
{
	static char bufs[8][PATH_MAX];
	static int k;
	char *b = bufs[k++ & 7];

	snprintf(b, PATH_MAX, "%s/%s", scratch, name);
	return b;
}

char *fresh_db(const char *name)
{
	char *p = path_in(name);
	char side[PATH_MAX + 8];

	unlink(p);
	snprintf(side, sizeof(side), "%s-wal", p);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", p);
	unlink(side);
	return p;
}

bool gt_has(const char *gt, const char *key)
{
	char line[256], k[128];
	bool found = false;
	FILE *f = fopen(gt, "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%127s", k) == 1 && !strcmp(k, key);
	if (f)
		fclose(f);
	return found;
}

double gt_get(const char *gt, const char *key)
{
	char line[256], k[128];
	double v;
	FILE *f = fopen(gt, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lf", k, &v) == 2 && !strcmp(k, key)) {
			fclose(f);
			return v;
		}
	}
	fclose(f);
	fail_msg("ground truth %s missing from %s", key, gt);
	return 0;
}

/*
 * IO wait against the target's off-CPU time less its runqueue waits (its
 * schedstat): the time it slept. On a busy machine preemption is off-CPU
 * time too, and no IO wait. Delay accounting ends a wait at the wakeup, the
 * sched_switch fallback at the switch back in: the second may also hold
 * the runqueue wait after an IO, never more than all off-CPU time.
 */
void assert_iowait(double io_wait, const char *gt, const char *what)
{
	double off = gt_get(gt, "offcpu"), slept = off - gt_get(gt, "rundelay");

	if (io_wait < 0.5 * slept || io_wait > 1.1 * off)
		fail_msg("%s: io_wait %.6f s is not within 50%% of %.6f s asleep .. 110%% of "
			 "%.6f s off-CPU", what, io_wait, slept, off);
}

/* taskprof record --db DB [opts] -t T... -- CMD..., TP_GT=gt */
int record_gt(const char *db, const char *const *tasks, const char *const *opts,
		     char *const *cmd, const char *gt)
{
	char *argv[64];
	int n = 0;

	argv[n++] = tp_bin;
	argv[n++] = "record";
	argv[n++] = "--db";
	argv[n++] = (char *)db;
	for (; opts && *opts && n < 40; opts++)
		argv[n++] = (char *)*opts;
	for (; *tasks && n < 40; tasks++) {
		argv[n++] = "-t";
		argv[n++] = (char *)*tasks;
	}
	argv[n++] = "--";
	for (; *cmd && n < 63; cmd++)
		argv[n++] = *cmd;
	argv[n] = NULL;
	return run(argv, gt);
}

int record_argv(const char *db, const char *const *tasks, const char *const *opts,
		char *const *cmd)
{
	return record_gt(db, tasks, opts, cmd, NULL);
}

int record(const char *db, const char *prog, const char *scenario, const char *gt,
	   const char *const *tasks, const char *const *opts)
{
	char *cmd[] = { (char *)prog, (char *)scenario, scenario ? scratch : NULL, NULL };

	return record_gt(db, tasks, opts, cmd, gt);
}

void rows(const char *db, const char *process, struct profile_list *l)
{
	struct profile_repo *r = profile_repo__open(db, PROFILE_REPO_READONLY);

	if (!r)
		fail_msg("cannot open %s: %s", db, profile_repo__open_error());
	assert_int_equal(profile_repo__get_by_process(r, process, l), 0);
	profile_repo__close(r);
}

void session_of(const char *db, int64_t id, struct session *out)
{
	struct profile_repo *r = profile_repo__open(db, PROFILE_REPO_READONLY);

	if (!r)
		fail_msg("cannot open %s: %s", db, profile_repo__open_error());
	assert_int_equal(profile_repo__get_session(r, id, out), 0);
	profile_repo__close(r);
}

void record_one(const char *scenario, const char *task, const char *const *opts,
		struct profile *out, char *gt)
{
	const char *tasks[] = { task, NULL };
	char *db = fresh_db("one.db");
	struct profile_list l;
	int rc;

	snprintf(gt, PATH_MAX, "%s/gt-%s", scratch, scenario);
	rc = record(db, target, scenario, gt, tasks, opts);
	if (rc)
		fail_msg("record %s exited %d: %s", scenario, rc, err_buf);
	rows(db, task, &l);
	if (l.len != 1)
		fail_msg("%s: %zu rows, expected 1", task, l.len);
	*out = l.items[0];
	memset(&l.items[0], 0, sizeof(l.items[0]));
	profile_list__free(&l);
}

#define DELAYACCT "/proc/sys/kernel/task_delayacct"

int delayacct_get(void)
{
	FILE *f = fopen(DELAYACCT, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

void delayacct_set(int v)
{
	FILE *f = fopen(DELAYACCT, "w");

	if (f) {
		fprintf(f, "%d\n", v);
		fclose(f);
	}
}

static int saved_delayacct = -1;

int setup_save_delayacct(void **state)
{
	saved_delayacct = delayacct_get();
	return 0;
}

int teardown_restore_delayacct(void **state)
{
	if (saved_delayacct >= 0 && delayacct_get() != saved_delayacct)
		delayacct_set(saved_delayacct);
	return 0;
}

bool block_device_works(void)
{
	static int works = -1;
	char *path = path_in("direct-probe"), *buf = NULL;
	struct statfs fs;
	int fd;

	if (works >= 0)
		return works;
	/* tmpfs takes O_DIRECT since 6.6, but no read reaches a device */
	works = !statfs(scratch, &fs) && fs.f_type != TMPFS_MAGIC && fs.f_type != RAMFS_MAGIC;
	fd = works ? open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644) : -1;
	if (fd >= 0) {
		char page[4096] = { 0 };

		works = write(fd, page, sizeof(page)) == sizeof(page);
		close(fd);
		fd = open(path, O_RDONLY | O_DIRECT);
		works = works && fd >= 0 && !posix_memalign((void **)&buf, 4096, 4096) &&
			read(fd, buf, 4096) == 4096;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	unlink(path);
	if (!works)
		fprintf(stderr, "tests: %s is not on a block device (tmpfs?) or takes no O_DIRECT "
			"reads: tests of storage bytes and IO wait are skipped\n", scratch);
	return works;
}

int harness_init(int argc, char **argv)
{
	const char *build = argc > 1 ? argv[1] : "build";

	if (!realpath(build, build_dir)) {
		fprintf(stderr, "tests: no build directory %s\n", build);
		return 1;
	}
	snprintf(tp_bin, sizeof(tp_bin), "%s/taskprof", build_dir);
	snprintf(target, sizeof(target), "%s/tests/target", build_dir);
	snprintf(exc_target, sizeof(exc_target), "%s/tests/exc_target", build_dir);
	/* O_DIRECT needs a real filesystem: keep scratch files under the build tree */
	snprintf(scratch, sizeof(scratch), "%s/tests/scratch", build_dir);
	mkdir(scratch, 0755);
	return 0;
}

/* --- processes with their output on a pipe ------------------------------------- */

struct child spawn(char *const argv[], bool err)
{
	struct child c;
	int p[2];

	assert_int_equal(pipe(p), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		dup2(p[1], err ? 2 : 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		_exit(97);
	}
	close(p[1]);
	c.out = fdopen(p[0], "r");
	assert_non_null(c.out);
	return c;
}

/* Reads lines until one contains needle; false at end of file. */
bool wait_for(FILE *f, const char *needle)
{
	char line[512];

	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			return true;
	return false;
}

int reap(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

char *pid_str(pid_t pid)
{
	static char buf[4][16];
	static int k;
	char *b = buf[k++ & 3];

	snprintf(b, 16, "%d", pid);
	return b;
}

