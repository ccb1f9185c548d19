// SPDX-License-Identifier: MIT
/*
 * Collector cost without BPF: N synthetic records through the ring-buffer
 * handler into a SQLite file, as `record` does. Prints records/s and CPU ns
 * per record.
 *
 * usage: agg_bench DB N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "profile_repo.h"
#include "taskprof.h"
#include "base/util.h"
#include "engine/agg.h"
#include "plan/plan.h"

int main(int argc, char **argv)
{
	static const struct agg_task tasks[] = { { .name = "bench_task", .symbol = "bench_task",
						   .binary = "/bin/bench" } };
	struct profile_repo *repo;
	struct agg a = { .tasks = tasks, .ntasks = 1, .env = "bench", .stage = "bench" };
	struct rusage ru;
	uint64_t t0, t1;
	long n;

	if (argc < 3)
		return 2;
	unlink(argv[1]);
	repo = profile_repo__open(argv[1], 0);
	if (!repo) {
		fprintf(stderr, "%s\n", profile_repo__open_error());
		return 1;
	}
	a.repo = repo;
	a.session_id = profile_repo__session_begin(repo, "bench", "bench", "now");
	n = atol(argv[2]);
	if (agg__init(&a, 4096))
		return 1;
	t0 = tp_now_ns(CLOCK_MONOTONIC);
	for (long i = 0; i < n; i++) {
		struct tp_event e = { .start_ns = t0 + i * 1000, .end_ns = t0 + i * 1000 + 700,
				      .cpus = 2, .pid = 1, .tid = 1 };

		e.ctr[TP_CPU_NS] = 650;
		agg__handle(&a, &e, sizeof(e));
	}
	agg__flush(&a);
	t1 = tp_now_ns(CLOCK_MONOTONIC);
	getrusage(RUSAGE_SELF, &ru);
	printf("%.0f records/s, %.0f ns CPU per record\n", n / ((t1 - t0) / 1e9),
	       (ru.ru_utime.tv_sec * 1e9 + ru.ru_utime.tv_usec * 1e3 + ru.ru_stime.tv_sec * 1e9 +
		ru.ru_stime.tv_usec * 1e3) / n);
	agg__fini(&a);
	profile_repo__close(repo);
	return 0;
}
