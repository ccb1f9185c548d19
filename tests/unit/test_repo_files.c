// SPDX-License-Identifier: MIT
/*
 * ProfileRepo on files: the schema and WAL, version 1 files migrated, every
 * column's round trip, and files that are missing, corrupt, foreign or
 * unwritable left as they were.
 */
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

static const char *scratch_dir = "/tmp";

static char *scratch(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/repo-%d-%s", scratch_dir, getpid(), name);
	return buf;
}

/* A database and the -wal and -shm files its writers keep (PERSIST_WAL). */
static void remove_db(const char *path)
{
	char side[4200];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* A version 1 file, as taskprof wrote it before sessions had a status, is
 * read as it is, and
 * migrated on the first write: its sessions count as completed. */
static void test_migrates_v1(void **state)
{
	char *path = strdup(scratch("v1.db"));
	struct profile_repo *r;
	struct session s;
	sqlite3 *db;

	remove_db(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TABLE sessions (id INTEGER PRIMARY KEY, target TEXT NOT NULL,"
				      " tasks TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT,"
				      " events_seen INTEGER NOT NULL DEFAULT 0,"
				      " events_lost INTEGER NOT NULL DEFAULT 0, loss_detail TEXT);"
				      "CREATE TABLE profiles (id INTEGER PRIMARY KEY, env TEXT, stage TEXT,"
				      " process_name TEXT NOT NULL, task_start_time TEXT NOT NULL,"
				      " task_end_time TEXT NOT NULL, runtime_seconds REAL NOT NULL,"
				      " cpu_cores INTEGER, cpu_user_utilization REAL,"
				      " cpu_system_utilization REAL, memory_usage_peak_mb REAL,"
				      " memory_allocations INTEGER, file_read_bytes INTEGER,"
				      " file_write_bytes INTEGER, io_wait_time_seconds REAL,"
				      " network_data_sent_bytes INTEGER, network_data_received_bytes INTEGER,"
				      " exceptions_raised INTEGER, pid INTEGER, tid INTEGER, symbol TEXT,"
				      " binary TEXT, status TEXT NOT NULL, cpu_user_seconds REAL,"
				      " cpu_system_seconds REAL, session_id INTEGER);"
				      "INSERT INTO sessions (target, tasks, started_at) VALUES ('old', 'a=f', 'x');"
				      "INSERT INTO profiles (process_name, task_start_time, task_end_time,"
				      " runtime_seconds, status, session_id) VALUES ('t', 'a', 'b', 1, 'completed', 1);"
				      "PRAGMA user_version = 1;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	r = profile_repo__open(path, PROFILE_REPO_READONLY);
	assert_non_null(r);
	assert_int_equal(profile_repo__get_session(r, 1, &s), 0);
	assert_string_equal(s.status, "completed");
	session__free(&s);
	/* what stats, sessions and report read, as the old file is */
	{
		struct session *all;
		struct profile_list l;
		size_t n;

		assert_int_equal(profile_repo__list_sessions(r, &all, &n), 0);
		assert_int_equal(n, 1);
		assert_string_equal(all[0].status, "completed");
		session__free(&all[0]);
		free(all);
		assert_int_equal(profile_repo__rolled_up(r, 1, NULL), 0);
		assert_int_equal(profile_repo__last_session(r), 1);
		assert_int_equal(profile_repo__find(r, 1, NULL, &l), 0);
		assert_int_equal(l.len, 1);
		/* a column the file predates reads as NULL */
		assert_true(l.items[0].approximate == PROFILE_NULL_I64);
		profile_list__free(&l);
	}
	profile_repo__close(r);
	r = profile_repo__open(path, 0);
	assert_non_null(r);
	assert_int_equal(profile_repo__get_session(r, 1, &s), 0);
	assert_string_equal(s.target, "old");
	assert_string_equal(s.status, "completed");
	session__free(&s);
	/* and the tables and columns of versions 3 and 4 are there: an old row
	 * keeps its unknown NULL, a new one its value */
	assert_int_equal(profile_repo__store(r, NULL, 0, NULL, 0), 0);
	{
		struct profile p = { .process_name = "n", .task_start_time = "a",
				     .task_end_time = "b", .approximate = 1, .session_id = 1 };
		struct profile_list l;

		assert_true(profile_repo__add(r, &p) > 0);
		assert_int_equal(profile_repo__find(r, 1, NULL, &l), 0);
		assert_int_equal(l.len, 2);
		assert_true(l.items[0].approximate == PROFILE_NULL_I64);
		assert_true(l.items[1].approximate == 1);
		profile_list__free(&l);
	}
	assert_int_equal(profile_repo__put_status(r, 1, "x", 1, "r"), 0);
	profile_repo__close(r);
	remove_db(path);
	free(path);
}

/*
 * Every column holds a value no other holds; after a round trip through a
 * file each comes back in its own field, and each sits in the database
 * column of its name. A swapped, dropped or misnamed column fails here.
 * The expectations are written out by hand, apart from the column table.
 */
static void test_every_column_round_trips(void **state)
{
	static const struct {
		const char *column;
		const char *text; /* or NULL: a number */
		double number;
	} want[] = {
		{ "env", "env-1", 0 }, { "stage", "stage-2", 0 },
		{ "process_name", "name-3", 0 },
		{ "task_start_time", "2026-01-01T00:00:04.000004Z", 0 },
		{ "task_end_time", "2026-01-01T00:00:05.000005Z", 0 },
		{ "runtime_seconds", NULL, 6.5 }, { "cpu_cores", NULL, 7 },
		{ "cpu_user_utilization", NULL, 8.5 }, { "cpu_system_utilization", NULL, 9.5 },
		{ "cpu_user_seconds", NULL, 10.5 }, { "cpu_system_seconds", NULL, 11.5 },
		{ "memory_usage_peak_mb", NULL, 12.5 }, { "memory_allocations", NULL, 13 },
		{ "file_read_bytes", NULL, 14 }, { "file_write_bytes", NULL, 15 },
		{ "io_wait_time_seconds", NULL, 16.5 }, { "network_data_sent_bytes", NULL, 17 },
		{ "network_data_received_bytes", NULL, 18 }, { "exceptions_raised", NULL, 19 },
		{ "pid", NULL, 20 }, { "tid", NULL, 21 }, { "symbol", "symbol-22", 0 },
		{ "binary", "binary-23", 0 }, { "status", "unwound", 0 },
		{ "approximate", NULL, 1 },
	};
	struct profile p = {
		.env = "env-1", .stage = "stage-2", .process_name = "name-3",
		.task_start_time = "2026-01-01T00:00:04.000004Z",
		.task_end_time = "2026-01-01T00:00:05.000005Z",
		.runtime_seconds = 6.5, .cpu_cores = 7, .cpu_user_utilization = 8.5,
		.cpu_system_utilization = 9.5, .cpu_user_seconds = 10.5, .cpu_system_seconds = 11.5,
		.memory_usage_peak_mb = 12.5, .memory_allocations = 13, .file_read_bytes = 14,
		.file_write_bytes = 15, .io_wait_time_seconds = 16.5, .network_data_sent_bytes = 17,
		.network_data_received_bytes = 18, .exceptions_raised = 19, .pid = 20, .tid = 21,
		.symbol = "symbol-22", .binary = "binary-23", .status = "unwound",
		.approximate = 1,
	}, got;
	char *path = strdup(scratch("roundtrip.db")), sql[128];
	struct profile_repo *r;
	int64_t session, id;
	sqlite3 *db;

	remove_db(path);
	r = profile_repo__open(path, 0);
	assert_non_null(r);
	session = profile_repo__session_begin(r, "t", "a=f", "x");
	p.session_id = session;
	id = profile_repo__add(r, &p);
	assert_true(id > 0);
	assert_int_equal(profile_repo__get(r, id, &got), 0);
	profile_repo__close(r);
	/* every field back in its own place */
	assert_int_equal(got.session_id, session);
	assert_string_equal(got.env, p.env);
	assert_string_equal(got.stage, p.stage);
	assert_string_equal(got.process_name, p.process_name);
	assert_string_equal(got.task_start_time, p.task_start_time);
	assert_string_equal(got.task_end_time, p.task_end_time);
	assert_true(got.runtime_seconds == 6.5 && got.cpu_cores == 7);
	assert_true(got.cpu_user_utilization == 8.5 && got.cpu_system_utilization == 9.5);
	assert_true(got.cpu_user_seconds == 10.5 && got.cpu_system_seconds == 11.5);
	assert_true(got.memory_usage_peak_mb == 12.5 && got.memory_allocations == 13);
	assert_true(got.file_read_bytes == 14 && got.file_write_bytes == 15);
	assert_true(got.io_wait_time_seconds == 16.5 && got.network_data_sent_bytes == 17);
	assert_true(got.network_data_received_bytes == 18 && got.exceptions_raised == 19);
	assert_true(got.pid == 20 && got.tid == 21);
	assert_string_equal(got.symbol, p.symbol);
	assert_string_equal(got.binary, p.binary);
	assert_string_equal(got.status, p.status);
	assert_true(got.approximate == 1);
	profile__free(&got);
	/* and each value in the database column that has its name */
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		sqlite3_stmt *st;

		/* column names are this test's own constants, not input */
		snprintf(sql, sizeof(sql), "SELECT %s FROM profiles WHERE id = ?", want[i].column);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_int64(st, 1, id);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		if (want[i].text)
			assert_string_equal((const char *)sqlite3_column_text(st, 0), want[i].text);
		else if (sqlite3_column_double(st, 0) != want[i].number)
			fail_msg("column %s holds %f, not %f", want[i].column,
				 sqlite3_column_double(st, 0), want[i].number);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	remove_db(path);
	free(path);
}

static void test_file_schema_wal_version(void **state)
{
	char *path = strdup(scratch("schema.db"));
	struct profile_repo *r = profile_repo__open(path, 0);
	sqlite3 *db;
	sqlite3_stmt *st;

	assert_non_null(r);
	profile_repo__close(r);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 5);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* reopening migrates nothing and keeps data */
	r = profile_repo__open(path, 0);
	assert_non_null(r);
	profile_repo__close(r);
	remove_db(path);
	free(path);
}

static void test_readonly_missing_creates_nothing(void **state)
{
	char *path = scratch("missing.db");
	struct stat sb;

	errno = 0;
	assert_null(profile_repo__open(path, PROFILE_REPO_READONLY));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(profile_repo__open_error(), "no database"));
	assert_int_equal(stat(path, &sb), -1);
}

static void test_corrupt_file_untouched(void **state)
{
	char *path = strdup(scratch("corrupt.db")), buf[8192], back[8192];
	FILE *f = fopen(path, "w");
	size_t n;

	assert_non_null(f);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 3);
	fwrite(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_null(profile_repo__open(path, 0));
	assert_non_null(strstr(profile_repo__open_error(), "left untouched"));
	assert_null(profile_repo__open(path, PROFILE_REPO_READONLY));
	f = fopen(path, "r");
	n = fread(back, 1, sizeof(back), f);
	fclose(f);
	assert_int_equal(n, sizeof(buf));
	assert_memory_equal(buf, back, sizeof(buf));
	assert_int_equal(access(scratch("corrupt.db-wal"), F_OK), -1);
	remove_db(path);
	free(path);
}

static void test_foreign_database_untouched(void **state)
{
	char *path = strdup(scratch("foreign.db"));
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE other(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(profile_repo__open(path, 0));
	assert_non_null(strstr(profile_repo__open_error(), "not taskprof's"));
	remove_db(path);
	free(path);
}

static void test_unwritable_directory(void **state)
{
	errno = 0;
	assert_null(profile_repo__open("/nonexistent-dir/x/taskprof.db", 0));
	assert_non_null(strstr(profile_repo__open_error(), "cannot open"));
}

static int64_t query_i64(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static struct profile invocation(const char *status, int64_t written, double runtime)
{
	struct profile p = { .process_name = "t", .status = (char *)status,
			     .runtime_seconds = runtime, .file_write_bytes = written,
			     .memory_allocations = PROFILE_NULL_I64 };

	return p;
}

/*
 * Invocations beyond a rate limit, rolled up in two flushes into the same
 * second, land in one row that adds them up: counts and sums add, maxima
 * keep the larger, a column no invocation had stays NULL, and rows of that
 * flush go in with them.
 */
static void test_rollups_add_up(void **state)
{
	char *path = strdup(scratch("rollup.db"));
	struct rollup a = { .process_name = "t", .second = "2026-01-01T00:00:01.000000Z" };
	struct rollup b = a, c = a;
	struct profile row = invocation("completed", 1, 0.1);
	struct profile_repo *r;
	int64_t id;
	sqlite3 *db;

	remove_db(path);
	r = profile_repo__open(path, 0);
	assert_non_null(r);
	id = profile_repo__session_begin(r, "collect", "t=f", "x");
	a.session_id = b.session_id = c.session_id = id;
	rollup__add(&a, &(struct profile){ .status = "completed", .runtime_seconds = 0.5,
					  .file_write_bytes = 100,
					  .memory_allocations = PROFILE_NULL_I64 });
	rollup__add(&a, &(struct profile){ .status = "unwound", .runtime_seconds = 0.25,
					  .file_write_bytes = 300,
					  .memory_allocations = PROFILE_NULL_I64 });
	rollup__add(&b, &(struct profile){ .status = "exited", .runtime_seconds = 2.0,
					  .file_write_bytes = 50,
					  .memory_allocations = PROFILE_NULL_I64 });
	snprintf(c.second, sizeof(c.second), "2026-01-01T00:00:02.000000Z");
	rollup__add(&c, &(struct profile){ .status = "completed", .runtime_seconds = 1.0,
					  .file_write_bytes = 7, .memory_allocations = 3 });
	snprintf(row.task_end_time, sizeof(row.task_end_time), "2026-01-01T00:00:01.5Z");
	snprintf(row.task_start_time, sizeof(row.task_start_time), "2026-01-01T00:00:01.4Z");
	assert_int_equal(profile_repo__store(r, &row, 1, &a, 1), 0);
	assert_int_equal(profile_repo__store(r, NULL, 0, (struct rollup[]){ b, c }, 2), 0);
	profile_repo__close(r);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(query_i64(db, "SELECT count(*) FROM profiles"), 1);
	assert_int_equal(query_i64(db, "SELECT count(*) FROM rollups"), 2);
	assert_int_equal(query_i64(db, "SELECT invocations * 1000 + completed * 100 + unwound * 10"
				       " + exited FROM rollups WHERE second LIKE '%01.000000Z'"),
			 3111);
	assert_int_equal(query_i64(db, "SELECT sum_file_write_bytes FROM rollups"
				       " WHERE second LIKE '%01.000000Z'"), 450);
	assert_int_equal(query_i64(db, "SELECT max_file_write_bytes FROM rollups"
				       " WHERE second LIKE '%01.000000Z'"), 300);
	assert_int_equal(query_i64(db, "SELECT round(sum_runtime_seconds * 100) FROM rollups"
				       " WHERE second LIKE '%01.000000Z'"), 275);
	assert_int_equal(query_i64(db, "SELECT max_runtime_seconds FROM rollups"
				       " WHERE second LIKE '%01.000000Z'"), 2);
	assert_int_equal(query_i64(db, "SELECT sum_memory_allocations FROM rollups"
				       " WHERE second LIKE '%01.000000Z'"), -2);
	assert_int_equal(query_i64(db, "SELECT sum_memory_allocations FROM rollups"
				       " WHERE second LIKE '%02.000000Z'"), 3);

	/* made version 4 again (no seq): the upgrade puts every rollup in line
	 * to be shipped, a read-only reader of the old file finds none */
	assert_int_equal(sqlite3_exec(db, "DROP TABLE spool; DROP TABLE ship_marks; "
				      "DROP INDEX rollups_seq; "
				      "ALTER TABLE rollups DROP "
				      "COLUMN seq; PRAGMA user_version = 4", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	{
		struct rollup_list l;
		char id[64], again[64];

		r = profile_repo__open(path, PROFILE_REPO_READONLY);
		assert_int_equal(profile_repo__rollups_after(r, 0, 10, &l), 0);
		assert_int_equal(l.len, 0);
		profile_repo__close(r);
		r = profile_repo__open(path, 0);
		assert_int_equal(profile_repo__spool_id(r, id, sizeof(id)), 0);
		assert_int_equal(strlen(id), 32); /* 128 random bits, in hex */
		assert_int_equal(profile_repo__rollups_after(r, 0, 10, &l), 0);
		assert_int_equal(l.len, 2);
		assert_true(l.items[0].seq > 0 && l.items[1].seq > l.items[0].seq);
		assert_int_equal(l.items[0].invocations + l.items[1].invocations, 4);
		rollup_list__free(&l);
		profile_repo__close(r);
		/* a new file at the same path is another spool */
		remove_db(path);
		r = profile_repo__open(path, 0);
		assert_int_equal(profile_repo__spool_id(r, again, sizeof(again)), 0);
		assert_string_not_equal(again, id);
		profile_repo__close(r);
	}
	remove_db(path);
	free(path);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrates_v1),
		cmocka_unit_test(test_every_column_round_trips),
		cmocka_unit_test(test_file_schema_wal_version),
		cmocka_unit_test(test_readonly_missing_creates_nothing),
		cmocka_unit_test(test_corrupt_file_untouched),
		cmocka_unit_test(test_foreign_database_untouched),
		cmocka_unit_test(test_unwritable_directory),
		cmocka_unit_test(test_rollups_add_up),
	};

	if (argc > 1)
		scratch_dir = argv[1];
	return cmocka_run_group_tests_name("repo_files", tests, NULL, NULL);
}
