// SPDX-License-Identifier: MIT
/* The ring-buffer handler, fed synthetic records, into a :memory: repo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "profile_repo.h"
#include "taskprof.h"
#include "engine/agg.h"
#include "engine/ratelimit.h"
#include "plan/plan.h"

static const struct agg_task tasks[] = {
	{ .name = "extract_records", .symbol = "extract_records", .binary = "/bin/p" },
	{ .name = "compress", .symbol = "compress_block", .binary = "/bin/p" },
};

static struct tp_event event(uint32_t task)
{
	struct tp_event e = {
		
		.start_ns = 1000000000ULL,
		.end_ns = 1500000000ULL, /* 0.5 s */
		.rss_peak = 200ULL << 20,
		.pid = 10,
		.tid = 11,
		.task = task,
		.status = TP_COMPLETED,
		.cpus = 2,
	};
	e.ctr[TP_CPU_NS] = 400000000ULL; /* 0.4 s on CPU */
	e.ctr[TP_UTIME_NS] = 300000000ULL;
	e.ctr[TP_STIME_NS] = 100000000ULL;
	e.ctr[TP_IOWAIT_NS] = 25000000ULL;
	e.ctr[TP_READ_BYTES] = 16 << 20;
	e.ctr[TP_WRITE_BYTES] = 8 << 20;
	e.ctr[TP_NET_TX] = 2500000;
	e.ctr[TP_NET_RX] = 100000;
	e.ctr[TP_ALLOCS] = 1300;
	e.ctr[TP_EXCEPTIONS] = 1;
	return e;
}

static void test_event_to_profile(void **s)
{
	struct agg a = { .tasks = tasks, .ntasks = 2, .env = "prod", .stage = "clean",
			 .allocs = true, .mono_to_real_ns = 1700000000000000000LL };
	struct tp_event e = event(1);
	struct profile p;

	agg__event_to_profile(&a, &e, &p);
	assert_string_equal(p.process_name, "compress");
	assert_string_equal(p.symbol, "compress_block");
	assert_string_equal(p.env, "prod");
	assert_string_equal(p.stage, "clean");
	assert_string_equal(p.status, "completed");
	assert_true(p.runtime_seconds == 0.5);
	assert_int_equal(p.cpu_cores, 2);
	/* the exact on-CPU total, split by the tick ratio 3:1 */
	assert_true(p.cpu_user_seconds > 0.2999999 && p.cpu_user_seconds < 0.3000001);
	assert_true(p.cpu_system_seconds > 0.0999999 && p.cpu_system_seconds < 0.1000001);
	assert_true(p.cpu_user_utilization > 0.2999999 && p.cpu_user_utilization < 0.3000001);
	assert_true(p.cpu_system_utilization > 0.0999999 && p.cpu_system_utilization < 0.1000001);
	assert_true(p.memory_usage_peak_mb == 200.0);
	assert_int_equal(p.memory_allocations, 1300);
	assert_int_equal(p.file_read_bytes, 16 << 20);
	assert_int_equal(p.file_write_bytes, 8 << 20);
	assert_true(p.io_wait_time_seconds == 0.025);
	assert_int_equal(p.network_data_sent_bytes, 2500000);
	assert_int_equal(p.network_data_received_bytes, 100000);
	assert_int_equal(p.exceptions_raised, 1);
	/* 1.7e18 + 1.0 s = 2023-11-14T22:13:21Z */
	assert_string_equal(p.task_start_time, "2023-11-14T22:13:21.000000Z");
	assert_string_equal(p.task_end_time, "2023-11-14T22:13:21.500000Z");
}

static void test_allocs_null_when_off(void **s)
{
	struct agg a = { .tasks = tasks, .ntasks = 2 };
	struct tp_event e = event(0);
	struct profile p;

	agg__event_to_profile(&a, &e, &p);
	assert_true(p.memory_allocations == PROFILE_NULL_I64);
}

static void test_no_ticks_counts_as_user(void **s)
{
	struct agg a = { .tasks = tasks, .ntasks = 2 };
	struct tp_event e = event(0);
	struct profile p;

	e.ctr[TP_UTIME_NS] = e.ctr[TP_STIME_NS] = 0;
	agg__event_to_profile(&a, &e, &p);
	assert_true(p.cpu_user_seconds == 0.4);
	assert_true(p.cpu_system_seconds == 0.0);
}

static void test_statuses(void **s)
{
	struct agg a = { .tasks = tasks, .ntasks = 2 };
	struct tp_event e = event(0);
	struct profile p;

	e.status = TP_UNWOUND;
	agg__event_to_profile(&a, &e, &p);
	assert_string_equal(p.status, "unwound");
	e.status = TP_EXITED;
	agg__event_to_profile(&a, &e, &p);
	assert_string_equal(p.status, "exited");
}

static void test_handler_batches_into_repo(void **s)
{
	struct profile_repo *r = profile_repo__open(":memory:", 0);
	struct agg a = { .repo = r, .tasks = tasks, .ntasks = 2 };
	struct profile_list l;

	assert_non_null(r);
	assert_int_equal(agg__init(&a, 100), 0);
	for (int i = 0; i < 250; i++) {
		struct tp_event e = event(i % 2);

		e.tid = 100 + i;
		assert_int_equal(agg__handle(&a, &e, sizeof(e)), 0);
	}
	/* two full batches went out by themselves; the rest waits for a flush */
	assert_int_equal(a.written, 200);
	assert_int_equal(agg__flush(&a), 0);
	assert_int_equal(a.seen, 250);
	assert_int_equal(a.written, 250);
	assert_int_equal(profile_repo__get_by_process(r, "compress", &l), 0);
	assert_int_equal(l.len, 125);
	assert_int_equal(l.items[0].tid, 101);
	profile_list__free(&l);
	agg__fini(&a);
	profile_repo__close(r);
}

static void test_short_record_ignored(void **s)
{
	struct agg a = { .tasks = tasks, .ntasks = 2 };
	char junk[8] = { 0 };

	assert_int_equal(agg__init(&a, 4), 0);
	assert_int_equal(agg__handle(&a, junk, sizeof(junk)), 0);
	assert_int_equal(a.seen, 0);
	agg__fini(&a);
}

static int64_t count_where(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A record of task ending at mono second sec + ms/1000. */
static int feed(struct agg *a, uint32_t task, int sec, int ms)
{
	struct tp_event e = event(task);

	e.end_ns = (uint64_t)sec * 1000000000ULL + (uint64_t)ms * 1000000ULL;
	e.start_ns = e.end_ns - 1000;
	return agg__handle(a, &e, sizeof(e));
}

/*
 * Task 0 may store 3 rows a second: of 7 ending in one second, 3 are rows
 * and 4 a rollup; a late one for that second, after the next second has
 * begun, still counts against it. Task 1 has no limit. Rows plus rolled-up
 * invocations of each second are its invocations.
 */
static void test_rate_limit_rolls_up(void **s)
{
	struct agg_task limited[] = {
		{ .name = "extract", .max_rows = 3 },
		{ .name = "load" },
	};
	char path[64];
	struct agg a = { .tasks = limited, .ntasks = 2, .mono_to_real_ns = 0 };
	sqlite3 *db;

	snprintf(path, sizeof(path), "/tmp/agg-%d.db", getpid());
	unlink(path);
	a.repo = profile_repo__open(path, 0);
	assert_non_null(a.repo);
	a.session_id = profile_repo__session_begin(a.repo, "collect", "extract load", "x");
	assert_true(a.session_id > 0);
	a.limits = ratelimit__new(2);
	assert_non_null(a.limits);
	assert_int_equal(agg__init(&a, 4), 0); /* flushes mid-second too */
	for (int i = 0; i < 7; i++)
		assert_int_equal(feed(&a, 0, 100, 100 + i), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(feed(&a, 1, 100, 200 + i), 0);
	assert_int_equal(feed(&a, 0, 101, 0), 0);
	assert_int_equal(feed(&a, 0, 101, 1), 0);
	assert_int_equal(feed(&a, 0, 100, 999), 0); /* late */
	assert_int_equal(agg__flush(&a), 0);
	assert_int_equal(a.seen, 15);
	assert_int_equal(a.write_errors, 0);
	assert_int_equal(ratelimit__rolled(a.limits), 5);
	agg__fini(&a);
	ratelimit__free(a.limits);
	profile_repo__close(a.repo);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(count_where(db, "SELECT count(*) FROM profiles WHERE process_name = "
					 "'extract' AND task_end_time LIKE '1970-01-01T00:01:40%'"), 3);
	assert_int_equal(count_where(db, "SELECT count(*) FROM profiles WHERE process_name = "
					 "'extract' AND task_end_time LIKE '1970-01-01T00:01:41%'"), 2);
	assert_int_equal(count_where(db, "SELECT count(*) FROM profiles WHERE process_name = "
					 "'load'"), 5);
	assert_int_equal(count_where(db, "SELECT count(*) FROM rollups"), 1);
	assert_int_equal(count_where(db, "SELECT invocations * 10 + completed FROM rollups WHERE "
					 "process_name = 'extract' AND second = "
					 "'1970-01-01T00:01:40.000000Z'"), 55);
	/* each rolled-up invocation wrote 8 MiB: the sum holds all five */
	assert_int_equal(count_where(db, "SELECT sum_file_write_bytes FROM rollups"), 5 * (8 << 20));
	sqlite3_close(db);
	unlink(path);
	strcat(path, "-wal"); /* the writer's side files stay (PERSIST_WAL) */
	unlink(path);
	strcpy(path + strlen(path) - 3, "shm");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_to_profile),
		cmocka_unit_test(test_allocs_null_when_off),
		cmocka_unit_test(test_no_ticks_counts_as_user),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_handler_batches_into_repo),
		cmocka_unit_test(test_short_record_ignored),
		cmocka_unit_test(test_rate_limit_rolls_up),
	};
	return cmocka_run_group_tests_name("agg", tests, NULL, NULL);
}
