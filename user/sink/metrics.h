/* SPDX-License-Identifier: MIT */
/*
 * Running task metrics, as a sink: every invocation observed (rows and
 * those a rate limit rolls up alike) is counted by (task, stage, env), and
 * the counts are written in Prometheus' text format (0.0.4). Tasks past
 * max_tasks fold into task="other", and the fold is counted.
 */
#ifndef TP_SINK_METRICS_H
#define TP_SINK_METRICS_H

#include <stdint.h>
#include <stdio.h>

struct sink;

/* runtime buckets, seconds: 1 ms to 10 min */
#define METRICS_RUNTIME_BUCKETS 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, \
				2.5, 5, 10, 30, 60, 120, 300, 600
/* memory peak buckets, bytes: 1 MiB to 64 GiB, by fours */
#define METRICS_MEMORY_BUCKETS 0x100000p0, 0x400000p0, 0x1000000p0, 0x4000000p0, \
			       0x10000000p0, 0x40000000p0, 0x100000000p0, 0x400000000p0, \
			       0x1000000000p0

/* NULL and errno without memory. */
struct sink *metrics_sink__new(uint32_t max_tasks);
/* Every task series, with HELP and TYPE lines. s must be a metrics sink. */
int metrics_sink__render(struct sink *s, FILE *out);
/* Invocations counted under task="other" because the cap was reached. */
uint64_t metrics_sink__folded(const struct sink *s);

#endif /* TP_SINK_METRICS_H */
