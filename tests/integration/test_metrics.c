// SPDX-License-Identifier: MIT
/*
 * Every metric against ground truth the target measured itself:
 * getrusage(RUSAGE_THREAD), /proc/thread-self/io, schedstat, VmRSS, exact
 * byte and call counts; in launch mode and attached by PID.
 *
 * usage: test_metrics BUILD_DIR
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

/*
 * Invocations shorter than a tick: each one's CPU against
 * CLOCK_THREAD_CPUTIME_ID around the call. Read as the scheduler's
 * sum_exec_runtime alone, which lags by up to 4 ms at HZ=250, a 1.5 ms
 * spin after a sleep read anywhere from 0 to its whole runtime.
 */
static void test_cpu_shorter_than_a_tick(void **s)
{
	const char *tasks[] = { "short_cpu_task", NULL };
	char *db = fresh_db("shortcpu.db"), gt[PATH_MAX], key[32];
	struct profile_list l;

	(void)s;
	snprintf(gt, sizeof(gt), "%s/gt-shortcpu", scratch);
	assert_int_equal(record(db, target, "shortcpu", gt, tasks, NULL), 0);
	rows(db, "short_cpu_task", &l);
	assert_int_equal(l.len, 20);
	for (size_t i = 0; i < l.len; i++) {
		const struct profile *p = &l.items[i];
		double cpu = p->cpu_user_seconds + p->cpu_system_seconds;

		snprintf(key, sizeof(key), "cpu_%zu", i);
		/* the probes' own work (a few us a call) is the thread's CPU too */
		assert_near(cpu, gt_get(gt, key), 0.05 * gt_get(gt, key) + 100e-6);
		assert_true(cpu <= p->runtime_seconds + 1e-6);
	}
	profile_list__free(&l);
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

	if (!block_device_works())
		skip();
	record_one("dio", "dio_read_task", NULL, &p, gt);
	assert_int_equal(p.file_read_bytes, (int64_t)gt_get(gt, "read_bytes"));
	assert_int_equal(p.file_read_bytes, 16 << 20);
	profile__free(&p);
}

static void test_buffered_write_bytes(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	if (!block_device_works())
		skip();
	record_one("write", "write_task", NULL, &p, gt);
	assert_near(p.file_write_bytes, gt_get(gt, "write_bytes"), 4096);
	assert_true(p.file_write_bytes >= 8 << 20);
	profile__free(&p);
}

/* 1,500 random O_DIRECT reads: IO wait is most of the time they slept, and
 * the CPU time of a task that blocks that often still matches schedstat. */
static void check_iowait(const struct profile *p, const char *gt)
{
	assert_iowait(p->io_wait_time_seconds, gt, "iowait_task");
	assert_near(p->cpu_user_seconds + p->cpu_system_seconds, gt_get(gt, "oncpu"),
		    max2(0.008, 0.10 * gt_get(gt, "oncpu")));
}

static void test_iowait_random_reads(void **s)
{
	char gt[PATH_MAX];
	struct profile p;

	if (!block_device_works())
		skip();
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

/* Starts TARGET SCENARIO --wait, attaches with -p, lets it run, returns the
 * one row of task. */
static void record_by_pid(const char *scenario, const char *task, char *gt, struct profile *out)
{
	char *db = fresh_db("pid.db");
	char *tgt_argv[] = { target, (char *)scenario, scratch, "--wait", NULL };
	struct profile_list l;
	struct child tgt, rec;

	snprintf(gt, PATH_MAX, "%s/gt-pid-%s", scratch, scenario);
	setenv("TP_GT", gt, 1);
	tgt = spawn(tgt_argv, false);
	unsetenv("TP_GT");
	assert_true(wait_for(tgt.out, "ready"));
	{
		char *rec_argv[] = { tp_bin, "record", "--db", db, "--stage", "clean", "--env",
				     "test", "-t", (char *)task, "-p", pid_str(tgt.pid), NULL };

		rec = spawn(rec_argv, true);
	}
	assert_true(wait_for(rec.out, "recording")); /* attached */
	kill(tgt.pid, SIGUSR1);
	reap(tgt.pid);
	assert_int_equal(reap(rec.pid), 0); /* stops by itself */
	fclose(tgt.out);
	fclose(rec.out);
	rows(db, task, &l);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].stage, "clean");
	assert_string_equal(l.items[0].env, "test");
	assert_int_equal(l.items[0].pid, tgt.pid);
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

/* A process started while delay accounting was off has none: its IO wait
 * comes from the scheduler instead, and must still be right. */
static void test_attach_by_pid_iowait_without_delayacct(void **s)
{
	char gt[PATH_MAX];
	struct profile p;
	if (!block_device_works())
		skip();
	/* the teardown switches it back even if this test fails */
	delayacct_set(0);
	record_by_pid("iowait", "iowait_task", gt, &p);
	check_iowait(&p, gt);
	profile__free(&p);
}


int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_threads_runtime_cores),
		cmocka_unit_test(test_cpu_shorter_than_a_tick),
		cmocka_unit_test(test_memory_peak_inside),
		cmocka_unit_test(test_allocations_exact),
		cmocka_unit_test(test_direct_read_bytes_exact),
		cmocka_unit_test(test_buffered_write_bytes),
		cmocka_unit_test(test_iowait_random_reads),
		cmocka_unit_test(test_sleep_is_not_iowait),
		cmocka_unit_test(test_network_bytes_exact),
		cmocka_unit_test(test_attach_by_pid),
		cmocka_unit_test_setup_teardown(test_attach_by_pid_iowait_without_delayacct,
						setup_save_delayacct, teardown_restore_delayacct),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
