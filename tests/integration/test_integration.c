// SPDX-License-Identifier: MIT
/*
 * Integration tests: real BPF, run as root. Each test records a purpose-built
 * target with `taskprof record` and compares every column with the ground
 * truth the target measured itself (getrusage RUSAGE_THREAD,
 * /proc/thread-self/io, schedstat, exact byte counts).
 *
 * usage: test_integration BUILD_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "profile_repo.h"

static char tp_bin[PATH_MAX], target[PATH_MAX], exc_target[PATH_MAX], scratch[PATH_MAX];
static char out_buf[1 << 16], err_buf[1 << 16];

static double max2(double a, double b)
{
	return a > b ? a : b;
}

#define assert_near(actual, expected, tol)                                                 \
	do {                                                                                 \
		double a_ = (actual), e_ = (expected), t_ = (tol);                           \
		if (fabs(a_ - e_) > t_)                                                      \
			fail_msg("%s = %.6f, expected %.6f +- %.6f", #actual, a_, e_, t_);   \
	} while (0)

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = 0;
}

/* Runs argv with stdout and stderr captured; returns the exit status. */
static int run_as(char *const argv[], const char *gt, uid_t uid)
{
	char outp[PATH_MAX + 16], errp[PATH_MAX + 16];
	int status;
	pid_t pid;

	snprintf(outp, sizeof(outp), "%s/stdout", scratch);
	snprintf(errp, sizeof(errp), "%s/stderr", scratch);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(outp, O_CREAT | O_TRUNC | O_WRONLY, 0644);
		int e = open(errp, O_CREAT | O_TRUNC | O_WRONLY, 0644);

		dup2(o, 1);
		dup2(e, 2);
		if (gt)
			setenv("TP_GT", gt, 1);
		if (uid && (setgid(uid) || setuid(uid)))
			_exit(98);
		execv(argv[0], argv);
		_exit(97);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	slurp(outp, out_buf, sizeof(out_buf));
	slurp(errp, err_buf, sizeof(err_buf));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run(char *const argv[], const char *gt)
{
	return run_as(argv, gt, 0);
}

static char *path_in(const char *name)
{
	static char bufs[8][PATH_MAX];
	static int k;
	char *b = bufs[k++ & 7];

	snprintf(b, PATH_MAX, "%s/%s", scratch, name);
	return b;
}

static char *fresh_db(const char *name)
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

static double gt_get(const char *gt, const char *key)
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

/* taskprof record --db DB [opts] -t T... -- PROG SCENARIO SCRATCH */
static int record(const char *db, const char *prog, const char *scenario, const char *gt,
		  const char *const *tasks, const char *const *opts)
{
	char *argv[64];
	int n = 0;

	argv[n++] = tp_bin;
	argv[n++] = "record";
	argv[n++] = "--db";
	argv[n++] = (char *)db;
	for (; opts && *opts; opts++)
		argv[n++] = (char *)*opts;
	for (; *tasks; tasks++) {
		argv[n++] = "-t";
		argv[n++] = (char *)*tasks;
	}
	argv[n++] = "--";
	argv[n++] = (char *)prog;
	if (scenario) {
		argv[n++] = (char *)scenario;
		argv[n++] = scratch;
	}
	argv[n] = NULL;
	return run(argv, gt);
}

static void rows(const char *db, const char *process, struct profile_list *l)
{
	struct profile_repo *r = profile_repo__open(db, PROFILE_REPO_READONLY);

	if (!r)
		fail_msg("cannot open %s: %s", db, profile_repo__open_error());
	assert_int_equal(profile_repo__get_by_process(r, process, l), 0);
	profile_repo__close(r);
}

/* Records one scenario and returns the single row of its task. */
static void record_one(const char *scenario, const char *task, const char *const *opts,
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

/* --- metrics against ground truth ------------------------------------------- */

static void test_cpu_threads_runtime_cores(void **s)
{
	char gt[PATH_MAX];
	struct profile p;
	double user, sys, total, rt;

	record_one("cpu", "cpu_task", NULL, &p, gt);
	rt = gt_get(gt, "runtime");
	user = gt_get(gt, "user");
	sys = gt_get(gt, "sys");
	total = user + sys;
	assert_string_equal(p.status, "completed");
	assert_near(p.runtime_seconds, rt, max2(0.002, 0.05 * rt));
	assert_int_equal(p.cpu_cores, (int64_t)gt_get(gt, "cores"));
	/* the CPU of the 3 spawned threads is counted: ~4x the runtime's worth */
	assert_near(p.cpu_user_seconds + p.cpu_system_seconds, total, max2(0.008, 0.10 * total));
	assert_near(p.cpu_user_seconds, user, max2(0.015, 0.20 * user));
	/* utilization is the same thing divided by runtime x cores */
	assert_near(p.cpu_user_utilization, p.cpu_user_seconds / (p.runtime_seconds * p.cpu_cores),
		    1e-6);
	assert_true(p.memory_allocations == PROFILE_NULL_I64); /* no --allocs */
	profile__free(&p);
}

static void test_memory_peak_inside(void **s)
{
	char gt[PATH_MAX];
	struct profile p;
	double peak;

	record_one("mem", "mem_task", NULL, &p, gt);
	peak = gt_get(gt, "peak") / 1048576.0;
	/* the memory is freed before return: only an in-flight peak sees it */
	if (p.memory_usage_peak_mb < 0.9 * peak)
		fail_msg("peak %.1f MB < 90%% of the %.1f MB VmRSS seen", p.memory_usage_peak_mb,
			 peak);
	assert_true(p.memory_usage_peak_mb < peak * 1.1 + 8);
	profile__free(&p);
}

static void test_allocations_exact(void **s)
{
	const char *opts[] = { "--allocs", NULL };
	char gt[PATH_MAX];
	struct profile p;

	record_one("allocs", "alloc_task", opts, &p, gt);
	assert_int_equal(p.memory_allocations, (int64_t)gt_get(gt, "allocs"));
	profile__free(&p);
}

static void test_direct_read_bytes_exact(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	record_one("dio", "dio_read_task", NULL, &p, gt);
	assert_int_equal(p.file_read_bytes, (int64_t)gt_get(gt, "read_bytes"));
	assert_int_equal(p.file_read_bytes, 16 << 20);
	profile__free(&p);
}

static void test_buffered_write_bytes(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	record_one("write", "write_task", NULL, &p, gt);
	assert_near(p.file_write_bytes, gt_get(gt, "write_bytes"), 4096);
	assert_true(p.file_write_bytes >= 8 << 20);
	profile__free(&p);
}

/* 1,500 random O_DIRECT reads: IO wait is most of the off-CPU time, and the
 * CPU time of a task that blocks that often still matches schedstat. */
static void check_iowait(const struct profile *p, const char *gt)
{
	double off = gt_get(gt, "offcpu");

	if (p->io_wait_time_seconds < 0.5 * off || p->io_wait_time_seconds > 1.1 * off)
		fail_msg("io_wait %.6f s is not within 50..110%% of %.6f s off-CPU",
			 p->io_wait_time_seconds, off);
	assert_near(p->cpu_user_seconds + p->cpu_system_seconds, gt_get(gt, "oncpu"),
		    max2(0.008, 0.10 * gt_get(gt, "oncpu")));
}

static void test_iowait_random_reads(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	record_one("iowait", "iowait_task", NULL, &p, gt);
	check_iowait(&p, gt);
	profile__free(&p);
}

static void test_sleep_is_not_iowait(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	record_one("sleep", "sleep_task", NULL, &p, gt);
	assert_true(p.io_wait_time_seconds < 0.005);
	assert_near(p.runtime_seconds, 0.15, 0.02);
	assert_true(p.cpu_user_seconds + p.cpu_system_seconds < 0.01);
	profile__free(&p);
}

static void test_network_bytes_exact(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	record_one("net", "net_task", NULL, &p, gt);
	assert_int_equal(p.network_data_sent_bytes, (int64_t)gt_get(gt, "sent"));
	assert_int_equal(p.network_data_received_bytes, (int64_t)gt_get(gt, "received"));
	profile__free(&p);
}

/* --- frames -------------------------------------------------------------------------- */

static void test_burst_complete(void **s)
{
	const char *tasks[] = { "trivial_task", NULL };
	char *db = fresh_db("burst.db"), gt[PATH_MAX];
	struct profile_repo *r;
	struct profile_list l;
	struct session ses;

	snprintf(gt, sizeof(gt), "%s/gt-burst", scratch);
	assert_int_equal(record(db, target, "burst", gt, tasks, NULL), 0);
	rows(db, "trivial_task", &l);
	assert_int_equal(l.len, (size_t)gt_get(gt, "calls"));
	profile_list__free(&l);
	r = profile_repo__open(db, PROFILE_REPO_READONLY);
	assert_non_null(r);
	assert_int_equal(profile_repo__get_session(r, 1, &ses), 0);
	assert_int_equal(ses.events_lost, 0);
	assert_int_equal(ses.events_seen, 100000);
	session__free(&ses);
	profile_repo__close(r);
}

static void test_recursion_nested(void **s)
{
	char gt[PATH_MAX];
	const char *tasks[] = { "recurse_task", NULL };
	char *db = fresh_db("rec.db");
	struct profile_list l;

	snprintf(gt, sizeof(gt), "%s/gt-rec", scratch);
	assert_int_equal(record(db, target, "recurse", gt, tasks, NULL), 0);
	rows(db, "recurse_task", &l);
	assert_int_equal(l.len, (size_t)gt_get(gt, "calls"));
	/* innermost returns first; each frame contains the ones it called */
	for (size_t i = 0; i < l.len; i++) {
		assert_string_equal(l.items[i].status, "completed");
		if (i)
			assert_true(l.items[i].runtime_seconds >= l.items[i - 1].runtime_seconds);
	}
	profile_list__free(&l);
}

static void test_threads_concurrent(void **s)
{
	char gt[PATH_MAX];
	const char *tasks[] = { "spin_for", NULL };
	char *db = fresh_db("thr.db");
	struct profile_list l;
	int64_t tids[16];
	size_t ntids = 0;
	double sum = 0;

	snprintf(gt, sizeof(gt), "%s/gt-thr", scratch);
	assert_int_equal(record(db, target, "threads", gt, tasks, NULL), 0);
	rows(db, "spin_for", &l);
	assert_int_equal(l.len, (size_t)gt_get(gt, "calls"));
	for (size_t i = 0; i < l.len; i++) {
		size_t k;

		assert_string_equal(l.items[i].status, "completed");
		sum += l.items[i].runtime_seconds;
		assert_true(l.items[i].tid != l.items[i].pid);
		for (k = 0; k < ntids && tids[k] != l.items[i].tid; k++)
			;
		if (k == ntids && ntids < 16)
			tids[ntids++] = l.items[i].tid;
	}
	assert_int_equal(ntids, 8);
	/* 8 threads on few CPUs get preempted: compare with what they measured */
	assert_near(sum, gt_get(gt, "runtime_sum"), max2(0.008, 0.05 * gt_get(gt, "runtime_sum")));
	profile_list__free(&l);
}

static void test_longjmp_unwound(void **s)
{
	const char *tasks[] = { "jump_task", "jump_inner", NULL };
	char *db = fresh_db("jmp.db"), gt[PATH_MAX];
	struct profile_list l;

	snprintf(gt, sizeof(gt), "%s/gt-jmp", scratch);
	assert_int_equal(record(db, target, "longjmp", gt, tasks, NULL), 0);
	assert_true(gt_get(gt, "jumped") == 1);
	rows(db, "jump_task", &l);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].status, "unwound");
	/* it ended at the jump: 10 ms of its own plus 10 ms in jump_inner */
	assert_near(l.items[0].runtime_seconds, 0.020, 0.005);
	profile_list__free(&l);
	rows(db, "jump_inner", &l);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].status, "unwound");
	assert_near(l.items[0].runtime_seconds, 0.010, 0.003);
	profile_list__free(&l);
}

static void test_tail_call_followed(void **s)
{
	char gt[PATH_MAX];
	struct profile p;
	double rt;

	record_one("tail", "tail_task", NULL, &p, gt);
	rt = gt_get(gt, "runtime");
	assert_true(rt >= 0.05);
	assert_string_equal(p.status, "completed");
	assert_near(p.runtime_seconds, rt, max2(0.002, 0.05 * rt));
	profile__free(&p);
}

static void test_pthread_exit_exited(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	record_one("pthread_exit", "pthread_exit_task", NULL, &p, gt);
	assert_string_equal(p.status, "exited");
	assert_near(p.runtime_seconds, 0.010, 0.005);
	profile__free(&p);
}

static void test_pthread_cancel_keeps_working(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	record_one("cancel", "cancel_task", NULL, &p, gt);
	assert_true(gt_get(gt, "cancelled") == 1);
	assert_true(gt_get(gt, "cleanup_ran") == 1);
	assert_string_equal(p.status, "exited");
	assert_near(p.runtime_seconds, 0.05, 0.02);
	profile__free(&p);
}

static void test_process_exit_exited(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	record_one("exit", "process_exit_task", NULL, &p, gt);
	assert_string_equal(p.status, "exited");
	profile__free(&p);
}

static void test_cxx_exceptions(void **s)
{
	const char *tasks[] = { "Pipeline::risky_step", "Pipeline::safe_step", "recurse_throw",
				"Pipeline::exit_step", NULL };
	char *db = fresh_db("exc.db"), *ref_argv[] = { exc_target, NULL };
	char reference[sizeof(out_buf)];
	struct profile_list l;
	int completed = 0, unwound = 0;

	/* unprofiled reference run: the profiled run must print the same */
	assert_int_equal(run(ref_argv, NULL), 0);
	memcpy(reference, out_buf, sizeof(reference));
	assert_int_equal(record(db, exc_target, NULL, NULL, tasks, NULL), 0);
	assert_string_equal(out_buf, reference);

	rows(db, "Pipeline::safe_step", &l);
	assert_int_equal(l.len, 3);
	for (size_t i = 0; i < l.len; i++) {
		assert_string_equal(l.items[i].status, "completed"); /* caught inside */
		assert_int_equal(l.items[i].exceptions_raised, 1);
	}
	profile_list__free(&l);
	rows(db, "Pipeline::risky_step", &l);
	assert_int_equal(l.len, 6);
	for (size_t i = 0; i < l.len; i++) {
		if (!strcmp(l.items[i].status, "unwound")) {
			unwound++;
			assert_int_equal(l.items[i].exceptions_raised, 1);
		} else {
			completed++;
			assert_string_equal(l.items[i].status, "completed");
			assert_int_equal(l.items[i].exceptions_raised, 0);
		}
	}
	assert_int_equal(unwound, 3);
	assert_int_equal(completed, 3);
	profile_list__free(&l);
	assert_non_null(strstr(out_buf, "dtor exit_step\njoined"));
	rows(db, "Pipeline::exit_step", &l);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].status, "exited");
	profile_list__free(&l);
	rows(db, "recurse_throw", &l);
	assert_int_equal(l.len, 6);
	for (size_t i = 0; i < l.len; i++)
		assert_string_equal(l.items[i].status, "unwound");
	profile_list__free(&l);
}

static void test_cxx_exceptions_on_many_threads(void **s)
{
	char *db = fresh_db("exc3.db");
	char *argv[] = { tp_bin, "record", "--db", db, "-t", "Pipeline::risky_step", "-t",
			 "Pipeline::safe_step", "--", exc_target, "threads", NULL };
	struct profile_list l;
	long exc = 0, unwound = 0;

	assert_int_equal(run(argv, NULL), 0);
	assert_string_equal(out_buf, "threads caught 400\n");
	rows(db, "Pipeline::risky_step", &l);
	assert_int_equal(l.len, 800);
	for (size_t i = 0; i < l.len; i++) {
		exc += l.items[i].exceptions_raised;
		unwound += !strcmp(l.items[i].status, "unwound");
	}
	assert_int_equal(exc, 400);
	assert_int_equal(unwound, 400);
	profile_list__free(&l);
	rows(db, "Pipeline::safe_step", &l);
	assert_int_equal(l.len, 800);
	exc = 0;
	for (size_t i = 0; i < l.len; i++) {
		assert_string_equal(l.items[i].status, "completed");
		exc += l.items[i].exceptions_raised;
	}
	assert_int_equal(exc, 4 * 67); /* i % 3 == 0 for i < 200 */
	profile_list__free(&l);
}

/* The profiler stops while a profiled frame is open; the program then throws
 * through that frame. It must not notice that it was ever profiled. */
static void test_exception_after_profiler_left(void **s)
{
	char *db = fresh_db("linger.db"), line[256], pidstr[16];
	int outp[2], errp[2], status;
	pid_t tgt, rec;
	FILE *f;

	assert_int_equal(pipe(outp), 0);
	tgt = fork();
	if (tgt == 0) {
		dup2(outp[1], 1);
		close(outp[0]);
		execl(exc_target, exc_target, "linger", (char *)NULL);
		_exit(97);
	}
	close(outp[1]);
	f = fdopen(outp[0], "r");
	assert_non_null(fgets(line, sizeof(line), f)); /* "ready" */

	snprintf(pidstr, sizeof(pidstr), "%d", tgt);
	assert_int_equal(pipe(errp), 0);
	rec = fork();
	if (rec == 0) {
		dup2(errp[1], 2);
		close(errp[0]);
		execl(tp_bin, tp_bin, "record", "--db", db, "-d", "0.4", "-t", "Pipeline::linger",
		      "-p", pidstr, (char *)NULL);
		_exit(97);
	}
	close(errp[1]);
	{
		FILE *e = fdopen(errp[0], "r");

		while (fgets(line, sizeof(line), e) && !strstr(line, "recording"))
			;
		kill(tgt, SIGUSR1); /* enters linger() while profiled */
		assert_int_equal(waitpid(rec, &status, 0), rec);
		fclose(e);
	}
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the profiler is gone; the exception now passes the frame */
	assert_int_equal(waitpid(tgt, &status, 0), tgt);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(fgets(line, sizeof(line), f));
	while (strstr(line, "dtor") && fgets(line, sizeof(line), f))
		;
	assert_non_null(strstr(line, "survived: boom 7"));
	fclose(f);
}

/* Starts TARGET SCENARIO --wait, attaches with -p, lets it run, returns the
 * one row of task. */
static void record_by_pid(const char *scenario, const char *task, char *gt, struct profile *out)
{
	char *db = fresh_db("pid.db"), line[256], pidstr[16];
	int outp[2], errp[2], status;
	pid_t tgt, rec;
	struct profile_list l;
	FILE *f;

	snprintf(gt, PATH_MAX, "%s/gt-pid-%s", scratch, scenario);
	assert_int_equal(pipe(outp), 0);
	tgt = fork();
	if (tgt == 0) {
		dup2(outp[1], 1);
		close(outp[0]);
		setenv("TP_GT", gt, 1);
		execl(target, target, scenario, scratch, "--wait", (char *)NULL);
		_exit(97);
	}
	close(outp[1]);
	f = fdopen(outp[0], "r");
	assert_non_null(fgets(line, sizeof(line), f)); /* "ready" */
	fclose(f);

	snprintf(pidstr, sizeof(pidstr), "%d", tgt);
	assert_int_equal(pipe(errp), 0);
	rec = fork();
	if (rec == 0) {
		dup2(errp[1], 2);
		close(errp[0]);
		execl(tp_bin, tp_bin, "record", "--db", db, "--stage", "clean", "--env", "test",
		      "-t", task, "-p", pidstr, (char *)NULL);
		_exit(97);
	}
	close(errp[1]);
	f = fdopen(errp[0], "r");
	/* attached once it says it is recording */
	while (fgets(line, sizeof(line), f) && !strstr(line, "recording"))
		;
	kill(tgt, SIGUSR1);
	assert_int_equal(waitpid(tgt, &status, 0), tgt);
	assert_int_equal(waitpid(rec, &status, 0), rec); /* stops by itself */
	fclose(f);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rows(db, task, &l);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].stage, "clean");
	assert_string_equal(l.items[0].env, "test");
	assert_int_equal(l.items[0].pid, tgt);
	*out = l.items[0];
	memset(&l.items[0], 0, sizeof(l.items[0]));
	profile_list__free(&l);
}

static void test_attach_by_pid(void **s)
{
	char gt[PATH_MAX];
	struct profile p;
	double total;

	record_by_pid("cpu", "cpu_task", gt, &p);
	total = gt_get(gt, "user") + gt_get(gt, "sys");
	assert_near(p.runtime_seconds, gt_get(gt, "runtime"),
		    max2(0.002, 0.05 * gt_get(gt, "runtime")));
	assert_near(p.cpu_user_seconds + p.cpu_system_seconds, total, max2(0.008, 0.1 * total));
	assert_near(p.cpu_user_seconds, gt_get(gt, "user"), max2(0.015, 0.2 * gt_get(gt, "user")));
	profile__free(&p);
}

static int delayacct(int v)
{
	FILE *f = fopen("/proc/sys/kernel/task_delayacct", "r+");
	int prev = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &prev) != 1)
		prev = -1;
	if (v >= 0) {
		rewind(f);
		fprintf(f, "%d\n", v);
	}
	fclose(f);
	return prev;
}

/* A process started while delay accounting was off has none: its IO wait
 * comes from the scheduler instead, and must still be right. */
static void test_attach_by_pid_iowait_without_delayacct(void **s)
{
	char gt[PATH_MAX];
	struct profile p;
	int prev = delayacct(0);

	record_by_pid("iowait", "iowait_task", gt, &p);
	if (prev >= 0)
		delayacct(prev);
	check_iowait(&p, gt);
	profile__free(&p);
}

static void test_forked_process_charged_and_followed(void **s)
{
	const char *tasks[] = { "fork_task", "trivial_task", NULL };
	char *db = fresh_db("fork.db"), gt[PATH_MAX];
	struct profile_list l;
	double total;
	int64_t parent;

	snprintf(gt, sizeof(gt), "%s/gt-fork", scratch);
	assert_int_equal(record(db, target, "fork", gt, tasks, NULL), 0);
	rows(db, "fork_task", &l);
	assert_int_equal(l.len, 1);
	total = gt_get(gt, "user") + gt_get(gt, "sys");
	assert_true(total > 0.15);
	/* the child process's CPU is part of the task that started it */
	assert_near(l.items[0].cpu_user_seconds + l.items[0].cpu_system_seconds, total,
		    max2(0.008, 0.10 * total));
	parent = l.items[0].pid;
	profile_list__free(&l);
	/* and tasks inside the child process are profiled too */
	rows(db, "trivial_task", &l);
	assert_int_equal(l.len, 1);
	assert_true(l.items[0].pid != parent);
	profile_list__free(&l);
}

static void test_exit_status_passed_through(void **s)
{
	const char *tasks[] = { "cpu_task", NULL };

	/* the target exits 2 on an unknown scenario */
	assert_int_equal(record(fresh_db("st.db"), target, "no-such-scenario", NULL, tasks, NULL), 2);
}

static void test_metacharacter_name_verbatim(void **s)
{
	static const char name[] = "x'); DROP TABLE profiles;-- \"q\"";
	char spec[256], *db = fresh_db("meta.db");
	const char *tasks[] = { spec, NULL };
	struct profile_list l;

	snprintf(spec, sizeof(spec), "%s=quote_task", name);
	assert_int_equal(record(db, target, "quote", NULL, tasks, NULL), 0);
	rows(db, name, &l);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].process_name, name);
	profile_list__free(&l);
}

/* --- bad input: one line, a non-zero exit, nothing harmed ---------------------------- */

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define assert_one_line_error(rc, needle)                                            \
	do {                                                                          \
		assert_int_not_equal((rc), 0);                                        \
		if (!strstr(err_buf, (needle)))                                        \
			fail_msg("stderr lacks '%s': %s", (needle), err_buf);          \
		assert_int_equal(count_lines(err_buf), 1);                            \
	} while (0)

static void test_bad_missing_pid(void **s)
{
	char *argv[] = { tp_bin, "record", "--db", fresh_db("bad.db"), "-t", "x", "-p", "999999",
			 NULL };

	assert_one_line_error(run(argv, NULL), "no process with PID 999999");
	assert_int_equal(access(path_in("bad.db"), F_OK), -1);
}

static void test_bad_unknown_symbol(void **s)
{
	const char *tasks[] = { "cpu_tsk", NULL };

	assert_one_line_error(record(fresh_db("bad.db"), target, "cpu", NULL, tasks, NULL),
			      "unknown symbol 'cpu_tsk'");
	assert_non_null(strstr(err_buf, "cpu_task"));
}

static void test_bad_stripped(void **s)
{
	char cmd[3 * PATH_MAX];
	const char *tasks[] = { "cpu_task", NULL };

	snprintf(cmd, sizeof(cmd), "strip -s -o %s %s", path_in("stripped"), target);
	assert_int_equal(system(cmd), 0);
	assert_one_line_error(record(fresh_db("bad.db"), path_in("stripped"), "cpu", NULL, tasks,
				     NULL),
			      "stripped");
}

static void test_bad_go_binary(void **s)
{
	char cmd[4 * PATH_MAX];
	const char *tasks[] = { "cpu_task", NULL };

	snprintf(cmd, sizeof(cmd),
		 "printf x > %s && objcopy --add-section .go.buildinfo=%s %s %s",
		 path_in("empty"), path_in("empty"), target, path_in("gofake"));
	assert_int_equal(system(cmd), 0);
	assert_one_line_error(record(fresh_db("bad.db"), path_in("gofake"), "cpu", NULL, tasks,
				     NULL),
			      "Go");
}

static void test_bad_no_privilege(void **s)
{
	char *argv[] = { tp_bin, "record", "--db", "/tmp/taskprof-nopriv.db", "-t", "main", "--",
			 "/bin/true", NULL };

	assert_one_line_error(run_as(argv, NULL, 65534), "needs root");
	assert_int_equal(access("/tmp/taskprof-nopriv.db", F_OK), -1);
}

static void test_bad_corrupt_db_untouched(void **s)
{
	char *db = fresh_db("corrupt.db"), before[8192], after[8192];
	const char *tasks[] = { "cpu_task", NULL };
	FILE *f = fopen(db, "w");

	for (size_t i = 0; i < sizeof(before); i++)
		before[i] = (char)(i * 31 + 7);
	fwrite(before, 1, sizeof(before), f);
	fclose(f);
	assert_one_line_error(record(db, target, "sleep", NULL, tasks, NULL), "untouched");
	slurp(db, after, sizeof(after)); /* reads at most sizeof-1 */
	assert_memory_equal(before, after, sizeof(after) - 1);
	{
		struct stat sb;

		assert_int_equal(stat(db, &sb), 0);
		assert_int_equal(sb.st_size, sizeof(before));
	}
}

static void test_bad_unwritable_db(void **s)
{
	const char *tasks[] = { "cpu_task", NULL };

	assert_one_line_error(record("/nonexistent-dir/taskprof.db", target, "sleep", NULL, tasks,
				     NULL),
			      "cannot open");
}

static void test_bad_no_task(void **s)
{
	char *argv[] = { tp_bin, "record", "--db", fresh_db("bad.db"), "--", "/bin/true", NULL };

	assert_one_line_error(run(argv, NULL), "no task given");
}

static void test_bad_rm_missing_id(void **s)
{
	const char *tasks[] = { "quote_task", NULL };
	char *db = fresh_db("rm.db");
	char *argv[] = { tp_bin, "rm", "--db", db, "12345", NULL };
	char *argv2[] = { tp_bin, "rm", "--db", db, "1", NULL };

	assert_int_equal(record(db, target, "quote", NULL, tasks, NULL), 0);
	assert_one_line_error(run(argv, NULL), "no profile with id 12345");
	assert_int_equal(run(argv2, NULL), 0);
	assert_one_line_error(run(argv2, NULL), "no profile with id 1");
}

static void test_list_missing_db_creates_nothing(void **s)
{
	char *db = fresh_db("never.db");
	char *argv[] = { tp_bin, "list", "--db", db, NULL };

	assert_one_line_error(run(argv, NULL), "no database");
	assert_int_equal(access(db, F_OK), -1);
}

static void test_list_formats(void **s)
{
	const char *tasks[] = { "quote_task", NULL };
	char *db = fresh_db("fmt.db");
	char *csv[] = { tp_bin, "list", "--db", db, "--format", "csv", NULL };
	char *json[] = { tp_bin, "list", "--db", db, "--format", "json", NULL };
	char *show[] = { tp_bin, "show", "--db", db, "1", NULL };

	assert_int_equal(record(db, target, "quote", NULL, tasks, NULL), 0);
	assert_int_equal(run(csv, NULL), 0);
	assert_non_null(strstr(out_buf, "id,session_id,env,stage,process_name"));
	assert_int_equal(count_lines(out_buf), 2);
	assert_int_equal(run(json, NULL), 0);
	assert_non_null(strstr(out_buf, "\"process_name\": \"quote_task\""));
	assert_int_equal(run(show, NULL), 0);
	assert_non_null(strstr(out_buf, "completed"));
}

int main(int argc, char **argv)
{
	const char *build = argc > 1 ? argv[1] : "build";
	char dir[PATH_MAX];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_threads_runtime_cores),
		cmocka_unit_test(test_memory_peak_inside),
		cmocka_unit_test(test_allocations_exact),
		cmocka_unit_test(test_direct_read_bytes_exact),
		cmocka_unit_test(test_buffered_write_bytes),
		cmocka_unit_test(test_iowait_random_reads),
		cmocka_unit_test(test_sleep_is_not_iowait),
		cmocka_unit_test(test_network_bytes_exact),
		cmocka_unit_test(test_burst_complete),
		cmocka_unit_test(test_recursion_nested),
		cmocka_unit_test(test_threads_concurrent),
		cmocka_unit_test(test_longjmp_unwound),
		cmocka_unit_test(test_tail_call_followed),
		cmocka_unit_test(test_pthread_exit_exited),
		cmocka_unit_test(test_pthread_cancel_keeps_working),
		cmocka_unit_test(test_process_exit_exited),
		cmocka_unit_test(test_cxx_exceptions),
		cmocka_unit_test(test_cxx_exceptions_on_many_threads),
		cmocka_unit_test(test_exception_after_profiler_left),
		cmocka_unit_test(test_attach_by_pid),
		cmocka_unit_test(test_attach_by_pid_iowait_without_delayacct),
		cmocka_unit_test(test_forked_process_charged_and_followed),
		cmocka_unit_test(test_exit_status_passed_through),
		cmocka_unit_test(test_metacharacter_name_verbatim),
		cmocka_unit_test(test_bad_missing_pid),
		cmocka_unit_test(test_bad_unknown_symbol),
		cmocka_unit_test(test_bad_stripped),
		cmocka_unit_test(test_bad_go_binary),
		cmocka_unit_test(test_bad_no_privilege),
		cmocka_unit_test(test_bad_corrupt_db_untouched),
		cmocka_unit_test(test_bad_unwritable_db),
		cmocka_unit_test(test_bad_no_task),
		cmocka_unit_test(test_bad_rm_missing_id),
		cmocka_unit_test(test_list_missing_db_creates_nothing),
		cmocka_unit_test(test_list_formats),
	};

	if (!realpath(build, dir)) {
		fprintf(stderr, "test_integration: no build directory %s\n", build);
		return 1;
	}
	snprintf(tp_bin, sizeof(tp_bin), "%s/taskprof", dir);
	snprintf(target, sizeof(target), "%s/tests/target", dir);
	snprintf(exc_target, sizeof(exc_target), "%s/tests/exc_target", dir);
	/* O_DIRECT needs a real filesystem: keep scratch files under the build tree */
	snprintf(scratch, sizeof(scratch), "%s/tests/scratch", dir);
	mkdir(scratch, 0755);
	return cmocka_run_group_tests_name("integration", tests, NULL, NULL);
}
