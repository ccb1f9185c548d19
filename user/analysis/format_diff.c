// SPDX-License-Identifier: MIT
/*
 * `diff` printed: a table a person reads top down (regressions first, one
 * line per metric, a summary line at the end), and csv and json with raw
 * medians, sample counts, U and p for programs and CI.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/format_diff.h"

#include "analysis/compare.h"
#include "analysis/format.h"
#include "analysis/format_analysis.h"
#include "analysis/json.h"

static void value(char *buf, size_t len, enum diff_metric m, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (!strcmp(diff_metric_units[m], "s"))
		format__seconds(buf, len, v);
	else if (m == DM_MEMORY)
		snprintf(buf, len, "%.1f MiB", v);
	else
		format__bytes(buf, len, v);
}

static void change(char *buf, size_t len, double pct)
{
	if (isnan(pct))
		snprintf(buf, len, "-");
	else if (isinf(pct))
		snprintf(buf, len, pct > 0 ? "from 0" : "to 0");
	else
		snprintf(buf, len, "%+.1f%%", pct);
}

/* A metric with nothing on either side (a task with no network) says nothing. */
static bool empty(const struct metric_diff *m)
{
	return m->base_median == 0 && m->new_median == 0 && m->verdict == DV_SAME;
}

static void table_task(FILE *f, const struct task_diff *t, int w)
{
	bool first = true;
	char name[256];

	format__safe(name, sizeof(name), t->task);
	if (t->verdict == DV_ADDED || t->verdict == DV_REMOVED) {
		fprintf(f, "%-*.*s (%s)\n", w, w, name, diff_verdict_names[t->verdict]);
		return;
	}
	for (int m = 0; m < DM_NR; m++) {
		const struct metric_diff *md = &t->m[m];
		char b[32], n[32], c[32], ns[32];

		if (!md->n_base || !md->n_new || empty(md))
			continue;
		value(b, sizeof(b), m, md->base_median);
		value(n, sizeof(n), m, md->new_median);
		change(c, sizeof(c), md->change_pct);
		snprintf(ns, sizeof(ns), "%zu/%zu%s", md->n_base, md->n_new, t->few ? "!" : "");
		fprintf(f, "%-*.*s %-14s %12s %12s %9s %11s %9.1f %10.3g  %s%s\n", w, w,
			first ? name : "", diff_metric_names[m], b, n, c, ns, md->u, md->p,
			diff_verdict_names[md->verdict], md->nested ? " (change in nested tasks)" : "");
		first = false;
	}
}

static void names_with(FILE *f, const struct diff *d, enum diff_verdict v, const char *label)
{
	size_t k = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (d->tasks[i].verdict != v)
			continue;
		char name[256];

		fprintf(f, "%s%s", k++ ? ", " : label,
			format__safe(name, sizeof(name), d->tasks[i].task));
	}
	if (k)
		fputs("; ", f);
}

void format__diff_table(FILE *f, const struct diff *d, const struct diff_options *o)
{
	size_t same = 0, few = 0, nested = 0;
	int w = 4;

	for (size_t i = 0; i < d->n; i++) {
		int n = strlen(d->tasks[i].task);

		for (int m = 0; m < DM_NR; m++)
			nested += d->tasks[i].m[m].nested;
		w = n > w ? (n > 40 ? 40 : n) : w;
		same += d->tasks[i].verdict == DV_SAME;
		few += d->tasks[i].few;
	}
	fprintf(f, "%-*s %-14s %12s %12s %9s %11s %9s %10s  %s\n", w, "TASK", "METRIC",
		"BASE MEDIAN", "NEW MEDIAN", "CHANGE", "N BASE/NEW", "U", "P", "VERDICT");
	for (size_t i = 0; i < d->n; i++)
		table_task(f, &d->tasks[i], w);
	fputc('\n', f);
	names_with(f, d, DV_REGRESSED, "regressed: ");
	names_with(f, d, DV_IMPROVED, "improved: ");
	names_with(f, d, DV_ADDED, "added: ");
	names_with(f, d, DV_REMOVED, "removed: ");
	fprintf(f, "%zu same\n", same);
	if (nested)
		fputs("(change in nested tasks): the task's own part, less the declared tasks that "
		      "ran inside it, did not change\n", f);
	fprintf(f, "a change counts beyond %g%%, at p < %g (two-sided Mann-Whitney U), and when "
		   "the medians differ by %g ms, %g KiB or %g MiB at least%s\n",
		o->threshold_pct, o->alpha, o->floor_time * 1e3, o->floor_bytes / 1024,
		o->floor_mem_mb, few ? "; ! marks fewer than 9 invocations on a side" : "");
}

void format__diff_csv(FILE *f, const struct diff *d)
{
	fputs("task,task_verdict,metric,unit,base_median,new_median,change_pct,n_base,n_new,u,p,"
	      "nested,verdict\n", f);
	for (size_t i = 0; i < d->n; i++) {
		const struct task_diff *t = &d->tasks[i];

		if (t->verdict == DV_ADDED || t->verdict == DV_REMOVED) {
			format__csv_str(f, t->task);
			fprintf(f, ",%s,,,,,,,,,,,\n", diff_verdict_names[t->verdict]);
			continue;
		}
		for (int m = 0; m < DM_NR; m++) {
			const struct metric_diff *md = &t->m[m];

			format__csv_str(f, t->task);
			fprintf(f, ",%s,%s,%s,", diff_verdict_names[t->verdict], diff_metric_names[m],
				diff_metric_units[m]);
			fprintf(f, isnan(md->base_median) ? "," : "%.9g,", md->base_median);
			fprintf(f, isnan(md->new_median) ? "," : "%.9g,", md->new_median);
			fprintf(f, isfinite(md->change_pct) ? "%.6g," : ",", md->change_pct);
			fprintf(f, "%zu,%zu,", md->n_base, md->n_new);
			fprintf(f, isnan(md->u) ? "," : "%.1f,", md->u);
			fprintf(f, isnan(md->p) ? "," : "%.6g,", md->p);
			fprintf(f, "%d,%s\n", md->nested, diff_verdict_names[md->verdict]);
		}
	}
}

static void metric_json(FILE *f, enum diff_metric m, const struct metric_diff *md)
{
	fprintf(f, "{\"metric\":\"%s\",\"unit\":\"%s\",\"base_median\":", diff_metric_names[m],
		diff_metric_units[m]);
	json__num(f, md->base_median, 9);
	fputs(",\"new_median\":", f);
	json__num(f, md->new_median, 9);
	fputs(",\"change_pct\":", f);
	json__num(f, md->change_pct, 6);
	fprintf(f, ",\"n_base\":%zu,\"n_new\":%zu,\"u\":", md->n_base, md->n_new);
	json__num(f, md->u, 9);
	fputs(",\"p\":", f);
	json__num(f, md->p, 6);
	fprintf(f, ",\"nested\":%s,\"verdict\":\"%s\"}", md->nested ? "true" : "false",
		diff_verdict_names[md->verdict]);
}

void format__diff_tasks_json(FILE *f, const struct diff *d)
{
	fputc('[', f);
	for (size_t i = 0; i < d->n; i++) {
		const struct task_diff *t = &d->tasks[i];
		bool both = t->verdict != DV_ADDED && t->verdict != DV_REMOVED;

		fputs(i ? ",\n {\"task\":" : "{\"task\":", f);
		json__str(f, t->task);
		fprintf(f, ",\"verdict\":\"%s\",\"few\":%s,\"metrics\":[",
			diff_verdict_names[t->verdict], t->few ? "true" : "false");
		for (int m = 0; both && m < DM_NR; m++) {
			if (m)
				fputc(',', f);
			metric_json(f, m, &t->m[m]);
		}
		fputs("]}", f);
	}
	fputc(']', f);
}

void format__diff_json(FILE *f, const struct diff *d, const struct diff_options *o)
{
	fprintf(f, "{\"threshold_pct\":%g,\"alpha\":%g,\"floor_time\":%g,\"floor_bytes\":%g,"
		   "\"floor_memory_mb\":%g,\"regressed\":%zu,\"improved\":%zu,\"tasks\":",
		o->threshold_pct, o->alpha, o->floor_time, o->floor_bytes, o->floor_mem_mb,
		d->regressed, d->improved);
	format__diff_tasks_json(f, d);
	fputs("}\n", f);
}
