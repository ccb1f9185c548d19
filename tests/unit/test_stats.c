// SPDX-License-Identifier: MIT
/*
 * The statistics of `stats` and `diff` against values computed by hand and
 * published reference values: percentiles, the Mann-Whitney U statistic and
 * its two-sided p, exact and by the normal approximation with ties; and the
 * summaries and verdicts built on them.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profile_repo.h"
#include "analysis/compare.h"
#include "analysis/nesting.h"
#include "analysis/statistics.h"
#include "analysis/summary.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define assert_close(a, e, tol)                                                            \
	do {                                                                               \
		double a_ = (a), e_ = (e);                                                 \
		if (!(fabs(a_ - e_) <= (tol)))                                             \
			fail_msg("%s = %.12g, expected %.12g", #a, a_, e_);                \
	} while (0)

/* Linear interpolation, by hand: rank h = (n-1)p, x[h] + frac(h)(x[h+1]-x[h]). */
static void test_percentiles(void **s)
{
	double v[] = { 15, 20, 35, 40, 50 }, w[] = { 4, 1, 3, 2 }, one[] = { 7 };

	(void)s;
	assert_close(stats__percentile(v, 5, 40), 29, 1e-12);   /* h=1.6: 20+0.6*15 */
	assert_close(stats__percentile(v, 5, 50), 35, 1e-12);   /* h=2 */
	assert_close(stats__percentile(v, 5, 90), 46, 1e-12);   /* h=3.6: 40+0.6*10 */
	assert_close(stats__percentile(v, 5, 99), 49.6, 1e-12); /* h=3.96 */
	assert_close(stats__percentile(v, 5, 100), 50, 0);
	assert_close(stats__percentile(v, 5, 0), 15, 0);
	stats__sort(w, 4);
	assert_close(stats__percentile(w, 4, 50), 2.5, 1e-12);
	assert_close(stats__percentile(w, 4, 90), 3.7, 1e-12);
	assert_close(stats__percentile(w, 4, 99), 3.97, 1e-12);
	assert_close(stats__percentile(one, 1, 99), 7, 0);
	assert_true(isnan(stats__percentile(one, 0, 50)));
}

/*
 * scipy.stats.mannwhitneyu's documented example (males vs females, from
 * the Wikipedia article): U1 = 17, exact p = 0.1111111111111111, and
 * 0.11134688653314041 by the normal approximation with continuity.
 */
static void test_mwu_scipy_example(void **s)
{
	double m[] = { 19, 22, 16, 29, 24 }, f[] = { 20, 11, 17, 12 };
	struct mwu r;

	(void)s;
	assert_int_equal(stats__mann_whitney(m, N(m), f, N(f), &r), 0);
	assert_true(r.exact);
	assert_close(r.u, 17, 0);
	assert_close(r.p, 0.1111111111111111, 1e-12);
}

/*
 * R's wilcox.test help page (Hollander & Wolfe): W = 35 and one-sided
 * p = 0.1272, so two-sided 0.2544 exactly (0.2544122544122544).
 */
static void test_mwu_r_example(void **s)
{
	double x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
	double y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };
	struct mwu r, back;

	(void)s;
	assert_int_equal(stats__mann_whitney(x, N(x), y, N(y), &r), 0);
	assert_close(r.u, 35, 0);
	assert_close(r.p, 0.2544122544122544, 1e-12);
	/* swapped samples: U of the other side, the same two-sided p */
	assert_int_equal(stats__mann_whitney(y, N(y), x, N(x), &back), 0);
	assert_close(back.u, 50 - 35, 0);
	assert_close(back.p, r.p, 1e-15);
}

/* Ties: the normal approximation with tie correction; scipy 1.10.1 gives
 * U = 15.5, p = 0.005625214779700691 (method="asymptotic"). */
static void test_mwu_ties(void **s)
{
	double a[] = { 1, 2, 2, 3, 3, 3, 4, 5, 5, 6 }, b[] = { 3, 4, 4, 5, 6, 6, 7, 7, 8, 9, 9 };
	double same[] = { 5, 5, 5 };
	struct mwu r;

	(void)s;
	assert_int_equal(stats__mann_whitney(a, N(a), b, N(b), &r), 0);
	assert_false(r.exact);
	assert_close(r.u, 15.5, 0);
	assert_close(r.p, 0.005625214779700691, 1e-9);
	/* all tied: no evidence at all */
	assert_int_equal(stats__mann_whitney(same, 3, same, 3, &r), 0);
	assert_close(r.p, 1, 0);
}

/* The exact distribution at its largest size (n = 50) and the normal one
 * just past it (n = 55), against scipy 1.10.1's exact and asymptotic. */
static void test_mwu_sizes(void **s)
{
	double a[25], b[25];
	double x[] = { 12.576, 12.899, 10.133, 8.471, 7.816, 10.063, 7.956, 7.126, 10.399, 10.267,
		       11.093, 8.172, 10.01, 9.871, 6.988, 11.076, 10.641, 14.778, 10.406, 9.711,
		       12.466, 10.398, 11.818, 9.269, 10.436, 12.049, 11.392, 10.257, 7.835, 10.89 };
	double y[] = { 11.154, 12.441, 11.432, 13.176, 10.897, 11.404, 12.334, 8.826, 10.197,
		       10.0, 14.961, 10.814, 12.304, 12.239, 10.438, 7.898, 12.93, 10.186, 12.436,
		       8.389, 10.124, 13.514, 13.862, 8.395, 8.334 };
	struct mwu r;

	(void)s;
	for (int i = 0; i < 25; i++) {
		a[i] = 2 * i;
		b[i] = 2 * i + 1 + 0.5 + (2 * i + 1 > 20 ? 3 : 0);
	}
	assert_int_equal(stats__mann_whitney(a, 25, b, 25, &r), 0);
	assert_true(r.exact);
	assert_close(r.u, 273, 0);
	assert_close(r.p, 0.45258431878535793, 1e-12);
	assert_int_equal(stats__mann_whitney(x, N(x), y, N(y), &r), 0);
	assert_false(r.exact);
	assert_close(r.u, 266, 0);
	assert_close(r.p, 0.06665626046296995, 1e-9);
}

/* Profiles of one task, with the given runtimes and CPU. */
static void fill(struct profile_list *l, const char *task, const double *rt, size_t n,
		 double cpu)
{
	l->items = realloc(l->items, (l->len + n) * sizeof(*l->items));
	for (size_t i = 0; i < n; i++) {
		struct profile *p = &l->items[l->len++];

		memset(p, 0, sizeof(*p));
		p->process_name = (char *)task;
		p->runtime_seconds = rt[i];
		p->cpu_user_seconds = cpu;
		p->io_wait_time_seconds = rt[i] / 4;
		p->file_read_bytes = 1000;
		p->memory_allocations = PROFILE_NULL_I64;
		p->exceptions_raised = i == 0 ? 2 : 0;
		p->status = (char *)(i == 1 ? "unwound" : "completed");
	}
}

static void test_summary(void **s)
{
	double fast[] = { 0.01, 0.02, 0.03 }, slow[] = { 1, 2, 3, 4 };
	struct profile_list l = {};
	struct summary sum;

	(void)s;
	fill(&l, "fast", fast, 3, 0.005);
	fill(&l, "slow", slow, 4, 0.5);
	assert_int_equal(summary__build(&l, &sum), 0);
	assert_int_equal(sum.n, 2);
	assert_string_equal(sum.tasks[0].task, "slow"); /* the larger total first */
	assert_close(sum.tasks[0].v[SUMMARY_count], 4, 0);
	assert_close(sum.tasks[0].v[SUMMARY_unwound], 1, 0);
	assert_close(sum.tasks[0].v[SUMMARY_completed], 3, 0);
	assert_close(sum.tasks[0].v[SUMMARY_runtime_total], 10, 1e-12);
	assert_close(sum.tasks[0].v[SUMMARY_runtime_p50], 2.5, 1e-12);
	assert_close(sum.tasks[0].v[SUMMARY_runtime_p90], 3.7, 1e-12);
	assert_close(sum.tasks[0].v[SUMMARY_share_cpu], 2.0 / 10, 1e-12);
	assert_close(sum.tasks[0].v[SUMMARY_share_iowait], 0.25, 1e-12);
	assert_close(sum.tasks[0].v[SUMMARY_share_other], 0.55, 1e-12);
	assert_close(sum.tasks[0].v[SUMMARY_read_bytes], 4000, 0);
	assert_close(sum.tasks[0].v[SUMMARY_exceptions], 2, 0);
	assert_true(isnan(sum.tasks[0].v[SUMMARY_allocations_mean])); /* not counted: null */
	summary__free(&sum);
	free(l.items);
}

/* A planted slowdown in one task alone is the only verdict; tiny CPU
 * changes stay under the floor; tasks on one side are added or removed. */
static void test_diff_verdicts(void **s)
{
	double base_rt[12], slow_rt[12], other_rt[12];
	struct profile_list base = {}, cur = {};
	struct diff_options o;
	struct diff d;

	(void)s;
	for (int i = 0; i < 12; i++) {
		base_rt[i] = 0.100 + 0.001 * i;
		slow_rt[i] = 0.150 + 0.001 * i;
		other_rt[i] = 0.100 + 0.001 * ((i * 7) % 12);
	}
	diff_options__default(&o);
	fill(&base, "transform", base_rt, 12, 50e-6);
	fill(&base, "load", base_rt, 12, 0.01);
	fill(&base, "gone", base_rt, 12, 0.01);
	fill(&cur, "transform", slow_rt, 12, 55e-6); /* CPU +10%, but 5 us: under the floor */
	fill(&cur, "load", other_rt, 12, 0.01);
	fill(&cur, "new", base_rt, 3, 0.01);
	assert_int_equal(diff__build(&base, &cur, &o, &d), 0);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.regressed, 1);
	assert_int_equal(d.improved, 0);
	assert_string_equal(d.tasks[0].task, "transform");
	assert_int_equal(d.tasks[0].verdict, DV_REGRESSED);
	assert_int_equal(d.tasks[0].m[DM_RUNTIME].verdict, DV_REGRESSED);
	assert_int_equal(d.tasks[0].m[DM_CPU].verdict, DV_SAME);
	assert_close(d.tasks[0].m[DM_RUNTIME].change_pct, 100 * 0.05 / 0.1055, 1e-9);
	assert_true(d.tasks[0].m[DM_RUNTIME].p < 1e-4);
	assert_int_equal(d.tasks[1].verdict, DV_SAME);      /* load: the same values, reordered */
	assert_close(d.tasks[1].m[DM_RUNTIME].p, 1, 1e-12);
	assert_int_equal(d.tasks[2].verdict, DV_ADDED);
	assert_string_equal(d.tasks[2].task, "new");
	assert_int_equal(d.tasks[3].verdict, DV_REMOVED);
	/* a higher threshold turns the 47% change into noise */
	diff__free(&d);
	o.threshold_pct = 60;
	assert_int_equal(diff__build(&base, &cur, &o, &d), 0);
	assert_int_equal(d.regressed, 0);
	diff__free(&d);
	free(base.items);
	free(cur.items);
}

/* A row of task on thread tid, from start to end seconds after 10:00. */
static void timed(struct profile_list *l, const char *task, int tid, double start, double end)
{
	struct profile *p;

	l->items = realloc(l->items, (l->len + 1) * sizeof(*l->items));
	p = &l->items[l->len++];
	memset(p, 0, sizeof(*p));
	p->process_name = (char *)task;
	p->pid = 1;
	p->tid = tid;
	p->runtime_seconds = end - start;
	p->cpu_user_seconds = end - start;
	p->io_wait_time_seconds = 0;
	p->memory_allocations = PROFILE_NULL_I64;
	p->status = (char *)"completed";
	snprintf(p->task_start_time, PROFILE_TIME_LEN, "2026-01-01T10:%02d:%09.6fZ",
		 (int)(start / 60), fmod(start, 60));
	snprintf(p->task_end_time, PROFILE_TIME_LEN, "2026-01-01T10:%02d:%09.6fZ",
		 (int)(end / 60), fmod(end, 60));
}

/*
 * 12 batches, each running transform inside; in cur transform takes
 * 200 ms more, and so does batch, whose own part is unchanged: transform
 * alone is flagged, batch's change said to be in nested tasks.
 */
static void batches(struct profile_list *l, double transform)
{
	for (int i = 0; i < 12; i++) {
		double t0 = 2.0 * i, jitter = 0.001 * ((i * 5) % 12);

		timed(l, "batch", 7, t0, t0 + 0.3 + transform + jitter);
		timed(l, "transform", 7, t0 + 0.1, t0 + 0.1 + transform + jitter);
	}
}

/*
 * 12 fanouts, each starting a thread of its own for a worker that runs
 * while fanout does 0.05 s of its own and waits: fanout is charged the
 * worker's CPU, and its runtime holds the worker's.
 */
static void fanouts(struct profile_list *l, double worker)
{
	for (int i = 0; i < 12; i++) {
		double t0 = 2.0 * i + 1.0, jitter = 0.001 * ((i * 7) % 12);

		timed(l, "fanout", 9, t0, t0 + 0.1 + worker + jitter);
		l->items[l->len - 1].cpu_user_seconds = 0.05 + worker + jitter;
		timed(l, "worker", 100 + i, t0 + 0.05, t0 + 0.05 + worker + jitter);
	}
}

static void test_diff_nested(void **s)
{
	struct profile_list base = {}, cur = {};
	struct diff_options o;
	ptrdiff_t *parent;
	struct diff d;

	(void)s;
	batches(&base, 0.2);
	batches(&cur, 0.4);
	fanouts(&base, 0.1);
	fanouts(&cur, 0.2);
	/* interleaved on another thread: neither holds the other */
	timed(&base, "coro", 8, 0.75, 1.05);
	timed(&base, "coro", 8, 0.95, 1.25);
	parent = nesting__parents(&base, NULL);
	assert_non_null(parent);
	for (size_t i = 0; i < 48; i += 2) {
		assert_int_equal(parent[i], -1);
		assert_int_equal(parent[i + 1], i); /* on its thread, or on one it started */
	}
	assert_int_equal(parent[48], -1);
	assert_int_equal(parent[49], -1);
	free(parent);
	diff_options__default(&o);
	assert_int_equal(diff__build(&base, &cur, &o, &d), 0);
	assert_int_equal(d.regressed, 2);
	assert_string_equal(d.tasks[0].task, "transform");
	assert_int_equal(d.tasks[0].m[DM_RUNTIME].verdict, DV_REGRESSED);
	assert_false(d.tasks[0].m[DM_RUNTIME].nested);
	assert_string_equal(d.tasks[1].task, "worker");
	assert_int_equal(d.tasks[1].m[DM_CPU].verdict, DV_REGRESSED);
	for (size_t t = 2; t < 4; t++) {
		/* batch, then fanout: slower by what ran inside, said, not flagged */
		assert_string_equal(d.tasks[t].task, t == 2 ? "batch" : "fanout");
		assert_int_equal(d.tasks[t].verdict, DV_SAME);
		assert_true(d.tasks[t].m[DM_RUNTIME].nested);
		assert_true(d.tasks[t].m[DM_RUNTIME].change_pct > 30); /* shown whole */
		assert_true(d.tasks[t].m[DM_CPU].nested);
	}
	diff__free(&d);
	free(base.items);
	free(cur.items);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentiles),      cmocka_unit_test(test_mwu_scipy_example),
		cmocka_unit_test(test_mwu_r_example),    cmocka_unit_test(test_mwu_ties),
		cmocka_unit_test(test_mwu_sizes),        cmocka_unit_test(test_summary),
		cmocka_unit_test(test_diff_verdicts),    cmocka_unit_test(test_diff_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
