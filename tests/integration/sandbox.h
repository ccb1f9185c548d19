/* SPDX-License-Identifier: MIT */
/* The collector tests' sandbox (sandbox.c). */
#ifndef TP_SANDBOX_H
#define TP_SANDBOX_H

#include "harness.h"

#define NOBODY 65534
#define READERS 100 /* group "users", on every Debian */

extern struct sandbox {
	char dir[PATH_MAX];  /* 0755, reachable by nobody */
	char bin[PATH_MAX];  /* taskprof */
	char pipe[PATH_MAX]; /* the target: the pipeline under test */
	char exc[PATH_MAX];  /* exc_target: a C++ pipeline */
	char work[PATH_MAX]; /* 1777: the pipelines' files and ground truth */
	char db[PATH_MAX];   /* dir/db/profiles.db */
	char conf[PATH_MAX];
} sb;

/* The tasks cpu (stage ingest), write and quote of the pipeline, into sb.db
 * for the users group. */
extern const char base_conf[];

char *sb_path(const char *dir, const char *name);
int setup_sandbox(void **state);
int teardown_sandbox(void **state);
/* Per test: no database yet. */
int fresh(void **state);
void write_conf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void write_base_conf(void);
/* The collector on sb.conf, its stderr on a pipe, once it said ready. */
struct child start_collector(void);
/* Sends sig, reaps it; its shell-style status. */
int stop_collector(struct child *c, int sig);
/* Runs argv as uid (0: root; else with the readers group), TP_GT=gt, its
 * output in out_buf and err_buf; its PID is then last_pid. */
int run_user(char *const argv[], const char *gt, uid_t uid);
/* The first column of the first row of a query on sb.db; -2 for NULL. */
double query(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The one row of task in pid (fails unless exactly one); caller frees. */
void row_of(const char *task, pid_t pid, struct profile *out);

#endif /* TP_SANDBOX_H */
