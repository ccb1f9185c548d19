/* SPDX-License-Identifier: MIT */
/*
 * Declared tasks (specs) to the functions they name in the target's
 * executable and libraries, into the plan; and why a name matched nothing.
 */
#ifndef TP_PLAN_RESOLVE_H
#define TP_PLAN_RESOLVE_H

#include <stddef.h>

#include "plan/probeplan.h"

struct elf_file;
struct plan;
struct plan_target;
struct task_spec;

/* Why ef has no such symbol, and what to do . */
void resolve__explain_missing(const struct elf_file *ef, const char *symbol, char *buf, size_t len);
/* Resolves every declared task . */
int resolve__tasks(struct plan *p, const struct task_spec *specs, size_t nspecs,
		    const struct plan_target *t, enum tp_ret_mode mode);

#endif /* TP_PLAN_RESOLVE_H */
