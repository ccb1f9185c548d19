/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Opening and closing invocation frames, and emitting one record per
 * closed frame.
 *
 * Frames are matched by the stack pointer at the call (entry_sp), which
 * covers recursion, tail calls and many threads. A frame closes when its
 * return is seen (status completed), or when it is found dead: then it was
 * left by an exception, a forced unwind or a longjmp. Those are "cuts"
 * (cuts.bpf.h); a dead frame that was open at the thread's last cut ended at
 * the cut, with the counters as they were then. A dead frame that no cut
 * explains returned where no probe saw it: it is closed as completed, its
 * end marked approximate (TP_EV_END_APPROX) and counted. A frame is dead when the
 * thread runs above it (SP), or, after a cut, when its return address slot
 * no longer holds what it held at the cut: a later call from the same depth
 * has written its own there. Frames still open when the thread or its mm
 * goes away are closed as exited.
 */
#ifndef TP_FRAMES_BPF_H
#define TP_FRAMES_BPF_H

/* Leave frames above the limits open (closing only what is known to have ended). */
#define KEEP_OPEN TP_NR_STATUS

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

/* Whether the frame's return address slot holds another value than at the cut. */
static __always_inline bool slot_changed(struct frame *f)
{
	__u64 v;

	if (!f->ret_addr || bpf_probe_read_user(&v, sizeof(v), (void *)f->entry_sp))
		return false; /* unread, or unreadable: no evidence */
	return v != f->ret_addr;
}

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

/* Opens a frame for task at sp. Returns 0, or -1 if it could not be kept. */
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

#endif /* TP_FRAMES_BPF_H */
