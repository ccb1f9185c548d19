// SPDX-License-Identifier: MIT
/*
 * Where to put a task's probes, decided from its machine code (Capstone).
 *
 * Costs measured on the 6.18 Firecracker VMs this runs on: a uprobe on an
 * instruction the kernel emulates (push reg, nop, call/jmp/jcc rel) costs
 * about 0.5 us; any other instruction, ret included, is single-stepped for
 * about 15 us; a uretprobe's return adds about 0.25 us.
 *
 * Entry: the first instruction that the kernel emulates, reached from the
 * function's entry without a branch and not itself a branch target, so it
 * runs exactly once per call. The SP change on the way (push, sub rsp) is
 * passed to BPF so it can recover the SP at entry.
 *
 * Return: either a uretprobe at the entry (the caller, user/plan.c, decides
 * where that is safe), or uprobes on every ret instruction, plus on the ret
 * instructions of functions it tail-calls. AUTO means the latter here: it
 * leaves the stack alone.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan/probeplan.h"

#include "base/util.h"
#include "elf/elf_file.h"
#include "elf/x86insn.h"

#define MAX_FUNC_BYTES (1 << 20)

static bool contains(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

void probe_plan__free(struct probe_plan *p)
{
	if (!p)
		return;
	free(p->rets);
	free(p->tails);
	free(p->tail_jmps);
	memset(p, 0, sizeof(*p));
}

/* Returns, calls and jumps of the function's instructions: where returns
 * are, whether it calls, and the jumps within it (targets) and out of it. */
static int classify(const cs_insn *insn, size_t count, uint64_t start, uint64_t end,
		    uint64_t **targets, size_t *ntargets, struct probe_plan *out)
{
	int err = 0;

	for (size_t i = 0; i < count && !err; i++) {
		const cs_insn *in = &insn[i];
		uint64_t t;

		if (x86insn__in_group(in, CS_GRP_RET)) {
			err = tp_u64_push(&out->rets, &out->nrets, in->address);
		} else if (x86insn__in_group(in, CS_GRP_CALL)) {
			out->has_call = true;
		} else if (x86insn__in_group(in, CS_GRP_JUMP)) {
			t = x86insn__direct_target(in);
			if (t >= start && t < end)
				err = tp_u64_push(targets, ntargets, t);
			else if (t)
				err = tp_u64_push(&out->tails, &out->ntails, t);
			/* may leave the function: a tail call (an indirect one
			 * may also be a switch's, told apart at run time) */
			if (!err && (!t || t < start || t >= end))
				err = tp_u64_push(&out->tail_jmps, &out->ntail_jmps, in->address);
		}
	}
	return err;
}

/* sub rsp, imm is the one adjustment of SP the entry probe models. */
static bool sub_rsp_imm(const cs_insn *in, uint32_t *imm)
{
	const cs_x86 *x = &in->detail->x86;

	if (in->id != X86_INS_SUB || x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
	    x->operands[0].reg != X86_REG_RSP || x->operands[1].type != X86_OP_IMM ||
	    x->operands[1].imm <= 0 || x->operands[1].imm >= (1 << 20))
		return false;
	*imm = (uint32_t)x->operands[1].imm;
	return true;
}

/* Entry: walks the straight-line prologue for an emulated instruction. */
static void choose_entry(const cs_insn *insn, size_t count, const uint64_t *targets,
			 size_t ntargets, struct probe_plan *out)
{
	uint32_t adj = 0, imm;

	for (size_t i = 0; i < count; i++) {
		const cs_insn *in = &insn[i];

		if (i > 0 && contains(targets, ntargets, in->address))
			break;
		if (x86insn__emulated(in)) {
			out->entry_vaddr = in->address;
			out->sp_adj = adj;
			out->entry_emulated = true;
			break;
		}
		if (x86insn__in_group(in, CS_GRP_JUMP) || x86insn__in_group(in, CS_GRP_CALL) ||
		    x86insn__in_group(in, CS_GRP_RET) || x86insn__in_group(in, CS_GRP_INT))
			break;
		if (x86insn__writes_rsp(in)) {
			if (!sub_rsp_imm(in, &imm))
				break;
			adj += imm;
		}
	}
}

int probe_plan__build(const struct elf_file *ef, const struct elf_sym *sym,
		      enum tp_ret_mode want, struct probe_plan *out)
{
	uint64_t start = sym->addr, end = sym->addr + sym->size;
	uint64_t *targets = NULL;
	size_t ntargets = 0, count = 0;
	uint8_t *code = NULL;
	cs_insn *insn = NULL;
	csh cs = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->entry_vaddr = start;
	if (!sym->size || sym->size > MAX_FUNC_BYTES)
		return -ERANGE;
	code = malloc(sym->size);
	if (!code)
		return -ENOMEM;
	err = elf_file__read(ef, start, code, sym->size);
	if (err)
		goto cleanup;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		err = -EINVAL;
		goto cleanup;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	count = cs_disasm(cs, code, sym->size, start, 0, &insn);
	if (!count) {
		err = -ENOEXEC;
		goto cleanup;
	}
	err = classify(insn, count, start, end, &targets, &ntargets, out);
	if (err)
		goto cleanup;
	choose_entry(insn, count, targets, ntargets, out);
	out->mode = want == TP_RET_URETPROBE ? TP_RET_URETPROBE : TP_RET_INSN;
	/* A uretprobe reads the return address at SP: only where SP is untouched. */
	if (out->mode == TP_RET_URETPROBE && out->sp_adj) {
		out->entry_vaddr = start;
		out->sp_adj = 0;
		out->entry_emulated = count && x86insn__emulated(&insn[0]);
	}

cleanup:
	if (insn)
		cs_free(insn, count);
	if (cs)
		cs_close(&cs);
	free(code);
	free(targets);
	if (err)
		probe_plan__free(out);
	return err;
}
