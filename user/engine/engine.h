/* SPDX-License-Identifier: MIT */
/*
 * The engine: the BPF object's lifecycle (load, attach, poll, stop), the
 * processes it tracks, lazy tracepoints, and the records it hands to the
 * aggregator. record and collect drive it; it calls plan/ and elf/ below.
 */
#ifndef TP_ENGINE_ENGINE_H
#define TP_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct agg;
struct attacher_sync;
struct engine;
struct file_id;
struct losses;
struct plan;

struct engine_opts {
	bool allocs;        /* malloc-family probes */
	bool track_all;     /* any process entering a task is tracked (collect) */
	bool lazy_rss;      /* rss_stat only while a tracked process lives (collect) */
	size_t ringbuf_mb;  /* 0: TP_RINGBUF_MB */
};

struct engine;
struct engine *engine__new(const struct engine_opts *opts);
/* Tracks pid and, from then on, the processes it forks. */
int engine__track(struct engine *e, pid_t pid, uint32_t flags);
/* Forgets tracked processes that are gone without an exit BPF saw. */
void engine__prune_dead(struct engine *e);
/* The plan's allocation probes for pid (before tracking it). */
int engine__attach_allocs(struct engine *e, const struct plan *p, pid_t pid);
/* Tracepoints and the plan's probes on files. */
/* Keeps p: return sites found while running are added to it (dynsites.h). */
int engine__attach(struct engine *e, struct plan *p);
/* The plan's file probes, changed from the last (collect); see attacher__sync. */
int engine__sync(struct engine *e, struct plan *p, const struct attacher_sync *s);
void engine__retire(struct engine *e, uint32_t task);
int engine__drop_file(struct engine *e, dev_t dev, ino_t ino, const struct attacher_sync *s);
/* Takes every record so far and writes it (before the task table changes). */
void engine__flush(struct engine *e);
/* lazy_rss: attaches rss_stat once a frame asked for it (after each poll) or
 * the caller needs it (it tracked running processes)... */
int engine__check_rss(struct engine *e, bool needed);
/* ...and detaches it when no tracked process is left (every few seconds). */
void engine__idle_rss(struct engine *e);
/* The files holding tasks, by device and inode: an exec of one attaches
 * rss_stat before the program's first call (lazy_rss). */
int engine__set_task_files(struct engine *e, const struct file_id *ids, size_t n);
void engine__losses(struct engine *e, const struct agg *agg, struct losses *l);
void engine__prog_stats(struct engine *e, uint64_t *run_ns, uint64_t *runs);
/* Records go to agg from now on. */
int engine__sink(struct engine *e, struct agg *agg);
void engine__poll(struct engine *e, int timeout_ms);
/* Takes every record, detaches, counts what was lost. */
void engine__stop(struct engine *e, const struct agg *agg, struct losses *l);
void engine__free(struct engine *e);

#endif /* TP_ENGINE_ENGINE_H */
