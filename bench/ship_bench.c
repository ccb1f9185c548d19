// SPDX-License-Identifier: MIT
/*
 * Shipping cost without the collector: every row of a spool (a database
 * agg_bench filled) shipped to a PostgreSQL the way the collector's thread
 * ships them, batch by batch with the mark. Prints rows/s and the
 * shipper's own CPU per row (the server's is its own).
 *
 * usage: ship_bench DB CONNINFO
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "profile_repo.h"
#include "base/util.h"
#include "sink/postgres.h"

#define BATCH 5000

int main(int argc, char **argv)
{
	struct profile_repo *repo;
	struct postgres *pg;
	struct profile_list l;
	struct rusage ru;
	int64_t mark = 0, n = 0;
	uint64_t t0, t1;
	char err[512];

	if (argc != 3)
		return 2;
	repo = profile_repo__open(argv[1], PROFILE_REPO_READONLY);
	pg = repo ? postgres__connect(argv[2], err, sizeof(err)) : NULL;
	if (!pg) {
		fprintf(stderr, "ship_bench: %s\n", repo ? err : profile_repo__open_error());
		return 1;
	}
	t0 = tp_now_ns(CLOCK_MONOTONIC);
	while (!profile_repo__get_after(repo, mark, BATCH, &l) && l.len) {
		struct ship_batch b = { .rows = l.items, .nrows = l.len };

		if (postgres__ship(pg, "bench", argv[1], &b, err, sizeof(err))) {
			fprintf(stderr, "ship_bench: %s\n", err);
			return 1;
		}
		mark = l.items[l.len - 1].id;
		n += l.len;
		profile_list__free(&l);
	}
	t1 = tp_now_ns(CLOCK_MONOTONIC);
	getrusage(RUSAGE_SELF, &ru);
	printf("%.0f rows/s, %.2f us CPU per row\n", n / ((t1 - t0) / 1e9),
	       (ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 +
		ru.ru_stime.tv_usec) / (n ? n : 1));
	postgres__close(pg);
	profile_repo__close(repo);
	return 0;
}
