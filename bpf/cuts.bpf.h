/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cuts: an exception, a forced unwind (pthread_exit, pthread_cancel) or a
 * longjmp is about to leave frames without a return. Which frames is known
 * only later, when the thread is next seen above them (frames.bpf.h), so a
 * cut just remembers when it happened and the counters then. Exceptions are
 * counted here too.
 *
 * These uprobes are on the runtime's own functions (libgcc_s, libc) for
 * every process that maps them; they cost a trap only where a program
 * throws or jumps, and act only for threads with taskprof state.
 *
 * Provides the programs tp_raise, tp_forced and tp_jump. Relies on
 * frames.bpf.h (reap_dead), counters.bpf.h (snapshot) and state.bpf.h (the
 * thread's frames and cut fields).
 */
#ifndef TP_CUTS_BPF_H
#define TP_CUTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "taskprof.h"
#include "state.bpf.h"
#include "counters.bpf.h"
#include "frames.bpf.h"

/* Every frame still open is alive now: note what its return slot holds. */
struct note_ctx {
	struct thread_state *ts;
};

static long note_slot(__u32 i, void *arg)
{
	struct thread_state *ts = ((struct note_ctx *)arg)->ts;
	struct frame *f;

	if (i >= ts->depth)
		return 1;
	f = frame_at(ts, ts->depth - 1 - i);
	/* outer frames were noted at an earlier cut */
	if (!f || f->ret_addr)
		return 1;
	if (bpf_probe_read_user(&f->ret_addr, sizeof(f->ret_addr), (void *)f->entry_sp))
		f->ret_addr = 0;
	return 0;
}

static __always_inline void cut(struct pt_regs *ctx, struct thread_state *ts, struct task_struct *t,
				__u32 status, bool exception, bool jump)
{
	__u64 sp = PT_REGS_SP(ctx) + TP_COOKIE_SP_ADJ(bpf_get_attach_cookie(ctx));
	struct note_ctx nc = { .ts = ts };

	/* frames left at an earlier cut: close them first, at that cut */
	reap_dead(ts, t, sp);
	bpf_loop(TP_MAX_FRAMES, note_slot, &nc, 0);
	if (exception)
		ts->ctr[TP_EXCEPTIONS]++;
	ts->cut_ns = bpf_ktime_get_ns();
	snapshot(ts, t, ts->cut_snap, ts->cut_ns);
	ts->cut_status = status;
	ts->cut_jump = jump;
}

/* _Unwind_RaiseException: a C++ throw or rethrow, a Rust panic */
SEC("uprobe")
int BPF_KPROBE(tp_raise)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = thread_of(t);

	if (ts)
		cut(ctx, ts, t, TP_UNWOUND, true, false);
	return 0;
}

/* _Unwind_ForcedUnwind: the thread is ending inside the frames it leaves */
SEC("uprobe")
int BPF_KPROBE(tp_forced)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = thread_of(t);

	if (ts)
		cut(ctx, ts, t, TP_EXITED, false, false);
	return 0;
}

/* longjmp and its aliases */
SEC("uprobe")
int BPF_KPROBE(tp_jump)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = thread_of(t);

	if (ts && ts->depth)
		cut(ctx, ts, t, TP_UNWOUND, false, true);
	return 0;
}

#endif /* TP_CUTS_BPF_H */
