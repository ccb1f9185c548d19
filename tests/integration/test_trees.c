// SPDX-License-Identifier: MIT
/*
 * Process trees: children are tracked from their fork, charged to the
 * invocation that started them, and profiled in the tasks they run; fork
 * storms lose nothing.
 *
 * usage: test_trees BUILD_DIR
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
	/*
	 * The child process's CPU is part of the task that started it, all of
	 * it: its exit's teardown of 128 MiB too (4-6 ms here), which comes
	 * after the exit tracepoint and was missing. The parent, which waits,
	 * runs too little for its own reading (RUSAGE_THREAD) to lag.
	 */
	assert_near(l.items[0].cpu_user_seconds + l.items[0].cpu_system_seconds, total,
		    0.001 + 0.002 * total);
	parent = l.items[0].pid;
	profile_list__free(&l);
	/* and tasks inside the child process are profiled too */
	rows(db, "trivial_task", &l);
	assert_int_equal(l.len, 1);
	assert_true(l.items[0].pid != parent);
	profile_list__free(&l);
}


/* Every child's one call is a row; nothing is lost; the target saw nothing. */
static void check_storm(const char *scenario, const char *n, const char *task, size_t want,
			const char *expect_out)
{
	char *cmd[] = { (char *)test_bin("tree_target"), (char *)scenario, (char *)n,
			(char *)test_bin("tree_child"), NULL };
	const char *tasks[] = { task, NULL };
	char *db = fresh_db("storm.db");
	struct profile_list l;
	struct session ses;
	size_t pids = 0;

	assert_int_equal(record_argv(db, tasks, NULL, cmd), 0);
	assert_string_equal(out_buf, expect_out);
	rows(db, !strncmp(task, "/", 1) ? strrchr(task, ':') + 1 : task, &l);
	assert_int_equal(l.len, want);
	for (size_t i = 0; i < l.len; i++) {
		assert_string_equal(l.items[i].status, "completed");
		pids += i == 0 || l.items[i].pid != l.items[i - 1].pid;
	}
	assert_int_equal(pids, want); /* one per child process */
	profile_list__free(&l);
	session_of(db, 1, &ses);
	assert_int_equal(ses.events_lost, 0);
	assert_int_equal(ses.events_seen, want);
	session__free(&ses);
}

/* Child i called tree_task(i): every hundredth touched 32 MiB and freed it
 * before returning. 1,000 processes reuse the memory-peak entries many
 * times over; each row's peak must be its own. */
static void test_fork_storm_sequential(void **s)
{
	struct profile_list l;

	check_storm("seq", "1000", "tree_task", 1000, "seq 1000 children, 0 bad exits\n");
	rows(path_in("storm.db"), "tree_task", &l);
	for (size_t i = 0; i < l.len; i++) {
		double peak = l.items[i].memory_usage_peak_mb;

		if (i % 100 == 99 ? peak < 32 : peak >= 32)
			fail_msg("child %zu: peak %.1f MiB", i, peak);
	}
	profile_list__free(&l);
}

static void test_fork_storm_live_children(void **s)
{
	check_storm("live", "64", "tree_task", 64, "live 64 children, 0 bad exits\n");
}

/* The task is in another binary, which each child execs. */
static void test_fork_exec_other_binary(void **s)
{
	char spec[PATH_MAX + 32];

	snprintf(spec, sizeof(spec), "%s:child_task", test_bin("tree_child"));
	check_storm("exec", "200", spec, 200, "exec 200 children, 0 bad exits\n");
}

/* Children that throw through a task, catch in main and _exit from the
 * catch: that exit runs at the task's depth, over its return slot. */
static void test_fork_storm_exceptions(void **s)
{
	const char *tasks[] = { "Pipeline::risky_step", NULL };
	char *cmd[] = { exc_target, "forks", "200", NULL };
	char *db = fresh_db("storm-exc.db");
	struct profile_list l;
	size_t unwound = 0, completed = 0;

	assert_int_equal(record_argv(db, tasks, NULL, cmd), 0);
	assert_string_equal(out_buf, "forks 200, 0 bad exits\n");
	rows(db, "Pipeline::risky_step", &l);
	assert_int_equal(l.len, 200);
	for (size_t i = 0; i < l.len; i++) {
		unwound += !strcmp(l.items[i].status, "unwound") &&
			   l.items[i].exceptions_raised == 1;
		completed += !strcmp(l.items[i].status, "completed") &&
			     l.items[i].exceptions_raised == 0;
	}
	assert_int_equal(unwound, 100);
	assert_int_equal(completed, 100);
	profile_list__free(&l);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forked_process_charged_and_followed),
		cmocka_unit_test(test_fork_storm_sequential),
		cmocka_unit_test(test_fork_storm_live_children),
		cmocka_unit_test(test_fork_exec_other_binary),
		cmocka_unit_test(test_fork_storm_exceptions),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("trees", tests, NULL, NULL);
}
