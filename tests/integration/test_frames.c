// SPDX-License-Identifier: MIT
/*
 * Frames: how each invocation ends (completed, unwound, exited) and what it
 * counts, through recursion, threads, bursts, tail calls, longjmp, thread
 * and process exits, C++ exceptions and Rust panics.
 *
 * usage: test_frames BUILD_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "taskprof.h" /* TP_MAX_FRAMES */

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

/*
 * Recursion deeper than what is held: the outermost frames are whole, the
 * rest lost and said. With ret-instruction probes a thread holds
 * TP_MAX_FRAMES; with uretprobes the kernel sees TP_URET_DEPTH returns.
 */
static void deeper_than_held(const char *returns, long held)
{
	char gt[PATH_MAX], want[64];
	const char *tasks[] = { "recurse_task", NULL };
	const char *opts[] = { "--returns", returns, NULL };
	char *db = fresh_db("rec-deep.db");
	struct profile_list l;
	struct session ses;
	long calls;

	snprintf(gt, sizeof(gt), "%s/gt-rec-deep", scratch);
	assert_int_equal(record(db, target, "recurse_deep", gt, tasks, opts), 0);
	calls = gt_get(gt, "calls");
	assert_true(calls > held);
	rows(db, "recurse_task", &l);
	assert_int_equal(l.len, held);
	for (size_t i = 0; i < l.len; i++) {
		assert_string_equal(l.items[i].status, "completed");
		if (i)
			assert_true(l.items[i].runtime_seconds >= l.items[i - 1].runtime_seconds);
	}
	profile_list__free(&l);
	session_of(db, 1, &ses);
	assert_int_equal(ses.events_lost, calls - held);
	snprintf(want, sizeof(want), "nesting_too_deep=%ld ", calls - held);
	assert_non_null(strstr(ses.loss_detail, want));
	session__free(&ses);
}

static void test_recursion_too_deep_counted(void **s)
{
	deeper_than_held("insn", TP_MAX_FRAMES);
	deeper_than_held("uretprobe", TP_URET_DEPTH);
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


/* A frame left by an exception ends where the exception lands in its
 * caller, moments after the throw, even when the next task is called from
 * deeper down, nothing returns over it, and that task then throws (and
 * catches) an exception of its own. */
static void test_exception_ends_where_it_lands(void **s)
{
	const char *tasks[] = { "Pipeline::risky_slow", "Pipeline::slow_step", NULL };
	char *cmd[] = { exc_target, "deeper", NULL };
	char *db = fresh_db("deeper.db");
	struct profile_list l;

	assert_int_equal(record_argv(db, tasks, NULL, cmd), 0);
	assert_string_equal(out_buf, "caught: boom 20\n");
	rows(db, "Pipeline::risky_slow", &l);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].status, "unwound");
	assert_int_equal(l.items[0].exceptions_raised, 1);
	assert_near(l.items[0].runtime_seconds, 0.020, 0.008);
	profile_list__free(&l);
	rows(db, "Pipeline::slow_step", &l);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].status, "completed");
	assert_int_equal(l.items[0].exceptions_raised, 1);
	assert_near(l.items[0].runtime_seconds, 0.050, 0.010);
	profile_list__free(&l);
}

/* Rust panics go through the same unwinder as C++ exceptions. */
static void rust_statuses(const char *mode, const char *task, size_t n, const char *status,
			  int64_t exceptions, int want_exit)
{
	char *cmd[] = { (char *)test_bin("rust_target"), (char *)mode, NULL };
	const char *tasks[] = { "panicky", "guarded", NULL };
	char *db = fresh_db("rust.db"), reference[256];
	struct profile_list l;
	size_t matching = 0;
	int ref_status;

	if (access(cmd[0], X_OK))
		skip(); /* no rustc: tests/README.md says how to get one */
	reference_run(cmd, reference, sizeof(reference), &ref_status);
	assert_int_equal(ref_status, want_exit);
	assert_int_equal(record_argv(db, tasks, NULL, cmd), ref_status);
	assert_string_equal(out_buf, reference);
	rows(db, task, &l);
	for (size_t i = 0; i < l.len; i++)
		matching += !strcmp(l.items[i].status, status) &&
			    l.items[i].exceptions_raised == exceptions;
	assert_int_equal(matching, n);
	profile_list__free(&l);
}

static void test_rust_panic_caught_by_caller(void **s)
{
	/* 3 of 6 panic and are caught in main: those are unwound */
	rust_statuses("caught", "panicky", 3, "unwound", 1, 0);
	rust_statuses("caught", "panicky", 3, "completed", 0, 0);
}

static void test_rust_panic_caught_inside(void **s)
{
	rust_statuses("inside", "guarded", 3, "completed", 1, 0);
	rust_statuses("inside", "panicky", 3, "unwound", 1, 0);
}

static void test_rust_panic_escaping_main(void **s)
{
	/* the runtime catches it above main and exits 101 */
	rust_statuses("escape", "panicky", 1, "unwound", 1, 101);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_complete),
		cmocka_unit_test(test_recursion_nested),
		cmocka_unit_test(test_recursion_too_deep_counted),
		cmocka_unit_test(test_threads_concurrent),
		cmocka_unit_test(test_longjmp_unwound),
		cmocka_unit_test(test_tail_call_followed),
		cmocka_unit_test(test_pthread_exit_exited),
		cmocka_unit_test(test_pthread_cancel_keeps_working),
		cmocka_unit_test(test_process_exit_exited),
		cmocka_unit_test(test_cxx_exceptions),
		cmocka_unit_test(test_cxx_exceptions_on_many_threads),
		cmocka_unit_test(test_exception_ends_where_it_lands),
		cmocka_unit_test(test_rust_panic_caught_by_caller),
		cmocka_unit_test(test_rust_panic_caught_inside),
		cmocka_unit_test(test_rust_panic_escaping_main),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("frames", tests, NULL, NULL);
}
