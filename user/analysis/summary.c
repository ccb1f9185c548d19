// SPDX-License-Identifier: MIT
/*
 * `stats`' figures: profiles grouped by task, one summary each: counts by
 * status, runtime mean and percentiles, where the time went, totals of
 * bytes, the largest memory peak. Sorted by total runtime, as a profiler's
 * report is: the task that costs most comes first.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/summary.h"

#include "profile_columns.h"
#include "profile_repo.h"
#include "analysis/statistics.h"

const struct summary_field_info summary_fields[SUMMARY_NR] = {
#define SUMMARY_INFO(name, kind, help) { #name, SUM_##kind },
	SUMMARY_FIELDS(SUMMARY_INFO)
#undef SUMMARY_INFO
};

static const struct profile_list *group_list; /* qsort has no context argument */

static int cmp_by_task(const void *a, const void *b)
{
	const struct profile *x = &group_list->items[*(const size_t *)a];
	const struct profile *y = &group_list->items[*(const size_t *)b];
	int c = strcmp(x->process_name ? x->process_name : "", y->process_name ? y->process_name : "");

	if (c)
		return c;
	return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

size_t *summary__group(const struct profile_list *l)
{
	size_t *idx = malloc((l->len ? l->len : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (size_t i = 0; i < l->len; i++)
		idx[i] = i;
	group_list = l;
	qsort(idx, l->len, sizeof(*idx), cmp_by_task);
	group_list = NULL;
	return idx;
}

static bool same_task(const struct profile *a, const struct profile *b)
{
	return !strcmp(a->process_name ? a->process_name : "", b->process_name ? b->process_name : "");
}

/* Adds an integer column's value to *sum, if it has one. */
static void add_i64(double *sum, const struct profile *p, enum profile_col c)
{
	if (profile__is_null(p, c))
		return;
	*sum = (isnan(*sum) ? 0 : *sum) + (double)profile__i64(p, c);
}

/* The figures of the rows rows[0..n) of one task; rt is scratch for n doubles. */
/* A REAL column's value into a sum and a count, unless it is NULL (NAN). */
struct known {
	double sum, rt; /* its sum, and the runtime of the rows that had it */
	size_t n;
};

static void add_known(struct known *k, double v, double rt)
{
	if (isnan(v))
		return;
	k->sum += v;
	k->rt += rt;
	k->n++;
}

static double mean_of(const struct known *k)
{
	return k->n ? k->sum / k->n : NAN;
}

static void summarize(const struct profile_list *l, const size_t *rows, size_t n, double *rt,
		      struct task_summary *t)
{
	double *v = t->v, allocs = NAN, nallocs = 0;
	struct known user = {}, sys = {}, cpu = {}, io = {};

	for (int i = 0; i < SUMMARY_NR; i++)
		v[i] = summary_fields[i].kind == SUM_C ? 0 : NAN;
	v[SUMMARY_exceptions] = NAN;
	v[SUMMARY_runtime_total] = 0;
	t->task = l->items[rows[0]].process_name;
	for (size_t i = 0; i < n; i++) {
		const struct profile *p = &l->items[rows[i]];
		int st = profile_status__parse(p->status);

		v[st == PROFILE_UNWOUND ? SUMMARY_unwound :
		  st == PROFILE_EXITED  ? SUMMARY_exited : SUMMARY_completed]++;
		rt[i] = p->runtime_seconds;
		v[SUMMARY_runtime_total] += p->runtime_seconds;
		add_known(&user, p->cpu_user_seconds, p->runtime_seconds);
		add_known(&sys, p->cpu_system_seconds, p->runtime_seconds);
		add_known(&cpu, p->cpu_user_seconds + p->cpu_system_seconds, p->runtime_seconds);
		add_known(&io, p->io_wait_time_seconds, p->runtime_seconds);
		add_i64(&v[SUMMARY_read_bytes], p, PROFILE_COL_file_read_bytes);
		add_i64(&v[SUMMARY_write_bytes], p, PROFILE_COL_file_write_bytes);
		add_i64(&v[SUMMARY_sent_bytes], p, PROFILE_COL_network_data_sent_bytes);
		add_i64(&v[SUMMARY_received_bytes], p, PROFILE_COL_network_data_received_bytes);
		add_i64(&v[SUMMARY_exceptions], p, PROFILE_COL_exceptions_raised);
		if (!profile__is_null(p, PROFILE_COL_memory_allocations)) {
			add_i64(&allocs, p, PROFILE_COL_memory_allocations);
			nallocs++;
		}
		if (!isnan(p->memory_usage_peak_mb) &&
		    (isnan(v[SUMMARY_memory_peak_mb_max]) ||
		     p->memory_usage_peak_mb > v[SUMMARY_memory_peak_mb_max]))
			v[SUMMARY_memory_peak_mb_max] = p->memory_usage_peak_mb;
	}
	v[SUMMARY_count] = n;
	stats__sort(rt, n);
	v[SUMMARY_runtime_mean] = v[SUMMARY_runtime_total] / n;
	v[SUMMARY_runtime_p50] = stats__percentile(rt, n, 50);
	v[SUMMARY_runtime_p90] = stats__percentile(rt, n, 90);
	v[SUMMARY_runtime_p99] = stats__percentile(rt, n, 99);
	v[SUMMARY_runtime_max] = rt[n - 1];
	v[SUMMARY_cpu_user_mean] = mean_of(&user);
	v[SUMMARY_cpu_system_mean] = mean_of(&sys);
	/* shares of the runtime of the rows that have the figure; not clamped:
	 * threads of a task can spend more CPU than its runtime */
	if (cpu.rt > 0)
		v[SUMMARY_share_cpu] = cpu.sum / cpu.rt;
	if (io.rt > 0)
		v[SUMMARY_share_iowait] = io.sum / io.rt;
	v[SUMMARY_share_other] = 1 - v[SUMMARY_share_cpu] - v[SUMMARY_share_iowait];
	if (nallocs)
		v[SUMMARY_allocations_mean] = allocs / nallocs;
}

static int cmp_total(const void *a, const void *b)
{
	const struct task_summary *x = a, *y = b;
	double dx = x->v[SUMMARY_runtime_total], dy = y->v[SUMMARY_runtime_total];

	if (dx != dy)
		return dx < dy ? 1 : -1;
	return strcmp(x->task ? x->task : "", y->task ? y->task : "");
}

int summary__build(const struct profile_list *l, struct summary *out)
{
	size_t *idx, ntasks = 0;
	double *rt;

	memset(out, 0, sizeof(*out));
	if (!l->len)
		return 0;
	idx = summary__group(l);
	rt = malloc(l->len * sizeof(*rt));
	out->tasks = calloc(l->len, sizeof(*out->tasks));
	if (!idx || !rt || !out->tasks) {
		free(idx);
		free(rt);
		summary__free(out);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->len;) {
		size_t j = i + 1;

		while (j < l->len && same_task(&l->items[idx[i]], &l->items[idx[j]]))
			j++;
		summarize(l, idx + i, j - i, rt, &out->tasks[ntasks++]);
		i = j;
	}
	out->n = ntasks;
	qsort(out->tasks, ntasks, sizeof(*out->tasks), cmp_total);
	free(idx);
	free(rt);
	return 0;
}

void summary__free(struct summary *s)
{
	free(s->tasks);
	memset(s, 0, sizeof(*s));
}
