// SPDX-License-Identifier: MIT
/*
 * Everything a session lost, by reason: BPF's counters, the writer's
 * errors, and columns left NULL; and the invocations still running when it
 * stopped, which no row can hold. Stored with the session and printed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "engine/losses.h"

#include "taskprof.h"
#include "engine/agg.h"

static uint64_t sum_percpu(int map_fd, uint32_t key)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals, sum = 0;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(map_fd, &key, vals))
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

/* Each BPF counter: its name in loss_detail, and whether it loses data. */
static const struct {
	const char *name;
	bool lost;
} bpf_reasons[TP_STAT_NR] = {
	[TP_STAT_LOST_RINGBUF] = { "ringbuf_full", true },
	[TP_STAT_LOST_DEPTH] = { "nesting_too_deep", true },
	[TP_STAT_LOST_THREAD] = { "thread_state", true },
	[TP_STAT_LOST_DESC] = { "child_charges", true },
	[TP_STAT_LOST_PROC] = { "processes_untracked", true },
	[TP_STAT_LOST_RELOAD] = { "open_at_reload", true },
	/* stored, its runtime and counters running past the unseen return */
	[TP_STAT_RET_UNSEEN] = { "returns_unseen", true },
	/* the memory peak from entry and exit readings: approximate, not lost */
	[TP_STAT_MEM_APPROX] = { "mem_peak_approximate", false },
};

static void add(struct losses *l, size_t *len, const char *name, uint64_t v, bool lost)
{
	if (lost)
		l->lost += v;
	if (*len < sizeof(l->detail))
		*len += snprintf(l->detail + *len, sizeof(l->detail) - *len, "%s%s=%llu",
				 *len ? " " : "", name, (unsigned long long)v);
}

void losses__collect(struct losses *l, int stats_fd, const struct agg *agg, uint64_t open)
{
	size_t len = 0;

	l->lost = 0;
	l->detail[0] = 0;
	for (int i = 0; i < TP_STAT_NR; i++)
		add(l, &len, bpf_reasons[i].name, sum_percpu(stats_fd, i), bpf_reasons[i].lost);
	/* invocations stored with a column short, or not stored */
	add(l, &len, "allocs_not_counted", agg->no_allocs, true);
	add(l, &len, "db_write_errors", agg->write_errors, true);
	/* only a collector that ships has a spool bound to say */
	if (agg->spool_dropped)
		add(l, &len, "spool_full", agg->spool_dropped, true);
	/* running at the stop: no row can hold them yet (informational) */
	add(l, &len, "still_open_at_stop", open, false);
	l->open = open;
}
