/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IO wait for threads without delay accounting (created while
 * kernel.task_delayacct was off): from the switch-out that blocked on IO to
 * the switch back in. It runs on every context switch in the system, so the
 * collector attaches it only when a target has such threads.
 */
#ifndef TP_IOWAIT_BPF_H
#define TP_IOWAIT_BPF_H

SEC("tp_btf/sched_switch")
int BPF_PROG(tp_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct thread_state *ts;
	__u64 now = 0;

	ts = thread_of(prev);
	if (ts && !prev->delays) {
		now = bpf_ktime_get_ns();
		/*
		 * Around blocking IO the scheduler counts some microseconds per
		 * switch as running that lie outside the switch-in to switch-out
		 * interval: what it ran, the thread did not wait for.
		 */
		if (ts->last_iowait && ts->in_ktime) {
			__u64 sched = prev->se.sum_exec_runtime - ts->sum_in;
			__u64 wall = now - ts->in_ktime;

			if (sched > wall) {
				__u64 extra = sched - wall;

				if (extra > ts->last_iowait)
					extra = ts->last_iowait;
				ts->ctr[TP_IOWAIT_NS] -= extra;
			}
		}
		ts->last_iowait = 0;
		if (prev_state && BPF_CORE_READ_BITFIELD_PROBED(prev, in_iowait))
			ts->iowait_since = now;
	}
	ts = thread_of(next);
	if (ts && !next->delays) {
		if (!now)
			now = bpf_ktime_get_ns();
		ts->in_ktime = now;
		ts->sum_in = next->se.sum_exec_runtime;
		if (ts->iowait_since) {
			ts->last_iowait = now - ts->iowait_since;
			ts->ctr[TP_IOWAIT_NS] += ts->last_iowait;
			ts->iowait_since = 0;
		}
	}
	return 0;
}

/* Counts the tracked threads that have no delay accounting. */
SEC("iter/task")
int count_no_delays(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u32 tgid, one = 1;

	if (!task)
		return 0;
	tgid = task->tgid;
	if (bpf_map_lookup_elem(&tgids, &tgid) && !task->delays)
		bpf_seq_write(ctx->meta->seq, &one, sizeof(one));
	return 0;
}

#endif /* TP_IOWAIT_BPF_H */
