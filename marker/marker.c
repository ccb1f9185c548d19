// SPDX-License-Identifier: MIT
/*
 * libtaskprof-marker: the functions taskprof's marker probes sit on. begin
 * and end do nothing themselves; their arguments, in registers at entry,
 * are what the probes read. Their first instruction is a nop, which the
 * kernel emulates (0.7 us a probe hit) rather than single-steps (10-19 us,
 * as an endbr64 would be): they are written in assembly so no compiler
 * option or version can put anything else first.
 */
#include <stdint.h>

#include "taskprof_marker.h"

static uint32_t next_id;
static uint64_t next_token;

uint32_t taskprof_marker_id(void)
{
	return __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
}

uint64_t taskprof_marker_token(void)
{
	return __atomic_add_fetch(&next_token, 1, __ATOMIC_RELAXED);
}

/* `nop; ret` assembles the same on x86-64 and arm64. */
#define TASKPROF_EMPTY_FUNCTION(name)                                                      \
	__asm__(".text\n"                                                                  \
		".globl " #name "\n"                                                        \
		".type " #name ", @function\n"                                              \
		".p2align 4\n" #name ":\n"                                                   \
		"\tnop\n"                                                                  \
		"\tret\n"                                                                  \
		".size " #name ", . - " #name "\n")

TASKPROF_EMPTY_FUNCTION(taskprof_marker_begin);
TASKPROF_EMPTY_FUNCTION(taskprof_marker_end);
