/* SPDX-License-Identifier: MIT */
/*
 * What every integration test file shares: paths of the built binaries,
 * running commands with their output captured, recording a target, reading
 * the rows back, and the ground truth targets write ("key value" lines).
 */
#ifndef TP_HARNESS_H
#define TP_HARNESS_H

#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "profile_repo.h"

extern char tp_bin[PATH_MAX], target[PATH_MAX], exc_target[PATH_MAX], scratch[PATH_MAX];
extern char out_buf[1 << 16], err_buf[1 << 16];

/* a binary next to the others in BUILD/tests */
const char *test_bin(const char *name);

#define assert_near(actual, expected, tol)                                                 \
	do {                                                                                 \
		double a_ = (actual), e_ = (expected), t_ = (tol);                           \
		if (fabs(a_ - e_) > t_)                                                      \
			fail_msg("%s = %.6f, expected %.6f +- %.6f", #actual, a_, e_, t_);   \
	} while (0)

#define assert_one_line_error(rc, needle)                                            \
	do {                                                                          \
		assert_int_not_equal((rc), 0);                                        \
		if (!strstr(err_buf, (needle)))                                        \
			fail_msg("stderr lacks '%s': %s", (needle), err_buf);          \
		assert_int_equal(count_lines(err_buf), 1);                            \
	} while (0)

double max2(double a, double b);
int count_lines(const char *s);
void slurp(const char *path, char *buf, size_t len);

/* Runs argv (as uid, if not 0) with stdout and stderr in out_buf and
 * err_buf, TP_GT=gt in its environment; returns the shell-style status.
 * Its PID is then last_pid. */
extern pid_t last_pid;
int run_as(char *const argv[], const char *gt, uid_t uid);
/* The same, a uid other than 0 taking these supplementary groups. */
int run_in_groups(char *const argv[], const char *gt, uid_t uid, const gid_t *groups,
		  size_t ngroups);
int run(char *const argv[], const char *gt);

char *path_in(const char *name);           /* SCRATCH/name */
char *fresh_db(const char *name);          /* SCRATCH/name, with no database there */
double gt_get(const char *gt, const char *key);
bool gt_has(const char *gt, const char *key);
/* io_wait against the iowait scenario's ground truth in gt; what names it */
void assert_iowait(double io_wait, const char *gt, const char *what);

/* taskprof record --db DB [opts] -t T... -- ARGV... */
int record_argv(const char *db, const char *const *tasks, const char *const *opts,
		char *const *argv);
/* ...with TP_GT=gt in its environment */
int record_gt(const char *db, const char *const *tasks, const char *const *opts,
	      char *const *argv, const char *gt);
/* taskprof record --db DB [opts] -t T... -- PROG SCENARIO SCRATCH */
int record(const char *db, const char *prog, const char *scenario, const char *gt,
	   const char *const *tasks, const char *const *opts);
void rows(const char *db, const char *process, struct profile_list *l);
/* Records one scenario of target and returns the single row of its task. */
void record_one(const char *scenario, const char *task, const char *const *opts,
		struct profile *out, char *gt);
void session_of(const char *db, int64_t id, struct session *out);

/* stdout of an unprofiled run, for comparing with a profiled one */
void reference_run(char *const argv[], char *out, size_t len, int *status);

/* kernel.task_delayacct: tests that change it restore it in their teardown */
int delayacct_get(void);
void delayacct_set(int v);
int setup_save_delayacct(void **state);
int teardown_restore_delayacct(void **state);

/* Whether SCRATCH is on a block device that takes O_DIRECT reads: not on
 * tmpfs. Tests of storage bytes and IO wait skip() otherwise. */
bool block_device_works(void);

/* A process started with its stdout (or, with err, its stderr) on a pipe. */
struct child {
	pid_t pid;
	FILE *out;
};

struct child spawn(char *const argv[], bool err);
/* Reads lines until one contains needle; false at end of file. */
bool wait_for(FILE *f, const char *needle);
/* Waits for pid; its shell-style status. */
int reap(pid_t pid);
void sleep_ms(int ms);
char *pid_str(pid_t pid);

/* Sets the paths from BUILD_DIR (argv[1]); 0, or non-zero with a message. */
int harness_init(int argc, char **argv);

#endif /* TP_HARNESS_H */
