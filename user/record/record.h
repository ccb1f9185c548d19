/* SPDX-License-Identifier: MIT */
/*
 * `taskprof record`: profile a command it launches or a running process.
 */
#ifndef TP_RECORD_RECORD_H
#define TP_RECORD_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "plan/probeplan.h"

struct task_spec;

struct record_opts {
	const char *db;
	const char *stage;
	const char *env;
	bool allocs;
	double duration;         /* seconds, 0 = until the target ends */
	pid_t pid;               /* -p */
	char **argv;             /* -- COMMAND */
	struct task_spec *specs;
	size_t nspecs;
	enum tp_ret_mode ret_mode;
	size_t ringbuf_mb;
};

/* Returns the exit status for the process. */
int record__run(const struct record_opts *o);

#endif /* TP_RECORD_RECORD_H */
