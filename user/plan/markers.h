/* SPDX-License-Identifier: MIT */
/*
 * Marker tasks: regions a program names itself through
 * libtaskprof-marker (Python @profiler, TASKPROF_BEGIN), as probes on the
 * marker library and names declared for BPF.
 */
#ifndef TP_PLAN_MARKERS_H
#define TP_PLAN_MARKERS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct plan;
struct task_spec;

/* The marker libraries that exist, distinct files; returns how many. */
size_t markers__libraries(char paths[][PATH_MAX], size_t max);
/* A marker spec's task idx: probes on the libraries, once; its name for BPF. */
int markers__add_task(struct plan *p, const struct task_spec *ts, uint32_t idx);
/* The begin and end probes on one marker library, once per plan. */
int markers__add_library(struct plan *p, const char *path);
/* Regions named name ("*": any not declared) count for task idx. */
int markers__declare(struct plan *p, const char *name, uint32_t idx);
/* With markers: the runtime hooks of the system's python3 too, which a
 * marked program may run under a launcher (env, a shell script). */
int markers__add_python(struct plan *p);

#endif /* TP_PLAN_MARKERS_H */
