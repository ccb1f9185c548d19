/* SPDX-License-Identifier: MIT */
/*
 * Where in one function its probes go: the first instruction the kernel
 * emulates, reached once per call; its ret instructions and the jumps that
 * may leave it; and the return mechanisms a function can have.
 */
#ifndef TP_PLAN_PROBEPLAN_H
#define TP_PLAN_PROBEPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_file;
struct elf_sym;

enum tp_ret_mode {
	TP_RET_AUTO = 0,  /* the cheapest that is safe and exact (plan.c) */
	TP_RET_URETPROBE, /* kernel return probe: cheapest, but not unwinder safe */
	TP_RET_INSN,      /* uprobes on the ret instructions: always safe */
	TP_RET_SITES,     /* uprobes where the callers resume: safe, sees tail calls */
	TP_RET_SAFE,      /* AUTO without uretprobes (a debugger is attached) */
};

struct probe_plan {
	uint64_t entry_vaddr;  /* where the entry uprobe goes */
	uint32_t sp_adj;       /* add to SP there to get SP at function entry */
	enum tp_ret_mode mode; /* resolved: URETPROBE or INSN */
	uint64_t *rets;        /* vaddrs of ret instructions (INSN mode) */
	size_t nrets;
	uint64_t *tails;       /* direct tail-call targets outside the function */
	size_t ntails;
	uint64_t *tail_jmps;   /* jumps that may leave it: out of it, or indirect */
	size_t ntail_jmps;
	bool has_call;
	bool entry_emulated;   /* the kernel emulates the probed instruction */
};

int probe_plan__build(const struct elf_file *ef, const struct elf_sym *sym,
		      enum tp_ret_mode want, struct probe_plan *out);
void probe_plan__free(struct probe_plan *p);

#endif /* TP_PLAN_PROBEPLAN_H */
