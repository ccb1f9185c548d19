/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process and thread lifetime: a tracked process's children are tracked
 * from their fork, before they run; threads and processes an invocation
 * starts charge it what they did when they exit (and when their parent is
 * told); frames still open at exit or exec are closed.
 *
 * Provides the programs tp_fork, tp_exit, tp_notify, tp_exec and the task
 * iterator count_open. Relies on frames.bpf.h (close_frames, ask_rss),
 * counters.bpf.h (charge_owner), mempeak.bpf.h (mempeak_untrack),
 * allocs.bpf.h (alloc_vma), state.bpf.h (tgids, threads, inv_desc,
 * task_files) and kernel.bpf.h (lookup_or_init, user_sp_of).
 */
#ifndef TP_PROCS_BPF_H
#define TP_PROCS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "taskprof.h"
#include "kernel.bpf.h"
#include "state.bpf.h"
#include "counters.bpf.h"
#include "mempeak.bpf.h"
#include "frames.bpf.h"
#include "allocs.bpf.h"

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_fork, struct task_struct *parent, struct task_struct *child)
{
	struct thread_state *pts, *cts;
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct frame *f;
	__u64 owner;

	if (ctgid != ptgid && bpf_map_lookup_elem(&tgids, &ptgid) &&
	    !lookup_or_init(&tgids, &ctgid, &new_proc))
		stat_inc(TP_STAT_LOST_PROC);
	pts = thread_of(parent);
	if (!pts)
		return 0;
	f = frame_top(pts);
	if (f) {
		owner = f->inv_id;
		f->flags |= F_DESC;
	} else {
		owner = pts->owner;
	}
	if (!owner)
		return 0;
	if (!lookup_or_init(&inv_desc, &owner, &zero_desc)) {
		stat_inc(TP_STAT_LOST_DESC);
		return 0;
	}
	cts = thread_new(child);
	if (cts)
		cts->owner = owner;
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_exit, struct task_struct *p, bool group_dead)
{
	struct thread_state *ts = thread_of(p);
	__u32 tgid = p->tgid;
	struct tp_proc *pr;

	if (ts) {
		charge_owner(ts, p, true); /* p is exiting: the current task */
		/* frames it had left before (by a cut) end there; the rest here. Its
		 * user memory is still there (6.18 traces before exit_mm) */
		close_frames(ts, p, 0, user_sp_of(p), TP_EXITED, false, true);
	}
	/* 6.16+ passes group_dead: the last thread out removes the process */
	if (!group_dead)
		return 0;
	pr = bpf_map_lookup_elem(&tgids, &tgid);
	if (pr) {
		mempeak_untrack(pr);
		bpf_map_delete_elem(&tgids, &tgid);
	}
	if (cfg.count_allocs) /* a miss still takes the bucket lock */
		bpf_map_delete_elem(&alloc_vma, &tgid);
	return 0;
}

/*
 * A process's parent is told of its exit (do_notify_parent, under
 * tasklist_lock, so before any wait can reap it) after exit_mm tore its
 * address space down: what it ran to here is what the parent's wait and
 * RUSAGE_CHILDREN see, so its owner is charged it here. Its last switch
 * (iowait.bpf.h) comes after the parent is woken: on a loaded 2-CPU machine
 * a parent that returned first left 2.9 ms of a 0.71 s child uncharged.
 */
SEC("tp_btf/signal_generate")
int BPF_PROG(tp_notify, int sig, struct kernel_siginfo *info, struct task_struct *to, int group,
	     int result)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct thread_state *ts;

	if (!(cur->flags & TP_PF_EXITING))
		return 0;
	ts = thread_of(cur);
	if (ts && ts->owner)
		charge_owner(ts, cur, true);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_exec, struct task_struct *p)
{
	struct thread_state *ts = thread_of(p);
	__u32 tgid = p->tgid;
	struct tp_proc *pr;

	if (ts)
		close_frames(ts, p, 0, 0, TP_EXITED, false, false);
	if (cfg.track_all && !rss_on) {
		/* a task's program starting: rss_stat goes in while ld.so runs */
		struct inode *ino = BPF_CORE_READ(p, mm, exe_file, f_inode);
		struct tp_file_id id = { .dev = BPF_CORE_READ(ino, i_sb, s_dev),
					 .ino = BPF_CORE_READ(ino, i_ino) };

		if (bpf_map_lookup_elem(&task_files, &id))
			ask_rss();
	}
	pr = bpf_map_lookup_elem(&tgids, &tgid);
	if (pr)
		mempeak_untrack(pr);
	if (cfg.count_allocs) /* a miss still takes the bucket lock */
		bpf_map_delete_elem(&alloc_vma, &tgid);
	return 0;
}

/* Invocations still open, per thread: what a stop leaves unrecorded. */
SEC("iter/task")
int count_open(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct thread_state *ts;
	__u32 depth;

	if (!task)
		return 0;
	ts = bpf_task_storage_get(&threads, task, 0, 0);
	if (ts && ts->depth) {
		depth = ts->depth;
		bpf_seq_write(ctx->meta->seq, &depth, sizeof(depth));
	}
	return 0;
}

#endif /* TP_PROCS_BPF_H */
