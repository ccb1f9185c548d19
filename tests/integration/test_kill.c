// SPDX-License-Identifier: MIT
/*
 * The collector stopped or killed at any moment harms no target: exceptions
 * thrown through frames it probed pass as without it, delay accounting goes
 * back to what it was, the session says how it ended, the database is
 * intact.
 *
 * usage: test_kill BUILD_DIR
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

#include <sys/prctl.h>
#include <sqlite3.h>

#include "harness.h"

/* The child of parent whose command name is comm, or 0. */
static pid_t child_named(pid_t parent, const char *comm)
{
	char path[64], name[64];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", parent, parent);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%d", &pid) == 1) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		slurp(path, name, sizeof(name));
		if (!strncmp(name, comm, strlen(comm))) {
			fclose(f);
			return pid;
		}
	}
	fclose(f);
	return 0;
}

static void integrity_ok(const char *db)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	if (access(db, F_OK))
		return; /* killed before it made one: nothing to corrupt */
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	/*
	 * The guardian may still be closing its connection, which checkpoints
	 * under an exclusive lock: wait as any reader would, not fail on BUSY.
	 */
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* Status of the newest session, "" if there is none. */
static void last_status(const char *db, char *out, size_t len)
{
	struct profile_repo *r;
	struct session ses;

	out[0] = 0;
	if (access(db, F_OK))
		return;
	r = profile_repo__open(db, PROFILE_REPO_READONLY);
	if (!r)
		return;
	for (int64_t id = 1; !profile_repo__get_session(r, id, &ses); id++) {
		snprintf(out, len, "%s", ses.status ? ses.status : "");
		session__free(&ses);
	}
	profile_repo__close(r);
}

/*
 * After a collector was killed: its guardian restores delay accounting and
 * marks the session aborted, and the database is intact. Waits for the
 * guardian (it needs a moment after the collector's death), but not forever.
 */
static void check_cleaned_up(const char *db, int delayacct_before)
{
	char status[32] = "";

	for (int i = 0; i < 500; i++) {
		last_status(db, status, sizeof(status));
		if (strcmp(status, "running") && delayacct_get() == delayacct_before)
			break;
		sleep_ms(10);
	}
	assert_int_equal(delayacct_get(), delayacct_before);
	if (status[0])
		assert_string_equal(status, "aborted");
	integrity_ok(db);
}

/* --- the collector killed at any moment ------------------------------------------ */

/* The frame opened while the collector lived; the exception passes it after. */
static void test_sigkill_inside_frame(void **s)
{
	char *db = fresh_db("kill-frame.db");
	char *tgt_argv[] = { exc_target, "linger", NULL };
	int before = delayacct_get();
	struct child tgt = spawn(tgt_argv, false), rec;

	assert_true(wait_for(tgt.out, "ready"));
	{
		char *rec_argv[] = { tp_bin, "record", "--db", db, "-t", "Pipeline::linger", "-p",
				     pid_str(tgt.pid), NULL };

		rec = spawn(rec_argv, true);
	}
	assert_true(wait_for(rec.out, "recording"));
	kill(tgt.pid, SIGUSR1); /* enters linger(): sleeps 1 s, then throws */
	sleep_ms(300);
	kill(rec.pid, SIGKILL);
	assert_int_equal(reap(rec.pid), 128 + SIGKILL);
	fclose(rec.out);
	assert_int_equal(reap(tgt.pid), 0);
	assert_true(wait_for(tgt.out, "survived: boom 7"));
	fclose(tgt.out);
	check_cleaned_up(db, before);
}

/* Brings collector number i to the moment it is killed. */
typedef void (*moment_fn)(struct child *rec, size_t i);

/*
 * Kills n collectors one after another, each at its moment, all attached
 * to one target that throws through profiled frames all along; after each,
 * checks the guardian's work, and at the end that the target saw nothing.
 */
static void kill_collectors(const char *db_name, size_t n, moment_fn moment)
{
	char *db = fresh_db(db_name);
	char *tgt_argv[] = { exc_target, "loop", "120", NULL };
	int before = delayacct_get();
	struct child tgt = spawn(tgt_argv, false);

	assert_true(wait_for(tgt.out, "ready"));
	for (size_t i = 0; i < n; i++) {
		/* -v: it says what it is doing, so moments can be picked */
		char *rec_argv[] = { tp_bin, "record", "-v", "--db", db, "-t",
				     "Pipeline::risky_step", "-t", "Pipeline::safe_step", "-p",
				     pid_str(tgt.pid), NULL };
		struct child rec = spawn(rec_argv, true);

		moment(&rec, i);
		kill(rec.pid, SIGKILL);
		reap(rec.pid);
		fclose(rec.out);
		check_cleaned_up(db, before);
	}
	kill(tgt.pid, SIGUSR2); /* enough: finish the loop */
	assert_int_equal(reap(tgt.pid), 0);
	assert_true(wait_for(tgt.out, "loop all caught"));
	fclose(tgt.out);
}

/*
 * While it attaches: with -v it says when the tracepoints are in and the
 * uprobes go in next ("IO wait:"); the kills fall from then until after it
 * is recording, and at blind moments before.
 */
static const int after_tracepoints_ms[] = { -1, -1, 0, 0, 1, 2, 5, 10, 20, 50, 100 };
static const int blind_ms[] = { 0, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

static void while_attaching(struct child *rec, size_t i)
{
	if (after_tracepoints_ms[i] >= 0) {
		assert_true(wait_for(rec->out, "IO wait:"));
		sleep_ms(after_tracepoints_ms[i]);
	} else {
		sleep_ms(blind_ms[i]);
	}
}

static void test_sigkill_during_attach(void **s)
{
	kill_collectors("kill-attach.db", sizeof(blind_ms) / sizeof(blind_ms[0]), while_attaching);
}

/* Stopped with SIGINT, then killed while it detaches. */
static const int after_sigint_ms[] = { 0, 1, 3, 10, 30 };

static void while_detaching(struct child *rec, size_t i)
{
	assert_true(wait_for(rec->out, "recording"));
	sleep_ms(100);
	kill(rec->pid, SIGINT);
	sleep_ms(after_sigint_ms[i]);
}

static void test_sigkill_during_detach(void **s)
{
	kill_collectors("kill-detach.db", sizeof(after_sigint_ms) / sizeof(after_sigint_ms[0]),
			while_detaching);
}

/* The command record started outlives it, and is ours to reap. */
static void test_sigkill_launch_mode(void **s)
{
	char *db = fresh_db("kill-launch.db");
	char *rec_argv[] = { tp_bin, "record", "--db", db, "-t", "Pipeline::risky_step", "--",
			     exc_target, "loop", "1.5", NULL };
	int before = delayacct_get();
	struct child rec;
	pid_t command;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	rec = spawn(rec_argv, false); /* its stdout is the command's */
	assert_true(wait_for(rec.out, "ready"));
	command = child_named(rec.pid, "exc_target");
	assert_true(command > 0);
	sleep_ms(400);
	kill(rec.pid, SIGKILL);
	assert_int_equal(reap(rec.pid), 128 + SIGKILL);
	assert_int_equal(reap(command), 0); /* reparented here */
	assert_true(wait_for(rec.out, "loop all caught"));
	fclose(rec.out);
	while (waitpid(-1, NULL, WNOHANG) > 0) /* the guardian, reparented too */
		;
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	check_cleaned_up(db, before);
}

/*
 * record changes no system setting: delay accounting, which nothing of
 * taskprof reads, stays off while it runs (it once held it on), and the
 * system is as it was after.
 */
static void test_no_setting_changed(void **s)
{
	const char *tasks[] = { "trivial_task", NULL };
	char *db = fresh_db("settings.db");
	char *tgt_argv[] = { exc_target, "loop", "60", NULL };
	struct child tgt, rec;

	delayacct_set(0);
	tgt = spawn(tgt_argv, false);
	assert_true(wait_for(tgt.out, "ready"));
	{
		char *rec_argv[] = { tp_bin, "record", "--db", db, "-t", "Pipeline::risky_step",
				     "-p", pid_str(tgt.pid), NULL };

		rec = spawn(rec_argv, true);
	}
	assert_true(wait_for(rec.out, "recording"));
	assert_int_equal(delayacct_get(), 0);
	kill(tgt.pid, SIGUSR2); /* the loop ends */
	assert_int_equal(reap(tgt.pid), 0);
	assert_int_equal(reap(rec.pid), 0);
	fclose(tgt.out);
	fclose(rec.out);
	assert_int_equal(record(fresh_db("settings.db"), target, "recurse", NULL, tasks, NULL), 0);
	assert_int_equal(delayacct_get(), 0);
}

static void test_exception_after_profiler_left(void **s)
{
	char *db = fresh_db("linger.db");
	char *tgt_argv[] = { exc_target, "linger", NULL };
	struct child tgt = spawn(tgt_argv, false), rec;
	struct profile_list l;
	struct session ses;

	assert_true(wait_for(tgt.out, "ready"));
	{
		char *rec_argv[] = { tp_bin, "record", "--db", db, "-d", "0.4", "-t",
				     "Pipeline::linger", "-p", pid_str(tgt.pid), NULL };

		rec = spawn(rec_argv, true);
	}
	assert_true(wait_for(rec.out, "recording"));
	kill(tgt.pid, SIGUSR1); /* enters linger(): 1 s, then it throws */
	assert_int_equal(reap(rec.pid), 0);
	fclose(rec.out);
	/* the frame was open when the profiler left: not stored, but counted */
	rows(db, "Pipeline::linger", &l);
	assert_int_equal(l.len, 0);
	profile_list__free(&l);
	session_of(db, 1, &ses);
	assert_non_null(strstr(ses.loss_detail, "still_open_at_stop=1"));
	session__free(&ses);
	/* the profiler is gone; the exception now passes the frame */
	assert_int_equal(reap(tgt.pid), 0);
	assert_true(wait_for(tgt.out, "survived: boom 7"));
	fclose(tgt.out);
}



int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exception_after_profiler_left),
		cmocka_unit_test(test_sigkill_inside_frame),
		cmocka_unit_test(test_sigkill_during_attach),
		cmocka_unit_test(test_sigkill_during_detach),
		cmocka_unit_test(test_sigkill_launch_mode),
		cmocka_unit_test_setup_teardown(test_no_setting_changed, setup_save_delayacct,
						teardown_restore_delayacct),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("kill", tests, NULL, NULL);
}
