/* SPDX-License-Identifier: MIT */
/*
 * What the target runs: its executable, the libraries it maps or will
 * load, LD_PRELOAD, and who already traces it.
 */
#ifndef TP_RECORD_TARGET_H
#define TP_RECORD_TARGET_H

#include <sys/types.h>

#include "plan/plan.h"

struct target_image {
	char *exe;
	struct plan_target plan;  /* exe, libraries, LD_PRELOAD */
	char *desc;               /* sessions.target */
	pid_t tracer;             /* -p: who already traces it (a debugger), or 0 */
};

/* pid for -p, else argv; prints one line and fails on a bad target. */
int target_image__find(struct target_image *t, pid_t pid, char **argv);
void target_image__fini(struct target_image *t);

#endif /* TP_RECORD_TARGET_H */
