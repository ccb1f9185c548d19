// SPDX-License-Identifier: GPL-2.0
/*
 * taskprof BPF side: one record per task invocation.
 *
 * An invocation opens at its entry uprobe and closes when its frame is left:
 * at a uretprobe, at a uprobe on one of its ret instructions, or lazily when
 * the thread is seen running above the frame (exception, longjmp) or exits.
 * Frames are matched by the stack pointer at entry, so recursion, tail calls
 * and many threads need no extra bookkeeping.
 *
 * Counters are cumulative per thread, most of them the kernel's own; an
 * invocation's value is the thread's delta over the frame plus whatever the
 * threads and processes it started were charged, when they exited, while it
 * was open (inv_desc).
 *
 * The guard_* parts serve the unwind guard in user/guard.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "taskprof.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define MSG_PEEK 2
/* enum mm counters: MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES */
#define PAGE_SHIFT 12

#define TS_INIT 0x1
#define TS_FORCED 0x2 /* _Unwind_ForcedUnwind seen: pthread_exit/cancel */
#define TS_RESTORED 0x8 /* the guard put real return addresses back */

/* cookie bit of tp_landed: the exception is finished (caught, deleted) */
#define LANDED_FINAL 0x1

const volatile struct tp_config cfg = {};
/* set by the collector before the tracer lets go: no signal may follow */
__u32 guard_released;

struct frame {
	__u64 start_ns;
	__u64 entry_sp;
	__u64 inv_id;
	__u64 rss0;
	__u64 base[TP_NR_CTR];
	__u32 task;
	__u32 slot;
	__u32 cpus;
	__u32 flags;   /* F_DESC: children have charged it (inv_desc entry) */
};

#define F_DESC 0x1

struct thread_state {
	__u64 ctr[TP_NR_CTR];      /* event-counted totals of this thread */
	__u64 charged[TP_NR_CTR];  /* part of the snapshot already charged to owner */
	__u64 jump_snap[TP_NR_CTR];
	__u64 iowait_since;        /* fallback IO wait: blocked since */
	__u64 last_iowait;         /* fallback IO wait counted at the last switch-in */
	__u64 in_ktime;            /* fallback: when it was switched in */
	__u64 sum_in;              /* fallback: se.sum_exec_runtime then */
	__u64 owner;               /* invocation that spawned this thread */
	__u64 jump_ns;             /* last longjmp */
	__u64 mm_key;
	__u32 mm_idx;
	__u32 depth;
	__u32 flags;
	__u32 pad;
	__u64 seq;                 /* invocation ids of this thread */
	struct frame frames[TP_MAX_FRAMES];
};

struct desc {
	__u64 ctr[TP_NR_CTR];
};

struct proc {
	__u64 mm_key;
	__u32 mm_idx;  /* its entry in mm_peaks */
	__u32 pad;
};

struct mm_peak {
	__u64 mask;
	__u64 max[TP_MEM_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct proc);
} tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct desc);
} inv_desc SEC(".maps");

/*
 * Memory peak slots, one entry per tracked process. An array, so that the
 * per-invocation paths index it instead of hashing; rss_stat, which only
 * knows the mm, goes through mm_index.
 */
#define TP_MAX_PROCS 1024

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TP_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct mm_peak);
} mm_peaks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_MAX_PROCS);
	__type(key, __u64);
	__type(value, __u32);
} mm_index SEC(".maps");

__u32 next_mm_idx;

struct vma_range {
	__u64 start;
	__u64 end;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct vma_range);
} alloc_vma SEC(".maps");

/* SP at each setjmp, by jmp_buf, so a longjmp knows which frames it skips */
struct jmp_key {
	__u64 env;
	__u32 tgid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct jmp_key);
	__type(value, __u64);
} jmpbufs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tp_guard_req);
} guard_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct tp_guard_req);
} guard_reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

static const struct desc zero_desc;
static const struct thread_state zero_ts;

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
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

static __always_inline __u64 rss_of(struct mm_struct *mm)
{
	__s64 file, anon, shmem, sum;

	if (!mm)
		return 0;
	file = mm->rss_stat[0].count;
	anon = mm->rss_stat[1].count;
	shmem = mm->rss_stat[3].count;
	/* percpu_counter's shared count can dip below zero; VmRSS clamps too */
	if (file < 0)
		file = 0;
	if (anon < 0)
		anon = 0;
	if (shmem < 0)
		shmem = 0;
	sum = file + anon + shmem;
	return (__u64)sum << PAGE_SHIFT;
}

static __always_inline void atomic_max(__u64 *p, __u64 v)
{
	for (int k = 0; k < 4; k++) {
		__u64 old = *(volatile __u64 *)p;

		if (old >= v)
			return;
		if (__sync_val_compare_and_swap(p, old, v) == old)
			return;
	}
}

/*
 * Thread counters as of now. CPU and IO wait are the kernel's own per-task
 * accounting, the same that getrusage and taskstats report: so no
 * sched_switch program has to run on every context switch in the system.
 * sum_exec_runtime of a running task lags by up to a tick, exactly as
 * getrusage(RUSAGE_THREAD) does. blkio_delay needs delayacct on (the
 * collector turns kernel.task_delayacct on while it runs); a task created
 * while it was off has no delays at all, and tp_switch counts for it.
 */
static __always_inline void snapshot(struct thread_state *ts, struct task_struct *t,
				     __u64 now, __u64 *s)
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

static __always_inline void desc_add(__u64 id, const __u64 *d, bool create)
{
	struct desc *dst;

	if (!id)
		return;
	dst = bpf_map_lookup_elem(&inv_desc, &id);
	if (!dst && create) {
		if (bpf_map_update_elem(&inv_desc, &id, &zero_desc, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&inv_desc, &id)) {
			stat_inc(TP_STAT_LOST_DESC);
			return;
		}
		dst = bpf_map_lookup_elem(&inv_desc, &id);
	}
	if (!dst)
		return;
	for (int i = 0; i < TP_NR_CTR; i++)
		if (d[i])
			__sync_fetch_and_add(&dst->ctr[i], d[i]);
}

/* Pass what a child thread did since the last call on to its owner. */
static __always_inline void charge_owner(struct thread_state *ts, struct task_struct *t, __u64 now)
{
	__u64 s[TP_NR_CTR], d[TP_NR_CTR];
	struct desc *dst;

	if (!ts->owner)
		return;
	dst = bpf_map_lookup_elem(&inv_desc, &ts->owner);
	if (!dst) {
		/* the owner has finished: the thread outlived its invocation */
		ts->owner = 0;
		return;
	}
	snapshot(ts, t, now, s);
	for (int i = 0; i < TP_NR_CTR; i++) {
		/* IO wait can be revised down at a switch-out after the last
		 * charge (a thread's final switch follows its exit): never
		 * charge a negative amount */
		if (s[i] < ts->charged[i]) {
			d[i] = 0;
			continue;
		}
		d[i] = s[i] - ts->charged[i];
		ts->charged[i] = s[i];
		if (d[i])
			__sync_fetch_and_add(&dst->ctr[i], d[i]);
	}
}

/* --- memory peak slots ------------------------------------------------- */

static __always_inline __u32 slot_open(__u32 mm_idx, __u64 rss)
{
	struct mm_peak *p = bpf_map_lookup_elem(&mm_peaks, &mm_idx);

	if (!p)
		return TP_NO_SLOT;
	for (__u32 i = 0; i < TP_MEM_SLOTS; i++) {
		__u64 old = p->mask, bit = 1ULL << i;

		if (old & bit)
			continue;
		p->max[i] = rss;
		if (__sync_val_compare_and_swap(&p->mask, old, old | bit) == old)
			return i;
	}
	return TP_NO_SLOT;
}

static __always_inline __u64 slot_close(__u32 mm_idx, __u32 slot)
{
	struct mm_peak *p;
	__u64 v;

	if (slot >= TP_MEM_SLOTS)
		return 0;
	p = bpf_map_lookup_elem(&mm_peaks, &mm_idx);
	if (!p)
		return 0;
	v = p->max[slot];
	__sync_fetch_and_and(&p->mask, ~(1ULL << slot));
	return v;
}

/* --- closing frames ---------------------------------------------------- */

struct close_ctx {
	struct thread_state *ts;
	struct task_struct *task;
	__u64 limit;       /* close frames whose entry SP is <= limit */
	__u64 now;
	__u64 mm_alive;
	__u64 *snap;
	__u32 pid;
	__u32 tid;
	__u32 status_eq;   /* status of a frame whose entry SP equals limit */
	__u32 status_lt;   /* status of a frame left below the limit */
};

static __always_inline void emit(struct close_ctx *c, struct frame *f, __u32 depth, __u32 status)
{
	struct thread_state *ts = c->ts;
	__u64 *end = c->snap, end_ns = c->now, peak;
	struct tp_event *e;
	struct desc *d;
	__u64 flags;

	/* a frame skipped by longjmp ended at the jump, not when we noticed */
	if (status != TP_COMPLETED && ts->jump_ns > f->start_ns && ts->jump_ns < end_ns) {
		end = ts->jump_snap;
		end_ns = ts->jump_ns;
	}

	/* rss_stat kept the slot's maximum over every value since entry,
	 * the current one included; without a slot, entry and exit will do */
	peak = slot_close(ts->mm_idx, f->slot);
	if (f->rss0 > peak)
		peak = f->rss0;
	if (f->slot == TP_NO_SLOT && c->mm_alive) {
		__u64 now_rss = rss_of(c->task->mm);

		if (now_rss > peak)
			peak = now_rss;
	}

	d = f->flags & F_DESC ? bpf_map_lookup_elem(&inv_desc, &f->inv_id) : NULL;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		e->inv_id = f->inv_id;
		e->start_ns = f->start_ns;
		e->end_ns = end_ns;
		e->rss_peak = peak;
		for (int i = 0; i < TP_NR_CTR; i++)
			e->ctr[i] = (end[i] > f->base[i] ? end[i] - f->base[i] : 0) +
				    (d ? d->ctr[i] : 0);
		e->pid = c->pid;
		e->tid = c->tid;
		e->task = f->task;
		e->status = status;
		e->cpus = f->cpus;
		e->depth = depth;
		e->flags = f->slot == TP_NO_SLOT ? TP_EV_MEM_APPROX : 0;
		e->reserved = 0;
		/*
		 * A wakeup costs ~2.5 us: wake the consumer once per 1024
		 * records of a thread, not on every record; it also polls on a
		 * short timeout.
		 */
		flags = (f->inv_id & 1023) == 0 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
		bpf_ringbuf_submit(e, flags);
	} else {
		stat_inc(TP_STAT_LOST_RINGBUF);
	}

	if (d) {
		/* children's work belongs to every enclosing invocation too */
		__u64 parent = 0;

		if (depth > 0) {
			struct frame *pf = &ts->frames[(depth - 1) & (TP_MAX_FRAMES - 1)];

			parent = pf->inv_id;
			pf->flags |= F_DESC;
		} else {
			parent = ts->owner;
		}
		desc_add(parent, d->ctr, depth > 0);
		bpf_map_delete_elem(&inv_desc, &f->inv_id);
	}
}

static long close_one(__u32 i, void *arg)
{
	struct close_ctx *c = arg;
	struct thread_state *ts = c->ts;
	struct frame *f;
	__u32 depth, status;

	depth = ts->depth;
	if (depth == 0 || depth > TP_MAX_FRAMES)
		return 1;
	f = &ts->frames[(depth - 1) & (TP_MAX_FRAMES - 1)];
	if (f->entry_sp > c->limit)
		return 1;
	status = f->entry_sp == c->limit ? c->status_eq : c->status_lt;
	if (status == TP_UNWOUND && (ts->flags & TS_FORCED))
		status = TP_EXITED;
	ts->depth = depth - 1;
	emit(c, f, depth - 1, status);
	return 0;
}

static __always_inline void close_frames(struct thread_state *ts, struct task_struct *t,
					 __u64 limit, __u32 status_eq, __u32 status_lt,
					 bool mm_alive)
{
	__u64 snap[TP_NR_CTR];
	struct close_ctx c = {};
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!ts->depth)
		return;
	c.now = bpf_ktime_get_ns();
	snapshot(ts, t, c.now, snap);
	c.ts = ts;
	c.task = t;
	c.limit = limit;
	c.snap = snap;
	c.pid = pid_tgid >> 32;
	c.tid = (__u32)pid_tgid;
	c.status_eq = status_eq;
	c.status_lt = status_lt;
	c.mm_alive = mm_alive;
	/* the common case, one frame returning, without a loop */
	if (close_one(0, &c) == 0 && ts->depth)
		bpf_loop(TP_MAX_FRAMES, close_one, &c, 0);
}

/* --- uprobes on the declared tasks -------------------------------------- */

static __always_inline struct proc *tracked(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return bpf_map_lookup_elem(&tgids, &tgid);
}

SEC("uprobe")
int BPF_KPROBE(tp_enter)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 sp = PT_REGS_SP(ctx) + (cookie >> 32);
	struct thread_state *ts;
	struct mm_struct *mm;
	struct frame *f;
	struct proc *p;
	__u64 now, mm_key;
	__u32 d;

	ts = bpf_task_storage_get(&threads, t, 0, 0);
	mm = t->mm;
	mm_key = (__u64)mm;
	if (!ts || ts->mm_key != mm_key) {
		/* first task of this thread, or after exec: is it ours? */
		p = tracked();
		if (!p)
			return 0;
		if (!ts)
			ts = bpf_task_storage_get(&threads, t, 0,
						  BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!ts) {
			stat_inc(TP_STAT_LOST_THREAD);
			return 0;
		}
		if (!(ts->flags & TS_INIT))
			ts->flags = TS_INIT;
		if (p->mm_key != mm_key) {
			/* first task seen in this process (or after exec) */
			static const struct mm_peak zero_peak;
			__u32 idx = __sync_fetch_and_add(&next_mm_idx, 1) % TP_MAX_PROCS;

			if (p->mm_key)
				bpf_map_delete_elem(&mm_index, &p->mm_key);
			bpf_map_update_elem(&mm_peaks, &idx, &zero_peak, BPF_ANY);
			bpf_map_update_elem(&mm_index, &mm_key, &idx, BPF_ANY);
			p->mm_idx = idx;
			p->mm_key = mm_key;
		}
		ts->mm_key = mm_key;
		ts->mm_idx = p->mm_idx;
	}

	/* frames below this call's frame were left without a return */
	if (ts->depth && ts->depth <= TP_MAX_FRAMES &&
	    ts->frames[(ts->depth - 1) & (TP_MAX_FRAMES - 1)].entry_sp < sp)
		close_frames(ts, t, sp - 1, TP_UNWOUND, TP_UNWOUND, true);

	d = ts->depth;
	if (d >= TP_MAX_FRAMES) {
		stat_inc(TP_STAT_LOST_DEPTH);
		return 0;
	}
	f = &ts->frames[d & (TP_MAX_FRAMES - 1)];
	f->entry_sp = sp;
	f->inv_id = next_id(ts);
	f->task = (__u32)cookie;
	f->flags = 0;
	f->cpus = t->nr_cpus_allowed;
	f->rss0 = rss_of(mm);
	f->slot = slot_open(ts->mm_idx, f->rss0);
	if (f->slot == TP_NO_SLOT)
		stat_inc(TP_STAT_MEM_APPROX);
	now = bpf_ktime_get_ns();
	snapshot(ts, t, now, f->base);
	f->start_ns = now;
	ts->depth = d + 1;
	return 0;
}

/* uprobe on a ret instruction: SP points at the return address */
SEC("uprobe")
int BPF_KPROBE(tp_ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = bpf_task_storage_get(&threads, t, 0, 0);

	if (!ts || !ts->depth)
		return 0;
	close_frames(ts, t, PT_REGS_SP(ctx), TP_COMPLETED, TP_UNWOUND, true);
	return 0;
}

/* uretprobe: the return address has been popped */
SEC("uretprobe")
int BPF_KRETPROBE(tp_uret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = bpf_task_storage_get(&threads, t, 0, 0);

	if (!ts || !ts->depth)
		return 0;
	close_frames(ts, t, PT_REGS_SP(ctx) - 8, TP_COMPLETED, TP_UNWOUND, true);
	return 0;
}

/* --- unwind guard ---------------------------------------------------------- */

/*
 * Lists the thread's hijacked return slots from the kernel's own
 * return_instances (6.12+ layout: stack, orig_ret_vaddr, next) and asks the
 * tracer to rewrite them: all of them before an unwind, the ones above
 * `above` (still live) after a catch. Returns how many were asked for.
 */
struct guard_walk {
	struct return_instance *ri;
	struct tp_guard_req *r;
	__u64 above;
	__u64 tramp;
	__u32 kind;
	__u32 n;
};

static long guard_step(__u32 i, void *arg)
{
	struct guard_walk *w = arg;
	struct return_instance *ri = w->ri;
	struct tp_guard_req *r = w->r;
	__u64 stack, orig;
	__u32 k;

	if (!ri)
		return 1;
	stack = BPF_CORE_READ(ri, stack);
	orig = BPF_CORE_READ(ri, orig_ret_vaddr);
	w->ri = BPF_CORE_READ(ri, next);
	if (stack <= w->above)
		return 0;
	k = w->n & (TP_GUARD_SLOTS - 1);
	r->addr[k] = stack;
	r->val[k] = w->kind == TP_GUARD_RESTORE ? orig : w->tramp;
	r->expect[k] = w->kind == TP_GUARD_RESTORE ? w->tramp : orig;
	w->n++;
	return w->n >= TP_GUARD_SLOTS;
}

/*
 * Lists the thread's hijacked return slots from the kernel's own
 * return_instances (6.12+ layout: stack, orig_ret_vaddr, next) and asks the
 * tracer to rewrite them: all of them before an unwind, the ones above
 * `above` (still live) after a catch. Returns how many were asked for.
 */
static __always_inline int guard_request(struct task_struct *t, __u64 above, __u32 kind)
{
	struct guard_walk w = { .above = above, .kind = kind };
	__u32 zero = 0, tid;

	w.r = bpf_map_lookup_elem(&guard_scratch, &zero);
	if (!w.r)
		return 0;
	w.tramp = BPF_CORE_READ(t, mm, uprobes_state.xol_area, vaddr);
	w.ri = BPF_CORE_READ(t, utask, return_instances);
	if (!w.ri || !w.tramp)
		return 0;
	bpf_loop(TP_GUARD_SLOTS, guard_step, &w, 0);
	if (!w.n)
		return 0;
	w.r->n = w.n;
	w.r->kind = kind;
	tid = (__u32)bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&guard_reqs, &tid, w.r, BPF_ANY))
		return 0;
	/* delivered on the way back to user space: before the unwinder runs */
	bpf_send_signal_thread(TP_GUARD_SIGNAL);
	return w.n;
}

/* --- runtime hooks: exceptions, longjmp, allocations --------------------- */

static __always_inline void guard_before_unwind(struct task_struct *t, struct thread_state *ts)
{
	if (cfg.guard && !guard_released && guard_request(t, 0, TP_GUARD_RESTORE))
		ts->flags |= TS_RESTORED;
}

SEC("uprobe")
int BPF_KPROBE(tp_raise)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = bpf_task_storage_get(&threads, t, 0, 0);

	if (!ts)
		return 0;
	ts->ctr[TP_EXCEPTIONS]++;
	guard_before_unwind(t, ts);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tp_forced)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = bpf_task_storage_get(&threads, t, 0, 0);

	if (!ts)
		return 0;
	ts->flags |= TS_FORCED;
	guard_before_unwind(t, ts);
	return 0;
}

/*
 * A landing pad is running (__cxa_begin_catch, _Unwind_Resume,
 * _Unwind_DeleteException): every frame at or below the caller's return
 * slot has been unwound.
 */
SEC("uprobe")
int BPF_KPROBE(tp_landed)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = bpf_task_storage_get(&threads, t, 0, 0);

	__u64 cookie = bpf_get_attach_cookie(ctx), sp = PT_REGS_SP(ctx) + (cookie >> 32);

	if (!ts)
		return 0;
	if (ts->depth)
		close_frames(ts, t, sp, TP_UNWOUND, TP_UNWOUND, true);
	/* caught: the frames it did not unwind get their trampolines back */
	if ((cookie & LANDED_FINAL) && (ts->flags & TS_RESTORED) && !guard_released) {
		ts->flags &= ~TS_RESTORED;
		guard_request(t, sp, TP_GUARD_REHIJACK);
	}
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tp_setjmp, void *env)
{
	struct jmp_key k = { .env = (__u64)env, .tgid = bpf_get_current_pid_tgid() >> 32 };
	__u64 sp = PT_REGS_SP(ctx) + (bpf_get_attach_cookie(ctx) >> 32);

	if (!tracked())
		return 0;
	bpf_map_update_elem(&jmpbufs, &k, &sp, BPF_ANY);
	return 0;
}

/*
 * longjmp(env): the frames below the matching setjmp's caller are left now.
 * Without a recorded setjmp (attached later), remember when the jump
 * happened; frames found dead later end at that moment.
 */
SEC("uprobe")
int BPF_KPROBE(tp_jump, void *env)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = bpf_task_storage_get(&threads, t, 0, 0);
	struct jmp_key k = { .env = (__u64)env, .tgid = bpf_get_current_pid_tgid() >> 32 };
	__u64 now, *sp;

	if (!ts || !ts->depth)
		return 0;
	sp = bpf_map_lookup_elem(&jmpbufs, &k);
	if (sp) {
		close_frames(ts, t, *sp, TP_UNWOUND, TP_UNWOUND, true);
		return 0;
	}
	now = bpf_ktime_get_ns();
	snapshot(ts, t, now, ts->jump_snap);
	ts->jump_ns = now;
	return 0;
}

struct vma_cb_ctx {
	__u64 start;
	__u64 end;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_cb_ctx *c = data;

	c->start = vma->vm_start;
	c->end = vma->vm_end;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tp_alloc)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts;
	struct vma_range *r;
	__u64 ip = PT_REGS_IP(ctx), ret = 0;
	__u32 tgid;

	if (!cfg.count_allocs)
		return 0;
	ts = bpf_task_storage_get(&threads, t, 0, 0);
	if (!ts || (!ts->depth && !ts->owner))
		return 0;
	/*
	 * glibc's realloc(NULL) and memalign family call malloc internally;
	 * a call whose return address lies in the allocator's own text is not
	 * one the program made.
	 */
	bpf_probe_read_user(&ret, sizeof(ret),
			    (void *)(PT_REGS_SP(ctx) + (bpf_get_attach_cookie(ctx) >> 32)));
	tgid = bpf_get_current_pid_tgid() >> 32;
	r = bpf_map_lookup_elem(&alloc_vma, &tgid);
	if (!r || ip < r->start || ip >= r->end) {
		struct vma_cb_ctx c = {};

		if (bpf_find_vma(t, ip, vma_cb, &c, 0) == 0) {
			struct vma_range nr = { .start = c.start, .end = c.end };

			bpf_map_update_elem(&alloc_vma, &tgid, &nr, BPF_ANY);
			r = bpf_map_lookup_elem(&alloc_vma, &tgid);
		}
	}
	if (r && ret >= r->start && ret < r->end && ip >= r->start && ip < r->end)
		return 0;
	ts->ctr[TP_ALLOCS]++;
	return 0;
}

/* --- scheduler, process lifetime ------------------------------------------ */

/*
 * IO wait for threads without delay accounting (created while
 * kernel.task_delayacct was off): from the switch-out that blocked on IO to
 * the switch back in. Attached only when a target has such threads.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(tp_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct thread_state *ts;
	__u64 now = 0;

	ts = bpf_task_storage_get(&threads, prev, 0, 0);
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
	ts = bpf_task_storage_get(&threads, next, 0, 0);
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

/* Counts the target's threads that have no delay accounting. */
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

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_fork, struct task_struct *parent, struct task_struct *child)
{
	struct thread_state *pts, *cts;
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	__u64 owner = 0;

	if (ctgid != ptgid && cfg.follow_forks && bpf_map_lookup_elem(&tgids, &ptgid)) {
		struct proc np = {};

		bpf_map_update_elem(&tgids, &ctgid, &np, BPF_ANY);
	}
	pts = bpf_task_storage_get(&threads, parent, 0, 0);
	if (!pts)
		return 0;
	if (pts->depth && pts->depth <= TP_MAX_FRAMES) {
		struct frame *f = &pts->frames[(pts->depth - 1) & (TP_MAX_FRAMES - 1)];

		owner = f->inv_id;
		f->flags |= F_DESC;
	} else {
		owner = pts->owner;
	}
	if (!owner)
		return 0;
	if (bpf_map_update_elem(&inv_desc, &owner, &zero_desc, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&inv_desc, &owner)) {
		stat_inc(TP_STAT_LOST_DESC);
		return 0;
	}
	cts = bpf_task_storage_get(&threads, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cts) {
		stat_inc(TP_STAT_LOST_THREAD);
		return 0;
	}
	cts->flags = TS_INIT;
	cts->owner = owner;
	return 0;
}

static __always_inline void thread_gone(struct task_struct *t, struct thread_state *ts, bool mm_alive)
{
	__u64 now = bpf_ktime_get_ns();

	if (ts->owner)
		charge_owner(ts, t, now);
	close_frames(ts, t, ~0ULL, TP_EXITED, TP_EXITED, mm_alive);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_exit, struct task_struct *p, bool group_dead)
{
	struct thread_state *ts = bpf_task_storage_get(&threads, p, 0, 0);
	__u32 tgid = p->tgid;
	struct proc *pr;

	if (ts)
		thread_gone(p, ts, false);
	if (!group_dead)
		return 0;
	/* 6.16+ passes group_dead; the last thread out removes the process */
	pr = bpf_map_lookup_elem(&tgids, &tgid);
	if (pr) {
		if (pr->mm_key)
			bpf_map_delete_elem(&mm_index, &pr->mm_key);
		bpf_map_delete_elem(&tgids, &tgid);
	}
	bpf_map_delete_elem(&alloc_vma, &tgid);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_exec, struct task_struct *p)
{
	struct thread_state *ts = bpf_task_storage_get(&threads, p, 0, 0);
	__u32 tgid = p->tgid;
	struct proc *pr;

	if (ts)
		close_frames(ts, p, ~0ULL, TP_EXITED, TP_EXITED, false);
	pr = bpf_map_lookup_elem(&tgids, &tgid);
	if (pr && pr->mm_key) {
		bpf_map_delete_elem(&mm_index, &pr->mm_key);
		pr->mm_key = 0;
	}
	bpf_map_delete_elem(&alloc_vma, &tgid);
	return 0;
}

SEC("tp_btf/rss_stat")
int BPF_PROG(tp_rss, struct mm_struct *mm, int member)
{
	__u64 key = (__u64)mm, mask, rss;
	struct mm_peak *p;
	__u32 *idx = bpf_map_lookup_elem(&mm_index, &key);

	if (!idx)
		return 0;
	p = bpf_map_lookup_elem(&mm_peaks, idx);
	if (!p)
		return 0;
	mask = p->mask;
	if (!mask)
		return 0;
	rss = rss_of(mm);
	for (__u32 i = 0; i < TP_MEM_SLOTS; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		atomic_max(&p->max[i], rss);
	}
	return 0;
}

static __always_inline void count_net(struct sock *sk, int ret, int idx)
{
	struct thread_state *ts;
	__u16 family;

	if (ret <= 0)
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return;
	ts = bpf_task_storage_get(&threads, bpf_get_current_task_btf(), 0, 0);
	if (ts)
		ts->ctr[idx] += ret;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tp_send, struct sock *sk, int ret, int flags)
{
	count_net(sk, ret, TP_NET_TX);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_recv, struct sock *sk, int ret, int flags)
{
	if (!(flags & MSG_PEEK))
		count_net(sk, ret, TP_NET_RX);
	return 0;
}

/* --- unwind guard: the hijacked slots of every tracked thread ------------- */

/*
 * Before the tracer lets go of a target that keeps running, every return
 * slot still holding a trampoline gets its real address back, so that no
 * later exception meets one unguarded. This lists them while the target's
 * threads are held.
 */
SEC("iter/task")
int dump_hijacks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct return_instance *ri;
	struct tp_hijack rec;
	__u32 tgid;

	if (!task)
		return 0;
	tgid = task->tgid;
	if (!bpf_map_lookup_elem(&tgids, &tgid))
		return 0;
	rec.tid = task->pid;
	rec.pad = 0;
	rec.tramp = BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
	ri = BPF_CORE_READ(task, utask, return_instances);
	for (int i = 0; i < TP_GUARD_SLOTS && ri; i++) {
		rec.stack = BPF_CORE_READ(ri, stack);
		rec.orig = BPF_CORE_READ(ri, orig_ret_vaddr);
		bpf_seq_write(seq, &rec, sizeof(rec));
		ri = BPF_CORE_READ(ri, next);
	}
	return 0;
}
