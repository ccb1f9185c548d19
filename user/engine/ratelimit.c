// SPDX-License-Identifier: MIT
/*
 * Rate limits of the collector's tasks: up to max_rows invocations of a
 * task ending in one second are stored as rows; the rest of that second are
 * rolled up, per task and second, with their count, the sum and maximum of
 * every metric, and their statuses. Rows plus rolled-up invocations of a
 * second are exactly the invocations of that second: none is dropped.
 *
 * Records reach the collector nearly, not exactly, in end order (one ring
 * buffer, several CPUs), so each task counts its last few seconds, not
 * just the latest one.
 */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ratelimit.h"

#include "profile_repo.h"

#define WINDOW 4 /* seconds a task keeps its row counts for */

struct rate_window {
	int64_t sec[WINDOW];
	uint32_t rows[WINDOW];
};

struct ratelimit {
	struct rate_window *w;  /* by task */
	size_t ntasks;
	struct rollup *pending; /* for the next flush */
	size_t npending, cap;
	uint64_t rolled;        /* invocations rolled up so far */
};

struct ratelimit *ratelimit__new(size_t ntasks)
{
	struct ratelimit *r = calloc(1, sizeof(*r));

	if (r)
		r->w = calloc(ntasks ? ntasks : 1, sizeof(*r->w));
	if (!r || !r->w) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->ntasks = ntasks;
	for (size_t t = 0; t < ntasks; t++)
		for (int i = 0; i < WINDOW; i++)
			r->w[t].sec[i] = -1;
	return r;
}

void ratelimit__free(struct ratelimit *r)
{
	if (!r)
		return;
	free(r->w);
	free(r->pending);
	free(r);
}

/* Whether another row of task in second sec fits under max. */
bool ratelimit__admit(struct ratelimit *r, uint32_t task, int64_t sec, uint32_t max)
{
	struct rate_window *w;
	int oldest = 0;

	if (!max || task >= r->ntasks)
		return true;
	w = &r->w[task];
	for (int i = 0; i < WINDOW; i++) {
		if (w->sec[i] == sec) {
			if (w->rows[i] >= max)
				return false;
			w->rows[i]++;
			return true;
		}
		if (w->sec[i] < w->sec[oldest])
			oldest = i;
	}
	/* older than every second counted: its count is gone, roll it up */
	if (sec < w->sec[oldest])
		return false;
	w->sec[oldest] = sec;
	w->rows[oldest] = 1;
	return true;
}

/* Counts p, one invocation beyond the limit, into its second's rollup. */
int ratelimit__roll(struct ratelimit *r, const struct profile *p)
{
	char second[PROFILE_TIME_LEN];
	struct rollup *ru = NULL;

	/* "YYYY-MM-DDTHH:MM:SS" of its end, the second it counts in */
	snprintf(second, sizeof(second), "%.19s.000000Z", p->task_end_time);
	for (size_t i = 0; i < r->npending && !ru; i++)
		if (!strcmp(r->pending[i].second, second) &&
		    !strcmp(r->pending[i].process_name, p->process_name))
			ru = &r->pending[i];
	if (!ru) {
		if (r->npending == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 16;
			struct rollup *n = realloc(r->pending, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			r->pending = n;
			r->cap = cap;
		}
		ru = &r->pending[r->npending++];
		memset(ru, 0, sizeof(*ru));
		ru->session_id = p->session_id;
		ru->process_name = p->process_name; /* the aggregator's: lives as long */
		memcpy(ru->second, second, sizeof(second));
	}
	rollup__add(ru, p);
	r->rolled++;
	return 0;
}

const struct rollup *ratelimit__pending(const struct ratelimit *r, size_t *n)
{
	*n = r->npending;
	return r->pending;
}

/* Invocations in the pending rollups; they are then forgotten. */
uint64_t ratelimit__clear(struct ratelimit *r)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->npending; i++)
		n += r->pending[i].invocations;
	r->npending = 0;
	return n;
}

uint64_t ratelimit__rolled(const struct ratelimit *r)
{
	return r->rolled;
}
