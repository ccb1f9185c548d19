// SPDX-License-Identifier: MIT
/*
 * Every invocation ends at its real return, whichever way it leaves: ret,
 * a tail call through the PLT, memory or a register, into another file or
 * another task, a virtual call or std::function, an exception, or never.
 * returns_target is built as C and C++, by gcc and clang, at -O0 to -O3,
 * and rust_target has tasks of the kind in Rust;
 * each row is compared with the clocks its caller read around the call,
 * launched, attached, and under the collector, across its SIGKILL too.
 *
 * usage: test_returns BUILD_DIR
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

#define CALLS 3

static const char *const builds[] = {
	"c_gcc_O0", "c_gcc_O2", "c_gcc_O3", "c_clang_O2",
	"cxx_gcc_O0", "cxx_gcc_O2", "cxx_gcc_O3", "cxx_clang_O2", "cxx_clang_O3",
};

/* In C and C++; then in C++ only. */
static const char *const tasks[] = {
	"plt_sleep", "plt_flush", "plt_printf", "mem_burn", "reg_burn", "chain_task", "outer_task",
	"inner_task", "ret_leaf", "ptr_leaf", "ptr_ret", "ptr_tail", "virt_task", "fn_task",
	"throw_task", "guard_task", NULL,
};
#define C_TASKS 12
#define ALL_TASKS (sizeof(tasks) / sizeof(*tasks) - 1)

static char *returns_bin(const char *build)
{
	static char name[64];

	snprintf(name, sizeof(name), "returns_%s", build);
	return (char *)test_bin(name);
}

/* Seconds since the epoch of a stored ISO-8601 UTC time. */
static double iso_seconds(const char *iso)
{
	struct tm tm = { 0 };
	const char *frac = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);

	return (double)timegm(&tm) + (frac && *frac == '.' ? atof(frac) : 0);
}

/* Within max(1 ms, 2%) of what the caller read; short by up to `waited`
 * more, the time the caller's thread waited on a run queue in that span,
 * which may fall outside the task's frame. */
static void near_truth(const char *what, const char *task, int i, const char *metric,
		       double got, double want, double waited)
{
	double tol = max2(0.001, 0.02 * want);

	if (got < want - tol - waited || got > want + tol)
		fail_msg("%s: %s call %d: %s %.6f s, the caller read %.6f s (+- %.6f, and "
			 "%.6f s it waited to run)", what, task, i, metric, got, want, tol, waited);
}

static double truth(const char *gt, const char *task, int i, const char *metric)
{
	char key[128];

	snprintf(key, sizeof(key), "%s.%d.%s", task, i, metric);
	return gt_get(gt, key);
}

/*
 * The rows of one task (of session, or every one) against its calls, each
 * found by its start: every call that began after since (epoch seconds)
 * has its row, every row is a call's, and each is exact.
 */
static void check_task(const char *what, const char *db, int64_t session, const char *task,
		       const char *gt, int calls, double since)
{
	/* a tail-called task's row ends with its caller's */
	const char *tr = strcmp(task, "inner_task") ? task : "outer_task";
	struct profile_repo *r = profile_repo__open(db, PROFILE_REPO_READONLY);
	struct profile_list l;
	size_t matched = 0;

	if (!r)
		fail_msg("%s: cannot open %s: %s", what, db, profile_repo__open_error());
	assert_int_equal(profile_repo__find(r, session, task, &l), 0);
	profile_repo__close(r);
	for (int i = 0; i < calls; i++) {
		double t0 = truth(gt, tr, i, "t0");
		const struct profile *p = NULL;

		for (size_t k = 0; k < l.len && !p; k++)
			if (fabs(iso_seconds(l.items[k].task_start_time) - t0) < 0.010)
				p = &l.items[k];
		if (!p && t0 >= since)
			fail_msg("%s: %s call %d has no row", what, task, i);
		if (!p)
			continue;
		matched++;
		/* a task called through a pointer that tail-calls: its first call
		 * returns where nothing was probed yet (in C++: in C a uretprobe
		 * sees it), and is said to */
		if (p->approximate && !strcmp(task, "ptr_tail") && i == 0)
			continue;
		if (p->approximate)
			fail_msg("%s: %s call %d is stored approximate", what, task, i);
		if (strcmp(p->status, truth(gt, tr, i, "unwound") > 0 ? "unwound" : "completed"))
			fail_msg("%s: %s call %d is %s", what, task, i, p->status);
		near_truth(what, task, i, "runtime", p->runtime_seconds, truth(gt, tr, i, "rt"),
			   truth(gt, tr, i, "delay"));
		near_truth(what, task, i, "CPU", p->cpu_user_seconds + p->cpu_system_seconds,
			   truth(gt, tr, i, "cpu"), 0);
	}
	if (l.len != matched)
		fail_msg("%s: %s has %zu rows for %zu calls", what, task, l.len, matched);
	profile_list__free(&l);
}

static void check_rows(const char *what, const char *db, const char *gt)
{
	size_t ntasks = gt_has(gt, "cxx") ? ALL_TASKS : C_TASKS;
	struct session ses;

	for (size_t t = 0; t < ntasks; t++)
		check_task(what, db, 0, tasks[t], gt, CALLS, 0);
	session_of(db, 1, &ses);
	/* nothing lost but that first call of ptr_tail, stored approximate */
	if (ses.events_lost > 1 || (ses.events_lost && !strstr(ses.loss_detail,
							      "returns_unseen=1 ")))
		fail_msg("%s: %lld lost: %s", what, (long long)ses.events_lost, ses.loss_detail);
	session__free(&ses);
}

static void record_tails(const char *build, const char *db, const char *gt)
{
	const char *t[ALL_TASKS + 1];
	char *cmd[] = { returns_bin(build), "tails", NULL };
	size_t n = strncmp(build, "c_", 2) ? ALL_TASKS : C_TASKS;
	int rc;

	memcpy(t, tasks, n * sizeof(*t));
	t[n] = NULL;
	rc = record_gt(db, t, NULL, cmd, gt);
	if (rc)
		fail_msg("%s: record exited %d: %s", build, rc, err_buf);
}

/* Launched, in every build: every row as its caller saw it. */
static void test_every_build(void **s)
{
	for (size_t b = 0; b < sizeof(builds) / sizeof(*builds); b++) {
		char *db = fresh_db("returns.db"), gt[PATH_MAX];

		snprintf(gt, sizeof(gt), "%s/gt-returns-%s", scratch, builds[b]);
		record_tails(builds[b], db, gt);
		check_rows(builds[b], db, gt);
	}
}

/* Attached to a running process (-p): the same. */
static void test_attached(void **s)
{
	const char *build = "cxx_gcc_O2";
	char *db = fresh_db("returns-p.db"), gt[PATH_MAX];
	char *tgt_argv[] = { returns_bin(build), "tails", "--wait", NULL };
	char *rec_argv[64];
	struct child tgt, rec;
	int n = 0;

	snprintf(gt, sizeof(gt), "%s/gt-returns-p", scratch);
	setenv("TP_GT", gt, 1);
	tgt = spawn(tgt_argv, false);
	unsetenv("TP_GT");
	assert_true(wait_for(tgt.out, "ready"));
	rec_argv[n++] = tp_bin;
	rec_argv[n++] = "record";
	rec_argv[n++] = "--db";
	rec_argv[n++] = db;
	for (const char *const *t = tasks; *t; t++) {
		rec_argv[n++] = "-t";
		rec_argv[n++] = (char *)*t;
	}
	rec_argv[n++] = "-p";
	rec_argv[n++] = pid_str(tgt.pid);
	rec_argv[n] = NULL;
	rec = spawn(rec_argv, true);
	assert_true(wait_for(rec.out, "recording"));
	kill(tgt.pid, SIGUSR1);
	assert_int_equal(reap(tgt.pid), 0);
	assert_int_equal(reap(rec.pid), 0);
	fclose(tgt.out);
	fclose(rec.out);
	check_rows("attached", db, gt);
}

/* A task that ends the process or its thread: exited, and the program's
 * own exit status or signal. */
static void never_returns(const char *build, const char *scenario, const char *task,
			  int want_rc)
{
	const char *t[] = { task, NULL };
	char *db = fresh_db("noreturn.db");
	char *cmd[] = { returns_bin(build), (char *)scenario, NULL };
	struct profile_list l;
	int rc = record_gt(db, t, NULL, cmd, NULL);

	if (rc != want_rc)
		fail_msg("%s %s: record exited %d, not %d: %s", build, scenario, rc, want_rc,
			 err_buf);
	rows(db, task, &l);
	if (l.len != 1 || strcmp(l.items[0].status, "exited") || l.items[0].approximate)
		fail_msg("%s %s: %zu rows, the first %s", build, scenario, l.len,
			 l.len ? l.items[0].status : "-");
	profile_list__free(&l);
}

static void test_never_returns(void **s)
{
	static const char *const b[] = { "c_gcc_O2", "cxx_gcc_O2", "cxx_clang_O2" };

	for (size_t i = 0; i < sizeof(b) / sizeof(*b); i++) {
		never_returns(b[i], "exit", "exit_task", 3);
		never_returns(b[i], "abort", "abort_task", 128 + SIGABRT);
		never_returns(b[i], "pthread_exit", "thread_exit_task", 0);
	}
}

/* Rust, whose calls into libc go through the GOT (jmp *usleep@GOT): the
 * same, for a tail call into libc and one through a trait object. */
static void test_rust(void **s)
{
	const char *t[] = { "rs_sleep_tail", "rs_dyn_tail", NULL };
	char *cmd[] = { (char *)test_bin("rust_target"), "tails", NULL };
	char *db = fresh_db("returns-rs.db"), gt[PATH_MAX];
	int rc;

	if (access(cmd[0], X_OK))
		skip(); /* no rustc: tests/README.md says how to get one */
	snprintf(gt, sizeof(gt), "%s/gt-returns-rs", scratch);
	rc = record_gt(db, t, NULL, cmd, gt);
	if (rc)
		fail_msg("rust: record exited %d: %s", rc, err_buf);
	for (const char *const *k = t; *k; k++)
		check_task("rust", db, 0, *k, gt, CALLS, 0);
}

/* --- never harm: walks of the stack the image analysis must foresee ---------------- */

/* Profiled, a program prints what it prints unprofiled, and exits the same. */
static void same_as_unprofiled(char *const *cmd, const char *const *t)
{
	char reference[4096];
	int status, rc;

	reference_run(cmd, reference, sizeof(reference), &status);
	rc = record_gt(fresh_db("walk.db"), t, NULL, cmd, NULL);
	if (rc != status || strcmp(out_buf, reference))
		fail_msg("%s: profiled it exited %d and printed\n%s\nunprofiled %d and\n%s", cmd[0],
			 rc, out_buf, status, reference);
}

/*
 * A leaf task, left by an exception a signal handler throws, and walked
 * past by a backtrace a signal handler takes: a leaf's uretprobe would end
 * the program in std::terminate and cut the backtrace short.
 */
static void test_signal_handlers_walk_leaves(void **s)
{
	const char *t[] = { "leaf_read", "leaf_spin", NULL };
	char *cmd[] = { (char *)test_bin("stackwalk_target"), NULL };

	same_as_unprofiled(cmd, t);
	assert_non_null(strstr(out_buf, "caught segv"));
	assert_non_null(strstr(out_buf, "backtrace from the handler: whole"));
}

/* A C program's task, through which a plugin loaded with dlopen throws: a
 * uretprobe, right for the image alone, would end it in std::terminate. */
static void test_plugin_throws_through_a_task(void **s)
{
	const char *t[] = { "plugin_cb", NULL };
	char *cmd[] = { (char *)test_bin("plugin_host"), (char *)test_bin("libstackwalk_plugin.so"),
			NULL };

	same_as_unprofiled(cmd, t);
	assert_non_null(strstr(out_buf, "plugin caught"));
}

/* --- under the collector ------------------------------------------------------- */

static char sb_returns[PATH_MAX];

/* The C++ -O2 build and its library, in the sandbox; a task section each. */
static int setup_collect(void **state)
{
	char cmd[4 * PATH_MAX];

	if (setup_sandbox(state))
		return -1;
	snprintf(sb_returns, sizeof(sb_returns), "%s", sb_path(sb.dir, "returns"));
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && cp '%s' '%s' && chmod 755 '%s'",
		 returns_bin("cxx_gcc_O2"), sb_returns, test_bin("libreturns.so"),
		 sb_path(sb.dir, "libreturns.so"), sb_returns);
	return system(cmd) ? -1 : 0;
}

static void write_returns_conf(void)
{
	char conf[8192];
	size_t len = snprintf(conf, sizeof(conf), "[collector]\ndatabase = %s\n", sb.db);

	for (const char *const *t = tasks; *t; t++)
		len += snprintf(conf + len, sizeof(conf) - len,
				"[task %s]\nbinary = %s\nsymbol = %s\n", *t, sb_returns, *t);
	write_conf("%s", conf);
}

static double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A pipeline started after the collector: every row exact. */
static void test_collected(void **s)
{
	char *argv[] = { sb_returns, "tails", NULL }, *gt = sb_path(sb.work, "gt-returns-c");
	struct child col;

	write_returns_conf();
	col = start_collector();
	assert_int_equal(run(argv, gt), 0);
	assert_int_equal(stop_collector(&col, SIGTERM), 0);
	for (const char *const *t = tasks; *t; t++)
		check_task("collected", sb.db, 0, *t, gt, CALLS, 0);
}

/*
 * The collector SIGKILLed while the pipeline runs, then a new one: every
 * invocation that began after the new one was ready is stored, exact, in
 * its session; the new session holds nothing else.
 */
static void test_collect_restart(void **s)
{
	enum { ROUNDS = 12 };
	char *argv[] = { sb_returns, "tails", NULL }, *gt = sb_path(sb.work, "gt-returns-r");
	struct child col, tgt;
	double ready;

	write_returns_conf();
	col = start_collector();
	setenv("TP_GT", gt, 1);
	setenv("TP_CALLS", "12", 1);
	tgt = spawn(argv, false);
	unsetenv("TP_GT");
	unsetenv("TP_CALLS");
	sleep_ms(1500);
	assert_int_equal(stop_collector(&col, SIGKILL), 128 + SIGKILL);
	col = start_collector();
	ready = now_wall();
	assert_int_equal(reap(tgt.pid), 0);
	fclose(tgt.out);
	assert_int_equal(stop_collector(&col, SIGTERM), 0);
	/* the new collector's session is the last one */
	for (const char *const *t = tasks; *t; t++)
		check_task("restarted", sb.db, (int64_t)query("SELECT max(id) FROM sessions"), *t, gt,
			   ROUNDS, ready + 0.001);
	assert_near(query("SELECT count(*) FROM sessions WHERE status = 'aborted'"), 1, 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_build),
		cmocka_unit_test(test_attached),
		cmocka_unit_test(test_never_returns),
		cmocka_unit_test(test_rust),
		cmocka_unit_test(test_signal_handlers_walk_leaves),
		cmocka_unit_test(test_plugin_throws_through_a_task),
	};
	const struct CMUnitTest collect[] = {
		cmocka_unit_test_setup(test_collected, fresh),
		cmocka_unit_test_setup(test_collect_restart, fresh),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("returns", tests, NULL, NULL) |
	       cmocka_run_group_tests_name("returns under collect", collect, setup_collect,
					   teardown_sandbox);
}
