/* SPDX-License-Identifier: MIT */
/*
 * Analysis of stored profiles: statistics, per-task summaries (`stats`),
 * comparison of two sessions (`diff`), the HTML report and the Chrome
 * trace export. None of it needs privilege or BPF.
 */
#ifndef TP_ANALYZE_H
#define TP_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile_repo.h"

/* --- statistics.c ---------------------------------------------------------- */
/* Samples of at most this many values in all, and no ties, get an exact p. */
#define STATS_EXACT_MAX 50

void stats__sort(double *v, size_t n);
/* Linear interpolation between closest ranks (numpy's default); NAN if n is 0. */
double stats__percentile(const double *sorted, size_t n, double pct);

struct mwu {
	double u;   /* U of the first sample: its rank sum - nx(nx+1)/2 */
	double p;   /* two-sided */
	bool exact; /* exact distribution, else the normal approximation */
};
int stats__mann_whitney(const double *x, size_t nx, const double *y, size_t ny, struct mwu *out);

/* --- summary.c: one row per task --------------------------------------------- */
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

/* --- compare.c: `diff` of two sessions ------------------------------------------ */
enum diff_metric {
	DM_RUNTIME,
	DM_CPU,
	DM_IOWAIT,
	DM_READ,
	DM_WRITE,
	DM_SENT,
	DM_RECEIVED,
	DM_MEMORY,
	DM_NR,
};

enum diff_verdict { DV_SAME, DV_IMPROVED, DV_REGRESSED, DV_ADDED, DV_REMOVED };

struct diff_options {
	double threshold_pct; /* a change counts beyond this (5) */
	double alpha;         /* ...when the U test's p is below this (0.05) */
	double floor_time;    /* ...and the medians differ by this much: 0.001 s */
	double floor_bytes;   /* 65536 */
	double floor_mem_mb;  /* 1 */
};
#define DIFF_FEW 9 /* fewer invocations on a side draw a warning */

struct metric_diff {
	double base_median, new_median;
	double change_pct; /* NAN when the base median is 0 and the new is too */
	double u, p;       /* p is NAN when a side has no value */
	size_t n_base, n_new;
	enum diff_verdict verdict;
	/*
	 * The change counted, but not in the task's own part: less what the
	 * declared tasks nested in it account for, nothing changed. The
	 * verdict is then same; the change is theirs, and they are flagged.
	 */
	bool nested;
};

struct task_diff {
	const char *task;
	enum diff_verdict verdict; /* the worst of its metrics; or added, removed */
	bool few;
	struct metric_diff m[DM_NR];
};

struct diff {
	struct task_diff *tasks; /* regressed, improved, same, added, removed; then by name */
	size_t n;
	size_t regressed, improved;
};

extern const char *const diff_metric_names[DM_NR];
extern const char *const diff_metric_units[DM_NR];
extern const char *const diff_verdict_names[];
void diff_options__default(struct diff_options *o);
int diff__build(const struct profile_list *base, const struct profile_list *cur,
		const struct diff_options *o, struct diff *out);
void diff__free(struct diff *d);

/* --- nesting.c ------------------------------------------------------------------ */
/*
 * For each row of l, the row it ran directly inside, or -1: on its thread,
 * the innermost whose span holds it; for a thread's outermost rows, the
 * innermost invocation on another thread of the process that holds all of
 * that thread's rows. With covered, each row's seconds its children's
 * spans cover, overlaps once. NULL with errno set on failure.
 */
ptrdiff_t *nesting__parents(const struct profile_list *l, double *covered);

/* --- json.c ------------------------------------------------------------------ */
/* A JSON string; <, > and & escaped too, so it can sit in an HTML <script>. */
void json__str(FILE *f, const char *s);
/* A number with up to digits significant digits, or with 0 exactly (the
 * shortest that reads back); NAN and infinities are null. */
void json__num(FILE *f, double v, int digits);

/* --- format_analysis.c: `stats` and `diff` printed ---------------------------- */
void format__stats_table(FILE *f, const struct summary *s);
void format__stats_csv(FILE *f, const struct summary *s);
void format__stats_json(FILE *f, const struct summary *s);
/* One task's figures as JSON object members (the report shares it). */
void format__summary_members(FILE *f, const struct task_summary *t);
void format__diff_table(FILE *f, const struct diff *d, const struct diff_options *o);
void format__diff_csv(FILE *f, const struct diff *d);
void format__diff_json(FILE *f, const struct diff *d, const struct diff_options *o);
void format__diff_tasks_json(FILE *f, const struct diff *d);
/* s with control characters (a newline, an escape) as '?': for terminals. */
const char *format__safe(char *buf, size_t len, const char *s);
/* Human units: "12.3 ms", "4.0 MiB". */
void format__seconds(char *buf, size_t len, double s);
void format__bytes(char *buf, size_t len, double b);

/* --- trace.c: Chrome Trace Event JSON ------------------------------------------ */
struct trace_event {
	const struct profile *p;
	int64_t ts, dur; /* microseconds since the epoch, and long */
};
/* A pid or tid; 0 for a row that has none (one a user added by hand). */
long long trace__id(int64_t v);
bool trace__same_thread(const struct trace_event *a, const struct trace_event *b);
/* Events sorted per thread, start first and longest first, with any that
 * would overlap its parent's end cut to nest; returns how many were cut.
 * *bad counts rows whose start time could not be read (placed at 0). */
size_t trace__events(const struct profile_list *l, struct trace_event **out, size_t *bad);
int trace__write(FILE *f, const struct profile_list *l, const struct session *sessions,
		 size_t nsessions, size_t *cut, size_t *bad);

/* --- report.c: the self-contained HTML report -------------------------------------- */
struct report_input {
	const char *db;
	struct session *sessions;   /* 1..n */
	struct profile_list *rows;  /* one list per session */
	int64_t *rolled_up;         /* per session */
	size_t n;
	const struct diff *diff;    /* with two sessions, else NULL */
	const struct diff_options *opts;
};
int report__write(FILE *f, const struct report_input *in);

#endif /* TP_ANALYZE_H */
