/* SPDX-License-Identifier: MIT */
/*
 * Records shared by the BPF programs and the collector. Fixed-width fields,
 * largest first, no pointers or bools, so both sides agree on the layout
 * without padding surprises.
 */
#ifndef TASKPROF_H
#define TASKPROF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Open invocations one thread may nest; deeper ones are counted as lost. */
#define TP_MAX_FRAMES 64
/* Concurrent open invocations per process that get an exact memory peak. */
#define TP_MEM_SLOTS 64
#define TP_NO_SLOT 0xffffffffu

/* Per-invocation counters, indexes into tp_event.ctr and the BPF state. */
enum tp_ctr {
	TP_CPU_NS = 0,   /* on-CPU time, ns: se.sum_exec_runtime */
	TP_UTIME_NS,     /* task->utime delta (tick sampled), for the user/sys split */
	TP_STIME_NS,     /* task->stime delta (tick sampled) */
	TP_IOWAIT_NS,    /* block IO delay: delays->blkio_delay (delayacct) */
	TP_READ_BYTES,   /* task->ioac.read_bytes delta */
	TP_WRITE_BYTES,  /* task->ioac.write_bytes delta */
	TP_NET_TX,       /* bytes sent on AF_INET/AF_INET6 sockets */
	TP_NET_RX,       /* bytes received on AF_INET/AF_INET6 sockets */
	TP_ALLOCS,       /* malloc-family calls (with --allocs) */
	TP_EXCEPTIONS,   /* _Unwind_RaiseException calls */
	TP_NR_CTR,
};

enum tp_status {
	TP_COMPLETED = 0, /* its frame returned */
	TP_UNWOUND = 1,   /* left by an exception or longjmp */
	TP_EXITED = 2,    /* its thread or process ended inside it */
};

/* Indexes into the stats array map; every way of losing data has one. */
enum tp_stat {
	TP_STAT_LOST_RINGBUF = 0, /* records dropped: ring buffer full */
	TP_STAT_LOST_DEPTH,    /* invocations not recorded: nesting > TP_MAX_FRAMES */
	TP_STAT_LOST_THREAD,   /* thread state could not be allocated */
	TP_STAT_LOST_DESC,     /* child-thread charges dropped: map full */
	TP_STAT_MEM_APPROX,    /* memory peak fell back to entry/exit readings */
	TP_STAT_NR,
};

/* Cookie layout of the entry uprobe: task index and entry SP adjustment. */
#define TP_COOKIE(task, sp_adj) (((__u64)(sp_adj) << 32) | (__u32)(task))

/* One finished invocation. */
struct tp_event {
	__u64 inv_id;
	__u64 start_ns;     /* CLOCK_MONOTONIC */
	__u64 end_ns;
	__u64 rss_peak;     /* bytes */
	__u64 ctr[TP_NR_CTR];
	__u32 pid;
	__u32 tid;
	__u32 task;         /* index of the declared task */
	__u32 status;       /* enum tp_status */
	__u32 cpus;         /* CPUs the thread may run on */
	__u32 depth;        /* nesting depth on its thread, 0 = outermost */
	__u32 flags;
	__u32 reserved;
};

#define TP_EV_MEM_APPROX 0x1 /* rss_peak from entry/exit readings only */

/* Read-only configuration, set by the collector before load. */
struct tp_config {
	__u32 follow_forks; /* track processes forked by tracked ones */
	__u32 count_allocs;
	__u32 guard;        /* the unwind guard traces the target (user/guard.c) */
	__u32 reserved;
};

/*
 * Unwind guard requests: return slots to rewrite while the thread is held
 * in a ptrace signal-stop. Each slot is written only if it still holds
 * `expect`. The signal is SIGURG, whose default action is to ignore it.
 */
#define TP_GUARD_SLOTS 64
#define TP_GUARD_SIGNAL 23 /* SIGURG */

enum tp_guard_kind {
	TP_GUARD_RESTORE = 1, /* trampoline -> real return address */
	TP_GUARD_REHIJACK = 2, /* real return address -> trampoline */
};

struct tp_guard_req {
	__u64 addr[TP_GUARD_SLOTS];
	__u64 val[TP_GUARD_SLOTS];
	__u64 expect[TP_GUARD_SLOTS];
	__u32 n;
	__u32 kind;
};

/* One hijacked return slot, as listed by the dump_hijacks iterator. */
struct tp_hijack {
	__u64 stack;  /* address of the return slot */
	__u64 orig;   /* the real return address */
	__u64 tramp;  /* the trampoline address now in the slot */
	__u32 tid;
	__u32 pad;
};

#endif /* TASKPROF_H */
