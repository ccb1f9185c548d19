// SPDX-License-Identifier: MIT
/*
 * `stats` and `diff` printed: tables in human units for people, csv and
 * json with raw numbers (seconds, bytes, MiB) for programs. The csv and
 * json fields come from the summary's field table; nothing is listed twice.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/format_analysis.h"

#include "analysis/format.h"
#include "analysis/json.h"
#include "analysis/summary.h"

const char *format__safe(char *buf, size_t len, const char *s)
{
	size_t i = 0;

	for (; s && *s && i + 1 < len; s++, i++)
		buf[i] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	buf[i] = 0;
	return buf;
}

void format__seconds(char *buf, size_t len, double s)
{
	static const struct { double scale; const char *unit; } u[] = {
		{ 1, "s" }, { 1e-3, "ms" }, { 1e-6, "us" },
	};
	size_t i = 0;
	double v;

	if (isnan(s)) {
		snprintf(buf, len, "-");
		return;
	}
	while (i + 1 < sizeof(u) / sizeof(u[0]) && fabs(s) < u[i].scale)
		i++;
	v = s / u[i].scale;
	snprintf(buf, len, "%.*f %s", fabs(v) < 10 ? 2 : fabs(v) < 100 ? 1 : 0, v, u[i].unit);
}

void format__bytes(char *buf, size_t len, double b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;

	if (isnan(b)) {
		snprintf(buf, len, "-");
		return;
	}
	while (i < 4 && fabs(b) >= 1024) {
		b /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", b, unit[i]);
}

static void human(char *buf, size_t len, double v, enum summary_kind k)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (k == SUM_S)
		format__seconds(buf, len, v);
	else if (k == SUM_B)
		format__bytes(buf, len, v);
	else if (k == SUM_F)
		snprintf(buf, len, "%.1f%%", 100 * v);
	else if (k == SUM_M)
		snprintf(buf, len, "%.1f MiB", v);
	else if (k == SUM_A)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

static int task_width(const struct summary *s)
{
	int w = 4;

	for (size_t i = 0; i < s->n; i++) {
		int n = s->tasks[i].task ? (int)strlen(s->tasks[i].task) : 1;

		w = n > w ? n : w;
	}
	return w > 40 ? 40 : w;
}

/* The two tables stats prints: where the time went, and what was used. */
struct stats_col {
	enum summary_field f;
	const char *head;
	int width;
};

static const struct stats_col time_cols[] = {
	{ SUMMARY_count, "CALLS", 7 },         { SUMMARY_completed, "OK", 7 },
	{ SUMMARY_unwound, "UNWOUND", 8 },     { SUMMARY_exited, "EXITED", 7 },
	{ SUMMARY_runtime_total, "TOTAL", 10 }, { SUMMARY_runtime_mean, "MEAN", 10 },
	{ SUMMARY_runtime_p50, "P50", 10 },    { SUMMARY_runtime_p90, "P90", 10 },
	{ SUMMARY_runtime_p99, "P99", 10 },    { SUMMARY_runtime_max, "MAX", 10 },
	{ SUMMARY_cpu_user_mean, "USER/CALL", 10 }, { SUMMARY_cpu_system_mean, "SYS/CALL", 10 },
	{ SUMMARY_share_cpu, "CPU", 7 },       { SUMMARY_share_iowait, "IOWAIT", 7 },
	{ SUMMARY_share_other, "OTHER", 7 },
};
static const struct stats_col use_cols[] = {
	{ SUMMARY_read_bytes, "READ", 10 },     { SUMMARY_write_bytes, "WRITTEN", 10 },
	{ SUMMARY_sent_bytes, "SENT", 10 },     { SUMMARY_received_bytes, "RECEIVED", 10 },
	{ SUMMARY_memory_peak_mb_max, "PEAK MEM", 11 },
	{ SUMMARY_allocations_mean, "ALLOCS/CALL", 12 }, { SUMMARY_exceptions, "EXCEPTIONS", 11 },
};

static void stats_table(FILE *f, const struct summary *s, const struct stats_col *cols, size_t n)
{
	int w = task_width(s);
	char buf[32];

	fprintf(f, "%-*s", w, "TASK");
	for (size_t c = 0; c < n; c++)
		fprintf(f, " %*s", cols[c].width, cols[c].head);
	fputc('\n', f);
	for (size_t i = 0; i < s->n; i++) {
		const struct task_summary *t = &s->tasks[i];
		char name[256];

		fprintf(f, "%-*.*s", w, w, format__safe(name, sizeof(name), t->task ? t->task : "-"));
		for (size_t c = 0; c < n; c++) {
			human(buf, sizeof(buf), t->v[cols[c].f], summary_fields[cols[c].f].kind);
			fprintf(f, " %*s", cols[c].width, buf);
		}
		fputc('\n', f);
	}
}

void format__stats_table(FILE *f, const struct summary *s)
{
	if (!s->n) {
		fputs("no profiles\n", f);
		return;
	}
	stats_table(f, s, time_cols, sizeof(time_cols) / sizeof(time_cols[0]));
	fputc('\n', f);
	stats_table(f, s, use_cols, sizeof(use_cols) / sizeof(use_cols[0]));
}

void format__stats_csv(FILE *f, const struct summary *s)
{
	fputs("task", f);
	for (int c = 0; c < SUMMARY_NR; c++)
		fprintf(f, ",%s", summary_fields[c].name);
	fputc('\n', f);
	for (size_t i = 0; i < s->n; i++) {
		format__csv_str(f, s->tasks[i].task);
		for (int c = 0; c < SUMMARY_NR; c++) {
			double v = s->tasks[i].v[c];

			fputc(',', f);
			if (isnan(v))
				continue;
			if (summary_fields[c].kind == SUM_C || summary_fields[c].kind == SUM_B)
				fprintf(f, "%.0f", v); /* counts and bytes exactly */
			else
				fprintf(f, "%.9g", v);
		}
		fputc('\n', f);
	}
}

void format__summary_members(FILE *f, const struct task_summary *t)
{
	fputs("\"task\":", f);
	json__str(f, t->task);
	for (int c = 0; c < SUMMARY_NR; c++) {
		fprintf(f, ",\"%s\":", summary_fields[c].name);
		json__num(f, t->v[c], 9);
	}
}

void format__stats_json(FILE *f, const struct summary *s)
{
	fputc('[', f);
	for (size_t i = 0; i < s->n; i++) {
		fputs(i ? ",\n {" : "{", f);
		format__summary_members(f, &s->tasks[i]);
		fputc('}', f);
	}
	fputs("]\n", f);
}
