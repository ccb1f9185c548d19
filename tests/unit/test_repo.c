// SPDX-License-Identifier: MIT
/* ProfileRepo on :memory:: profiles and sessions in and out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "profile_repo.h"

static struct profile sample(const char *name)
{
	struct profile p = {
		.env = "production",
		.stage = "data_cleaning",
		.process_name = (char *)name,
		.task_start_time = "2026-11-24T04:07:00.000001Z",
		.task_end_time = "2026-11-24T04:07:10.500001Z",
		.runtime_seconds = 10.5,
		.cpu_cores = 4,
		.cpu_user_utilization = 0.65,
		.cpu_system_utilization = 0.15,
		.cpu_user_seconds = 27.3,
		.cpu_system_seconds = 6.3,
		.memory_usage_peak_mb = 512.4,
		.memory_allocations = 1000,
		.file_read_bytes = 10240,
		.file_write_bytes = 20480,
		.io_wait_time_seconds = 0.5,
		.network_data_sent_bytes = 5000,
		.network_data_received_bytes = 12000,
		.exceptions_raised = 0,
		.pid = 42,
		.tid = 43,
		.symbol = "AnonymizeReviewsTask::run",
		.binary = "/usr/bin/pipeline",
		.status = "completed",
	};
	return p;
}

static int setup_mem(void **state)
{
	*state = profile_repo__open(":memory:", 0);
	return *state ? 0 : -1;
}

static int teardown_mem(void **state)
{
	profile_repo__close(*state);
	return 0;
}

static void test_add_get_roundtrip(void **state)
{
	struct profile_repo *r = *state;
	struct profile in = sample("AnonymizeReviewsTask"), out;
	int64_t id = profile_repo__add(r, &in);

	assert_true(id > 0);
	assert_int_equal(profile_repo__get(r, id, &out), 0);
	assert_int_equal(out.id, id);
	assert_string_equal(out.env, "production");
	assert_string_equal(out.stage, "data_cleaning");
	assert_string_equal(out.process_name, "AnonymizeReviewsTask");
	assert_string_equal(out.task_start_time, in.task_start_time);
	assert_string_equal(out.task_end_time, in.task_end_time);
	assert_true(out.runtime_seconds == 10.5);
	assert_int_equal(out.cpu_cores, 4);
	assert_true(out.cpu_user_utilization == 0.65);
	assert_true(out.cpu_system_utilization == 0.15);
	assert_true(out.memory_usage_peak_mb == 512.4);
	assert_int_equal(out.memory_allocations, 1000);
	assert_int_equal(out.file_read_bytes, 10240);
	assert_int_equal(out.file_write_bytes, 20480);
	assert_true(out.io_wait_time_seconds == 0.5);
	assert_int_equal(out.network_data_sent_bytes, 5000);
	assert_int_equal(out.network_data_received_bytes, 12000);
	assert_int_equal(out.exceptions_raised, 0);
	assert_int_equal(out.pid, 42);
	assert_int_equal(out.tid, 43);
	assert_string_equal(out.symbol, "AnonymizeReviewsTask::run");
	assert_string_equal(out.status, "completed");
	profile__free(&out);
}

static void test_get_missing(void **state)
{
	struct profile out;

	assert_int_equal(profile_repo__get(*state, 999, &out), -ENOENT);
}

static void test_exists_and_remove(void **state)
{
	struct profile_repo *r = *state;
	struct profile in = sample("t");
	int64_t id = profile_repo__add(r, &in);

	assert_int_equal(profile_repo__exists(r, id), 1);
	assert_int_equal(profile_repo__exists(r, id + 100), 0);
	assert_int_equal(profile_repo__remove(r, id), 0);
	assert_int_equal(profile_repo__exists(r, id), 0);
	assert_int_equal(profile_repo__remove(r, id), -ENOENT);
}

static void test_get_all_and_by_process(void **state)
{
	struct profile_repo *r = *state;
	struct profile a = sample("extract_records"), b = sample("compress_block");
	struct profile_list l;

	assert_true(profile_repo__add(r, &a) > 0);
	assert_true(profile_repo__add(r, &b) > 0);
	assert_true(profile_repo__add(r, &a) > 0);
	assert_int_equal(profile_repo__get_all(r, &l), 0);
	assert_int_equal(l.len, 3);
	assert_true(l.items[0].id < l.items[1].id && l.items[1].id < l.items[2].id);
	profile_list__free(&l);
	assert_int_equal(profile_repo__get_by_process(r, "extract_records", &l), 0);
	assert_int_equal(l.len, 2);
	assert_string_equal(l.items[1].process_name, "extract_records");
	profile_list__free(&l);
	assert_int_equal(profile_repo__get_by_process(r, "nope", &l), 0);
	assert_int_equal(l.len, 0);
	profile_list__free(&l);
}

static void test_remove_by_process(void **state)
{
	struct profile_repo *r = *state;
	struct profile a = sample("gone"), b = sample("stays");
	struct profile_list l;

	profile_repo__add(r, &a);
	profile_repo__add(r, &a);
	profile_repo__add(r, &b);
	assert_int_equal(profile_repo__remove_by_process(r, "gone"), 2);
	assert_int_equal(profile_repo__remove_by_process(r, "gone"), 0);
	assert_int_equal(profile_repo__get_all(r, &l), 0);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].process_name, "stays");
	profile_list__free(&l);
}

static void test_sql_metacharacters_verbatim(void **state)
{
	static const char evil[] = "x'); DROP TABLE profiles; -- \"%s\" \\ ;";
	struct profile_repo *r = *state;
	struct profile a = sample(evil);
	struct profile_list l;

	assert_true(profile_repo__add(r, &a) > 0);
	assert_int_equal(profile_repo__get_by_process(r, evil, &l), 0);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].process_name, evil);
	profile_list__free(&l);
	assert_int_equal(profile_repo__remove_by_process(r, evil), 1);
}

static void test_null_allocations(void **state)
{
	struct profile_repo *r = *state;
	struct profile a = sample("t"), out;
	int64_t id;

	a.memory_allocations = PROFILE_NULL_I64;
	id = profile_repo__add(r, &a);
	assert_int_equal(profile_repo__get(r, id, &out), 0);
	assert_true(out.memory_allocations == PROFILE_NULL_I64);
	profile__free(&out);
}

static void test_bad_status_rejected(void **state)
{
	struct profile a = sample("t");

	a.status = "finished";
	assert_true(profile_repo__add(*state, &a) < 0);
}

static void test_batch_is_one_transaction(void **state)
{
	struct profile_repo *r = *state;
	struct profile v[3] = { sample("a"), sample("b"), sample("c") };
	struct profile_list l;

	v[2].status = "bogus"; /* fails the CHECK: nothing of the batch may land */
	assert_true(profile_repo__add_batch(r, v, 3) < 0);
	assert_int_equal(profile_repo__get_all(r, &l), 0);
	assert_int_equal(l.len, 0);
	profile_list__free(&l);
	v[2].status = "exited";
	assert_int_equal(profile_repo__add_batch(r, v, 3), 0);
	assert_true(v[0].id > 0 && v[1].id == v[0].id + 1 && v[2].id == v[0].id + 2);
}

static void test_large_batch_ids(void **state)
{
	struct profile_repo *r = *state;
	struct profile v[70];
	char names[70][16];
	struct profile out;

	for (int i = 0; i < 70; i++) {
		snprintf(names[i], sizeof(names[i]), "task-%d", i);
		v[i] = sample(names[i]);
	}
	/* 2 multi-row statements and 6 single rows */
	assert_int_equal(profile_repo__add_batch(r, v, 70), 0);
	for (int i = 0; i < 70; i++) {
		assert_int_equal(profile_repo__get(r, v[i].id, &out), 0);
		assert_string_equal(out.process_name, names[i]);
		profile__free(&out);
	}
}

static void test_sessions(void **state)
{
	struct profile_repo *r = *state;
	struct session s;
	int64_t id = profile_repo__session_begin(r, "pid 1 (/bin/x)", "a=f", "2026-01-01T00:00:00.000000Z");

	assert_true(id > 0);
	assert_int_equal(profile_repo__session_end(r, id, "2026-01-01T00:00:01.000000Z", 10, 2,
						   "ringbuf_full=2"), 0);
	assert_int_equal(profile_repo__get_session(r, id, &s), 0);
	assert_int_equal(s.events_seen, 10);
	assert_int_equal(s.events_lost, 2);
	assert_string_equal(s.loss_detail, "ringbuf_full=2");
	assert_string_equal(s.tasks, "a=f");
	session__free(&s);
	assert_int_equal(profile_repo__session_end(r, id + 5, "x", 0, 0, NULL), -ENOENT);
}

/* A session whose collector died is closed as aborted, and only a running
 * one: a late guardian never rewrites how a session ended. */
static void test_session_abort(void **state)
{
	struct profile_repo *r = *state;
	struct session s;
	int64_t a = profile_repo__session_begin(r, "t", "a=f", "2026-01-01T00:00:00.000000Z");
	int64_t b = profile_repo__session_begin(r, "t", "a=f", "2026-01-01T00:00:00.000000Z");

	assert_int_equal(profile_repo__get_session(r, a, &s), 0);
	assert_string_equal(s.status, "running");
	session__free(&s);
	assert_int_equal(profile_repo__session_abort(r, a, "2026-01-01T00:00:02.000000Z", "died"), 0);
	assert_int_equal(profile_repo__get_session(r, a, &s), 0);
	assert_string_equal(s.status, "aborted");
	assert_string_equal(s.ended_at, "2026-01-01T00:00:02.000000Z");
	assert_string_equal(s.loss_detail, "died");
	session__free(&s);
	assert_int_equal(profile_repo__session_end(r, b, "2026-01-01T00:00:01.000000Z", 3, 0, "ok"), 0);
	assert_int_equal(profile_repo__session_abort(r, b, "2026-01-01T00:00:09.000000Z", "late"),
			 -ENOENT);
	assert_int_equal(profile_repo__get_session(r, b, &s), 0);
	assert_string_equal(s.status, "completed");
	assert_string_equal(s.loss_detail, "ok");
	session__free(&s);
}

/* Sessions listed oldest first with their profile counts; rows found by
 * session and task; rolled-up invocations counted; the newest session. */
static void test_sessions_listed(void **state)
{
	struct profile_repo *r = *state;
	int64_t a = profile_repo__session_begin(r, "first", "t=f", "2026-01-01T00:00:00.000000Z");
	int64_t b = profile_repo__session_begin(r, "second", "t=f", "2026-01-02T00:00:00.000000Z");
	struct rollup ru = { .session_id = b, .process_name = "t",
			     .second = "2026-01-02T00:00:01.000000Z", .invocations = 7 };
	struct profile p = sample("t"), q = sample("u");
	struct profile_list l;
	struct session *s;
	size_t n;

	p.session_id = a;
	q.session_id = b;
	for (int i = 0; i < 3; i++)
		assert_true(profile_repo__add(r, &p) > 0);
	assert_true(profile_repo__add(r, &q) > 0);
	assert_int_equal(profile_repo__store(r, NULL, 0, &ru, 1), 0);
	assert_int_equal(profile_repo__list_sessions(r, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].target, "first");
	assert_int_equal(s[0].profiles, 3);
	assert_int_equal(s[1].profiles, 1);
	for (size_t i = 0; i < n; i++)
		session__free(&s[i]);
	free(s);
	assert_int_equal(profile_repo__last_session(r), b);
	assert_int_equal(profile_repo__find(r, a, NULL, &l), 0);
	assert_int_equal(l.len, 3);
	profile_list__free(&l);
	assert_int_equal(profile_repo__find(r, a, "u", &l), 0);
	assert_int_equal(l.len, 0);
	profile_list__free(&l);
	assert_int_equal(profile_repo__find(r, 0, "u", &l), 0);
	assert_int_equal(l.len, 1);
	profile_list__free(&l);
	assert_int_equal(profile_repo__rolled_up(r, b, NULL), 7);
	assert_int_equal(profile_repo__rolled_up(r, a, NULL), 0);
	assert_int_equal(profile_repo__rolled_up(r, 0, "t"), 7);
}

/* Rollups go in; rows and rollups older than a moment go out, a batch at a
 * time. */
static void test_rollups_and_expiry(void **state)
{
	struct profile_repo *r = *state;
	struct rollup ru[2] = {
		{ .process_name = "t", .second = "2026-01-01T00:00:01.000000Z", .invocations = 5,
		  .completed = 4, .unwound = 1 },
		{ .process_name = "t", .second = "2026-01-03T00:00:01.000000Z", .invocations = 2,
		  .completed = 2 },
	};
	struct profile old = sample("t"), young = sample("t");

	ru[0].session_id = ru[1].session_id = profile_repo__session_begin(r, "c", "t=f", "x");
	ru[0].sum[PROFILE_COL_runtime_seconds] = 0.5;
	ru[0].max[PROFILE_COL_runtime_seconds] = 0.2;
	assert_int_equal(profile_repo__store(r, NULL, 0, ru, 2), 0);
	snprintf(old.task_end_time, sizeof(old.task_end_time), "2026-01-01T00:00:02.000000Z");
	snprintf(young.task_end_time, sizeof(young.task_end_time), "2026-01-03T00:00:02.000000Z");
	for (int i = 0; i < 3; i++)
		assert_true(profile_repo__add(r, &old) > 0);
	assert_true(profile_repo__add(r, &young) > 0);
	/* batches of 2: 2 profiles and 1 rollup, then 1 profile, then none */
	assert_int_equal(profile_repo__expire(r, "2026-01-02T00:00:00.000000Z", 2), 3);
	assert_int_equal(profile_repo__expire(r, "2026-01-02T00:00:00.000000Z", 2), 1);
	assert_int_equal(profile_repo__expire(r, "2026-01-02T00:00:00.000000Z", 2), 0);
	assert_int_equal(profile_repo__exists(r, 4), 1);
}

/* Rollups read back in the order they last changed: one added to later
 * comes after those made since, with its sums as they now stand. */
static void test_rollups_in_order_of_change(void **state)
{
	struct profile_repo *r = *state;
	struct rollup ru[2] = {
		{ .process_name = "t", .second = "2026-01-01T00:00:01.000000Z", .invocations = 5,
		  .completed = 5 },
		{ .process_name = "u", .second = "2026-01-01T00:00:01.000000Z", .invocations = 2,
		  .exited = 2 },
	};
	struct rollup_list l;
	int64_t first, last;

	ru[0].session_id = ru[1].session_id = profile_repo__session_begin(r, "c", "t=f", "x");
	ru[0].sum[PROFILE_COL_runtime_seconds] = 0.5;
	ru[0].max[PROFILE_COL_runtime_seconds] = 0.2;
	ru[0].has[PROFILE_COL_runtime_seconds] = true;
	assert_int_equal(profile_repo__store(r, NULL, 0, ru, 2), 0);
	assert_int_equal(profile_repo__store(r, NULL, 0, ru, 1), 0); /* t again */
	assert_int_equal(profile_repo__rollups_after(r, 0, 10, &l), 0);
	assert_int_equal(l.len, 2);
	assert_string_equal(l.items[0].process_name, "u");
	assert_int_equal(l.items[0].exited, 2);
	assert_false(l.items[0].has[PROFILE_COL_runtime_seconds]);
	assert_string_equal(l.items[1].process_name, "t");
	assert_true(l.items[1].seq > l.items[0].seq);
	assert_int_equal(l.items[1].invocations, 10);
	assert_true(l.items[1].has[PROFILE_COL_runtime_seconds]);
	assert_float_equal(l.items[1].sum[PROFILE_COL_runtime_seconds], 1.0, 1e-12);
	assert_float_equal(l.items[1].max[PROFILE_COL_runtime_seconds], 0.2, 1e-12);
	assert_string_equal(l.items[1].second, "2026-01-01T00:00:01.000000Z");
	/* from the first one's seq on: the second alone; from the last, none */
	first = l.items[0].seq;
	last = l.items[1].seq;
	rollup_list__free(&l);
	assert_int_equal(profile_repo__rollups_after(r, first, 10, &l), 0);
	assert_int_equal(l.len, 1);
	rollup_list__free(&l);
	assert_int_equal(profile_repo__rollups_after(r, last, 10, &l), 0);
	assert_int_equal(l.len, 0);
	rollup_list__free(&l);
}

/* The spool's marks by server, and its bound: the oldest unshipped rows
 * beyond it go, shipped ones never. */
static void test_spool_marks_and_trim(void **state)
{
	struct profile_repo *r = *state;
	struct profile p = sample("t");
	int64_t rows = -1, rollups = -1;
	struct profile_list l;

	assert_int_equal(profile_repo__spool_mark(r, "host=a", &rows, &rollups), -ENOENT);
	assert_int_equal(profile_repo__spool_set_mark(r, "host=a", 3, 7), 0);
	assert_int_equal(profile_repo__spool_set_mark(r, "host=b", 1, 1), 0);
	assert_int_equal(profile_repo__spool_mark(r, "host=a", &rows, &rollups), 0);
	assert_int_equal(rows, 3);
	assert_int_equal(rollups, 7);
	for (int i = 0; i < 10; i++)
		assert_int_equal(profile_repo__add(r, &p), i + 1);
	/* 3 shipped, 7 waiting, a bound of 4: rows 4, 5 and 6 go */
	assert_int_equal(profile_repo__spool_trim(r, 3, 4), 3);
	assert_int_equal(profile_repo__spool_trim(r, 3, 4), 0);
	assert_int_equal(profile_repo__get_all(r, &l), 0);
	assert_int_equal(l.len, 7);
	assert_int_equal(l.items[2].id, 3);
	assert_int_equal(l.items[3].id, 7);
	profile_list__free(&l);
}

/* The status of a running session, and none once it has ended. */
static void test_collector_status(void **state)
{
	struct profile_repo *r = *state;
	struct collector_status cs;
	int64_t id;

	assert_int_equal(profile_repo__get_status(r, &cs), -ENOENT);
	id = profile_repo__session_begin(r, "collect", "t=f", "x");
	assert_int_equal(profile_repo__put_status(r, id, "then", 42, "first"), 0);
	assert_int_equal(profile_repo__put_status(r, id, "now", 42, "second"), 0);
	assert_int_equal(profile_repo__get_status(r, &cs), 0);
	assert_int_equal(cs.session_id, id);
	assert_int_equal(cs.collector_pid, 42);
	assert_string_equal(cs.updated_at, "now");
	assert_string_equal(cs.report, "second");
	assert_string_equal(cs.session_status, "running");
	collector_status__free(&cs);
	/* a second collector's session that was left running, and a record's */
	assert_true(profile_repo__session_begin(r, "record", "t=f", "x") > 0);
	assert_int_equal(profile_repo__abort_stale_collectors(r, "z", "collector died"), 1);
	assert_int_equal(profile_repo__get_status(r, &cs), 0);
	assert_string_equal(cs.session_status, "aborted");
	assert_string_equal(cs.ended_at, "z");
	collector_status__free(&cs);
	assert_int_equal(profile_repo__abort_stale_collectors(r, "z", "again"), 0);
}

/* A collector's configuration is kept with its session, and replaced on reload. */
static void test_session_config(void **state)
{
	struct profile_repo *r = *state;
	struct session s;
	int64_t id = profile_repo__session_begin(r, "collect", "a", "x");

	assert_int_equal(profile_repo__get_session(r, id, &s), 0);
	assert_null(s.config);
	session__free(&s);
	assert_int_equal(profile_repo__session_set_config(r, id, "b", "[task b]\n"), 0);
	assert_int_equal(profile_repo__get_session(r, id, &s), 0);
	assert_string_equal(s.tasks, "b");
	assert_string_equal(s.config, "[task b]\n");
	session__free(&s);
	assert_int_equal(profile_repo__session_set_config(r, id + 1, "c", NULL), -ENOENT);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_get_roundtrip, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_get_missing, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_exists_and_remove, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_get_all_and_by_process, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_remove_by_process, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_sql_metacharacters_verbatim, setup_mem,
						teardown_mem),
		cmocka_unit_test_setup_teardown(test_null_allocations, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_bad_status_rejected, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_batch_is_one_transaction, setup_mem,
						teardown_mem),
		cmocka_unit_test_setup_teardown(test_large_batch_ids, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_sessions, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_session_abort, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_rollups_and_expiry, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_rollups_in_order_of_change, setup_mem,
						teardown_mem),
		cmocka_unit_test_setup_teardown(test_sessions_listed, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_spool_marks_and_trim, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_collector_status, setup_mem, teardown_mem),
		cmocka_unit_test_setup_teardown(test_session_config, setup_mem, teardown_mem),
	};

	return cmocka_run_group_tests_name("repo", tests, NULL, NULL);
}
