/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probes on the declared tasks: one at entry, and at return a uretprobe,
 * uprobes on the function's ret instructions, or uprobes at the sites its
 * callers resume at (user/plan.c chooses). They are attached to the file,
 * for every process that maps it, and act only in tracked processes.
 *
 * Provides the programs tp_enter, tp_ret (ret and uretprobe), tp_site, tp_tail,
 * tp_resume and tp_landed, and the map sites_asked. Relies on frames.bpf.h
 * (opening, closing and reaping frames) and state.bpf.h (the thread's
 * frames, events).
 */
#ifndef TP_TASKS_BPF_H
#define TP_TASKS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "taskprof.h"
#include "state.bpf.h"
#include "frames.bpf.h"

/*
 * A call at the SP of a frame that left by a tail call no probe followed
 * (F_TAILED, tp_tail). From another place (its slot holds another return
 * address) it is a new call: that frame returned, unseen. From the same
 * place it is the tail call's target, a task (the two end together), or a
 * new call from a loop there: either way the old frame's end is in doubt,
 * and said to be.
 */
static __always_inline void entered_after_tail(struct thread_state *ts, struct task_struct *t,
					       struct frame *top, __u64 sp)
{
	__u64 ra = 0;

	if (!bpf_probe_read_user(&ra, sizeof(ra), (void *)sp) && top->ret_addr && ra != top->ret_addr)
		close_tailed(ts, t, sp);
	else
		top->flags |= F_END_UNSEEN;
}

SEC("uprobe")
int BPF_KPROBE(tp_enter)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 sp = PT_REGS_SP(ctx) + TP_COOKIE_SP_ADJ(cookie), dead_below = sp;
	struct thread_state *ts = thread_enter(t);
	bool uret = cookie & TP_COOKIE_URET;
	struct frame *top;

	if (!ts)
		return 0;
	/*
	 * The open frame was entered at this same SP: a tail call into this
	 * task, unless a cut has passed since it started, in which case it was
	 * left and this is a new call from the same depth. (A frame that caught
	 * an exception itself and then tail-called a task is taken for left at
	 * the exception; that needs both at once.) A frame whose callers'
	 * landing pads are probed was closed there if an exception left it:
	 * unless the cut was a longjmp, the same SP is a tail call.
	 */
	top = frame_top(ts);
	if (top && top->entry_sp == sp && ts->cut_ns > top->start_ns &&
	    (!(top->flags & F_SITES) || ts->cut_jump))
		dead_below = sp + 1;
	else if (top && top->entry_sp == sp && (top->flags & F_TAILED))
		entered_after_tail(ts, t, top, sp);
	reap_dead(ts, t, dead_below);
	if (uret && ts->nuret >= TP_URET_DEPTH) {
		/* no return will be seen: the frame would end, wrongly, unwound */
		stat_inc(TP_STAT_LOST_DEPTH);
		return 0;
	}
	if (open_frame(ts, t, sp, TP_COOKIE_TASK(cookie)))
		return 0;
	top = frame_top(ts);
	if (top && (cookie & TP_COOKIE_SITES))
		top->flags |= F_SITES;
	/* its return may go unseen: what its slot holds tells a new call later */
	if (top && !(cookie & (TP_COOKIE_SITES | TP_COOKIE_URET)) &&
	    bpf_probe_read_user(&top->ret_addr, sizeof(top->ret_addr), (void *)sp))
		top->ret_addr = 0;
	if (top && uret) {
		top->flags |= F_URET;
		ts->nuret++;
	}
	return 0;
}

/*
 * The frame entered with its return address at slot has returned: it, and
 * the frames tail-called from it (entered at the same slot), close now,
 * and frames entered below it were left before.
 */
static __always_inline int returned(__u64 slot, bool check_slots)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = thread_of(t);

	if (ts && ts->depth)
		close_frames(ts, t, slot, slot, KEEP_OPEN, true, check_slots);
	return 0;
}

/*
 * A task's return, seen where SP is the cookie's distance from the slot
 * its return address was in: 0 at a ret instruction (SP points at it), and
 * TP_RET_COOKIE_URET (-8) for a uretprobe, which runs after the pop. The
 * same program serves both links (a multi-uprobe link's return flag is
 * the link's, not the program's).
 */
SEC("uprobe")
int BPF_KPROBE(tp_ret)
{
	return returned(PT_REGS_SP(ctx) + (__s64)bpf_get_attach_cookie(ctx), false);
}

/*
 * uprobe at a return site, in a caller just after its call to a task
 * (user/callsites.c): whatever ran last returned here, so tail calls of
 * every kind are seen. The cookie is the slot's offset from SP here: the
 * slot lies 8 bytes below SP at the return address, and the caller may
 * have moved SP since (TP_SITE_COOKIE).
 */
SEC("uprobe")
int BPF_KPROBE(tp_site)
{
	/* the caller has pushed nothing over the slot yet (a push is emulated:
	 * the probe goes before it), so a slot that changed since a cut says a
	 * longjmp left the frame and a later call from the caller wrote there */
	return returned(PT_REGS_SP(ctx) + (__s64)(__s32)bpf_get_attach_cookie(ctx), true);
}

/* (process, return address) pairs whose site the collector was asked for */
struct site_key {
	__u64 ra;
	__u32 tgid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TP_MAX_SITE_REQS);
	__type(key, struct site_key);
	__type(value, __u8);
} sites_asked SEC(".maps");

/*
 * uprobe on a jump that may leave a task whose returns are seen at its ret
 * instructions (insn: its callers are not all known): with the stack back
 * at the frame's return slot it is a tail call, whose return no ret probe
 * sees. The collector is asked once to probe where that call returns.
 */
SEC("uprobe")
int BPF_KPROBE(tp_tail)
{
	struct thread_state *ts = thread_of(bpf_get_current_task_btf());
	__u64 sp = PT_REGS_SP(ctx);
	struct site_key k = { .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct tp_site_req *r;
	struct frame *top;
	__u8 one = 1;

	if (!ts || !(top = frame_top(ts)) || top->entry_sp != sp)
		return 0; /* a switch's jump, or a frame this thread did not open */
	top->flags |= F_TAILED;
	if (bpf_probe_read_user(&k.ra, sizeof(k.ra), (void *)sp) ||
	    bpf_map_lookup_elem(&sites_asked, &k))
		return 0;
	bpf_map_update_elem(&sites_asked, &k, &one, BPF_ANY);
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		bpf_map_delete_elem(&sites_asked, &k); /* asked by the next call from there */
		return 0;
	}
	r->magic = TP_SITE_REQ_MAGIC;
	r->ra = k.ra;
	r->pid = k.tgid;
	r->reserved = 0;
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/*
 * uprobe on a task's own call to _Unwind_Resume, in a landing pad of its
 * (user/resumes.c): its cleanups, destructors among them, have run, and
 * the unwind goes on past its frame now. Frames below SP were left before;
 * the innermost above it is the task's own (its index is the cookie). A
 * frame whose callers' landing pads are probed would end there, moments
 * later; this one ends here also when the exception lands further up.
 */
SEC("uprobe")
int BPF_KPROBE(tp_resume)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = thread_of(t);
	__u64 sp = PT_REGS_SP(ctx);
	struct frame *top;

	if (!ts || !ts->depth)
		return 0;
	reap_dead(ts, t, sp);
	top = frame_top(ts);
	if (top && top->entry_sp > sp && top->task == (__u32)bpf_get_attach_cookie(ctx))
		close_landed(ts, t, top->entry_sp);
	return 0;
}

/*
 * uprobe on a landing pad of a function that calls tasks: an exception
 * thrown through its call resumes here, in the caller's frame, so every
 * frame entered at the call's slot or below ends here, unwound: control is
 * back with the caller. Without this, the caller could go on to the call's
 * return site, where the frame would look returned. The cookie is as
 * tp_site's.
 */
SEC("uprobe")
int BPF_KPROBE(tp_landed)
{
	__u64 slot = PT_REGS_SP(ctx) + (__s64)(__s32)bpf_get_attach_cookie(ctx);
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = thread_of(t);

	if (ts && ts->depth)
		close_landed(ts, t, slot);
	return 0;
}

#endif /* TP_TASKS_BPF_H */
