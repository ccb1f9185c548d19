// SPDX-License-Identifier: MIT
/*
 * The cost of /metrics with many task series: a metrics sink fed N
 * distinct tasks, rendered as a collector tick renders it, and served by
 * the real exporter child (as nobody) for curl to scrape. Prints the
 * render time, the text's size, and the port it serves on; stays up until
 * stdin closes.
 *
 * usage: metrics_bench NTASKS ADDRESS:PORT
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profile_repo.h"
#include "base/util.h"
#include "service/exporter.h"
#include "sink/metrics.h"
#include "sink/sink.h"

int main(int argc, char **argv)
{
	int ntasks = argc > 2 ? atoi(argv[1]) : 0;
	struct sink *m = metrics_sink__new(ntasks + 1);
	struct exporter *x;
	char name[64], err[256], *text = NULL, line[16];
	size_t len = 0;
	uint64_t t0, t1;
	FILE *f;

	/* the exporter's child is this program again (/proc/self/exe) */
	if (argc > 1 && !strcmp(argv[1], TP_EXPORTER_CMD))
		return exporter__main(argc - 1, argv + 1);
	if (argc != 3 || !m)
		return 2;
	for (int i = 0; i < ntasks * 10; i++) {
		struct profile p = { .status = "completed", .runtime_seconds = 0.001 * (i % 97),
				     .cpu_user_seconds = 0.001, .memory_usage_peak_mb = 50 + i % 13,
				     .exceptions_raised = PROFILE_NULL_I64 };

		snprintf(name, sizeof(name), "task_%04d", i % ntasks);
		p.process_name = name;
		p.stage = "ingest";
		p.env = "bench";
		sink__observe(m, &p);
	}
	t0 = tp_now_ns(CLOCK_MONOTONIC);
	f = open_memstream(&text, &len);
	metrics_sink__render(m, f);
	fclose(f);
	t1 = tp_now_ns(CLOCK_MONOTONIC);
	printf("render: %.2f ms for %d task series, %zu bytes\n", (t1 - t0) / 1e6, ntasks, len);
	x = exporter__start(argv[2], 65534, 65534, err, sizeof(err));
	if (!x || exporter__publish(x, text, len)) {
		fprintf(stderr, "metrics_bench: %s\n", x ? "cannot publish" : err);
		return 1;
	}
	printf("serving\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	exporter__stop(x);
	free(text);
	sink__close(m);
	return 0;
}
