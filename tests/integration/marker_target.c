// SPDX-License-Identifier: MIT
/*
 * Marked regions in C (marker/taskprof_marker.h) for test_markers: nested
 * regions inside one function, regions that end out of order (as
 * coroutines do), an unwound one, and one per thread. Writes the CPU each
 * `spin` region used, by CLOCK_THREAD_CPUTIME_ID, to $TP_GT.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "taskprof_marker.h"

static volatile uint64_t sink;

static double cputime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	uint64_t t = TASKPROF_BEGIN("thread_region");

	(void)arg;
	usleep(2000);
	TASKPROF_END(t);
	return NULL;
}

int main(void)
{
	FILE *gt = getenv("TP_GT") ? fopen(getenv("TP_GT"), "w") : NULL;
	uint64_t a, b;
	pthread_t th[3];

	for (int i = 0; i < 4; i++) {
		double c0 = cputime(), c1;
		uint64_t t = TASKPROF_BEGIN("spin"), u;

		for (int k = 0; k < 3000000; k++)
			sink += k;
		u = TASKPROF_BEGIN("inner");
		usleep(2000);
		TASKPROF_END(u);
		TASKPROF_END(t);
		c1 = cputime();
		if (gt)
			fprintf(gt, "spin_cpu_%d %.9f\n", i, c1 - c0);
	}
	/* a begins, b begins, a ends, b ends: as two coroutines would */
	a = taskprof_marker_token();
	b = taskprof_marker_token();
	taskprof_marker_begin(a, taskprof_marker_id(), "coro_a", "stage1", "prod");
	taskprof_marker_begin(b, taskprof_marker_id(), "coro_b", NULL, NULL);
	usleep(1000);
	taskprof_marker_end(a, TASKPROF_COMPLETED);
	usleep(1000);
	taskprof_marker_end(b, TASKPROF_UNWOUND);
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	if (gt)
		fclose(gt);
	puts("marker_target: done");
	return 0;
}
