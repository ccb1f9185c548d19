// SPDX-License-Identifier: MIT
/*
 * Turns invocation records into profiles and writes them in batches, with
 * the rollups of tasks beyond their rate (ratelimit.c). The handler takes
 * its aggregator as context, so tests can feed it records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/agg.h"

#include "profile_repo.h"
#include "taskprof.h"
#include "base/util.h"
#include "engine/marker_table.h"
#include "sink/sink.h"
#include "engine/ratelimit.h"
#include "plan/plan.h"

/* BPF's end of a frame (taskprof.h) as the status column says it */
static const enum profile_status status_of[TP_NR_STATUS] = {
	[TP_COMPLETED] = PROFILE_COMPLETED,
	[TP_UNWOUND] = PROFILE_UNWOUND,
	[TP_EXITED] = PROFILE_EXITED,
};

int agg__init(struct agg *a, size_t batch)
{
	a->cap = batch ? batch : 1024;
	a->pending = calloc(a->cap, sizeof(*a->pending));
	a->npending = 0;
	a->markers = marker_table__new();
	if (!a->sink && a->repo) {
		a->sink = sink__over_repo(a->repo);
		a->own_sink = a->sink != NULL;
		if (!a->sink)
			return -ENOMEM;
	}
	return a->pending && a->markers ? 0 : -ENOMEM;
}

void agg__fini(struct agg *a)
{
	if (!a)
		return;
	free(a->pending);
	a->pending = NULL;
	a->npending = 0;
	marker_table__free(a->markers);
	a->markers = NULL;
	if (a->own_sink) {
		sink__close(a->sink);
		a->sink = NULL;
		a->own_sink = false;
	}
}

/* A marker region is named by its own call: its name, and the stage and env
 * it gave (as the specification's decorator takes them from the task). */
static void marker_names(const struct agg *a, const struct tp_event *e, struct profile *p)
{
	const char *name, *stage, *env;

	if (!marker_table__get(a->markers, e->pid, e->marker, &name, &stage, &env))
		return; /* its record was lost (counted): the declared name stands */
	p->process_name = (char *)name;
	if (stage)
		p->stage = (char *)stage;
	if (env)
		p->env = (char *)env;
}

void agg__event_to_profile(const struct agg *a, const struct tp_event *e, struct profile *p)
{
	const struct agg_task *t = e->task < a->ntasks ? &a->tasks[e->task] : NULL;
	uint64_t dur = e->end_ns > e->start_ns ? e->end_ns - e->start_ns : 0;
	double cpu = e->ctr[TP_CPU_NS] / 1e9, user, sys, denom;
	uint64_t ticks = e->ctr[TP_UTIME_NS] + e->ctr[TP_STIME_NS];

	memset(p, 0, sizeof(*p));
	p->session_id = a->session_id;
	/* strings are borrowed from the aggregator: no copy per record */
	p->env = (char *)a->env;
	p->stage = (char *)(t && t->stage ? t->stage : a->stage);
	p->process_name = t ? t->name : "?";
	p->symbol = t ? t->symbol : NULL;
	p->binary = t ? t->binary : NULL;
	if (e->marker)
		marker_names(a, e, p);
	p->status = (char *)profile_status__name(e->status < TP_NR_STATUS ? status_of[e->status]
								 : PROFILE_EXITED);
	p->approximate = (e->flags & TP_EV_END_APPROX) != 0;
	tp_iso_time(e->start_ns + a->mono_to_real_ns, p->task_start_time,
		    sizeof(p->task_start_time));
	tp_iso_time(e->end_ns + a->mono_to_real_ns, p->task_end_time, sizeof(p->task_end_time));
	p->runtime_seconds = dur / 1e9;
	p->cpu_cores = e->cpus ? e->cpus : 1;
	/*
	 * The on-CPU total is the scheduler's sum_exec_runtime; utime and stime
	 * are tick samples, good only for the ratio. getrusage splits the same
	 * way.
	 */
	if (ticks) {
		user = cpu * ((double)e->ctr[TP_UTIME_NS] / ticks);
		sys = cpu - user;
	} else {
		user = cpu;
		sys = 0;
	}
	p->cpu_user_seconds = user;
	p->cpu_system_seconds = sys;
	denom = p->runtime_seconds * p->cpu_cores;
	p->cpu_user_utilization = denom > 0 ? user / denom : 0;
	p->cpu_system_utilization = denom > 0 ? sys / denom : 0;
	p->memory_usage_peak_mb = e->rss_peak / (1024.0 * 1024.0);
	/* not asked for, or not counted everywhere the invocation ran: unknown */
	p->memory_allocations = a->allocs && !(e->flags & TP_EV_NO_ALLOCS) ?
					(int64_t)e->ctr[TP_ALLOCS] : PROFILE_NULL_I64;
	p->file_read_bytes = e->ctr[TP_READ_BYTES];
	p->file_write_bytes = e->ctr[TP_WRITE_BYTES];
	p->io_wait_time_seconds = e->ctr[TP_IOWAIT_NS] / 1e9;
	p->network_data_sent_bytes = e->ctr[TP_NET_TX];
	p->network_data_received_bytes = e->ctr[TP_NET_RX];
	p->exceptions_raised = e->ctr[TP_EXCEPTIONS];
	/* a Python region's raises go uncounted where no interpreter is hooked */
	if (e->marker && a->marker_exc_unknown)
		p->exceptions_raised = PROFILE_NULL_I64;
	p->pid = e->pid;
	p->tid = e->tid;
}

/* The pending rows and rollups, in one transaction. */
int agg__flush(struct agg *a)
{
	const struct rollup *ru = NULL;
	size_t nru = 0;
	uint64_t rolled;
	int err = 0;

	if (a->limits)
		ru = ratelimit__pending(a->limits, &nru);
	if (!a->npending && !nru)
		return 0;
	if (a->sink)
		err = sink__write_batch(a->sink, a->pending, a->npending, ru, nru);
	rolled = a->limits ? ratelimit__clear(a->limits) : 0;
	if (err) {
		a->write_errors += a->npending + rolled;
	} else {
		a->written += a->npending;
	}
	a->npending = 0;
	return err;
}

/* Whether the record goes beyond its task's rate: then it is rolled up. */
static bool over_rate(struct agg *a, const struct tp_event *e)
{
	int64_t sec;

	if (!a->limits || e->task >= a->ntasks || !a->tasks[e->task].max_rows)
		return false;
	sec = ((int64_t)e->end_ns + a->mono_to_real_ns) / 1000000000LL;
	return !ratelimit__admit(a->limits, e->task, sec, a->tasks[e->task].max_rows);
}

int agg__handle(void *ctx, void *data, size_t len)
{
	struct agg *a = ctx;
	const struct tp_event *e = data;

	if (len == sizeof(struct tp_marker_rec) &&
	    ((const struct tp_marker_rec *)data)->magic == TP_MARKER_MAGIC) {
		if (marker_table__put(a->markers, data))
			a->write_errors++;
		return 0;
	}
	if (len < sizeof(*e))
		return 0; /* a wake-up (frames.bpf.h want_rss), not an event */
	a->seen++;
	if (a->allocs && (e->flags & TP_EV_NO_ALLOCS))
		a->no_allocs++;
	agg__event_to_profile(a, e, &a->pending[a->npending]);
	if (a->sink)
		sink__observe(a->sink, &a->pending[a->npending]);
	if (!over_rate(a, e))
		a->npending++;
	else if (ratelimit__roll(a->limits, &a->pending[a->npending]))
		a->write_errors++; /* no memory for its rollup */
	if (a->npending == a->cap)
		agg__flush(a);
	return 0;
}
