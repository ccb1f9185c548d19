/* SPDX-License-Identifier: MIT */
/*
 * Everything that crosses the boundary between the BPF programs and the
 * collector: records, configuration, counters and cookies. Fixed-width
 * fields, largest first, reserved bytes zeroed, so both sides agree on the
 * layout without padding surprises.
 */
#ifndef TASKPROF_H
#define TASKPROF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Open invocations one thread may hold: nested calls, and marker regions of
 * coroutines one event loop has started (asyncio.gather of 200 requests).
 * More are counted as lost. Frames past the inline ones cost only when used.
 */
#define TP_MAX_FRAMES 256
/* Concurrent open invocations per process that get an exact memory peak. */
#define TP_MEM_SLOTS 64
#define TP_NO_SLOT 0xffffffffu
/* Processes tracked at once; a fork beyond it is a process missed, counted. */
#define TP_MAX_PROCS 8192
/* Declared tasks one collector may have: task indexes are below it. */
#define TP_MAX_TASKS 1024
/*
 * Default ring buffer, MiB; --ringbuf-mb overrides it before load. Small
 * enough to stay in the caches: each event written into memory no cache
 * held cost ~300 ns more (tp_ret as a uretprobe 330-430 ns a call with 8 MiB, 530 with
 * 16, 600-790 with 32 and 64; bpf_stats, 6.18, 32 MiB of L3), while the
 * reader empties it every few ms.
 */
#define TP_RINGBUF_MB 8
/* 2048 MiB took the loader past seconds here (6.18, 24 GiB), 4096 failed */
#define TP_RINGBUF_MAX_MB 1024

/* Per-invocation counters, indexes into tp_event.ctr and the BPF state. */
enum tp_ctr {
	TP_CPU_NS = 0,   /* on-CPU time, ns: se.sum_exec_runtime */
	TP_UTIME_NS,     /* task->utime delta (tick sampled), for the user/sys split */
	TP_STIME_NS,     /* task->stime delta (tick sampled) */
	TP_IOWAIT_NS,    /* blocked on IO: switch-out with in_iowait to switch-in */
	TP_READ_BYTES,   /* task->ioac.read_bytes delta */
	TP_WRITE_BYTES,  /* task->ioac.write_bytes delta */
	TP_NET_TX,       /* bytes sent on AF_INET/AF_INET6 sockets */
	TP_NET_RX,       /* bytes received on AF_INET/AF_INET6 sockets */
	TP_ALLOCS,       /* malloc-family calls (with --allocs) */
	TP_EXCEPTIONS,   /* _Unwind_RaiseException calls; Python exceptions (markers.bpf.h) */
	TP_NR_CTR,
};

enum tp_status {
	TP_COMPLETED = 0, /* its frame returned */
	TP_UNWOUND = 1,   /* left by an exception or longjmp */
	TP_EXITED = 2,    /* its thread or process ended inside it */
	TP_NR_STATUS,
};

/*
 * Indexes into the stats array map; every way of losing data has one.
 * The collector sums the TP_STAT_LOST_* ones into sessions.events_lost.
 */
enum tp_stat {
	TP_STAT_LOST_RINGBUF = 0, /* records dropped: ring buffer full */
	TP_STAT_LOST_DEPTH,    /* not recorded: nesting > TP_MAX_FRAMES, or > TP_URET_DEPTH */
	TP_STAT_LOST_THREAD,   /* thread state could not be allocated */
	TP_STAT_LOST_DESC,     /* child charges dropped: map full */
	TP_STAT_LOST_PROC,     /* forked processes not tracked: TP_MAX_PROCS reached */
	TP_STAT_MEM_APPROX,    /* memory peak fell back to entry/exit readings */
	TP_STAT_LOST_RELOAD,   /* invocations open while their task's probes changed */
	TP_STAT_RET_UNSEEN,    /* stored with an approximate end: no probe saw the return */
	TP_STAT_NR,
};

/*
 * Entry probe cookie: task index, SP adjustment back to the call, and how
 * the task's returns are seen: TP_COOKIE_URET by a uretprobe,
 * TP_COOKIE_SITES at its callers' return sites and landing pads.
 */
#define TP_COOKIE(task, sp_adj) (((__u64)(sp_adj) << 32) | (__u32)(task))
#define TP_COOKIE_URET (1ULL << 63)
#define TP_COOKIE_SITES (1ULL << 62)
#define TP_COOKIE_TASK(c) ((__u32)(c))
#define TP_COOKIE_SP_ADJ(c) (((c) >> 32) & 0x3fffffffu)
/* Return-site probe cookie: the returning frame's slot is SP + (s32)cookie;
 * ra_sp is SP at the return address minus SP at the probe (callsites.h). */
#define TP_SITE_COOKIE(ra_sp) ((__u64)(__u32)((__s32)(ra_sp) - 8))
/* Return probe cookies (tp_ret): the slot is SP + (s64)cookie; a uretprobe
 * runs after the ret popped the return address. */
#define TP_RET_COOKIE_INSN 0ULL
#define TP_RET_COOKIE_URET ((__u64)-8LL)
/*
 * Returns a thread may have pending in uretprobes: the kernel hijacks no
 * more (MAX_URETPROBE_DEPTH, include/linux/uprobes.h, 64 since 2.6.39 and
 * in 6.18). Deeper calls return unseen, so their frames are not opened.
 */
#define TP_URET_DEPTH 64

/*
 * Markers (marker/taskprof_marker.h): regions a program names itself. A
 * region's frame has entry_sp TP_MARKER_SP | token, above any user stack
 * pointer, so no return or unwind of a native frame takes it for dead.
 */
#define TP_MARKER_NAME 64               /* bytes of a name, stage or env, NUL included */
#define TP_MARKER_SP (1ULL << 63)
#define TP_NO_TASK 0xffffffffu           /* a marker no declared task wants */
#define TP_MAX_MARKER_IDS 65536          /* (process, marker id) pairs remembered */
#define TP_MARKER_MAGIC 0x72656b72616d7074ULL /* "tpmarker": a tp_marker_rec */

/* A marker name: the key of the marker_names map, zero-padded. */
struct tp_marker_name {
	char s[TP_MARKER_NAME];
};

/* A marker id first seen in a process, with what it names; before any
 * tp_event of it in the ring buffer. */
struct tp_marker_rec {
	__u64 magic;        /* TP_MARKER_MAGIC */
	__u32 pid;
	__u32 id;
	__u32 task;         /* the declared task it counts for */
	__u32 reserved;
	char name[TP_MARKER_NAME];
	char stage[TP_MARKER_NAME];
	char env[TP_MARKER_NAME];
};

/*
 * A task whose callers are not all known left its frame by a tail call:
 * the collector is asked to probe the return address of its call, once per
 * (process, address), so the next calls from there end exactly
 * (user/dynsites.c). The first is stored approximate.
 */
#define TP_SITE_REQ_MAGIC 0x71657265746973ULL /* "sitereq" */
#define TP_MAX_SITE_REQS 4096                   /* (process, address) pairs remembered */

struct tp_site_req {
	__u64 magic;        /* TP_SITE_REQ_MAGIC */
	__u64 ra;           /* the return address, in the process */
	__u32 pid;
	__u32 reserved;
};

/* Bits of tp_event.flags. */
enum tp_event_flags {
	TP_EV_MEM_APPROX = 0x1, /* rss_peak from entry/exit readings only */
	TP_EV_NO_ALLOCS = 0x2,  /* allocations were not counted everywhere: store NULL */
	TP_EV_END_APPROX = 0x4, /* its return went unseen: end_ns is when it was found left */
};

/* One finished invocation. */
struct tp_event {
	__u64 start_ns;     /* CLOCK_MONOTONIC */
	__u64 end_ns;
	__u64 rss_peak;     /* bytes */
	__u64 ctr[TP_NR_CTR];
	__u32 pid;
	__u32 tid;
	__u32 task;         /* index of the declared task */
	__u32 status;       /* enum tp_status */
	__u32 cpus;         /* CPUs the thread may run on */
	__u32 flags;        /* enum tp_event_flags */
	__u32 marker;       /* a marker region's id (tp_marker_rec), or 0 */
	__u32 reserved;
};

/* Read-only configuration, set by the collector before load. */
struct tp_config {
	__u32 count_allocs; /* --allocs: malloc-family probes are placed */
	__u32 track_all;    /* any process entering a task is tracked (collect) */
};

/* Bits of tp_proc.flags, set by the collector. */
enum tp_proc_flags {
	TP_PROC_ALLOCS = 0x1, /* its malloc-family probes are in place */
};

/* A tracked process: the value of the tgids map. The collector registers
 * the root (record) or the processes running a task (collect); BPF adds
 * their descendants, and with track_all any process entering a task, and
 * keeps the memory-peak fields. */
struct tp_proc {
	__u64 mm_key;  /* the mm of its memory-peak entry */
	__u32 flags;   /* enum tp_proc_flags */
	__u32 mm_idx;  /* that entry in mm_peaks, or TP_NO_SLOT */
};

/* A file holding a task (collect): the key of the task_files map. dev is in
 * the kernel's encoding, major << 20 | minor, as in super_block.s_dev. */
struct tp_file_id {
	__u64 dev;
	__u64 ino;
};
#define TP_MAX_TASK_FILES 1024

#endif /* TASKPROF_H */
