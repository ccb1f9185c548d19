// SPDX-License-Identifier: MIT
/*
 * Questions about one decoded x86-64 instruction: is a uprobe on it
 * emulated, where does it branch, how does it move the stack pointer, does
 * it refer to an address. See x86insn.h.
 */
#include "elf/x86insn.h"

bool x86insn__emulated(const cs_insn *in)
{
	const uint8_t *b = in->bytes;

	if (in->size == 1 && (b[0] == 0x90 || (b[0] >= 0x50 && b[0] <= 0x57)))
		return true;
	if (in->size == 2 && b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57)
		return true;
	if (b[0] == 0x0f && in->size >= 2 && b[1] == 0x1f)
		return true; /* multi-byte nop */
	if (b[0] == 0xe8 || b[0] == 0xe9 || b[0] == 0xeb || (b[0] >= 0x70 && b[0] <= 0x7f))
		return true;
	if (b[0] == 0x0f && in->size >= 2 && b[1] >= 0x80 && b[1] <= 0x8f)
		return true;
	return false;
}

bool x86insn__in_group(const cs_insn *in, uint8_t g)
{
	for (int i = 0; i < in->detail->groups_count; i++)
		if (in->detail->groups[i] == g)
			return true;
	return false;
}

bool x86insn__branches(const cs_insn *in)
{
	return x86insn__in_group(in, CS_GRP_JUMP) || x86insn__in_group(in, CS_GRP_CALL) ||
	       x86insn__in_group(in, CS_GRP_RET) || x86insn__in_group(in, CS_GRP_INT) ||
	       x86insn__in_group(in, CS_GRP_IRET) || in->id == X86_INS_UD2 ||
	       in->id == X86_INS_HLT;
}

uint64_t x86insn__direct_target(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
		return (uint64_t)x->operands[0].imm;
	return 0;
}

bool x86insn__writes_rsp(const cs_insn *in)
{
	for (int i = 0; i < in->detail->regs_write_count; i++)
		if (in->detail->regs_write[i] == X86_REG_RSP)
			return true;
	for (int i = 0; i < in->detail->x86.op_count; i++) {
		const cs_x86_op *op = &in->detail->x86.operands[i];

		if (op->type == X86_OP_REG && op->reg == X86_REG_RSP && (op->access & CS_AC_WRITE))
			return true;
	}
	return false;
}

/* op0 is RSP and op1 an immediate: add/sub rsp, N */
static bool rsp_imm(const cs_x86 *x, int64_t *imm)
{
	if (x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
	    x->operands[0].reg != X86_REG_RSP || x->operands[1].type != X86_OP_IMM)
		return false;
	*imm = x->operands[1].imm;
	return *imm > -(1 << 24) && *imm < (1 << 24);
}

bool x86insn__rsp_delta(const cs_insn *in, int64_t *delta)
{
	const cs_x86 *x = &in->detail->x86;
	int64_t imm;

	*delta = 0;
	if (!x86insn__writes_rsp(in))
		return true;
	switch (in->id) {
	case X86_INS_PUSH:
	case X86_INS_PUSHFQ:
		*delta = -8;
		return true;
	case X86_INS_POP:
		/* pop %rsp loads it */
		if (x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
		    x->operands[0].reg == X86_REG_RSP)
			return false;
		*delta = 8;
		return true;
	case X86_INS_POPFQ:
		*delta = 8;
		return true;
	case X86_INS_SUB:
		if (!rsp_imm(x, &imm))
			return false;
		*delta = -imm;
		return true;
	case X86_INS_ADD:
		if (!rsp_imm(x, &imm))
			return false;
		*delta = imm;
		return true;
	case X86_INS_LEA:
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[0].reg == X86_REG_RSP && x->operands[1].type == X86_OP_MEM &&
		    x->operands[1].mem.base == X86_REG_RSP && x->operands[1].mem.index == 0) {
			*delta = x->operands[1].mem.disp;
			return true;
		}
		return false;
	default:
		return false;
	}
}

bool x86insn__refers_to(const cs_insn *in, uint64_t addr, bool absolute)
{
	const cs_x86 *x = &in->detail->x86;

	if ((x86insn__in_group(in, CS_GRP_JUMP) || x86insn__in_group(in, CS_GRP_CALL)) &&
	    x86insn__direct_target(in))
		return x86insn__direct_target(in) == addr;
	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];

		if (absolute && op->type == X86_OP_IMM && (uint64_t)op->imm == addr)
			return true;
		if (op->type != X86_OP_MEM)
			continue;
		if (op->mem.base == X86_REG_RIP &&
		    in->address + in->size + (uint64_t)op->mem.disp == addr)
			return true;
		if (absolute && op->mem.base == 0 && op->mem.index == 0 &&
		    (uint64_t)op->mem.disp == addr)
			return true;
	}
	return false;
}
