// SPDX-License-Identifier: MIT
/*
 * Everything a session lost, by reason: BPF's counters, the writer's
 * errors, and columns left NULL; and the invocations still running when it
 * stopped, which no row can hold. Stored with the session and printed.
 */
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tp.h"

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

void losses__collect(struct losses *l, int stats_fd, const struct agg *agg, uint64_t open)
{
	uint64_t st[TP_STAT_NR];

	for (int i = 0; i < TP_STAT_NR; i++)
		st[i] = sum_percpu(stats_fd, i);
	/* invocations missing, or stored with a column short; the memory peak
	 * from entry and exit readings is approximate, not lost */
	l->lost = st[TP_STAT_LOST_RINGBUF] + st[TP_STAT_LOST_DEPTH] + st[TP_STAT_LOST_THREAD] +
		  st[TP_STAT_LOST_DESC] + st[TP_STAT_LOST_PROC] + agg->write_errors +
		  agg->no_allocs;
	snprintf(l->detail, sizeof(l->detail),
		 "ringbuf_full=%llu nesting_too_deep=%llu thread_state=%llu child_charges=%llu "
		 "processes_untracked=%llu allocs_not_counted=%llu db_write_errors=%llu "
		 "mem_peak_approximate=%llu still_open_at_stop=%llu",
		 (unsigned long long)st[TP_STAT_LOST_RINGBUF],
		 (unsigned long long)st[TP_STAT_LOST_DEPTH],
		 (unsigned long long)st[TP_STAT_LOST_THREAD],
		 (unsigned long long)st[TP_STAT_LOST_DESC],
		 (unsigned long long)st[TP_STAT_LOST_PROC], (unsigned long long)agg->no_allocs,
		 (unsigned long long)agg->write_errors,
		 (unsigned long long)st[TP_STAT_MEM_APPROX], (unsigned long long)open);
	l->open = open;
}
