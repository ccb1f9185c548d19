/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thread's counters as of now, and the charging of what child threads and
 * processes did to the invocation that started them.
 *
 * CPU is the kernel's own per-task accounting, the same that getrusage
 * reports. sum_exec_runtime of a running task lags by up to a tick (see
 * cpu_now for what is added to it). IO wait is the thread's own count,
 * kept at context switches from in_iowait (iowait.bpf.h).
 *
 * Provides the program tp_calibrate, and for the others snapshot (a
 * frame's counters at entry, at exit, at a cut), desc_add, charge_owner,
 * charge_live_threads and allocs_counted. Relies on state.bpf.h (threads,
 * inv_desc, tracked, stat_inc) and kernel.bpf.h (lookup_or_init).
 */
#ifndef TP_COUNTERS_BPF_H
#define TP_COUNTERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "taskprof.h"
#include "kernel.bpf.h"
#include "state.bpf.h"

/*
 * The on-CPU time of t up to now. The scheduler adds to sum_exec_runtime
 * only at ticks and switches (update_curr), so a running task's figure is
 * up to a tick old: 4 ms at HZ=250, more than many invocations last. With
 * stale figures at both ends, the CPU of a short task moved into the next
 * one (a 3 ms spin read 0.7 ms, and the write after it 2.7 ms in 0.6 ms).
 *
 * The part not yet added is the time since se.exec_start, which is on the
 * runqueue's clock_task; clock - clock_task (IRQ and steal time) brings it
 * to sched_clock (the runqueue is found through se.cfs_rq, which needs
 * CONFIG_FAIR_GROUP_SCHED; without it the two clocks are taken as one,
 * which they are unless IRQ or steal time is accounted; `runqueues` is
 * not in kallsyms without CONFIG_KALLSYMS_ALL, so __ksym cannot reach it),
 * which runs apart from bpf_ktime_get_ns by an offset only NTP's slew
 * moves. That offset is learned per CPU as the least gap seen:
 * a task just scheduled in shows it exactly; the estimate rises by 50 ppm
 * of elapsed time so it follows a slew. What is added never exceeds the
 * gap seen, so an estimate too high only adds too little, as before.
 */
#define TP_CLOCK_SLEW_DIV 20000        /* 50 ppm */
#define TP_CPU_CATCHUP_MAX 20000000ULL /* a gap beyond 20 ms is not trusted */

/* IRQ and steal time are taken out of clock_task only with these (5.x+):
 * without them the runqueue's two clocks are one and need not be read */
extern bool CONFIG_IRQ_TIME_ACCOUNTING __kconfig __weak;
extern bool CONFIG_PARAVIRT_TIME_ACCOUNTING __kconfig __weak;

struct clock_cal {
	__s64 offset; /* ktime - sched_clock, at least */
	__s64 at;     /* ktime it was learned */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clock_cal);
} clock_cal SEC(".maps");

static __always_inline __u64 cpu_now(struct task_struct *t, __u64 ktime)
{
	__u64 sum = t->se.sum_exec_runtime, irq = 0;
	struct clock_cal *c;
	__u32 key = 0;
	__s64 now, gap, est;

	if (t != bpf_get_current_task_btf())
		return sum;
	c = bpf_map_lookup_elem(&clock_cal, &key);
	if (!c)
		return sum;
	if ((CONFIG_IRQ_TIME_ACCOUNTING || CONFIG_PARAVIRT_TIME_ACCOUNTING) &&
	    bpf_core_field_exists(struct cfs_rq, rq)) {
		/* plain loads through a trusted task: no helper calls per probe */
		struct rq *rq = t->se.cfs_rq->rq;

		if (rq)
			irq = rq->clock - rq->clock_task;
	}
	now = ktime;
	gap = now - (__s64)t->se.exec_start - (__s64)irq;
	est = c->offset + (__s64)((__u64)(now - c->at) / TP_CLOCK_SLEW_DIV);
	if (!c->at || gap < est) {
		c->offset = gap;
		c->at = now;
		return sum;
	}
	if (gap - est > (__s64)TP_CPU_CATCHUP_MAX)
		return sum;
	return sum + (gap - est);
}

/*
 * Learns this CPU's clock offset (cpu_now) from the calling thread. The
 * collector runs it on each CPU at its start, just after a sleep: a thread
 * just switched in shows the offset exactly. Learned only from the probes,
 * a CPU that had seen a few busy threads could over-estimate it by a tick,
 * and a task's end read on it come out that much short (4 ms once here).
 */
SEC("raw_tp")
int tp_calibrate(void *ctx)
{
	cpu_now(bpf_get_current_task_btf(), bpf_ktime_get_ns());
	return 0;
}

/* Counter i of t at ktime (bpf_ktime_get_ns, which the caller has). */
static __always_inline __u64 counter_now(struct thread_state *ts, struct task_struct *t, int i,
					 __u64 ktime, bool current)
{
	switch (i) {
	case TP_CPU_NS:
		/* another thread's figure is as of its last tick or switch */
		return current ? cpu_now(t, ktime) : t->se.sum_exec_runtime;
	/* t is a trusted BTF pointer: plain loads, no probe_read calls */
	case TP_UTIME_NS:
		return t->utime;
	case TP_STIME_NS:
		return t->stime;
	case TP_IOWAIT_NS:
		return ts->ctr[TP_IOWAIT_NS]; /* iowait.bpf.h */
	case TP_READ_BYTES:
		return t->ioac.read_bytes;
	case TP_WRITE_BYTES:
		return t->ioac.write_bytes;
	case TP_NET_TX:
		return ts->ctr[TP_NET_TX];
	case TP_NET_RX:
		return ts->ctr[TP_NET_RX];
	case TP_ALLOCS:
		return ts->ctr[TP_ALLOCS];
	default:
		return ts->ctr[TP_EXCEPTIONS];
	}
}

/* The counters of t at ktime. */
static __always_inline void snapshot(struct thread_state *ts, struct task_struct *t, __u64 *s,
				     __u64 ktime)
{
	/* unrolled, so that each counter is its own load: merged, a load from
	 * the task and one from the map would be one instruction on two kinds
	 * of pointer, which the verifier refuses */
#pragma unroll
	for (int i = 0; i < TP_NR_CTR; i++)
		s[i] = counter_now(ts, t, i, ktime, true);
}

/* Adds d to invocation id's charges; creates the entry if asked. */
static __always_inline void desc_add(__u64 id, const __u64 *d, __u32 flags, bool create)
{
	struct desc *dst;

	if (!id)
		return;
	dst = create ? lookup_or_init(&inv_desc, &id, &zero_desc)
		     : bpf_map_lookup_elem(&inv_desc, &id);
	if (!dst) {
		if (create)
			stat_inc(TP_STAT_LOST_DESC);
		return;
	}
	for (int i = 0; i < TP_NR_CTR; i++)
		if (d[i])
			__sync_fetch_and_add(&dst->ctr[i], d[i]);
	if (flags)
		__sync_fetch_and_or(&dst->flags, flags);
}

/* Whether allocations are counted in the current process. */
static __always_inline bool allocs_counted(void)
{
	struct tp_proc *p;

	if (!cfg.count_allocs)
		return true;
	p = tracked();
	return p && (p->flags & TP_PROC_ALLOCS);
}

/* Passes what a child thread did since the last call on to its owner. */
static __always_inline void charge_owner(struct thread_state *ts, struct task_struct *t,
					 bool current)
{
	__u64 now, life;
	struct desc *dst;

	if (!ts->owner)
		return;
	dst = bpf_map_lookup_elem(&inv_desc, &ts->owner);
	if (!dst) {
		/* the owner has finished: the thread outlived its invocation */
		ts->owner = 0;
		return;
	}
	now = bpf_ktime_get_ns();
	/* start_time is on bpf_ktime_get_ns's clock (CLOCK_MONOTONIC) */
	life = now > t->start_time ? now - t->start_time : 0;
	/* one counter at a time: this runs inside frame closing, whose stack
	 * has no room for another snapshot */
#pragma unroll /* as in snapshot */
	for (int i = 0; i < TP_NR_CTR; i++) {
		__u64 v = counter_now(ts, t, i, now, current), d;

		/* IO wait can be revised down at a switch-out after the last
		 * charge (a thread's final switch follows its exit): never
		 * charge a negative amount */
		if (v < ts->charged[i])
			continue;
		d = v - ts->charged[i];
		/* a thread's CPU and IO wait fit in its life, as a frame's
		 * own do in its span (emit.bpf.h, emit) */
		if ((i == TP_CPU_NS || i == TP_IOWAIT_NS) && d > life)
			d = life;
		ts->charged[i] = v;
		if (d)
			__sync_fetch_and_add(&dst->ctr[i], d);
	}
	if (!allocs_counted())
		__sync_fetch_and_or(&dst->flags, F_NO_ALLOCS);
}

/*
 * Open-coded task iterators (6.7+): the threads of one process. __weak, as
 * Debian's libbpf 1.1 has no declarations of its own for them.
 */
extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task,
			     unsigned int flags) __weak __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __weak __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __weak __ksym;

/*
 * Charges invocation id of the current thread what the threads it
 * started, still alive, did so far. A thread charges at its exit, but its
 * starter may be told it is done before: Python's Thread.join() returns
 * when the thread releases its lock, before the OS thread exits, and 30% of
 * joined workers' CPU went missing. What a thread does after this is not
 * charged (its owner is gone).
 *
 * A global function, so the verifier checks it once per program, not at
 * every place a frame closes: inlined there, it took loading from 2 s to
 * 22 s.
 */
__noinline int charge_live_threads(__u64 id)
{
	struct task_struct *cur = bpf_get_current_task_btf(), *t;
	struct bpf_iter_task it;

	bpf_iter_task_new(&it, cur, BPF_TASK_ITER_PROC_THREADS);
	while ((t = bpf_iter_task_next(&it))) {
		struct thread_state *ts;

		if (t == cur)
			continue;
		ts = bpf_task_storage_get(&threads, t, 0, 0);
		if (ts && ts->owner == id) {
			charge_owner(ts, t, false);
			/* its id comes back when its tid is reused: owner no more */
			ts->owner = 0;
		}
	}
	bpf_iter_task_destroy(&it);
	return 0;
}

#endif /* TP_COUNTERS_BPF_H */
