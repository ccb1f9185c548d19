/* SPDX-License-Identifier: MIT */
/*
 * The task table of a collector: (task, file) pairs, whose indexes BPF
 * reports, kept for the collector's life.
 */
#ifndef TP_SERVICE_TASK_TABLE_H
#define TP_SERVICE_TASK_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct agg_task;
struct collect_task;
struct elf_sym;

/*
 * The task table of a collector: names keep their index for the life of
 * the collector, so a record in flight across a reload keeps its name.
 */
struct task_table {
	struct agg_task *v;
	size_t n;
};

int task_table__clone(const struct task_table *from, struct task_table *to);
void task_table__free(struct task_table *t);
/* The index of (name, binary), added if new; -ENOSPC past TP_MAX_TASKS. */
int task_table__find(struct task_table *t, const char *name, const char *binary, uint32_t *idx);
/* What a row of this (task, file) says: the config's stage and limit; its
 * symbol when the file has one match (only), else none. */
int task_table__set(struct task_table *tt, uint32_t idx, const struct collect_task *ct,
		    const struct elf_sym *only);

#endif /* TP_SERVICE_TASK_TABLE_H */
