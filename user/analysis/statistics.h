/* SPDX-License-Identifier: MIT */
/*
 * Percentiles and the Mann-Whitney U test.
 */
#ifndef TP_ANALYSIS_STATISTICS_H
#define TP_ANALYSIS_STATISTICS_H

#include <stdbool.h>
#include <stddef.h>

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

#endif /* TP_ANALYSIS_STATISTICS_H */
