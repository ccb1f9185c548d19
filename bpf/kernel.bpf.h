/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every assumption about the kernel's own layout and behaviour, in one
 * place, each with the kernel version it holds from. Tested on 6.18.
 *
 * Read through CO-RE elsewhere, with the version each needs:
 * - task->se.sum_exec_runtime, ->utime, ->stime, ->ioac, ->start_time
 *   (CLOCK_MONOTONIC): long-standing;
 * - task->in_iowait (a bitfield, read with BPF_CORE_READ_BITFIELD), set
 *   from io_schedule_prepare until after the thread runs again, read at
 *   sched_switch; delays->blkio_delay is not used: it is wrong on 6.18
 *   (iowait.bpf.h);
 * - open-coded task iterators (bpf_iter_task_new, 6.7);
 * - sock->__sk_common.skc_family; tp_btf sock_send_length and
 *   sock_recv_length (added in 2023; present on the 6.18 tested);
 * - tp_btf sched_process_exit passes group_dead (6.16), and runs before
 *   exit_mm, so an exiting thread's user memory is still readable there
 *   (measured on 6.18; where it is not, the read fails and its frames are
 *   closed as exited);
 * - tp_btf signal_generate fires for the exit signal do_notify_parent
 *   sends, in the exiting task, after exit_mm (long-standing);
 * - task storage with BPF_F_NO_PREALLOC (5.11), bpf_loop (5.17),
 *   bpf_find_vma (5.17), multi-uprobe links (6.6).
 *
 * Provides the kernel's constants the programs test (TP_TASK_DEAD,
 * TP_PF_EXITING, AF_INET*, MSG_PEEK), readers of its structures (rss_of,
 * hiwater_of, mm_id_of, user_sp_of) and lookup_or_init. The bottom layer:
 * relies on vmlinux.h and libbpf's headers only.
 */
#ifndef TP_KERNEL_BPF_H
#define TP_KERNEL_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/* task->__state of a task switched out for the last time (include/linux/sched.h) */
#define TP_TASK_DEAD 0x80
/* task->flags of a task in do_exit (include/linux/sched.h) */
#define TP_PF_EXITING 0x00000004
#define AF_INET 2
#define AF_INET6 10
#define MSG_PEEK 2
#define PAGE_SHIFT 12

/* mm->rss_stat[] indexes: enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS,
 * MM_SHMEMPAGES } (percpu_counter array since 6.2) */
#define TP_MM_FILEPAGES 0
#define TP_MM_ANONPAGES 1
#define TP_MM_SHMEMPAGES 3

/*
 * The mm's high-water RSS in bytes, as the kernel keeps it: raised only
 * where RSS is about to fall by an unmap or a zap (update_hiwater_rss), so
 * a peak freed by munmap or MADV_DONTNEED is in it.
 */
static __always_inline __u64 hiwater_of(struct mm_struct *mm)
{
	return mm ? (__u64)mm->hiwater_rss << PAGE_SHIFT : 0;
}

/* Resident set size in bytes, as VmRSS reports it. */
static __always_inline __u64 rss_of(struct mm_struct *mm)
{
	__s64 file, anon, shmem;

	if (!mm)
		return 0;
	file = mm->rss_stat[TP_MM_FILEPAGES].count;
	anon = mm->rss_stat[TP_MM_ANONPAGES].count;
	shmem = mm->rss_stat[TP_MM_SHMEMPAGES].count;
	/* percpu_counter's shared count can dip below zero; VmRSS clamps too */
	if (file < 0)
		file = 0;
	if (anon < 0)
		anon = 0;
	if (shmem < 0)
		shmem = 0;
	return (__u64)(file + anon + shmem) << PAGE_SHIFT;
}

/* A number unique to an mm for the kernel's lifetime: x86's context id
 * (arch/x86/include/asm/mmu.h, 4.16+). */
static __always_inline __u64 mm_id_of(struct mm_struct *mm)
{
	return mm->context.ctx_id;
}

/*
 * The user stack pointer of a task that is exiting: pt_regs saved at its
 * last entry to the kernel (exit, exit_group, or the signal that kills it).
 * bpf_task_pt_regs: 5.15+.
 */
static __always_inline __u64 user_sp_of(struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	return regs ? BPF_CORE_READ(regs, sp) : 0;
}

/*
 * Gets the value under key, inserting init first if there is none. NULL
 * only if the map is full (or the key raced away again).
 */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *init)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

#endif /* TP_KERNEL_BPF_H */
