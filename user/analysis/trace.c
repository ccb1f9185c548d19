// SPDX-License-Identifier: MIT
/*
 * `export --format chrome-trace`: Chrome Trace Event JSON, which Perfetto
 * and chrome://tracing open. One complete ("X") event per invocation, every
 * column in its args, and metadata naming processes and threads.
 *
 * Perfetto drops a complete event that overlaps its parent's end, so the
 * events of a thread are checked as a stack. Times are whole microseconds
 * of start and end, each truncated; truncation keeps a child that lay
 * within its parent within it. Only a row whose times disagree with its
 * neighbours (a clock step, rows written by hand) is cut, and counted.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/trace.h"

#include "profile_columns.h"
#include "profile_repo.h"
#include "analysis/json.h"
#include "base/util.h"

long long trace__id(int64_t v)
{
	return v == PROFILE_NULL_I64 ? 0 : v;
}

static int cmp_event(const void *a, const void *b)
{
	const struct trace_event *x = a, *y = b;

	if (trace__id(x->p->pid) != trace__id(y->p->pid))
		return trace__id(x->p->pid) < trace__id(y->p->pid) ? -1 : 1;
	if (trace__id(x->p->tid) != trace__id(y->p->tid))
		return trace__id(x->p->tid) < trace__id(y->p->tid) ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->dur != y->dur)
		return x->dur > y->dur ? -1 : 1; /* the parent first */
	return (x->p->id > y->p->id) - (x->p->id < y->p->id);
}

bool trace__same_thread(const struct trace_event *a, const struct trace_event *b)
{
	return trace__id(a->p->pid) == trace__id(b->p->pid) && trace__id(a->p->tid) == trace__id(b->p->tid);
}

/* Cuts events that end after the event they start in; returns how many. */
static size_t nest(struct trace_event *ev, size_t n)
{
	size_t *stack = malloc((n ? n : 1) * sizeof(*stack)), depth = 0, cut = 0;

	if (!stack)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i && !trace__same_thread(&ev[i - 1], &ev[i]))
			depth = 0;
		while (depth && ev[stack[depth - 1]].ts + ev[stack[depth - 1]].dur <= ev[i].ts)
			depth--;
		if (depth) {
			int64_t end = ev[stack[depth - 1]].ts + ev[stack[depth - 1]].dur;

			if (ev[i].ts + ev[i].dur > end) {
				ev[i].dur = end - ev[i].ts;
				cut++;
			}
		}
		stack[depth++] = i;
	}
	free(stack);
	return cut;
}

size_t trace__events(const struct profile_list *l, struct trace_event **out, size_t *bad)
{
	struct trace_event *ev = calloc(l->len ? l->len : 1, sizeof(*ev));

	*out = ev;
	if (!ev)
		return 0;
	for (size_t i = 0; i < l->len; i++) {
		const struct profile *p = &l->items[i];
		int64_t end;

		ev[i].p = p;
		if (tp_parse_iso_us(p->task_start_time, &ev[i].ts))
			(*bad)++; /* at 0: shown, and said */
		if (tp_parse_iso_us(p->task_end_time, &end) || end < ev[i].ts)
			end = ev[i].ts + (isfinite(p->runtime_seconds) && p->runtime_seconds > 0 ?
						  (int64_t)(p->runtime_seconds * 1e6) : 0);
		ev[i].dur = end - ev[i].ts;
	}
	qsort(ev, l->len, sizeof(*ev), cmp_event);
	return nest(ev, l->len);
}

static void args(FILE *f, const struct profile *p)
{
	fprintf(f, "\"id\":%lld", (long long)p->id);
	for (int c = 0; c < PROFILE_NCOLS; c++) {
		const struct profile_column *col = &profile_columns[c];

		fprintf(f, ",\"%s\":", col->name);
		if (profile__is_null(p, c))
			fputs("null", f);
		else if (col->kind == PROFILE_REAL)
			json__num(f, profile__real(p, c), 0); /* the row's value itself */
		else if (col->kind == PROFILE_I64 || col->kind == PROFILE_REF)
			fprintf(f, "%lld", (long long)profile__i64(p, c));
		else
			json__str(f, profile__text(p, c));
	}
}

static const struct session *session_of(const struct profile *p, const struct session *s,
					size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i].id == p->session_id)
			return &s[i];
	return NULL;
}

/* "process_name" and "thread_name" events, once per pid and per thread. */
static void metadata(FILE *f, const struct trace_event *ev, size_t n, const struct session *s,
		     size_t ns)
{
	for (size_t i = 0; i < n; i++) {
		const struct profile *p = ev[i].p;
		const struct session *ss;
		char name[512];

		if (i && trace__same_thread(&ev[i - 1], &ev[i]))
			continue;
		if (!i || trace__id(ev[i - 1].p->pid) != trace__id(p->pid)) {
			ss = session_of(p, s, ns);
			snprintf(name, sizeof(name), "%s (pid %lld)", ss ? ss->target : "profiles",
				 trace__id(p->pid));
			fprintf(f, "%s{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%lld,"
				   "\"tid\":%lld,\"args\":{\"name\":", i ? ",\n" : "", trace__id(p->pid),
				trace__id(p->pid));
			json__str(f, name);
			fputs("}}", f);
		}
		fprintf(f, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%lld,\"tid\":%lld,"
			   "\"args\":{\"name\":\"%s %lld\"}}", trace__id(p->pid), trace__id(p->tid),
			trace__id(p->tid) == trace__id(p->pid) ? "main" : "thread", trace__id(p->tid));
	}
}

int trace__write(FILE *f, const struct profile_list *l, const struct session *sessions,
		 size_t nsessions, size_t *cut, size_t *bad)
{
	struct trace_event *ev;

	*cut = trace__events(l, &ev, bad);
	if (!ev)
		return -ENOMEM;
	fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"taskprof\",\"sessions\":[", f);
	for (size_t i = 0; i < nsessions; i++)
		fprintf(f, "%s%lld", i ? "," : "", (long long)sessions[i].id);
	fprintf(f, "],\"invocations\":%zu,\"cut_to_nest\":%zu},\n\"traceEvents\":[\n", l->len,
		*cut);
	metadata(f, ev, l->len, sessions, nsessions);
	for (size_t i = 0; i < l->len; i++) {
		const struct profile *p = ev[i].p;

		fputs(",\n{\"ph\":\"X\",\"cat\":\"task\",\"name\":", f);
		json__str(f, p->process_name);
		fprintf(f, ",\"ts\":%lld,\"dur\":%lld,\"pid\":%lld,\"tid\":%lld,\"args\":{",
			(long long)ev[i].ts, (long long)ev[i].dur, trace__id(p->pid), trace__id(p->tid));
		args(f, p);
		fputs("}}", f);
	}
	fputs("\n]}\n", f);
	free(ev);
	return ferror(f) ? -EIO : 0;
}
