/* SPDX-License-Identifier: MIT */
/*
 * The plan as links: task probes and runtime hooks on files, for every
 * process that maps them, synced to a new plan touching only what changed;
 * allocation probes per process.
 */
#ifndef TP_ENGINE_ATTACH_H
#define TP_ENGINE_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct attacher;
struct plan;
struct taskprof_bpf;

struct taskprof_bpf;
struct attacher;
/* Before load: the multi-uprobe programs' attach type. */
void attacher__prepare(struct taskprof_bpf *skel);
struct attacher *attacher__new(struct taskprof_bpf *skel);
/* What a sync may keep, and whom it tells about a task losing probes. */
struct attacher_sync {
	void *ctx;
	/* a group the plan no longer has, on this file, stays while true */
	bool (*keep)(void *ctx, dev_t dev, ino_t ino, uint32_t task);
	/* task's entry probes are going: its open frames cannot be trusted */
	void (*retire)(void *ctx, uint32_t task);
};
/* Task probes and runtime hooks, on the files, for every process: the
 * links made to match the plan, only what changed touched. s may be NULL. */
int attacher__sync(struct attacher *a, const struct plan *p, const struct attacher_sync *s);
/* Every link on one file, gone now (its bytes are being rewritten). */
int attacher__drop_file(struct attacher *a, dev_t dev, ino_t ino, const struct attacher_sync *s);
/* The plan's allocation probes, for one process. */
int attacher__attach_allocs(struct attacher *a, const struct plan *p, pid_t pid);
size_t attacher__count(const struct attacher *a);
/* Detaches everything, the links' teardowns in parallel. Accepts NULL. */
void attacher__free(struct attacher *a);

#endif /* TP_ENGINE_ATTACH_H */
