/* SPDX-License-Identifier: MIT */
/*
 * One row per task: its figures over a session's invocations (`stats`).
 */
#ifndef TP_ANALYSIS_SUMMARY_H
#define TP_ANALYSIS_SUMMARY_H

#include <stddef.h>

struct profile_list;

/*
 * X(name, kind, help): every figure of a task's summary, in the order csv,
 * json and the report print them. kind: C for a count, S for seconds, F for
 * a fraction, B for bytes, M for MiB, A for a mean count; nullable figures
 * are NAN when no invocation had a value.
 */
#define SUMMARY_FIELDS(X)                                                                  \
	X(count, C, "invocations")                                                         \
	X(completed, C, "returned")                                                         \
	X(unwound, C, "left by an exception or a jump")                                     \
	X(exited, C, "ended by the exit of their thread")                                   \
	X(runtime_total, S, "sum of runtimes")                                              \
	X(runtime_mean, S, "")                                                              \
	X(runtime_p50, S, "")                                                               \
	X(runtime_p90, S, "")                                                               \
	X(runtime_p99, S, "")                                                               \
	X(runtime_max, S, "")                                                               \
	X(cpu_user_mean, S, "")                                                             \
	X(cpu_system_mean, S, "")                                                           \
	X(share_cpu, F, "CPU time / runtime")                                               \
	X(share_iowait, F, "IO wait / runtime")                                             \
	X(share_other, F, "the rest: locks, network, sleep, children")                      \
	X(read_bytes, B, "")                                                                \
	X(write_bytes, B, "")                                                               \
	X(sent_bytes, B, "")                                                                \
	X(received_bytes, B, "")                                                            \
	X(memory_peak_mb_max, M, "")                                                        \
	X(allocations_mean, A, "")                                                          \
	X(exceptions, C, "")

enum summary_kind { SUM_C, SUM_S, SUM_F, SUM_B, SUM_M, SUM_A };

enum summary_field {
#define SUMMARY_ENUM(name, kind, help) SUMMARY_##name,
	SUMMARY_FIELDS(SUMMARY_ENUM)
#undef SUMMARY_ENUM
	SUMMARY_NR,
};

struct summary_field_info {
	const char *name;
	enum summary_kind kind;
};
extern const struct summary_field_info summary_fields[SUMMARY_NR];

struct task_summary {
	const char *task;       /* borrowed from the profile list */
	double v[SUMMARY_NR];   /* NAN: no value */
};

struct summary {
	struct task_summary *tasks; /* by runtime_total, largest first */
	size_t n;
};

int summary__build(const struct profile_list *l, struct summary *out);
void summary__free(struct summary *s);
/* A stable permutation of l's rows grouped by task name (for callers that
 * walk one task at a time); the caller frees it. */
size_t *summary__group(const struct profile_list *l);

#endif /* TP_ANALYSIS_SUMMARY_H */
