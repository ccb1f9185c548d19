/* SPDX-License-Identifier: MIT */
/*
 * What taskprof asks of one decoded x86-64 instruction (Capstone, with
 * details on): whether the kernel emulates a uprobe on it, where it
 * branches, and how it moves the stack pointer. Shared by the placement of
 * entry probes (probeplan.c) and of return-site probes (callsites.c).
 */
#ifndef TP_X86INSN_H
#define TP_X86INSN_H

#include <stdbool.h>
#include <stdint.h>

#include <capstone/capstone.h>

/*
 * Whether a uprobe here is emulated by the kernel rather than
 * single-stepped: push reg, nop, call/jmp/jcc rel (branch_setup_xol_ops and
 * push_setup_xol_ops, arch/x86/kernel/uprobes.c, in 6.18). Single-stepping
 * costs several times as much (README, Overhead).
 */
bool x86insn__emulated(const cs_insn *in);
bool x86insn__in_group(const cs_insn *in, uint8_t group);
/* Control leaves the straight line here: a jump, call, return or trap. */
bool x86insn__branches(const cs_insn *in);
/* The target of a direct call or jump, or 0 for an indirect one. */
uint64_t x86insn__direct_target(const cs_insn *in);
/* Whether it writes RSP, as an operand or implicitly (push, pop, call...). */
bool x86insn__writes_rsp(const cs_insn *in);
/*
 * How it moves RSP, in bytes (push: -8, pop: +8, sub rsp, N: -N, add
 * rsp, N: +N, lea N(%rsp), %rsp: +N); false if it writes RSP some other
 * way, or not at all (then *delta is 0 and the result true).
 */
bool x86insn__rsp_delta(const cs_insn *in, int64_t *delta);
/*
 * Whether it refers to addr: a direct branch to it, a RIP-relative
 * operand, or, if absolute (code linked at a fixed address, ET_EXEC), an
 * immediate or absolute operand equal to it. Position-independent code
 * holds no absolute addresses, and its small immediates are just numbers.
 */
bool x86insn__refers_to(const cs_insn *in, uint64_t addr, bool absolute);

#endif /* TP_X86INSN_H */
