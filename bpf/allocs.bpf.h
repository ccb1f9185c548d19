/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation counting (--allocs): uprobes on the malloc family, placed per
 * process by the collector, since a probe on libc's malloc for every
 * process on the machine would tax all of them.
 *
 * Provides the program tp_alloc and the map alloc_vma (which procs.bpf.h
 * empties at exec and exit). Relies on state.bpf.h (thread_of).
 */
#ifndef TP_ALLOCS_BPF_H
#define TP_ALLOCS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "taskprof.h"
#include "state.bpf.h"

struct vma_range {
	__u64 start;
	__u64 end;
};

/* The allocator's text, per process: calls it makes to itself are not counted. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TP_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct vma_range);
} alloc_vma SEC(".maps");

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_range *r = data;

	r->start = vma->vm_start;
	r->end = vma->vm_end;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tp_alloc)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct thread_state *ts = thread_of(t);
	__u64 ip = PT_REGS_IP(ctx), ret = 0;
	struct vma_range *r;
	__u32 tgid;

	if (!ts || (!ts->depth && !ts->owner))
		return 0;
	/*
	 * glibc's realloc(NULL) and memalign family call malloc internally;
	 * a call whose return address lies in the allocator's own text is not
	 * one the program made.
	 */
	bpf_probe_read_user(&ret, sizeof(ret),
			    (void *)(PT_REGS_SP(ctx) + TP_COOKIE_SP_ADJ(bpf_get_attach_cookie(ctx))));
	tgid = bpf_get_current_pid_tgid() >> 32;
	r = bpf_map_lookup_elem(&alloc_vma, &tgid);
	if (!r || ip < r->start || ip >= r->end) {
		struct vma_range nr = {};

		if (bpf_find_vma(t, ip, vma_cb, &nr, 0) == 0) {
			bpf_map_update_elem(&alloc_vma, &tgid, &nr, BPF_ANY);
			r = bpf_map_lookup_elem(&alloc_vma, &tgid);
		}
	}
	if (r && ret >= r->start && ret < r->end && ip >= r->start && ip < r->end)
		return 0;
	ts->ctr[TP_ALLOCS]++;
	return 0;
}

#endif /* TP_ALLOCS_BPF_H */
