/* SPDX-License-Identifier: MIT */
/*
 * The configuration as probes: each task's binary expanded and resolved,
 * the runtime hooks of every image, and the files the plan read.
 */
#ifndef TP_SERVICE_COLLECT_PLAN_H
#define TP_SERVICE_COLLECT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/file_id.h"

struct collect_config;
struct plan;
struct task_table;

/* One file a task's binary names now, as the plan read it. */
struct watched_file {
	char *path;
	struct file_id id;
	int64_t mtime_ns;
	off_t size;
	bool probed;            /* holds probes (else only matched) */
};

/*
 * The plan for a configuration: each task's binary expanded (globs) and
 * resolved, the runtime hooks of every image, and the files it read; tt
 * gains the (task, file) pairs it did not have. On a mistake, NULL and the
 * one line naming the config file and line in err.
 */
struct plan *collect_plan__build(const struct collect_config *c, struct task_table *tt,
				 struct watched_file **files, size_t *nfiles, char *err,
				 size_t errlen);
/* Whether any file the plan read has changed since, or a glob matches others. */
bool collect_plan__stale(const struct collect_config *c, const struct watched_file *files,
			 size_t nfiles);
void watched_files__free(struct watched_file *f, size_t n);

#endif /* TP_SERVICE_COLLECT_PLAN_H */
