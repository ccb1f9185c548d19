/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory peak: the highest RSS of the process while an invocation was open,
 * even if it freed the memory before returning. Each open invocation holds
 * a slot in its mm's entry; rss_stat, which fires on every change of the
 * counters, raises the maximum of every held slot.
 *
 * Provides the program tp_rss and the mm_hint array, and for the others
 * mempeak_track and mempeak_untrack (a process's entry, at its first frame,
 * its exec and its exit) and slot_open and slot_close (a frame's slot).
 * Relies on state.bpf.h (mm_peaks, mm_index, free_peaks) and kernel.bpf.h
 * (rss_of, mm_id_of).
 */
#ifndef TP_MEMPEAK_BPF_H
#define TP_MEMPEAK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "taskprof.h"
#include "kernel.bpf.h"
#include "state.bpf.h"

/*
 * rss_stat fires on every change of any process's RSS counters, page faults
 * included. A count of tracked mms per hash bucket, read with one load,
 * lets the untracked ones (nearly all) go without a map lookup.
 */
#define MM_HINT_BITS 14
#define MM_HINT_MASK ((1 << MM_HINT_BITS) - 1)
__u32 mm_hint[1 << MM_HINT_BITS];

/* The verifier allows no arithmetic on a pointer: hash the mm's id instead. */
static __always_inline __u32 mm_hint_idx(struct mm_struct *mm)
{
	return (mm_id_of(mm) * 0x9E3779B97F4A7C15ULL) >> (64 - MM_HINT_BITS);
}

static __always_inline void mempeak_untrack(struct tp_proc *p)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, idx = p->mm_idx;
	struct mm_peak *peak;

	if (!p->mm_key)
		return;
	/* a vfork child leaving its parent's mm leaves the parent's entry */
	peak = bpf_map_lookup_elem(&mm_peaks, &idx);
	if (peak && peak->tgid == tgid && !bpf_map_delete_elem(&mm_index, &p->mm_key)) {
		__sync_fetch_and_add(&mm_hint[peak->hint & MM_HINT_MASK], -1);
		peak->tgid = 0;
		bpf_map_push_elem(&free_peaks, &idx, 0);
	}
	p->mm_key = 0;
	p->mm_idx = TP_NO_SLOT;
}

/* Takes a free entry for mm, made by this process; TP_NO_SLOT if none is left. */
static __always_inline __u32 mempeak_new(struct mm_struct *mm, __u64 mm_key)
{
	struct mm_peak *peak;
	__u32 idx;

	if (bpf_map_pop_elem(&free_peaks, &idx))
		return TP_NO_SLOT;
	peak = bpf_map_lookup_elem(&mm_peaks, &idx);
	if (!peak || bpf_map_update_elem(&mm_index, &mm_key, &idx, BPF_NOEXIST)) {
		bpf_map_push_elem(&free_peaks, &idx, 0);
		return TP_NO_SLOT;
	}
	peak->mask = 0;
	peak->tgid = bpf_get_current_pid_tgid() >> 32;
	peak->hint = mm_hint_idx(mm);
	__sync_fetch_and_add(&mm_hint[peak->hint & MM_HINT_MASK], 1);
	return idx;
}

/* The mm's peak entry, made with the process's first invocation. */
static __always_inline void mempeak_track(struct tp_proc *p, struct mm_struct *mm)
{
	__u64 mm_key = (__u64)mm;
	__u32 *shared;

	if (p->mm_key == mm_key)
		return;
	/* an exec replaced the mm: the old entry is gone with it */
	mempeak_untrack(p);
	p->mm_key = mm_key;
	/* a vfork child runs in its parent's mm, and its entry */
	shared = bpf_map_lookup_elem(&mm_index, &mm_key);
	p->mm_idx = shared ? *shared : mempeak_new(mm, mm_key);
}

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

SEC("tp_btf/rss_stat")
int BPF_PROG(tp_rss, struct mm_struct *mm, int member)
{
	__u64 key = (__u64)mm, mask, rss;
	struct mm_peak *p;
	__u32 *idx;

	if (!mm_hint[mm_hint_idx(mm) & MM_HINT_MASK])
		return 0;
	idx = bpf_map_lookup_elem(&mm_index, &key);
	p = idx ? bpf_map_lookup_elem(&mm_peaks, idx) : NULL;
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

#endif /* TP_MEMPEAK_BPF_H */
