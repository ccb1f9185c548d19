/* SPDX-License-Identifier: MIT */
/*
 * `diff` of two sessions: per task and metric, a change and a verdict.
 */
#ifndef TP_ANALYSIS_COMPARE_H
#define TP_ANALYSIS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

struct profile_list;

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

#endif /* TP_ANALYSIS_COMPARE_H */
