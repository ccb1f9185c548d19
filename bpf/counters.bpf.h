/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thread's counters as of now, and the charging of what child threads and
 * processes did to the invocation that started them.
 *
 * CPU and IO wait are the kernel's own per-task accounting, the same that
 * getrusage and taskstats report, so no program has to run on every context
 * switch. sum_exec_runtime of a running task lags by up to a tick, exactly as
 * getrusage(RUSAGE_THREAD) does. blkio_delay needs delay accounting on when
 * the task was created (user/delayacct.c); for tasks without it, iowait.bpf.h
 * counts instead.
 */
#ifndef TP_COUNTERS_BPF_H
#define TP_COUNTERS_BPF_H

static __always_inline void snapshot(struct thread_state *ts, struct task_struct *t, __u64 *s)
{
	struct task_delay_info *delays = t->delays;

	s[TP_CPU_NS] = t->se.sum_exec_runtime;
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
	snapshot(ts, t, s);
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
