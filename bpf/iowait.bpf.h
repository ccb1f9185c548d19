/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IO wait of tracked threads: from the switch-out that blocked on IO to the
 * switch back in. It runs on every context switch in the system: while a
 * tracked process lives (engine.c), and looking threads up only around IO
 * and at a thread's last switch, where what it did after its exit
 * tracepoint is charged to its owner (procs.bpf.h).
 *
 * Not delay accounting's blkio_delay, which 6.18 gets wrong: a new
 * thread's first IO wait often added the whole uptime (2 of 20 threads, 10
 * of 10 made after a fork), and threads that slept before a write read
 * 0.2-0.6 s of IO wait for 10 ms; taskstats and /proc/PID/stat show the
 * same. Probably a wait that ends a delayed dequeue (6.12's EEVDF) is
 * started on whichever task runs then, so the waiter measures from an
 * older start or from boot; not verified (lockdown forbids turning the
 * feature off). It also needed kernel.task_delayacct on when a thread was
 * made.
 *
 * Provides the program tp_switch; the count it keeps, thread_state's
 * ctr[TP_IOWAIT_NS], counters.bpf.h reads. Relies on counters.bpf.h
 * (charge_owner), state.bpf.h (thread_of) and kernel.bpf.h (TP_TASK_DEAD).
 */
#ifndef TP_IOWAIT_BPF_H
#define TP_IOWAIT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "taskprof.h"
#include "kernel.bpf.h"
#include "state.bpf.h"
#include "counters.bpf.h"

SEC("tp_btf/sched_switch")
int BPF_PROG(tp_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct thread_state *ts = NULL;
	__u64 now = 0;

	/*
	 * Most switches have nothing to do with IO: they look nothing up. A
	 * thread blocking on IO has in_iowait set (io_schedule_prepare), and
	 * still has when it is switched back in (io_schedule_finish runs
	 * after); a trusted pointer's bitfield is a plain load.
	 */
	/*
	 * A thread switched out for the last time: what it ran after its exit
	 * tracepoint (a process's address space is torn down after it, 5-11%
	 * of a forked child's CPU here) goes to the invocation that started
	 * it, which is waiting for it (the parent is woken before this
	 * switch: one that returns first misses the last microseconds).
	 */
	if (prev_state & TP_TASK_DEAD) {
		ts = thread_of(prev);
		if (ts && ts->owner)
			charge_owner(ts, prev, false);
		return 0;
	}
	if (prev_state && BPF_CORE_READ_BITFIELD(prev, in_iowait))
		ts = thread_of(prev);
	if (ts) {
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
		ts->iowait_since = now;
	}
	ts = BPF_CORE_READ_BITFIELD(next, in_iowait) ? thread_of(next) : NULL;
	if (ts && ts->iowait_since) {
		if (!now)
			now = bpf_ktime_get_ns();
		ts->in_ktime = now;
		ts->sum_in = next->se.sum_exec_runtime;
		ts->last_iowait = now - ts->iowait_since;
		ts->ctr[TP_IOWAIT_NS] += ts->last_iowait;
		ts->iowait_since = 0;
	}
	return 0;
}

#endif /* TP_IOWAIT_BPF_H */
