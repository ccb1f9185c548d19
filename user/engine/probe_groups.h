/* SPDX-License-Identifier: MIT */
/*
 * A plan's probes as link-sized groups: a program's probes in one file,
 * and for entry probes one task's. Groups are named by the file's inode,
 * through the descriptor the plan read it with, so the offsets always
 * belong to the bytes they were computed from even if the path is
 * replaced meanwhile. attach.c makes each group one multi-uprobe link.
 */
#ifndef TP_ENGINE_PROBE_GROUPS_H
#define TP_ENGINE_PROBE_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/file_id.h"
#include "plan/plan.h"

/* an entry group's task when it is not one */
#define NO_TASK UINT32_MAX

struct probe_group {
	enum tp_prog prog;
	uint32_t task;      /* an entry group's task, else NO_TASK */
	struct file_id file;
	char *path;
	uint64_t *offs;
	uint64_t *cookies;
	size_t n;
	int fd;             /* the link, or -1 */
	bool wanted;        /* sync: the new plan has it too */
};

/* The plan's file probes (not the per-process allocation ones) as groups;
 * -ENOENT if the plan no longer holds a file it names. */
int probe_groups__of_plan(const struct plan *p, struct probe_group **out, size_t *n);
/* Appends a copy of g (its arrays now the list's); 0 or -ENOMEM. */
int probe_groups__push(struct probe_group **v, size_t *n, const struct probe_group *g);
bool probe_group__same_probes(const struct probe_group *a, const struct probe_group *b);
void probe_group__fini(struct probe_group *g);

#endif /* TP_ENGINE_PROBE_GROUPS_H */
