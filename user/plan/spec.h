/* SPDX-License-Identifier: MIT */
/*
 * Task specs as the command line and the configuration give them:
 * [NAME=][BINARY:]SYMBOL, or marker:NAME.
 */
#ifndef TP_PLAN_SPEC_H
#define TP_PLAN_SPEC_H

#include <stdbool.h>

struct task_spec {
	char *name;   /* process_name; defaults to symbol as written */
	char *binary; /* NULL: search the executable, then its libraries */
	char *symbol; /* or, for a marker, its name ("*": every marker) */
	bool marker;  /* marker:NAME, a region libtaskprof-marker names */
};

int task_spec__parse(const char *s, struct task_spec *out);
void task_spec__free(struct task_spec *t);

#endif /* TP_PLAN_SPEC_H */
