// SPDX-License-Identifier: MIT
/*
 * The always-on collector covers every process that runs a task: started
 * before it and after it, as root and as nobody, children, short-lived
 * processes and another mount namespace, each row against the ground truth
 * the pipeline measured itself. And it never harms one: a frame entered
 * before a SIGKILL of the collector throws later as it would unprofiled,
 * and a restarted collector picks up and repairs.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "sandbox.h"

/* Writes land on a block device (not tmpfs): then write bytes are exact. */
static bool disk_bytes(void)
{
	struct statfs fs;

	return !statfs(sb.work, &fs) && fs.f_type != TMPFS_MAGIC;
}

static void check_cpu(const struct profile *p, const char *gt)
{
	double user = gt_get(gt, "user"), total = user + gt_get(gt, "sys");
	double rt = gt_get(gt, "runtime");

	assert_string_equal(p->status, "completed");
	assert_string_equal(p->stage, "ingest");
	assert_string_equal(p->env, "production");
	assert_string_equal(p->binary, sb.pipe);
	assert_near(p->runtime_seconds, rt, max2(0.002, 0.05 * rt));
	assert_near(p->cpu_user_seconds + p->cpu_system_seconds, total, max2(0.008, 0.10 * total));
}

static void check_write(const struct profile *p, double gt_bytes)
{
	assert_null(p->stage); /* this task declares none */
	if (disk_bytes())
		assert_near(p->file_write_bytes, gt_bytes, 4096);
}

/*
 * The pipeline's scenario in a process started before the collector (its
 * task runs once the collector is ready, ground truth into gt_a) and in
 * one started after it by nobody (gt_b); their PIDs, the collector stopped.
 */
static void before_and_after(char *scenario, const char *gt_a, const char *gt_b, pid_t pids[2])
{
	char *a_argv[] = { sb.pipe, scenario, sb.work, "--wait", NULL };
	char *b_argv[] = { sb.pipe, scenario, sb.work, NULL };
	struct child a, col;

	setenv("TP_GT", gt_a, 1);
	a = spawn(a_argv, false);
	unsetenv("TP_GT");
	assert_true(wait_for(a.out, "ready"));
	col = start_collector();
	kill(a.pid, SIGUSR1);
	assert_int_equal(reap(a.pid), 0);
	fclose(a.out);
	pids[0] = a.pid;
	assert_int_equal(run_user(b_argv, gt_b, NOBODY), 0);
	pids[1] = last_pid;
	assert_int_equal(stop_collector(&col, SIGTERM), 0);
}

/*
 * A pipeline started before the collector and one started after it by
 * nobody: every row matches what the pipeline measured.
 */
static void test_before_and_after(void **s)
{
	char *gt_a = sb_path(sb.work, "gt-before"), *gt_b = sb_path(sb.work, "gt-after");
	struct profile p;
	pid_t pids[2], b;

	write_base_conf();
	before_and_after("cpu,write", gt_a, gt_b, pids);
	b = pids[1];

	row_of("cpu", pids[0], &p);
	check_cpu(&p, gt_a);
	profile__free(&p);
	row_of("write", pids[0], &p);
	check_write(&p, gt_get(gt_a, "write_bytes"));
	profile__free(&p);
	row_of("cpu", b, &p);
	check_cpu(&p, gt_b);
	profile__free(&p);
	row_of("write", b, &p);
	check_write(&p, gt_get(gt_b, "write_bytes"));
	profile__free(&p);
	/* the session: this collector's, ended cleanly, its configuration kept */
	assert_near(query("SELECT count(*) FROM sessions WHERE status = 'completed' AND "
			  "config LIKE '%%[task write]%%' AND events_lost = 0"), 1, 0);
}

/*
 * A memory peak freed before the task returns is seen by rss_stat, which
 * the collector attaches while a tracked process lives, or else by the
 * kernel's high-water mark. A pipeline started while none does (twice, the
 * second after the collector let go of it again), and one run by ld.so
 * (no exec of the task's file to announce it: its first call opens before
 * rss_stat is in), each have their peak exact, not approximate.
 */
static void test_memory_peak_after_idle(void **s)
{
	char *argv[] = { sb.pipe, "mem", sb.work, NULL }, *gt = sb_path(sb.work, "gt-mem");
	char *via_ldso[] = { "/lib64/ld-linux-x86-64.so.2", sb.pipe, "mem", sb.work, NULL };
	struct child col;
	pid_t pids[3];

	write_conf("[collector]\ndatabase = %s\n[task mem]\nbinary = %s\nsymbol = mem_task\n",
		   sb.db, sb.pipe);
	col = start_collector();
	for (int i = 0; i < 3; i++) {
		sleep_ms(2500); /* a tick: no tracked process, rss_stat detached */
		assert_int_equal(run_user(i < 2 ? argv : via_ldso, gt, NOBODY), 0);
		pids[i] = last_pid;
	}
	assert_int_equal(stop_collector(&col, SIGTERM), 0);
	for (int i = 0; i < 3; i++) {
		double peak = gt_get(gt, "peak") / 1048576.0, got;

		got = query("SELECT memory_usage_peak_mb FROM profiles WHERE pid = %d", pids[i]);
		if (got < 0.9 * peak || got > 1.1 * peak + 8)
			fail_msg("run %d: peak %.1f MB, the pipeline saw %.1f MB", i, got, peak);
	}
	assert_near(query("SELECT count(*) FROM sessions WHERE loss_detail LIKE "
			  "'%%mem_peak_approximate=0 %%'"), 1, 0);
}

/* A fresh database, and kernel.task_delayacct as it was restored after. */
static int fresh_saving_delayacct(void **s)
{
	return fresh(s) ? -1 : setup_save_delayacct(s);
}

/*
 * IO wait, for a pipeline started while delay accounting was off (before
 * the collector switched it on: the sched_switch fallback) and one started
 * after: each against the time the pipeline slept in 1,500 random O_DIRECT
 * reads, off-CPU and not waiting for a CPU (assert_iowait).
 */
static void test_iowait_before_and_after(void **s)
{
	char *gt_a = sb_path(sb.work, "gt-io-a"), *gt_b = sb_path(sb.work, "gt-io-b");
	const char *gts[2] = { gt_a, gt_b };
	pid_t pids[2];

	if (!disk_bytes() || !block_device_works())
		skip();
	write_conf("[collector]\ndatabase = %s\n[task io]\nbinary = %s\nsymbol = iowait_task\n",
		   sb.db, sb.pipe);
	delayacct_set(0);
	before_and_after("iowait", gt_a, gt_b, pids);
	for (int i = 0; i < 2; i++)
		assert_iowait(query("SELECT io_wait_time_seconds FROM profiles WHERE pid = %d",
				    pids[i]),
			      gts[i], i ? "after" : "before");
}

/*
 * A child process of a pipeline, twenty pipelines that live for one task
 * call each, and one started in another mount namespace, from another path
 * to the same file: each has its row.
 */
static void test_children_short_lived_namespaces(void **s)
{
	char *gt = sb_path(sb.work, "gt-child"), *ns = sb_path(sb.dir, "ns");
	char *child_argv[] = { sb.pipe, "child", sb.work, NULL };
	char *quote_argv[] = { sb.pipe, "quote", sb.work, NULL };
	char cmd[4 * PATH_MAX];
	struct child col;
	struct profile p;

	write_base_conf();
	col = start_collector();
	assert_int_equal(run_user(child_argv, gt, NOBODY), 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(run_user(quote_argv, NULL, i % 2 ? NOBODY : 0), 0);
	mkdir(ns, 0755);
	snprintf(cmd, sizeof(cmd),
		 "unshare -m sh -c 'mount --make-rprivate / && mount --bind %s %s && "
		 "exec %s/pipeline quote %s' >/dev/null", sb.dir, ns, ns, sb.work);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(stop_collector(&col, SIGTERM), 0);

	row_of("write", (pid_t)gt_get(gt, "child_pid"), &p);
	check_write(&p, gt_get(gt, "child_write_bytes"));
	profile__free(&p);
	/* twenty processes and the namespaced one: one call each */
	assert_near(query("SELECT count(DISTINCT pid) FROM profiles WHERE process_name = 'quote'"),
		    21, 0);
	assert_near(query("SELECT count(*) FROM profiles WHERE process_name = 'quote'"), 21, 0);
}

static const char cxx_conf[] =
	"[collector]\n"
	"database = %s\n"
	"\n"
	"[task linger]\n"
	"binary = %s\n"
	"symbol = Pipeline::linger\n"
	"\n"
	"[task risky]\n"
	"binary = %s\n"
	"symbol = Pipeline::risky_step\n";

/*
 * The collector is killed (SIGKILL) while a C++ pipeline sits in a profiled
 * frame that throws later: the exception passes as it would unprofiled. A
 * new collector starts, closes what the old one left, and profiles the
 * next pipeline, whose output is what it prints unprofiled.
 */
static void test_exception_across_restart(void **s)
{
	char *linger_argv[] = { sb.exc, "linger", NULL }, *rounds_argv[] = { sb.exc, NULL };
	char reference[8192];
	int before = delayacct_get(), status;
	struct child tgt, col;
	struct profile_list l;
	struct profile_repo *r;

	reference_run(rounds_argv, reference, sizeof(reference), &status);
	assert_int_equal(status, 0);
	write_conf(cxx_conf, sb.db, sb.exc, sb.exc);
	tgt = spawn(linger_argv, false);
	assert_true(wait_for(tgt.out, "ready"));
	col = start_collector();
	kill(tgt.pid, SIGUSR1); /* enters linger(): 1 s, then it throws */
	sleep_ms(300);
	assert_int_equal(stop_collector(&col, SIGKILL), 128 + SIGKILL);
	col = start_collector();
	assert_true(wait_for(tgt.out, "survived: boom 7"));
	assert_int_equal(reap(tgt.pid), 0);
	fclose(tgt.out);
	assert_int_equal(run(rounds_argv, NULL), 0);
	assert_string_equal(out_buf, reference);
	assert_int_equal(stop_collector(&col, SIGTERM), 0);

	/* the killed collector's session is closed as aborted, the next one's completed */
	assert_near(query("SELECT count(*) FROM sessions WHERE id = 1 AND status = 'aborted'"), 1,
		    0);
	assert_near(query("SELECT count(*) FROM sessions WHERE id = 2 AND status = 'completed'"), 1,
		    0);
	/* three rounds: risky_step(n) throws out, risky_step(0) returns */
	r = profile_repo__open(sb.db, PROFILE_REPO_READONLY);
	assert_int_equal(profile_repo__get_by_process(r, "risky", &l), 0);
	assert_int_equal(l.len, 6);
	for (size_t i = 0; i < l.len; i++) {
		bool threw = i % 2 == 0;

		assert_int_equal(l.items[i].session_id, 2);
		assert_string_equal(l.items[i].status, threw ? "unwound" : "completed");
		assert_int_equal(l.items[i].exceptions_raised, threw);
	}
	profile_list__free(&l);
	profile_repo__close(r);
	assert_int_equal(delayacct_get(), before);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_before_and_after, fresh),
		cmocka_unit_test_setup(test_memory_peak_after_idle, fresh),
		cmocka_unit_test_setup_teardown(test_iowait_before_and_after, fresh_saving_delayacct,
						teardown_restore_delayacct),
		cmocka_unit_test_setup(test_children_short_lived_namespaces, fresh),
		cmocka_unit_test_setup(test_exception_across_restart, fresh),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("collect", tests, setup_sandbox, teardown_sandbox);
}
