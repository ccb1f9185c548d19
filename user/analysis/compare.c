// SPDX-License-Identifier: MIT
/*
 * `diff`: each task of two sessions compared metric by metric, medians and
 * a two-sided Mann-Whitney U test, with a verdict. A change counts only
 * when it is large (threshold), unlikely to be chance (alpha) and large in
 * absolute terms (a floor per unit), as compare.py and perf diff users
 * expect: a sleeping task's 50 us of CPU becoming 55 us is not a finding.
 *
 * A task that calls other declared tasks contains their changes: when one
 * of them doubles, so does its caller's runtime. A change counts for the
 * caller only if its own part (less its nested invocations, nesting.c, on
 * its thread and on threads it started) changed too; else it is said to be
 * in the nested tasks, which carry it. Its own runtime is what its nested
 * invocations did not cover; its other figures less theirs. Peak memory
 * has no own part (a nested peak is the caller's) and is compared whole.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"

#include "profile_columns.h"
#include "profile_repo.h"
#include "analysis/nesting.h"
#include "analysis/statistics.h"
#include "analysis/summary.h"

const char *const diff_metric_names[DM_NR] = {
	[DM_RUNTIME] = "runtime",       [DM_CPU] = "cpu",
	[DM_IOWAIT] = "iowait",         [DM_READ] = "read_bytes",
	[DM_WRITE] = "write_bytes",     [DM_SENT] = "sent_bytes",
	[DM_RECEIVED] = "received_bytes", [DM_MEMORY] = "memory_peak",
};
const char *const diff_metric_units[DM_NR] = {
	[DM_RUNTIME] = "s", [DM_CPU] = "s",       [DM_IOWAIT] = "s",         [DM_READ] = "bytes",
	[DM_WRITE] = "bytes", [DM_SENT] = "bytes", [DM_RECEIVED] = "bytes", [DM_MEMORY] = "MiB",
};
const char *const diff_verdict_names[] = {
	[DV_SAME] = "same",   [DV_IMPROVED] = "improved", [DV_REGRESSED] = "regressed",
	[DV_ADDED] = "added", [DV_REMOVED] = "removed",
};

void diff_options__default(struct diff_options *o)
{
	o->threshold_pct = 5;
	o->alpha = 0.05;
	o->floor_time = 0.001;
	o->floor_bytes = 65536;
	o->floor_mem_mb = 1;
}

/* A metric of one invocation; false when it was not measured. */
static bool metric(const struct profile *p, enum diff_metric m, double *v)
{
	enum profile_col c;

	switch (m) {
	case DM_RUNTIME:
		*v = p->runtime_seconds;
		return !isnan(*v);
	case DM_CPU:
		*v = p->cpu_user_seconds + p->cpu_system_seconds;
		return !isnan(*v); /* NULL is NAN */
	case DM_IOWAIT:
		*v = p->io_wait_time_seconds;
		return !isnan(*v);
	case DM_MEMORY:
		*v = p->memory_usage_peak_mb;
		return !isnan(*v);
	case DM_READ:
		c = PROFILE_COL_file_read_bytes;
		break;
	case DM_WRITE:
		c = PROFILE_COL_file_write_bytes;
		break;
	case DM_SENT:
		c = PROFILE_COL_network_data_sent_bytes;
		break;
	default:
		c = PROFILE_COL_network_data_received_bytes;
	}
	if (profile__is_null(p, c))
		return false;
	*v = (double)profile__i64(p, c);
	return true;
}

static double floor_of(enum diff_metric m, const struct diff_options *o)
{
	if (!strcmp(diff_metric_units[m], "s"))
		return o->floor_time;
	return m == DM_MEMORY ? o->floor_mem_mb : o->floor_bytes;
}

/* One session's rows, and each row's metrics less its nested invocations'. */
struct side {
	const struct profile_list *l;
	const size_t *idx;  /* grouped by task */
	double *own;        /* [row * DM_NR + m]; NAN where not measured */
	bool *has_nested;   /* [row] */
};

static int side__init(struct side *sd, const struct profile_list *l)
{
	size_t n = l->len ? l->len : 1;
	double *covered = malloc(n * sizeof(*covered));
	ptrdiff_t *parent = covered ? nesting__parents(l, covered) : NULL;

	sd->l = l;
	sd->idx = summary__group(l);
	sd->own = malloc(n * DM_NR * sizeof(*sd->own));
	sd->has_nested = calloc(n, sizeof(*sd->has_nested));
	if (!parent || !sd->idx || !sd->own || !sd->has_nested) {
		free(parent);
		free(covered);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->len; i++)
		for (int m = 0; m < DM_NR; m++)
			if (!metric(&l->items[i], m, &sd->own[i * DM_NR + m]))
				sd->own[i * DM_NR + m] = NAN;
	for (size_t i = 0; i < l->len; i++) {
		if (parent[i] < 0)
			continue;
		sd->has_nested[parent[i]] = true;
		for (int m = 0; m < DM_NR; m++) {
			double *up = &sd->own[parent[i] * DM_NR + m];
			double v;

			/* runtime less the time its children covered, once:
			 * children on other threads run side by side */
			if (m == DM_RUNTIME || m == DM_MEMORY)
				continue;
			if (metric(&l->items[i], m, &v) && !isnan(*up))
				*up = *up > v ? *up - v : 0;
		}
	}
	for (size_t i = 0; i < l->len; i++) {
		double *rt = &sd->own[i * DM_NR + DM_RUNTIME];

		if (sd->has_nested[i] && !isnan(*rt))
			*rt = *rt > covered[i] ? *rt - covered[i] : 0;
	}
	free(parent);
	free(covered);
	return 0;
}

static void side__free(struct side *sd)
{
	free((void *)sd->idx);
	free(sd->own);
	free(sd->has_nested);
}

/* One task's rows (n rows from idx[at]): the metric's values, sorted; own ones if own. */
static size_t values(const struct side *sd, size_t at, size_t n, enum diff_metric m, bool own,
		     double *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		size_t row = sd->idx[at + i];

		if (own)
			out[k] = sd->own[row * DM_NR + m];
		if (own ? !isnan(out[k]) : metric(&sd->l->items[row], m, &out[k]))
			k++;
	}
	stats__sort(out, k);
	return k;
}

static bool any_nested(const struct side *sd, size_t at, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sd->has_nested[sd->idx[at + i]])
			return true;
	return false;
}

static int compare_metric(double *b, size_t nb, double *c, size_t nc, double floor,
			  const struct diff_options *o, struct metric_diff *md)
{
	struct mwu t;
	double delta;
	int err;

	md->n_base = nb;
	md->n_new = nc;
	md->base_median = stats__percentile(b, nb, 50);
	md->new_median = stats__percentile(c, nc, 50);
	md->p = md->u = NAN;
	md->change_pct = NAN;
	md->verdict = DV_SAME;
	if (!nb || !nc)
		return 0;
	delta = md->new_median - md->base_median;
	if (md->base_median != 0)
		md->change_pct = 100 * delta / md->base_median;
	else if (delta != 0)
		md->change_pct = delta > 0 ? INFINITY : -INFINITY;
	err = stats__mann_whitney(b, nb, c, nc, &t);
	if (err)
		return err;
	md->u = t.u;
	md->p = t.p;
	/* a hair of tolerance: 10.0 -> 11.0 ms is a 1 ms change, and 1.00 ->
	 * 1.05 s not beyond 5%, whatever the binary fractions say */
	if (fabs(delta) >= floor * (1 - 1e-9) &&
	    fabs(md->change_pct) > o->threshold_pct * (1 + 1e-9) && t.p < o->alpha)
		md->verdict = delta > 0 ? DV_REGRESSED : DV_IMPROVED;
	return 0;
}

/* A change found in the whole metric: does the task's own part show it too? */
static int own_change(const struct side *base, size_t bi, size_t nb, const struct side *cur,
		      size_t ci, size_t nc, enum diff_metric m, double *b, double *c,
		      const struct diff_options *o, struct metric_diff *md)
{
	struct metric_diff own;
	size_t kb, kc;
	int err;

	if (md->verdict == DV_SAME || m == DM_MEMORY ||
	    !(any_nested(base, bi, nb) || any_nested(cur, ci, nc)))
		return 0;
	kb = values(base, bi, nb, m, true, b);
	kc = values(cur, ci, nc, m, true, c);
	err = compare_metric(b, kb, c, kc, floor_of(m, o), o, &own);
	if (!err && own.verdict != md->verdict) {
		md->verdict = own.verdict;
		md->nested = true;
	}
	return err;
}

/* Both sessions' rows of one task: nb from base's bi, nc from cur's ci. */
static int compare_task(const struct side *base, size_t bi, size_t nb, const struct side *cur,
			size_t ci, size_t nc, const struct diff_options *o, struct task_diff *td)
{
	double *b = malloc((nb + 1) * sizeof(*b)), *c = malloc((nc + 1) * sizeof(*c));
	int err = b && c ? 0 : -ENOMEM;

	td->verdict = DV_SAME;
	td->few = nb < DIFF_FEW || nc < DIFF_FEW;
	for (int m = 0; m < DM_NR && !err; m++) {
		size_t kb = values(base, bi, nb, m, false, b), kc = values(cur, ci, nc, m, false, c);

		err = compare_metric(b, kb, c, kc, floor_of(m, o), o, &td->m[m]);
		if (!err)
			err = own_change(base, bi, nb, cur, ci, nc, m, b, c, o, &td->m[m]);
		if (td->m[m].verdict == DV_REGRESSED)
			td->verdict = DV_REGRESSED;
		else if (td->m[m].verdict == DV_IMPROVED && td->verdict == DV_SAME)
			td->verdict = DV_IMPROVED;
	}
	free(b);
	free(c);
	return err;
}

static int cmp_task_diff(const void *a, const void *b)
{
	static const int order[] = { [DV_REGRESSED] = 0, [DV_IMPROVED] = 1, [DV_SAME] = 2,
				     [DV_ADDED] = 3, [DV_REMOVED] = 4 };
	const struct task_diff *x = a, *y = b;

	if (x->verdict != y->verdict)
		return order[x->verdict] - order[y->verdict];
	return strcmp(x->task, y->task);
}

static const char *name_at(const struct profile_list *l, const size_t *idx, size_t i)
{
	const char *s = l->items[idx[i]].process_name;

	return s ? s : "";
}

/* The end of the run of rows of the task at i. */
static size_t run_end(const struct profile_list *l, const size_t *idx, size_t i)
{
	size_t j = i + 1;

	while (j < l->len && !strcmp(name_at(l, idx, i), name_at(l, idx, j)))
		j++;
	return j;
}

/* Walks both grouped lists like a merge: each task is in base, cur or both. */
static int merge(const struct side *bs, const struct side *cs, const struct diff_options *o,
		 struct diff *out)
{
	const struct profile_list *base = bs->l, *cur = cs->l;
	const size_t *bi = bs->idx, *ci = cs->idx;
	size_t i = 0, j = 0;
	int err = 0;

	while (!err && (i < base->len || j < cur->len)) {
		struct task_diff *td = &out->tasks[out->n++];
		int c = i >= base->len ? 1 : j >= cur->len ? -1 :
			strcmp(name_at(base, bi, i), name_at(cur, ci, j));
		size_t ie = i < base->len ? run_end(base, bi, i) : i;
		size_t je = j < cur->len ? run_end(cur, ci, j) : j;

		memset(td, 0, sizeof(*td));
		if (c < 0) {
			td->task = name_at(base, bi, i);
			td->verdict = DV_REMOVED;
			i = ie;
		} else if (c > 0) {
			td->task = name_at(cur, ci, j);
			td->verdict = DV_ADDED;
			j = je;
		} else {
			td->task = name_at(base, bi, i);
			err = compare_task(bs, i, ie - i, cs, j, je - j, o, td);
			i = ie;
			j = je;
		}
	}
	return err;
}

int diff__build(const struct profile_list *base, const struct profile_list *cur,
		const struct diff_options *o, struct diff *out)
{
	struct side bs = { 0 }, cs = { 0 };
	int err;

	memset(out, 0, sizeof(*out));
	err = side__init(&bs, base);
	if (!err)
		err = side__init(&cs, cur);
	out->tasks = calloc(base->len + cur->len + 1, sizeof(*out->tasks));
	if (!err)
		err = out->tasks ? merge(&bs, &cs, o, out) : -ENOMEM;
	side__free(&bs);
	side__free(&cs);
	if (err) {
		diff__free(out);
		return err;
	}
	qsort(out->tasks, out->n, sizeof(*out->tasks), cmp_task_diff);
	for (size_t i = 0; i < out->n; i++) {
		out->regressed += out->tasks[i].verdict == DV_REGRESSED;
		out->improved += out->tasks[i].verdict == DV_IMPROVED;
	}
	return 0;
}

void diff__free(struct diff *d)
{
	free(d->tasks);
	memset(d, 0, sizeof(*d));
}
