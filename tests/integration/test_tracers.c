// SPDX-License-Identifier: MIT
/*
 * Programs that trace, are traced, stop, or check themselves behave as
 * without taskprof: strace and gdb inside a task, PTRACE_TRACEME, a target a
 * debugger already traces, SIGSTOP/SIGCONT, an AddressSanitizer leak report.
 *
 * usage: test_tracers BUILD_DIR
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

/* Same stdout and exit status as unprofiled, and the task was seen. */
static void same_as_unprofiled(char *const cmd[], const char *task, size_t want_rows)
{
	const char *tasks[] = { task, NULL };
	char *db = fresh_db("same.db"), reference[4096];
	struct profile_list l;
	int ref_status;

	reference_run(cmd, reference, sizeof(reference), &ref_status);
	assert_int_equal(record_argv(db, tasks, NULL, cmd), ref_status);
	assert_string_equal(out_buf, reference);
	rows(db, task, &l);
	assert_int_equal(l.len, want_rows);
	profile_list__free(&l);
}

static void test_strace_in_a_task(void **s)
{
	char *cmd[] = { (char *)test_bin("tree_target"), "strace", NULL };

	same_as_unprofiled(cmd, "run_task", 1);
	assert_string_equal(out_buf, "strace exited 0\n");
}

static void test_gdb_in_a_task(void **s)
{
	char *cmd[] = { (char *)test_bin("tree_target"), "gdb", NULL };

	same_as_unprofiled(cmd, "run_task", 1);
	assert_string_equal(out_buf, "gdb exited 0\n");
}

static void test_ptrace_traceme_child(void **s)
{
	char *cmd[] = { (char *)test_bin("tree_target"), "traceme", NULL };

	same_as_unprofiled(cmd, "tree_task", 1);
	assert_non_null(strstr(out_buf, "tracee stopped by signal 19\nexited 0\n"));
}

/* A target a debugger (here strace) already traces: record says so in one
 * line, leaves its stack as the tracer sees it, and records. */
static void test_traced_target_noted(void **s)
{
	char *db = fresh_db("traced.db"), path[64], status[4096], line[512];
	char *tgt_argv[] = { (char *)test_bin("tree_target"), "wait", NULL };
	struct child tgt = spawn(tgt_argv, false), tracer, rec;
	const char *tasks[] = { "tree_task", NULL };
	struct profile_list l;
	int notes = 0;

	assert_true(wait_for(tgt.out, "ready"));
	{
		char *argv[] = { "/usr/bin/strace", "-qq", "-o", "/dev/null", "-p",
				 pid_str(tgt.pid), NULL };

		tracer = spawn(argv, true);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", tgt.pid);
	for (int i = 0; i < 500; i++) {
		slurp(path, status, sizeof(status));
		if (!strstr(status, "TracerPid:\t0\n"))
			break;
		sleep_ms(10);
	}
	assert_null(strstr(status, "TracerPid:\t0\n"));
	{
		char *argv[] = { tp_bin, "record", "--db", db, "-t", (char *)tasks[0], "-p",
				 pid_str(tgt.pid), NULL };

		rec = spawn(argv, true);
	}
	while (fgets(line, sizeof(line), rec.out) && !strstr(line, "recording"))
		notes += strstr(line, "is traced by PID") != NULL;
	assert_int_equal(notes, 1);
	for (int i = 0; i < 3; i++) {
		kill(tgt.pid, SIGUSR1);
		sleep_ms(100);
	}
	kill(tgt.pid, SIGTERM);
	assert_int_equal(reap(tgt.pid), 0);
	assert_true(wait_for(tgt.out, "calls 3"));
	assert_int_equal(reap(rec.pid), 0);
	kill(tracer.pid, SIGKILL);
	reap(tracer.pid);
	fclose(tracer.out);
	fclose(rec.out);
	fclose(tgt.out);
	rows(db, "tree_task", &l);
	assert_int_equal(l.len, 3);
	profile_list__free(&l);
}

/* The stop a parent sees with waitpid(WUNTRACED), the continue, the exit. */
static void test_sigstop_sigcont(void **s)
{
	char *cmd[] = { (char *)test_bin("tree_target"), "stop", NULL };

	same_as_unprofiled(cmd, "slow_task", 1);
	assert_string_equal(out_buf, "stopped by signal 19\ncontinued\nexited 3\n");
}

/* A leak report without PIDs and addresses, which differ from run to run. */
static void normalize_report(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = in; *p && o + 1 < len;) {
		if (!strncmp(p, "taskprof:", 9)) { /* the collector's own lines */
			p = strchrnul(p, '\n');
			p += *p == '\n';
			continue;
		}
		if (p[0] == '0' && p[1] == 'x') {
			p += 2;
			while (strchr("0123456789abcdef", *p) && *p)
				p++;
			out[o++] = '#';
			continue;
		}
		if (p[0] == '=' && p[1] == '=' && p[2] >= '0' && p[2] <= '9') {
			p += 2;
			while (*p >= '0' && *p <= '9')
				p++;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = 0;
}

static void test_asan_leak_report(void **s)
{
	char *cmd[] = { (char *)test_bin("asan_target"), NULL };
	const char *tasks[] = { "leaky_task", NULL };
	static char ref_err[1 << 16], got_err[1 << 16];
	char *db = fresh_db("asan.db");
	struct profile_list l;
	int ref_status;

	ref_status = run(cmd, NULL);
	normalize_report(err_buf, ref_err, sizeof(ref_err));
	assert_non_null(strstr(ref_err, "Direct leak of 100 byte(s)"));
	assert_non_null(strstr(ref_err, "in leaky_task"));
	assert_int_equal(record_argv(db, tasks, NULL, cmd), ref_status);
	normalize_report(err_buf, got_err, sizeof(got_err));
	assert_string_equal(got_err, ref_err);
	rows(db, "leaky_task", &l);
	assert_int_equal(l.len, 1);
	profile_list__free(&l);
}


int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strace_in_a_task),
		cmocka_unit_test(test_gdb_in_a_task),
		cmocka_unit_test(test_ptrace_traceme_child),
		cmocka_unit_test(test_traced_target_noted),
		cmocka_unit_test(test_sigstop_sigcont),
		cmocka_unit_test(test_asan_leak_report),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("tracers", tests, NULL, NULL);
}
