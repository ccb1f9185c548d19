// SPDX-License-Identifier: MIT
/*
 * Which invocation each invocation ran inside: the innermost one on the
 * same thread whose span holds its own. `diff` uses it to tell a task's own
 * change from one in the declared tasks it calls, as perf diff's self and
 * children columns and uftrace's self time do.
 *
 * Times are whole microseconds, start and end each truncated (trace.c): a
 * child that lay within its parent still does. Spans that overlap without
 * one holding the other (coroutines interleaved on one event loop) are not
 * nested.
 */
#include <errno.h>
#include <stdlib.h>

#include "analyze.h"
#include "tp.h"

/* The event's end as stored, before trace.c cut it to nest. */
static int64_t stored_end(const struct trace_event *e)
{
	int64_t end;

	if (tp_parse_iso_us(e->p->task_end_time, &end) || end < e->ts)
		return e->ts + e->dur;
	return end;
}

ptrdiff_t *nesting__parents(const struct profile_list *l)
{
	ptrdiff_t *parent = malloc((l->len ? l->len : 1) * sizeof(*parent));
	size_t *stack = malloc((l->len ? l->len : 1) * sizeof(*stack)), depth = 0, bad = 0;
	int64_t *end = malloc((l->len ? l->len : 1) * sizeof(*end));
	struct trace_event *ev = NULL;

	if (parent && stack && end)
		trace__events(l, &ev, &bad);
	if (!ev) {
		free(parent);
		parent = NULL;
		errno = ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < l->len; i++) {
		size_t row = ev[i].p - l->items;

		end[i] = stored_end(&ev[i]);
		if (i && !trace__same_thread(&ev[i - 1], &ev[i]))
			depth = 0;
		/*
		 * Sorted by start, the longer first: what ended before i
		 * started is done. (Not at the same microsecond: a child may
		 * start in the one its parent ends in, once both are truncated.)
		 */
		while (depth && end[stack[depth - 1]] < ev[i].ts)
			depth--;
		parent[row] = -1;
		if (depth && trace__id(ev[i].p->tid) && end[i] <= end[stack[depth - 1]])
			parent[row] = ev[stack[depth - 1]].p - l->items;
		stack[depth++] = i;
	}
cleanup:
	free(ev);
	free(stack);
	free(end);
	return parent;
}
