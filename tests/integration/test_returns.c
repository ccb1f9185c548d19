// SPDX-License-Identifier: MIT
/*
 * Every invocation ends at its real return, whichever way it leaves: ret,
 * a tail call through the PLT, memory or a register, into another file or
 * another task, a virtual call or std::function, an exception, or never.
 * returns_target is built as C and C++, by gcc and clang, at -O0 to -O3;
 * each row is compared with the clocks its caller read around the call.
 *
 * usage: test_returns BUILD_DIR
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define CALLS 3

static const char *const builds[] = {
	"c_gcc_O0", "c_gcc_O2", "c_gcc_O3", "c_clang_O2",
	"cxx_gcc_O0", "cxx_gcc_O2", "cxx_gcc_O3", "cxx_clang_O2", "cxx_clang_O3",
};

/* In C and C++; then in C++ only. */
static const char *const tasks[] = {
	"plt_sleep", "plt_flush", "plt_printf", "mem_burn", "reg_burn", "chain_task", "outer_task",
	"inner_task", "ret_leaf", "ptr_leaf", "ptr_ret", "virt_task", "fn_task", "throw_task", NULL,
};
#define C_TASKS 11

static char *returns_bin(const char *build)
{
	static char name[64];

	snprintf(name, sizeof(name), "returns_%s", build);
	return (char *)test_bin(name);
}

/* Within max(1 ms, 2%) of what the caller read. */
static void near_truth(const char *build, const char *task, int i, const char *what,
		       double got, double want)
{
	double tol = max2(0.001, 0.02 * want);

	if (got < want - tol || got > want + tol)
		fail_msg("%s: %s call %d: %s %.6f s, the caller read %.6f s (+- %.6f)", build, task,
			 i, what, got, want, tol);
}

/* Each task's rows, in call order, against the ground truth. */
static void check_rows(const char *build, const char *db, const char *gt)
{
	size_t ntasks = gt_has(gt, "cxx") ? sizeof(tasks) / sizeof(*tasks) - 1 : C_TASKS;
	struct session ses;

	for (size_t t = 0; t < ntasks; t++) {
		/* a tail-called task's row ends with its caller's */
		const char *truth = strcmp(tasks[t], "inner_task") ? tasks[t] : "outer_task";
		struct profile_list l;
		char key[128];

		rows(db, tasks[t], &l);
		if (l.len != CALLS)
			fail_msg("%s: %s has %zu rows, not %d", build, tasks[t], l.len, CALLS);
		for (int i = 0; i < CALLS; i++) {
			const struct profile *p = &l.items[i];
			double cpu = p->cpu_user_seconds + p->cpu_system_seconds;
			bool unwound;

			snprintf(key, sizeof(key), "%s.%d.unwound", truth, i);
			unwound = gt_get(gt, key) > 0;
			if (p->approximate != 0)
				fail_msg("%s: %s call %d is stored approximate", build, tasks[t], i);
			if (strcmp(p->status, unwound ? "unwound" : "completed"))
				fail_msg("%s: %s call %d is %s", build, tasks[t], i, p->status);
			snprintf(key, sizeof(key), "%s.%d.rt", truth, i);
			near_truth(build, tasks[t], i, "runtime", p->runtime_seconds, gt_get(gt, key));
			snprintf(key, sizeof(key), "%s.%d.cpu", truth, i);
			near_truth(build, tasks[t], i, "CPU", cpu, gt_get(gt, key));
		}
		profile_list__free(&l);
	}
	session_of(db, 1, &ses);
	if (ses.events_lost)
		fail_msg("%s: %lld lost: %s", build, (long long)ses.events_lost, ses.loss_detail);
	session__free(&ses);
}

static void record_tails(const char *build, const char *db, const char *gt)
{
	const char *t[sizeof(tasks) / sizeof(*tasks)];
	char *cmd[] = { returns_bin(build), "tails", NULL };
	size_t n = strncmp(build, "c_", 2) ? sizeof(tasks) / sizeof(*tasks) - 1 : C_TASKS;
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
	check_rows(build, db, gt);
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

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_build),
		cmocka_unit_test(test_attached),
		cmocka_unit_test(test_never_returns),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("returns", tests, NULL, NULL);
}
