// SPDX-License-Identifier: MIT
/*
 * Which invocation each invocation ran inside, and how much of each one's
 * span the invocations inside it covered. `diff` uses it to tell a task's
 * own change from one in the declared tasks it calls, as perf diff's self
 * and children columns and uftrace's self time do.
 *
 * On one thread, the parent is the innermost invocation whose span holds
 * the row's. Spans that overlap without one holding the other (coroutines
 * interleaved on one event loop) are not nested. A thread whose every row
 * lies within an invocation on another thread of its process is taken as
 * one that invocation started (and was charged for, counters.bpf.h): its
 * outermost rows are nested in the innermost such invocation. A pool
 * started before that invocation and used only inside it looks the same.
 *
 * Times are whole microseconds, start and end each truncated (trace.c): a
 * child that lay within its parent still does.
 */
#include <errno.h>
#include <stdlib.h>

#include "analysis/nesting.h"

#include "profile_repo.h"
#include "analysis/trace.h"
#include "base/util.h"

/* The event's end as stored, before trace.c cut it to nest. */
static int64_t stored_end(const struct trace_event *e)
{
	int64_t end;

	if (tp_parse_iso_us(e->p->task_end_time, &end) || end < e->ts)
		return e->ts + e->dur;
	return end;
}

/* The same thread's invocations: each one's innermost holder, by event. */
static void same_thread(const struct trace_event *ev, const int64_t *end, size_t n, size_t *stack,
			ptrdiff_t *up)
{
	size_t depth = 0;

	for (size_t i = 0; i < n; i++) {
		if (i && !trace__same_thread(&ev[i - 1], &ev[i]))
			depth = 0;
		/*
		 * Sorted by start, the longer first: what ended before i
		 * started is done. (Not at the same microsecond: a child may
		 * start in the one its parent ends in, once both are truncated.)
		 */
		while (depth && end[stack[depth - 1]] < ev[i].ts)
			depth--;
		up[i] = -1;
		if (depth && trace__id(ev[i].p->tid) && end[i] <= end[stack[depth - 1]])
			up[i] = stack[depth - 1];
		stack[depth++] = i;
	}
}

/* Events [a, b) are one thread's: the innermost event of another thread of
 * its process that holds them all, or -1. */
static ptrdiff_t thread_holder(const struct trace_event *ev, const int64_t *end, size_t n,
			       size_t a, size_t b)
{
	int64_t first = ev[a].ts, last = end[a];
	ptrdiff_t best = -1;
	size_t lo = a, hi = b;

	for (size_t i = a; i < b; i++)
		last = end[i] > last ? end[i] : last;
	while (lo > 0 && trace__id(ev[lo - 1].p->pid) == trace__id(ev[a].p->pid))
		lo--;
	while (hi < n && trace__id(ev[hi].p->pid) == trace__id(ev[a].p->pid))
		hi++;
	for (size_t i = lo; i < hi; i++) {
		if (i >= a && i < b)
			continue;
		if (ev[i].ts <= first && end[i] >= last &&
		    (best < 0 || end[i] - ev[i].ts < end[best] - ev[best].ts))
			best = i;
	}
	return best;
}

/* Outermost rows of threads started inside another thread's invocation. */
static void other_threads(const struct trace_event *ev, const int64_t *end, size_t n,
			  ptrdiff_t *up)
{
	for (size_t a = 0, b; a < n; a = b) {
		ptrdiff_t holder;

		for (b = a + 1; b < n && trace__same_thread(&ev[a], &ev[b]); b++)
			;
		if (!trace__id(ev[a].p->pid) || !trace__id(ev[a].p->tid))
			continue;
		holder = thread_holder(ev, end, n, a, b);
		for (size_t i = a; i < b && holder >= 0; i++)
			if (up[i] < 0)
				up[i] = holder;
	}
}

struct span {
	size_t parent; /* event */
	int64_t start, end;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

/* Per row, the seconds of its span its children's spans cover, overlaps
 * counted once: parallel children on other threads overlap. */
static int coverage(const struct trace_event *ev, const int64_t *end, const ptrdiff_t *up,
		    size_t n, const struct profile *items, double *covered)
{
	struct span *s = malloc((n ? n : 1) * sizeof(*s));
	size_t k = 0;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		covered[ev[i].p - items] = 0;
		if (up[i] >= 0)
			s[k++] = (struct span){ up[i], ev[i].ts, end[i] };
	}
	qsort(s, k, sizeof(*s), cmp_span);
	for (size_t i = 0, j; i < k; i = j) {
		int64_t from = s[i].start, to = s[i].end, sum = 0;

		for (j = i; j < k && s[j].parent == s[i].parent; j++) {
			if (s[j].start > to) {
				sum += to - from;
				from = s[j].start;
			}
			to = s[j].end > to ? s[j].end : to;
		}
		sum += to - from;
		covered[ev[s[i].parent].p - items] = sum / 1e6;
	}
	free(s);
	return 0;
}

ptrdiff_t *nesting__parents(const struct profile_list *l, double *covered)
{
	size_t n = l->len ? l->len : 1, bad = 0;
	ptrdiff_t *parent = malloc(n * sizeof(*parent)), *up = malloc(n * sizeof(*up));
	size_t *stack = malloc(n * sizeof(*stack));
	int64_t *end = malloc(n * sizeof(*end));
	struct trace_event *ev = NULL;

	if (parent && up && stack && end)
		trace__events(l, &ev, &bad);
	if (!ev)
		goto fail;
	for (size_t i = 0; i < l->len; i++)
		end[i] = stored_end(&ev[i]);
	same_thread(ev, end, l->len, stack, up);
	other_threads(ev, end, l->len, up);
	if (covered && coverage(ev, end, up, l->len, l->items, covered))
		goto fail;
	for (size_t i = 0; i < l->len; i++)
		parent[ev[i].p - l->items] = up[i] < 0 ? -1 : ev[up[i]].p - l->items;
	goto cleanup;
fail:
	free(parent);
	parent = NULL;
	errno = ENOMEM;
cleanup:
	free(ev);
	free(up);
	free(stack);
	free(end);
	return parent;
}
