// SPDX-License-Identifier: MIT
/*
 * `report`: one HTML file that opens offline. The page's HTML, CSS and
 * script are built into the binary (user/report/, embedded by the
 * Makefile); this writes them around the data as one JSON document:
 * sessions, their stats, the diff of two, and every invocation for the
 * timeline, column by column (a 100,000-row session stays a few MiB).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/report.h"

#include "profile_columns.h"
#include "profile_repo.h"
#include "analysis/compare.h"
#include "analysis/format_analysis.h"
#include "analysis/format_diff.h"
#include "analysis/json.h"
#include "analysis/summary.h"
#include "analysis/trace.h"
#include "base/util.h"

/* user/report/ as built by the Makefile (report_assets.c). */
extern const char report_html[], report_css[], report_js[];

struct lane {
	int64_t session, pid, tid;
};

/* Every session's events, in lane order: what the timeline draws. */
struct timeline {
	struct trace_event **ev; /* per session */
	size_t *nev;
	int64_t t0;              /* earliest start, us since the epoch */
	const char **tasks;      /* distinct task names */
	size_t ntasks;
	size_t bad;              /* rows whose start time could not be read */
};

/* The timeline's status digit: an index into TP.STATUS (report/report_fmt.js). */
static char status_digit(const char *status)
{
	int st = profile_status__parse(status);

	return st == PROFILE_COMPLETED ? '0' : st == PROFILE_UNWOUND ? '1' : '2';
}

static void write_sessions(FILE *f, const struct report_input *in)
{
	fputs(",\"sessions\":[", f);
	for (size_t i = 0; i < in->n; i++) {
		const struct session *s = &in->sessions[i];

		fprintf(f, "%s{\"id\":%lld,\"target\":", i ? "," : "", (long long)s->id);
		json__str(f, s->target);
		fputs(",\"started_at\":", f);
		json__str(f, s->started_at);
		fputs(",\"ended_at\":", f);
		json__str(f, s->ended_at[0] ? s->ended_at : NULL);
		fputs(",\"status\":", f);
		json__str(f, s->status);
		fprintf(f, ",\"events_lost\":%lld}", (long long)s->events_lost);
	}
	fputc(']', f);
}

static int write_stats(FILE *f, const struct report_input *in)
{
	fputs(",\"stats\":[", f);
	for (size_t i = 0; i < in->n; i++) {
		struct summary s;

		if (summary__build(&in->rows[i], &s))
			return -ENOMEM;
		fprintf(f, "%s{\"session\":%lld,\"rolled_up\":%lld,\"tasks\":[", i ? "," : "",
			(long long)in->sessions[i].id, (long long)in->rolled_up[i]);
		for (size_t t = 0; t < s.n; t++) {
			fputs(t ? ",{" : "{", f);
			format__summary_members(f, &s.tasks[t]);
			fputc('}', f);
		}
		fputs("]}", f);
		summary__free(&s);
	}
	fputc(']', f);
	return 0;
}

static void write_diff(FILE *f, const struct report_input *in)
{
	if (!in->diff) {
		fputs(",\"diff\":null", f);
		return;
	}
	fprintf(f, ",\"diff\":{\"base\":%lld,\"new\":%lld,\"threshold_pct\":%g,\"alpha\":%g,"
		   "\"floor_time\":%g,\"floor_bytes\":%g,\"floor_memory_mb\":%g,\"tasks\":",
		(long long)in->sessions[0].id, (long long)in->sessions[1].id, in->opts->threshold_pct,
		in->opts->alpha, in->opts->floor_time, in->opts->floor_bytes, in->opts->floor_mem_mb);
	format__diff_tasks_json(f, in->diff);
	fputc('}', f);
}

static size_t task_index(struct timeline *t, const char *name)
{
	name = name ? name : "";
	for (size_t i = 0; i < t->ntasks; i++)
		if (!strcmp(t->tasks[i], name))
			return i;
	t->tasks[t->ntasks] = name;
	return t->ntasks++;
}

/* The lanes, and each event's lane index as the "lane" column. */
static void write_lanes(FILE *f, const struct report_input *in, const struct timeline *t)
{
	size_t lanes = 0;

	fputs(",\"lanes\":[", f);
	for (size_t s = 0; s < in->n; s++)
		for (size_t i = 0; i < t->nev[s]; i++) {
			const struct profile *p = t->ev[s][i].p;

			if (i && trace__same_thread(&t->ev[s][i - 1], &t->ev[s][i]))
				continue;
			fprintf(f, "%s{\"session\":%lld,\"pid\":%lld,\"tid\":%lld}", lanes++ ? "," : "",
				(long long)in->sessions[s].id, trace__id(p->pid), trace__id(p->tid));
		}
	fputs("],\"lane\":[", f);
	lanes = 0;
	for (size_t s = 0, k = 0; s < in->n; s++)
		for (size_t i = 0; i < t->nev[s]; i++, k++) {
			if (k && !(i && trace__same_thread(&t->ev[s][i - 1], &t->ev[s][i])))
				lanes++;
			fprintf(f, "%s%zu", k ? "," : "", lanes);
		}
	fputc(']', f);
}

/* One column of the timeline: "name":[v, v, ...] over every event. */
#define TIMELINE_COLUMN(f, t, in, name, expr)                                              \
	do {                                                                               \
		fputs(",\"" name "\":[", f);                                               \
		for (size_t s_ = 0, k_ = 0; s_ < (in)->n; s_++)                            \
			for (size_t i_ = 0; i_ < (t)->nev[s_]; i_++, k_++) {               \
				const struct trace_event *e = &(t)->ev[s_][i_];            \
				const struct profile *p = e->p;                            \
				(void)p;                                                   \
				if (k_)                                                    \
					fputc(',', f);                                     \
				expr;                                                      \
			}                                                                  \
		fputc(']', f);                                                             \
	} while (0)

static void i64_or_null(FILE *f, const struct profile *p, enum profile_col c)
{
	if (profile__is_null(p, c))
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)profile__i64(p, c));
}

static void write_timeline(FILE *f, const struct report_input *in, struct timeline *t)
{
	size_t total = 0;

	for (size_t s = 0; s < in->n; s++)
		total += t->nev[s];
	fprintf(f, ",\"timeline\":{\"t0_us\":%lld,\"count\":%zu", (long long)t->t0, total);
	write_lanes(f, in, t);
	TIMELINE_COLUMN(f, t, in, "task", fprintf(f, "%zu", task_index(t, p->process_name)));
	TIMELINE_COLUMN(f, t, in, "start_us", fprintf(f, "%lld", (long long)(e->ts - t->t0)));
	TIMELINE_COLUMN(f, t, in, "dur_us", fprintf(f, "%lld", (long long)e->dur));
	TIMELINE_COLUMN(f, t, in, "runtime", json__num(f, p->runtime_seconds, 7));
	TIMELINE_COLUMN(f, t, in, "status",
			fputc(status_digit(p->status), f));
	TIMELINE_COLUMN(f, t, in, "id", fprintf(f, "%lld", (long long)p->id));
	TIMELINE_COLUMN(f, t, in, "cpu_user", json__num(f, p->cpu_user_seconds, 6));
	TIMELINE_COLUMN(f, t, in, "cpu_system", json__num(f, p->cpu_system_seconds, 6));
	TIMELINE_COLUMN(f, t, in, "iowait", json__num(f, p->io_wait_time_seconds, 6));
	TIMELINE_COLUMN(f, t, in, "peak_mb", json__num(f, p->memory_usage_peak_mb, 6));
	TIMELINE_COLUMN(f, t, in, "allocs", i64_or_null(f, p, PROFILE_COL_memory_allocations));
	TIMELINE_COLUMN(f, t, in, "read", i64_or_null(f, p, PROFILE_COL_file_read_bytes));
	TIMELINE_COLUMN(f, t, in, "write", i64_or_null(f, p, PROFILE_COL_file_write_bytes));
	TIMELINE_COLUMN(f, t, in, "sent", i64_or_null(f, p, PROFILE_COL_network_data_sent_bytes));
	TIMELINE_COLUMN(f, t, in, "recv",
			i64_or_null(f, p, PROFILE_COL_network_data_received_bytes));
	TIMELINE_COLUMN(f, t, in, "exceptions", i64_or_null(f, p, PROFILE_COL_exceptions_raised));
	fputs(",\"tasks\":[", f);
	for (size_t i = 0; i < t->ntasks; i++) {
		fputs(i ? "," : "", f);
		json__str(f, t->tasks[i]);
	}
	fputs("]}", f);
}

static int timeline__build(const struct report_input *in, struct timeline *t)
{
	size_t total = 0;

	memset(t, 0, sizeof(*t));
	t->ev = calloc(in->n, sizeof(*t->ev));
	t->nev = calloc(in->n, sizeof(*t->nev));
	if (!t->ev || !t->nev)
		return -ENOMEM;
	t->t0 = INT64_MAX;
	for (size_t s = 0; s < in->n; s++) {
		trace__events(&in->rows[s], &t->ev[s], &t->bad);
		if (!t->ev[s])
			return -ENOMEM;
		t->nev[s] = in->rows[s].len;
		total += t->nev[s];
		for (size_t i = 0; i < t->nev[s]; i++)
			if (t->ev[s][i].ts < t->t0)
				t->t0 = t->ev[s][i].ts;
	}
	if (t->t0 == INT64_MAX)
		t->t0 = 0;
	t->tasks = calloc(total + 1, sizeof(*t->tasks));
	return t->tasks ? 0 : -ENOMEM;
}

static void timeline__free(struct timeline *t, size_t n)
{
	for (size_t s = 0; t->ev && s < n; s++)
		free(t->ev[s]);
	free(t->ev);
	free(t->nev);
	free(t->tasks);
}

static int write_data(FILE *f, const struct report_input *in)
{
	struct timeline t;
	char now[PROFILE_TIME_LEN];
	int err;

	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now, sizeof(now));
	fputs("{\"version\":1,\"generated_at\":", f);
	json__str(f, now);
	fputs(",\"db\":", f);
	json__str(f, in->db);
	write_sessions(f, in);
	err = write_stats(f, in);
	if (err)
		return err;
	write_diff(f, in);
	err = timeline__build(in, &t);
	if (!err)
		write_timeline(f, in, &t);
	timeline__free(&t, in->n);
	fputc('}', f);
	return err;
}

/* The template with its three placeholders filled. */
int report__write(FILE *f, const struct report_input *in)
{
	static const char *const marks[] = { "/*@CSS@*/", "/*@JS@*/", "@DATA@" };
	const char *at = report_html;
	int err = 0;

	for (;;) {
		const char *next = NULL;
		int which = -1;

		for (int i = 0; i < 3; i++) {
			const char *m = strstr(at, marks[i]);

			if (m && (!next || m < next)) {
				next = m;
				which = i;
			}
		}
		if (!next)
			break;
		fwrite(at, 1, next - at, f);
		if (which == 0)
			fputs(report_css, f);
		else if (which == 1)
			fputs(report_js, f);
		else
			err = write_data(f, in);
		if (err)
			return err;
		at = next + strlen(marks[which]);
	}
	fputs(at, f);
	return ferror(f) ? -EIO : 0;
}
