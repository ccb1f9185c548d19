/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Opening and closing invocation frames; the record a closed frame leaves
 * is emit.bpf.h's.
 *
 * Frames are matched by the stack pointer at the call (entry_sp), which
 * covers recursion, tail calls and many threads. A frame closes when its
 * return is seen (status completed), or when it is found dead: then it was
 * left by an exception, a forced unwind or a longjmp. Those are "cuts"
 * (cuts.bpf.h); a dead frame that was open at the thread's last cut ended at
 * the cut, with the counters as they were then. A dead frame that no cut
 * explains returned where no probe saw it: it is closed as completed, its
 * end marked approximate (TP_EV_END_APPROX) and counted. A frame is dead when
 * the thread runs above it (SP), or, after a cut, when its return address
 * slot no longer holds what it held at the cut: a later call from the same
 * depth has written its own there. Frames still open when the thread or its
 * mm goes away are closed as exited.
 *
 * Provides thread_enter and open_frame (tasks.bpf.h, markers.bpf.h);
 * close_frames, close_frames_as, close_tailed, close_landed, reap_dead,
 * drop_deep and KEEP_OPEN (tasks, markers, cuts, procs); ask_rss
 * (procs.bpf.h, at an exec). Relies on emit.bpf.h (close_ctx, emit),
 * mempeak.bpf.h (a process's entry, a frame's slot), counters.bpf.h
 * (snapshot, allocs_counted), state.bpf.h and kernel.bpf.h.
 */
#ifndef TP_FRAMES_BPF_H
#define TP_FRAMES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "taskprof.h"
#include "kernel.bpf.h"
#include "state.bpf.h"
#include "counters.bpf.h"
#include "mempeak.bpf.h"
#include "emit.bpf.h"

/*
 * Invocation ids only need to be unique among open invocations and their
 * child charges: thread id and a per-thread sequence number are, without a
 * map lookup.
 */
static __always_inline __u64 next_id(struct thread_state *ts)
{
	return ((__u64)(__u32)bpf_get_current_pid_tgid() << 32) | ++ts->seq;
}

/*
 * A frame opened while rss_stat is detached (collect, no tracked process
 * alive until now): its peak misses what happens before user space, woken
 * here by a record too short to be an event, attaches it.
 */
static __always_inline void ask_rss(void)
{
	__u64 *wake;

	if (__sync_lock_test_and_set(&rss_wanted, 1))
		return; /* already asked */
	wake = bpf_ringbuf_reserve(&events, sizeof(*wake), 0);
	if (wake) {
		*wake = 0;
		bpf_ringbuf_submit(wake, BPF_RB_FORCE_WAKEUP);
	}
}

static __always_inline void want_rss(struct frame *f)
{
	f->flags |= F_MEM_EARLY;
	ask_rss();
}

/* The thread's state, created with its first frame if its process is tracked. */
static __always_inline struct thread_state *thread_enter(struct task_struct *t)
{
	struct thread_state *ts = thread_of(t);
	__u64 mm_key = (__u64)t->mm;
	struct tp_proc *p;

	if (ts && ts->mm_key == mm_key)
		return ts;
	/* first task of this thread, or the first after an exec: is it ours? */
	p = tracked();
	if (!p)
		return NULL;
	if (!ts)
		ts = thread_new(t);
	if (!ts)
		return NULL;
	mempeak_track(p, t->mm);
	ts->mm_key = mm_key;
	ts->mm_idx = p->mm_idx;
	return ts;
}

/* Opens a frame for task at sp. Returns 0, or -1 if it could not be kept. */
static __always_inline int open_frame(struct thread_state *ts, struct task_struct *t, __u64 sp,
				      __u32 task)
{
	__u32 d = ts->depth;
	struct frame *f = NULL;

	if (d < TP_INLINE_FRAMES) {
		f = &ts->frames[d & (TP_INLINE_FRAMES - 1)];
	} else if (d < TP_MAX_FRAMES) {
		__u64 key = deep_key(ts, d);

		f = lookup_or_init(&deep_frames, &key, &zero_frame);
	}
	if (!f) {
		stat_inc(TP_STAT_LOST_DEPTH);
		return -1;
	}
	f->entry_sp = sp;
	f->ret_addr = 0;
	f->inv_id = next_id(ts);
	f->task = task;
	f->gen = task < TP_MAX_TASKS ? task_gen[task] : 0;
	f->marker = 0;
	f->flags = allocs_counted() ? 0 : F_NO_ALLOCS;
	f->cpus = t->nr_cpus_allowed;
	f->rss0 = rss_of(t->mm);
	f->slot = slot_open(ts->mm_idx, f->rss0);
	if (!rss_on) {
		want_rss(f);
		f->hw0 = hiwater_of(t->mm);
	}
	if (f->slot == TP_NO_SLOT)
		stat_inc(TP_STAT_MEM_APPROX);
	f->start_ns = bpf_ktime_get_ns();
	snapshot(ts, t, f->base, f->start_ns);
	ts->depth = d + 1;
	return 0;
}

/* Leave frames above the limits open (closing only what is known to have ended). */
#define KEEP_OPEN TP_NR_STATUS

/* Whether the frame's return address slot holds another value than at the cut. */
static __always_inline bool slot_changed(struct frame *f)
{
	__u64 v;

	if (!f->ret_addr || bpf_probe_read_user(&v, sizeof(v), (void *)f->entry_sp))
		return false; /* unread, or unreadable: no evidence */
	return v != f->ret_addr;
}

/* A frame at depth d that is gone: its map entry, if it had one. */
static __always_inline void drop_deep(struct thread_state *ts, __u32 d)
{
	if (d >= TP_INLINE_FRAMES) {
		__u64 key = deep_key(ts, d);

		bpf_map_delete_elem(&deep_frames, &key);
	}
}

static long close_one(__u32 i, void *arg)
{
	struct close_ctx *c = arg;
	struct thread_state *ts = c->ts;
	const __u64 *end = c->snap;
	__u64 end_ns = c->now;
	__u32 depth, status;
	struct frame *f;

	depth = ts->depth;
	f = frame_top(ts);
	if (!f)
		return 1;
	if (c->tailed_at) {
		if (f->entry_sp != c->tailed_at || !(f->flags & F_TAILED))
			return 1;
		/* its tail callee has returned, where no probe saw it */
		status = TP_COMPLETED;
		f->flags |= F_END_UNSEEN;
	} else if (f->entry_sp < c->dead_below ||
	    (c->check_slots && ts->cut_ns > f->start_ns && slot_changed(f))) {
		if (ts->cut_ns > f->start_ns) {
			/* the unwind that began at the cut has just brought
			 * control back to the caller: that is the frame's end */
			if (!c->landed) {
				end = ts->cut_snap;
				end_ns = ts->cut_ns;
			}
			status = ts->cut_status;
		} else {
			/* left with no cut since it began: it returned, and no
			 * probe saw it; it ended at the latest now */
			status = TP_COMPLETED;
			f->flags |= F_END_UNSEEN;
		}
	} else if (c->ret_sp && f->entry_sp == c->ret_sp) {
		status = c->ret_status;
	} else if (c->rest != KEEP_OPEN && (f->flags & F_TAILED)) {
		/* it had left by a tail call, and returned where no probe saw */
		status = TP_COMPLETED;
		f->flags |= F_END_UNSEEN;
	} else if (c->rest != KEEP_OPEN) {
		status = c->rest;
	} else {
		return 1;
	}
	ts->depth = depth - 1;
	emit(c, f, depth - 1, status, end, end_ns);
	drop_deep(ts, depth - 1);
	return 0;
}

/*
 * Closes, innermost first: frames found dead (entered below dead_below, or
 * with check_slots a changed return slot), the frame entered at ret_sp
 * (returning now), and then, unless rest is KEEP_OPEN, every other frame
 * with status rest.
 */
static __always_inline void close_run(struct close_ctx *c, struct thread_state *ts,
				      struct task_struct *t)
{
	__u64 snap[TP_NR_CTR];

	if (!ts->depth)
		return;
	close_ctx__start(c, ts, t, snap);
	/* the common case, one frame returning, without a loop */
	if (close_one(0, c) == 0 && ts->depth)
		bpf_loop(TP_MAX_FRAMES, close_one, c, 0);
}

static __always_inline void close_frames_as(struct thread_state *ts, struct task_struct *t,
					    __u64 ret_sp, __u64 dead_below, __u32 rest,
					    bool mm_alive, bool check_slots, __u32 ret_status)
{
	struct close_ctx c = {
		.ret_sp = ret_sp,
		.dead_below = dead_below,
		.rest = rest,
		.mm_alive = mm_alive,
		.check_slots = check_slots,
		.ret_status = ret_status,
	};

	close_run(&c, ts, t);
}

/* A new call from another place at sp: the frames entered there that had
 * left by a tail call returned unseen; those below them are their caller's
 * own (a task that tail-called them), still open. */
static __always_inline void close_tailed(struct thread_state *ts, struct task_struct *t, __u64 sp)
{
	struct close_ctx c = { .tailed_at = sp, .rest = KEEP_OPEN, .mm_alive = true };

	close_run(&c, ts, t);
}

/*
 * An exception has landed in the frame of the function that called the one
 * at slot: it, and every frame below, ended now (unwound by the last cut,
 * or, with no cut since one began, returned unseen).
 */
static __always_inline void close_landed(struct thread_state *ts, struct task_struct *t,
					 __u64 slot)
{
	struct close_ctx c = {
		.dead_below = slot + 1,
		.rest = KEEP_OPEN,
		.mm_alive = true,
		.landed = true,
	};

	close_run(&c, ts, t);
}

static __always_inline void close_frames(struct thread_state *ts, struct task_struct *t,
					 __u64 ret_sp, __u64 dead_below, __u32 rest, bool mm_alive,
					 bool check_slots)
{
	close_frames_as(ts, t, ret_sp, dead_below, rest, mm_alive, check_slots, TP_COMPLETED);
}

/*
 * Closes what the thread left without a return seen, before it goes on at
 * sp: frames below sp, and, if a cut passed since the innermost one
 * started, frames whose return slot has changed.
 */
static __always_inline void reap_dead(struct thread_state *ts, struct task_struct *t, __u64 sp)
{
	struct frame *top = frame_top(ts);
	bool after_cut;

	if (!top)
		return;
	after_cut = ts->cut_ns > top->start_ns;
	if (top->entry_sp < sp || after_cut)
		close_frames(ts, t, 0, sp, KEEP_OPEN, true, after_cut);
}

#endif /* TP_FRAMES_BPF_H */
