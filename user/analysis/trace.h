/* SPDX-License-Identifier: MIT */
/*
 * Chrome Trace Event JSON (Perfetto) of a session's invocations.
 */
#ifndef TP_ANALYSIS_TRACE_H
#define TP_ANALYSIS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct profile;
struct profile_list;
struct session;

struct trace_event {
	const struct profile *p;
	int64_t ts, dur; /* microseconds since the epoch, and long */
};
/* A pid or tid; 0 for a row that has none (one a user added by hand). */
long long trace__id(int64_t v);
bool trace__same_thread(const struct trace_event *a, const struct trace_event *b);
/* Events sorted per thread, start first and longest first, with any that
 * would overlap its parent's end cut to nest; returns how many were cut.
 * *bad counts rows whose start time could not be read (placed at 0). */
size_t trace__events(const struct profile_list *l, struct trace_event **out, size_t *bad);
int trace__write(FILE *f, const struct profile_list *l, const struct session *sessions,
		 size_t nsessions, size_t *cut, size_t *bad);

#endif /* TP_ANALYSIS_TRACE_H */
