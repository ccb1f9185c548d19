/* SPDX-License-Identifier: MIT */
/*
 * The aggregator: ring-buffer records to profiles, written in batches
 * through a sink (sink/sink.h) with the rollups of tasks beyond their rate.
 */
#ifndef TP_ENGINE_AGG_H
#define TP_ENGINE_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct agg_task;
struct marker_table;
struct profile;
struct profile_repo;
struct ratelimit;
struct sink;
struct tp_event;

struct agg {
	struct sink *sink;         /* where batches go (sink/sink.h) */
	/* or, with no sink, a repository agg__init puts a local sink over
	 * (tests and benches); it stays the caller's */
	struct profile_repo *repo;
	bool own_sink;
	const struct agg_task *tasks;
	size_t ntasks;
	const char *env;
	const char *stage;
	int64_t session_id;
	bool allocs;
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct marker_table *markers; /* what marker ids name (markers.c) */
	bool marker_exc_unknown;      /* no Python raise hook: markers' exceptions NULL */
	struct ratelimit *limits; /* NULL: every invocation is a row */
	struct profile *pending;
	size_t npending;
	size_t cap;
	uint64_t seen;
	uint64_t written;
	uint64_t write_errors;
	uint64_t no_allocs;      /* rows whose allocations could not be counted */
	uint64_t spool_dropped;  /* stored rows a collector's spool bound deleted unshipped */
};

int agg__init(struct agg *a, size_t batch);
void agg__fini(struct agg *a);
/* ring_buffer_sample_fn: ctx is the struct agg. */
int agg__handle(void *ctx, void *data, size_t len);
int agg__flush(struct agg *a);
/* Fills p; its strings are borrowed from a and must not be freed. */
void agg__event_to_profile(const struct agg *a, const struct tp_event *e, struct profile *p);

#endif /* TP_ENGINE_AGG_H */
