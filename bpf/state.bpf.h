/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF side's state: per thread (open frames, counters), per tracked
 * process, per memory peak, and the loss counters. Maps and their accessors
 * only; the code that acts on them is in the other *.bpf.h files.
 *
 * Provides the configuration (cfg, task_gen, rss_on, rss_wanted), the maps
 * (threads, tgids, inv_desc, deep_frames, mm_peaks, mm_index, free_peaks,
 * task_files, stats, events), struct frame, thread_state, desc and mm_peak,
 * and their accessors: stat_inc, tracked, thread_of, thread_new, frame_at,
 * frame_top, deep_key. Relies on taskprof.h (the wire types and limits) and
 * kernel.bpf.h (lookup_or_init).
 */
#ifndef TP_STATE_BPF_H
#define TP_STATE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "taskprof.h"
#include "kernel.bpf.h"

const volatile struct tp_config cfg = {};

/*
 * Each task's probe generation. The collector bumps a task's before it
 * changes the task's probes (a reload): a frame opened under older probes
 * may never see its return, so it is dropped and counted, not stored with
 * a made-up end.
 */
__u32 task_gen[TP_MAX_TASKS];

/*
 * rss_stat fires on every page fault of every process: the collector keeps
 * it attached only while some tracked process lives (engine.c). rss_on says
 * it is attached (set by user space after the attach); a frame opened
 * without it sets rss_wanted, wakes user space, and its peak is counted
 * approximate.
 */
__u32 rss_on;
__u32 rss_wanted;

/* The files that hold tasks (collect): an exec of one asks for rss_stat
 * before the program's first task call. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_MAX_TASK_FILES);
	__type(key, struct tp_file_id);
	__type(value, __u8);
} task_files SEC(".maps");

/*
 * Frames a thread keeps inline; deeper ones, up to TP_MAX_FRAMES, live in
 * deep_frames. The state is allocated when a thread first enters a task, and
 * in a fork storm that is every child: 64 inline frames (9 KiB) made that
 * allocation cost 27 us, 8 (1.5 KiB) cost 5 us (measured here, 6.18).
 */
#define TP_INLINE_FRAMES 8

/* One open invocation. */
struct frame {
	__u64 start_ns;
	__u64 entry_sp;    /* SP at the call: it points at the return address */
	__u64 ret_addr;    /* the return address, to tell a tail call from a dead frame */
	__u64 inv_id;      /* key of its inv_desc entry, if children charged it */
	__u64 rss0;
	__u64 hw0;         /* F_MEM_EARLY: its mm's hiwater_rss at entry */
	__u64 base[TP_NR_CTR];
	__u32 task;
	__u32 slot;        /* memory peak slot, or TP_NO_SLOT */
	__u32 cpus;
	__u32 flags;       /* enum frame_flags */
	__u32 gen;         /* task_gen of its task when it opened */
	__u32 marker;      /* a marker region's id, or 0 */
};

enum frame_flags {
	F_DESC = 0x1,      /* children have charged it (inv_desc entry) */
	F_NO_ALLOCS = 0x2, /* opened where allocations are not counted */
	F_MEM_EARLY = 0x4, /* opened before rss_stat was attached: hiwater_rss fills in */
	F_MEM_UNSURE = 0x8, /* ...and a peak may have gone unseen: approximate */
	F_URET = 0x10,      /* a uretprobe waits for its return (counted in nuret) */
	F_END_UNSEEN = 0x20, /* found left without a return seen: its end approximate */
	F_SITES = 0x40,     /* returns seen at its callers' sites, and left at their pads */
	F_TAILED = 0x80,    /* left its body by a tail call (tp_tail): its return may go unseen */
};

struct thread_state {
	__u64 ctr[TP_NR_CTR];      /* event-counted totals of this thread */
	__u64 charged[TP_NR_CTR];  /* part of the snapshot already charged to owner */
	/*
	 * The last cut: an exception, forced unwind or longjmp. Frames found
	 * dead later, that were open at the cut, ended at it.
	 */
	__u64 cut_snap[TP_NR_CTR];
	__u64 cut_ns;
	__u64 iowait_since;        /* IO wait (iowait.bpf.h): blocked since */
	__u64 last_iowait;         /* IO wait counted at the last switch-in */
	__u64 in_ktime;            /* when it was switched in */
	__u64 sum_in;              /* se.sum_exec_runtime then */
	__u64 owner;               /* invocation that spawned this thread */
	__u64 mm_key;              /* the mm its frames belong to */
	__u64 seq;                 /* invocation ids of this thread */
	__u32 mm_idx;              /* that mm's entry in mm_peaks, or TP_NO_SLOT */
	__u32 depth;
	__u32 cut_status;          /* enum tp_status of frames the cut ended */
	__u32 cut_jump;            /* the cut was a longjmp: no landing pad sees it */
	__u32 tid;                 /* key of its deep frames */
	__u32 py_pending;          /* a Python exception set, not yet in a Python frame */
	__u32 nuret;               /* open frames whose return a uretprobe waits for */
	struct frame frames[TP_INLINE_FRAMES];
};

/* What child threads and processes charged to an open invocation. */
struct desc {
	__u64 ctr[TP_NR_CTR];
	__u32 flags;               /* F_NO_ALLOCS: a child's allocations were not counted */
	__u32 pad;
};

/* Running maxima of RSS for the open invocations of one mm. */
struct mm_peak {
	__u64 mask;
	__u64 max[TP_MEM_SLOTS];
	__u32 tgid;                /* the process that made it; a vfork child shares the mm */
	__u32 hint;                /* its bucket in mm_hint (mempeak.bpf.h) */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} threads SEC(".maps");

/* The processes being profiled: the collector adds the root, fork adds its
 * descendants, exit removes them. Every probe filters on it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct tp_proc);
} tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct desc);
} inv_desc SEC(".maps");

/* Frames beyond TP_INLINE_FRAMES, by tid << 32 | depth; preallocated. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct frame);
} deep_frames SEC(".maps");

/*
 * Memory peaks, one entry per tracked mm. An array, so that entry and
 * return, which know the index, pay no hash lookup (a hash here cost each
 * ~30 ns more); rss_stat, which only knows the mm, goes through mm_index.
 * Free indexes wait in free_peaks, which the collector fills after load.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TP_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct mm_peak);
} mm_peaks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_MAX_PROCS);
	__type(key, __u64);
	__type(value, __u32);
} mm_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, TP_MAX_PROCS);
	__type(value, __u32);
} free_peaks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TP_RINGBUF_MB << 20);
} events SEC(".maps");

static const struct desc zero_desc;
static const struct frame zero_frame;
static const struct tp_proc new_proc = { .mm_idx = TP_NO_SLOT };

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

static __always_inline struct tp_proc *tracked(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct tp_proc *p = bpf_map_lookup_elem(&tgids, &tgid);

	/* collect: whoever runs a task is profiled, from its first entry */
	if (!p && cfg.track_all) {
		p = lookup_or_init(&tgids, &tgid, &new_proc);
		if (!p)
			stat_inc(TP_STAT_LOST_PROC);
	}
	return p;
}

static __always_inline struct thread_state *thread_of(struct task_struct *t)
{
	return bpf_task_storage_get(&threads, t, 0, 0);
}

/* The thread's state, created for task t. */
static __always_inline struct thread_state *thread_new(struct task_struct *t)
{
	struct thread_state *ts;

	ts = bpf_task_storage_get(&threads, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts) {
		stat_inc(TP_STAT_LOST_THREAD);
		return NULL;
	}
	ts->tid = t->pid;
	return ts;
}

static __always_inline __u64 deep_key(struct thread_state *ts, __u32 idx)
{
	return ((__u64)ts->tid << 32) | idx;
}

/* Frame idx (0 = outermost) of the thread, or NULL. */
static __always_inline struct frame *frame_at(struct thread_state *ts, __u32 idx)
{
	__u64 key;

	if (idx < TP_INLINE_FRAMES)
		return &ts->frames[idx & (TP_INLINE_FRAMES - 1)];
	if (idx >= TP_MAX_FRAMES)
		return NULL;
	key = deep_key(ts, idx);
	return bpf_map_lookup_elem(&deep_frames, &key);
}

/* The innermost open frame, or NULL. */
static __always_inline struct frame *frame_top(struct thread_state *ts)
{
	return ts->depth ? frame_at(ts, ts->depth - 1) : NULL;
}

#endif /* TP_STATE_BPF_H */
