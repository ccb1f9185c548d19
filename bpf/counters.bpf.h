/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thread's counters as of now, and the charging of what child threads and
 * processes did to the invocation that started them.
 *
 * CPU and IO wait are the kernel's own per-task accounting, the same that
 * getrusage and taskstats report, so no program has to run on every context
 * switch. sum_exec_runtime of a running task lags by up to a tick (see
 * cpu_now for what is added to it). blkio_delay needs delay accounting on when
 * the task was created (user/delayacct.c); for tasks without it, iowait.bpf.h
 * counts instead.
 */
#ifndef TP_COUNTERS_BPF_H
#define TP_COUNTERS_BPF_H

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
 * not in kallsyms without CONFIG_KALLSYMS_ALL, so __ksym cannot reach it), which runs apart from bpf_ktime_get_ns by an offset only
 * NTP's slew moves. That offset is learned per CPU as the least gap seen:
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

/* The counters of t at ktime (bpf_ktime_get_ns, which the caller has). */
static __always_inline void snapshot(struct thread_state *ts, struct task_struct *t, __u64 *s,
				     __u64 ktime)
{
	struct task_delay_info *delays = t->delays;

	s[TP_CPU_NS] = cpu_now(t, ktime);
	/* t is a trusted BTF pointer: plain loads, no probe_read calls */
	s[TP_UTIME_NS] = t->utime;
	s[TP_STIME_NS] = t->stime;
	/* a probe read: a plain load would be merged with the map load below
	 * into one instruction on two kinds of pointer, which the verifier
	 * refuses */
	s[TP_IOWAIT_NS] = ts->ctr[TP_IOWAIT_NS];
	if (delays)
		s[TP_IOWAIT_NS] = BPF_CORE_READ(delays, blkio_delay);
	s[TP_READ_BYTES] = t->ioac.read_bytes;
	s[TP_WRITE_BYTES] = t->ioac.write_bytes;
	s[TP_NET_TX] = ts->ctr[TP_NET_TX];
	s[TP_NET_RX] = ts->ctr[TP_NET_RX];
	s[TP_ALLOCS] = ts->ctr[TP_ALLOCS];
	s[TP_EXCEPTIONS] = ts->ctr[TP_EXCEPTIONS];
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
static __always_inline void charge_owner(struct thread_state *ts, struct task_struct *t)
{
	__u64 s[TP_NR_CTR];
	struct desc *dst;

	if (!ts->owner)
		return;
	dst = bpf_map_lookup_elem(&inv_desc, &ts->owner);
	if (!dst) {
		/* the owner has finished: the thread outlived its invocation */
		ts->owner = 0;
		return;
	}
	snapshot(ts, t, s, bpf_ktime_get_ns());
	for (int i = 0; i < TP_NR_CTR; i++) {
		__u64 d;

		/* IO wait can be revised down at a switch-out after the last
		 * charge (a thread's final switch follows its exit): never
		 * charge a negative amount */
		if (s[i] < ts->charged[i])
			continue;
		d = s[i] - ts->charged[i];
		ts->charged[i] = s[i];
		if (d)
			__sync_fetch_and_add(&dst->ctr[i], d);
	}
	if (!allocs_counted())
		__sync_fetch_and_or(&dst->flags, F_NO_ALLOCS);
}

#endif /* TP_COUNTERS_BPF_H */
