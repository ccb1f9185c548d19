// SPDX-License-Identifier: MIT
/*
 * The statistics behind `stats` and `diff`: percentiles by linear
 * interpolation and the two-sided Mann-Whitney U test, exact for small
 * samples without ties, else the normal approximation with tie and
 * continuity corrections.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/statistics.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void stats__sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

/*
 * numpy's default and R's type 7: rank h = (n-1)p between the closest
 * ranks. It needs no choice of rounding and agrees with what a user
 * checking in pandas gets.
 */
double stats__percentile(const double *sorted, size_t n, double pct)
{
	double h, frac;
	size_t lo;

	if (!n)
		return NAN;
	if (pct <= 0)
		return sorted[0];
	if (pct >= 100)
		return sorted[n - 1];
	h = (n - 1) * pct / 100.0;
	lo = (size_t)h;
	frac = h - lo;
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

struct ranked {
	double v;
	int first; /* from the first sample */
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

/* Rank sum of the first sample (ties get their mean rank) and sum(t^3 - t). */
static void rank_sum(struct ranked *all, size_t n, double *r1, double *ties)
{
	*r1 = 0;
	*ties = 0;
	qsort(all, n, sizeof(*all), cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		double rank, t;

		while (j < n && all[j].v == all[i].v)
			j++;
		t = j - i;
		rank = (i + 1 + j) / 2.0; /* mean of ranks i+1 .. j */
		for (size_t k = i; k < j; k++)
			if (all[k].first)
				*r1 += rank;
		*ties += t * t * t - t;
		i = j;
	}
}

/*
 * P(U >= u) under H0, exactly: the counts of U for sizes m and n are the
 * coefficients of the Gaussian binomial [m+n choose m]_q, built as the
 * product of (1 - q^(n+i)) / (1 - q^i) for i = 1..m. Every intermediate
 * coefficient stays below 2 * C(m+n, m), which fits int64 for m+n <= 60.
 */
static double exact_sf(size_t m, size_t n, double u)
{
	size_t deg = m * n;
	int64_t *c = calloc(deg + 1, sizeof(*c));
	double total = 0, tail = 0;

	if (!c)
		return NAN;
	c[0] = 1;
	for (size_t i = 1; i <= m; i++) {
		for (ptrdiff_t k = deg; k >= (ptrdiff_t)(n + i); k--)
			c[k] -= c[k - (n + i)];
		for (size_t k = i; k <= deg; k++)
			c[k] += c[k - i];
	}
	for (size_t k = 0; k <= deg; k++) {
		total += c[k];
		if (k >= u)
			tail += c[k];
	}
	free(c);
	return tail / total;
}

int stats__mann_whitney(const double *x, size_t nx, const double *y, size_t ny, struct mwu *out)
{
	size_t n = nx + ny;
	struct ranked *all;
	double r1, ties, u2, big, mu, var, z;

	memset(out, 0, sizeof(*out));
	if (!nx || !ny)
		return -EINVAL;
	all = malloc(n * sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < nx; i++)
		all[i] = (struct ranked){ x[i], 1 };
	for (size_t i = 0; i < ny; i++)
		all[nx + i] = (struct ranked){ y[i], 0 };
	rank_sum(all, n, &r1, &ties);
	free(all);
	out->u = r1 - nx * (nx + 1) / 2.0;
	u2 = (double)nx * ny - out->u;
	big = out->u > u2 ? out->u : u2;
	if (ties == 0 && n <= STATS_EXACT_MAX) {
		out->exact = true;
		out->p = fmin(1.0, 2 * exact_sf(nx, ny, big));
		return isnan(out->p) ? -ENOMEM : 0;
	}
	mu = nx * (double)ny / 2;
	var = nx * (double)ny / 12 * ((n + 1) - ties / ((double)n * (n - 1)));
	if (var <= 0) {
		out->p = 1; /* every value the same: nothing to tell apart */
		return 0;
	}
	z = (big - mu - 0.5) / sqrt(var);
	out->p = z <= 0 ? 1 : fmin(1.0, erfc(z / M_SQRT2));
	return 0;
}
