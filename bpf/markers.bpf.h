/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Marker regions (marker/taskprof_marker.h): tasks a program names itself,
 * as Python's @profiler does, by calling taskprof_marker_begin and _end in
 * libtaskprof-marker. Their frames live on the thread's stack with native
 * ones, so nesting, child charges, memory peaks and exits work the same;
 * they are matched by token, not stack pointer, and one may end below the
 * top (coroutines interleave): it is emitted then and the frames above it
 * move down a place, so staggered coroutines never pile up toward the
 * depth limit. And Python's exceptions, counted once each.
 *
 * Provides the programs tp_mark_begin, tp_mark_end, tp_py_raise and
 * tp_py_frame, the maps marker_names and marker_ids and the global
 * marker_any. Relies on frames.bpf.h (thread_enter, open_frame, closing),
 * emit.bpf.h (a region's record when it ends below the top) and
 * state.bpf.h (cfg, tgids, the thread's frames, events).
 */
#ifndef TP_MARKERS_BPF_H
#define TP_MARKERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "taskprof.h"
#include "state.bpf.h"
#include "emit.bpf.h"
#include "frames.bpf.h"

/* Declared marker names: their task indexes (user space fills it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_MAX_TASKS);
	__type(key, struct tp_marker_name);
	__type(value, __u32);
} marker_names SEC(".maps");

/* (tgid << 32 | marker id) to its task, or TP_NO_TASK: names are read once. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TP_MAX_MARKER_IDS);
	__type(key, __u64);
	__type(value, __u32);
} marker_ids SEC(".maps");

/* The task of `marker:*`, for names not declared one by one. */
volatile __u32 marker_any = TP_NO_TASK;

/* false if src could not be read: a page not yet faulted in (a probe cannot
 * fault it in), which a later region may find present */
static __always_inline bool read_str(char *dst, const char *src)
{
	if (!src || bpf_probe_read_user_str(dst, TP_MARKER_NAME, src) < 0) {
		dst[0] = 0;
		return !src;
	}
	return true;
}

/*
 * The task a marker id counts for. At its first region in a process the
 * name is read and matched, and a tp_marker_rec tells user space what the
 * id names; if that record cannot be written the id is not remembered, so
 * the next region tries again.
 */
static __always_inline __u32 marker_task(__u32 id, const char *name, const char *stage,
					 const char *env)
{
	__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ULL) | id;
	struct tp_marker_name k = {};
	struct tp_marker_rec *r;
	__u32 *v = bpf_map_lookup_elem(&marker_ids, &key), task;

	if (v)
		return *v;
	if (!read_str(k.s, name))
		return TP_NO_TASK;
	v = bpf_map_lookup_elem(&marker_names, &k);
	task = v ? *v : marker_any;
	if (task != TP_NO_TASK) {
		r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
		if (!r) {
			stat_inc(TP_STAT_LOST_RINGBUF);
			return TP_NO_TASK;
		}
		r->magic = TP_MARKER_MAGIC;
		r->pid = key >> 32;
		r->id = id;
		r->task = task;
		r->reserved = 0;
		__builtin_memcpy(r->name, k.s, TP_MARKER_NAME);
		read_str(r->stage, stage);
		read_str(r->env, env);
		bpf_ringbuf_submit(r, 0);
	}
	bpf_map_update_elem(&marker_ids, &key, &task, BPF_ANY);
	return task;
}

/* taskprof_marker_begin(token, id, name, stage, env) */
SEC("uprobe")
int BPF_KPROBE(tp_mark_begin, __u64 token, __u32 id, const char *name, const char *stage,
	       const char *env)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, task;
	struct thread_state *ts;
	struct frame *f;

	/* a process no one profiles, or a marker no one declared, costs the
	 * least: it is neither named nor tracked */
	if (!cfg.track_all && !bpf_map_lookup_elem(&tgids, &tgid))
		return 0;
	task = marker_task(id, name, stage, env);
	if (task == TP_NO_TASK)
		return 0;
	ts = thread_enter(t);
	if (!ts || open_frame(ts, t, TP_MARKER_SP | token, task))
		return 0;
	f = frame_top(ts);
	if (f)
		f->marker = id;
	return 0;
}

struct find_ctx {
	struct thread_state *ts;
	__u64 key;
	__u32 found;
	__u32 pad;
};

static long find_region(__u32 i, void *arg)
{
	struct find_ctx *c = arg;
	struct frame *f;

	if (i >= c->ts->depth)
		return 1;
	f = frame_at(c->ts, c->ts->depth - 1 - i);
	if (f && f->entry_sp == c->key) {
		c->found = c->ts->depth - 1 - i;
		return 1;
	}
	return 0;
}

struct shift_ctx {
	struct thread_state *ts;
	__u32 from;        /* the gone frame's place: what is above moves down */
	__u32 pad;
};

static long shift_down(__u32 i, void *arg)
{
	struct shift_ctx *c = arg;
	__u32 k = c->from + i;
	struct frame *dst, *src;

	if (k + 1 >= c->ts->depth)
		return 1;
	dst = frame_at(c->ts, k);
	src = frame_at(c->ts, k + 1);
	if (!dst || !src)
		return 1;
	*dst = *src;
	return 0;
}

/* A region below the top ends: emitted now; the frames above move down. */
static __always_inline void end_below(struct thread_state *ts, struct task_struct *t, __u64 key,
				      __u32 status)
{
	struct find_ctx fc = { .ts = ts, .key = key, .found = TP_NO_TASK };
	__u64 snap[TP_NR_CTR];
	struct close_ctx c = { .rest = KEEP_OPEN, .mm_alive = true };
	struct frame *f;

	bpf_loop(TP_MAX_FRAMES, find_region, &fc, 0);
	if (fc.found >= TP_MAX_FRAMES)
		return; /* begun on another thread, or lost: nothing to end here */
	f = frame_at(ts, fc.found);
	if (!f)
		return;
	close_ctx__start(&c, ts, t, snap);
	emit(&c, f, fc.found, status, snap, c.now);
	{
		struct shift_ctx sc = { .ts = ts, .from = fc.found };

		bpf_loop(TP_MAX_FRAMES, shift_down, &sc, 0);
	}
	drop_deep(ts, ts->depth - 1);
	ts->depth--;
}

/* taskprof_marker_end(token, status) */
SEC("uprobe")
int BPF_KPROBE(tp_mark_end, __u64 token, __u32 status)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = thread_of(t);
	__u64 key = TP_MARKER_SP | token;
	struct frame *top;

	if (!ts || !ts->depth)
		return 0;
	if (status != TP_UNWOUND)
		status = TP_COMPLETED;
	top = frame_top(ts);
	if (top && top->entry_sp == key)
		close_frames_as(ts, t, key, 0, KEEP_OPEN, true, false, status);
	else
		end_below(ts, t, key, status);
	return 0;
}

/*
 * Python exceptions, counted once each where a Python program sees them.
 * CPython sets every exception through _PyErr_SetObject (raise, int("x"),
 * next() of an exhausted iterator, and also what C code raises and clears
 * itself, as open() does); one that reaches a Python frame gets a traceback
 * entry there, PyTraceBack_Here, once per frame it passes. So a set marks
 * an exception pending and the first frame it reaches counts it: a clear
 * in C never counts, nor does a bare `raise` re-raising (3.11's RERAISE
 * restores without a set and unwinds without an entry). (The exported
 * _PyTraceBack_FromFrame would tell the first frame by its tb_next, but
 * Debian's LTO build inlines it into PyTraceBack_Here.)
 */
/*
 * tp_name of a type object: after PyObject_VAR_HEAD's refcount, type and
 * size (Include/cpython/object.h, 3.x release builds).
 */
#define PY_TYPE_NAME_OFF 24

/*
 * GeneratorExit is how close() stops a generator or coroutine, "not an
 * error" (Python's documentation), and a decorated generator's close
 * raises it twice, in the wrapper and in the generator: it is not counted.
 */
static __always_inline bool py_generator_exit(const void *type)
{
	static const char want[] = "GeneratorExit";
	char name[sizeof(want)];
	const char *p;

	if (bpf_probe_read_user(&p, sizeof(p), type + PY_TYPE_NAME_OFF) ||
	    bpf_probe_read_user(name, sizeof(name), p))
		return false;
	for (int i = 0; i < sizeof(want); i++)
		if (name[i] != want[i])
			return false;
	return true;
}

/* _PyErr_SetObject(tstate, type, value) */
SEC("uprobe")
int BPF_KPROBE(tp_py_raise, void *tstate, const void *type)
{
	struct thread_state *ts = thread_of(bpf_get_current_task_btf());

	if (ts)
		ts->py_pending = !py_generator_exit(type);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tp_py_frame)
{
	struct thread_state *ts = thread_of(bpf_get_current_task_btf());

	if (!ts || !ts->py_pending)
		return 0;
	ts->py_pending = 0;
	/* in a region, or in a thread a region started (charged to it) */
	if (ts->depth || ts->owner)
		ts->ctr[TP_EXCEPTIONS]++;
	return 0;
}

#endif /* TP_MARKERS_BPF_H */
