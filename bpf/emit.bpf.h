/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record of a closed frame: its span, its own counters plus what the
 * threads and processes it started charged it, its memory peak, and flags
 * for what of it is approximate, one record per frame into the ring
 * buffer. What children charged it passes up to the enclosing invocation,
 * whose work it is too.
 *
 * Provides struct close_ctx, close_ctx__start and emit, for frames.bpf.h
 * and for a marker region that ends below the top (markers.bpf.h). Relies on
 * counters.bpf.h (snapshot, desc_add, charge_live_threads), mempeak.bpf.h
 * (slot_close), state.bpf.h (frames, inv_desc, events, task_gen) and
 * kernel.bpf.h (rss_of, hiwater_of).
 */
#ifndef TP_EMIT_BPF_H
#define TP_EMIT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "taskprof.h"
#include "kernel.bpf.h"
#include "state.bpf.h"
#include "counters.bpf.h"
#include "mempeak.bpf.h"

/*
 * A closing under way. emit reads the thread, the moment and the counters
 * then; the other fields are how frames.bpf.h chooses the frames that end.
 * One struct for both, so a closing passes one pointer through bpf_loop.
 */
struct close_ctx {
	struct thread_state *ts;
	struct task_struct *task;
	__u64 ret_sp;      /* the frame entered at this SP has returned (0: none) */
	__u64 dead_below;  /* frames entered below this SP were left earlier */
	__u64 now;
	__u64 *snap;       /* counters now */
	__u32 pid;
	__u32 tid;
	__u32 rest;        /* status for every other frame, or KEEP_OPEN */
	__u32 mm_alive;    /* the mm can still be read */
	__u32 check_slots; /* a frame whose return slot changed since the cut is dead */
	__u32 ret_status;  /* status of the frame at ret_sp: completed, or a marker's own */
	__u32 landed;      /* at a landing pad: frames a cut left end now, not at the cut */
	__u64 tailed_at;   /* close only frames entered here that left by a tail call */
};

/* The thread, the time and its counters now: what closing frames needs. */
static __always_inline void close_ctx__start(struct close_ctx *c, struct thread_state *ts,
					     struct task_struct *t, __u64 *snap)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	c->ts = ts;
	c->task = t;
	c->snap = snap;
	c->pid = pid_tgid >> 32;
	c->tid = (__u32)pid_tgid;
	c->now = bpf_ktime_get_ns();
	snapshot(ts, t, snap, c->now);
}

/*
 * A frame opened before rss_stat was attached: what it missed, the kernel's
 * high-water mark has, if the peak was freed by an unmap (it is raised just
 * before RSS falls) or is still there at exit. A mark raised during the
 * frame was an RSS of the frame's; a mark that did not move and stands
 * above all we saw leaves room for a peak unseen: only then approximate.
 */
static __always_inline __u64 early_peak(struct close_ctx *c, struct frame *f, __u64 peak)
{
	__u64 hw, now_rss;

	if (!c->mm_alive) {
		f->flags |= F_MEM_UNSURE;
		return peak;
	}
	hw = hiwater_of(c->task->mm);
	now_rss = rss_of(c->task->mm);
	if (now_rss > peak)
		peak = now_rss;
	if (hw > f->hw0 && hw > peak)
		peak = hw;
	else if (hw <= f->hw0 && f->hw0 > peak)
		f->flags |= F_MEM_UNSURE;
	return peak;
}

static __always_inline __u64 frame_peak(struct close_ctx *c, struct frame *f)
{
	/* rss_stat kept the slot's maximum over every value since entry, the
	 * current one included; without a slot, entry and exit will do */
	__u64 peak = slot_close(c->ts->mm_idx, f->slot);

	if (f->rss0 > peak)
		peak = f->rss0;
	if (f->slot == TP_NO_SLOT && c->mm_alive) {
		__u64 now_rss = rss_of(c->task->mm);

		if (now_rss > peak)
			peak = now_rss;
	}
	if (f->flags & F_MEM_EARLY)
		peak = early_peak(c, f, peak);
	return peak;
}

/* Children's work belongs to every enclosing invocation too. */
static __always_inline void pass_charges_up(struct thread_state *ts, struct desc *d, __u32 depth)
{
	__u64 parent;

	if (depth > 0) {
		struct frame *pf = frame_at(ts, depth - 1);

		if (!pf)
			return;
		parent = pf->inv_id;
		pf->flags |= F_DESC;
	} else {
		parent = ts->owner;
	}
	desc_add(parent, d->ctr, d->flags, depth > 0);
}

static __always_inline void emit(struct close_ctx *c, struct frame *f, __u32 depth, __u32 status,
				 const __u64 *end, __u64 end_ns)
{
	struct thread_state *ts = c->ts;
	__u64 peak = frame_peak(c, f), wake;
	struct tp_event *e = NULL;
	struct desc *d = NULL;

	if (f->flags & F_DESC) {
		charge_live_threads(f->inv_id); /* c->task is the current task */
		d = bpf_map_lookup_elem(&inv_desc, &f->inv_id);
	}

	if ((f->flags & F_MEM_UNSURE) && f->slot != TP_NO_SLOT)
		stat_inc(TP_STAT_MEM_APPROX); /* a slotless one was counted at entry */
	if (f->flags & F_END_UNSEEN)
		stat_inc(TP_STAT_RET_UNSEEN);
	if ((f->flags & F_URET) && ts->nuret)
		ts->nuret--;
	if (f->task < TP_MAX_TASKS && f->gen != task_gen[f->task])
		stat_inc(TP_STAT_LOST_RELOAD);
	else if (!(e = bpf_ringbuf_reserve(&events, sizeof(*e), 0)))
		stat_inc(TP_STAT_LOST_RINGBUF);
	if (e) {
		e->start_ns = f->start_ns;
		e->end_ns = end_ns;
		e->rss_peak = peak;
		for (int i = 0; i < TP_NR_CTR; i++) {
			__u64 own = end[i] > f->base[i] ? end[i] - f->base[i] : 0;

			/*
			 * The thread's own CPU and IO wait fit in the time it
			 * spent here: cpu_now's catch-up is an estimate, and
			 * IO wait may be revised at a switch (iowait.bpf.h).
			 */
			if ((i == TP_CPU_NS || i == TP_IOWAIT_NS) && own > end_ns - f->start_ns)
				own = end_ns - f->start_ns;
			e->ctr[i] = own + (d ? d->ctr[i] : 0);
		}
		e->pid = c->pid;
		e->tid = c->tid;
		e->task = f->task;
		e->status = status;
		e->cpus = f->cpus;
		e->marker = f->marker;
		e->reserved = 0;
		e->flags = (f->slot == TP_NO_SLOT || (f->flags & F_MEM_UNSURE) ? TP_EV_MEM_APPROX : 0) |
			   ((f->flags & F_NO_ALLOCS) || (d && (d->flags & F_NO_ALLOCS)) ?
				    TP_EV_NO_ALLOCS : 0) |
			   (f->flags & F_END_UNSEEN ? TP_EV_END_APPROX : 0);
		/*
		 * A wakeup costs ~2.5 us: wake the consumer once per 1024
		 * records of a thread, not on every record; it also polls on a
		 * short timeout.
		 */
		wake = (f->inv_id & 1023) == 0 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
		bpf_ringbuf_submit(e, wake);
	}
	if (d) {
		pass_charges_up(ts, d, depth);
		bpf_map_delete_elem(&inv_desc, &f->inv_id);
	}
}

#endif /* TP_EMIT_BPF_H */
