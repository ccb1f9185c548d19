// SPDX-License-Identifier: MIT
/*
 * Marked regions in C under `record -t marker:...`: names, stage and env
 * from the region, nesting, regions ending out of order, the unwound
 * status a region reports, threads, CPU against CLOCK_THREAD_CPUTIME_ID,
 * and a marker declared by name taking only its own regions.
 *
 * usage: test_markers BUILD_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const struct profile *find(const struct profile_list *l, const char *name, int nth)
{
	for (size_t i = 0; i < l->len; i++)
		if (!strcmp(l->items[i].process_name, name) && nth-- == 0)
			return &l->items[i];
	return NULL;
}

static size_t count(const struct profile_list *l, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < l->len; i++)
		n += !strcmp(l->items[i].process_name, name);
	return n;
}

static void record_markers(const char *task, struct profile_list *l, char *gt)
{
	const char *tasks[] = { task, NULL };
	char *cmd[] = { (char *)test_bin("marker_target"), NULL };
	char *db = fresh_db("markers.db");
	struct profile_repo *r;

	snprintf(gt, PATH_MAX, "%s/gt-markers", scratch);
	setenv("TP_GT", gt, 1);
	assert_int_equal(record_argv(db, tasks, NULL, cmd), 0);
	unsetenv("TP_GT");
	r = profile_repo__open(db, PROFILE_REPO_READONLY);
	assert_non_null(r);
	assert_int_equal(profile_repo__get_all(r, l), 0);
	profile_repo__close(r);
}

static void test_every_marker(void **s)
{
	struct profile_list l;
	char gt[PATH_MAX], key[32];
	const struct profile *a, *b, *p;

	(void)s;
	record_markers("marker:*", &l, gt);
	assert_int_equal(count(&l, "spin"), 4);
	assert_int_equal(count(&l, "inner"), 4);
	assert_int_equal(count(&l, "thread_region"), 3);
	for (int i = 0; i < 4; i++) {
		const struct profile *in = find(&l, "inner", i);

		p = find(&l, "spin", i);
		if (!in || !p)
			fail_msg("spin or inner %d has no row", i);
		assert_true(strcmp(in->task_start_time, p->task_start_time) >= 0);
		assert_true(strcmp(in->task_end_time, p->task_end_time) <= 0);
		snprintf(key, sizeof(key), "spin_cpu_%d", i);
		assert_near(p->cpu_user_seconds + p->cpu_system_seconds, gt_get(gt, key),
			    0.05 * gt_get(gt, key) + 200e-6);
		assert_string_equal(p->symbol, "marker:*");
	}
	a = find(&l, "coro_a", 0);
	b = find(&l, "coro_b", 0);
	if (!a || !b)
		fail_msg("coro_a or coro_b has no row");
	assert_string_equal(a->status, "completed");
	assert_string_equal(b->status, "unwound");
	assert_string_equal(a->stage, "stage1");
	assert_string_equal(a->env, "prod");
	assert_true(strcmp(a->task_end_time, b->task_end_time) < 0); /* a ended first */
	assert_true(b->runtime_seconds > a->runtime_seconds);
	assert_int_not_equal(find(&l, "thread_region", 0)->tid, find(&l, "spin", 0)->tid);
	profile_list__free(&l);
}

static void test_marker_by_name(void **s)
{
	struct profile_list l;
	char gt[PATH_MAX];

	(void)s;
	record_markers("marker:inner", &l, gt);
	assert_int_equal(l.len, 4);
	assert_int_equal(count(&l, "inner"), 4);
	profile_list__free(&l);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_marker),
		cmocka_unit_test(test_marker_by_name),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("markers", tests, NULL, NULL);
}
