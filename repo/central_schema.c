// SPDX-License-Identifier: MIT
/*
 * The central PostgreSQL schema (central_schema.h), generated from the
 * column table like the SQLite one, so the two never drift apart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "central_schema.h"
#include "profile_repo.h"

/* Any fixed number: every collector's schema creation takes the same lock. */
#define SCHEMA_LOCK_KEY 7420013

const char *central_schema__type(int kind)
{
	switch (kind) {
	case PROFILE_I64:
	case PROFILE_REF:
		return "bigint";
	case PROFILE_REAL:
		return "double precision";
	case PROFILE_TIME:
		return "timestamptz";
	default:
		return "text";
	}
}

/* One statement with no result rows; err gets libpq's first line. */
static int exec(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	int st = PQresultStatus(r), ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok) {
		snprintf(err, errlen, "postgresql: %s", PQresultErrorMessage(r));
		err[strcspn(err, "\n")] = 0;
	}
	PQclear(r);
	return ok ? 0 : -EIO;
}

static size_t rollup_columns(char *sql, size_t n, size_t cap)
{
	for (int c = 0; c < PROFILE_NCOLS && n < cap; c++)
		if (profile_columns[c].metric)
			n += snprintf(sql + n, cap - n, ", \"sum_%s\" double precision, "
				      "\"max_%s\" double precision", profile_columns[c].name,
				      profile_columns[c].name);
	return n;
}

static int create_tables(PGconn *c, char *err, size_t errlen)
{
	char sql[16384];
	size_t n = 0;

	n += snprintf(sql + n, sizeof(sql) - n,
		      "CREATE TABLE IF NOT EXISTS taskprof_schema (version integer NOT NULL);"
		      "CREATE TABLE IF NOT EXISTS sessions ("
		      " id bigint GENERATED ALWAYS AS IDENTITY UNIQUE, host text NOT NULL,"
		      " spool text NOT NULL, local_id bigint NOT NULL, global_id text NOT NULL,"
		      " target text, tasks text, started_at timestamptz, ended_at timestamptz,"
		      " events_seen bigint, events_lost bigint, loss_detail text, status text,"
		      " PRIMARY KEY (host, spool, local_id));"
		      "CREATE TABLE IF NOT EXISTS ship_marks (host text NOT NULL, spool text NOT NULL,"
		      " shipped_id bigint NOT NULL, rollup_mark bigint NOT NULL DEFAULT 0,"
		      " PRIMARY KEY (host, spool));"
		      "CREATE TABLE IF NOT EXISTS rollups (host text NOT NULL, spool text NOT NULL,"
		      " session_id bigint NOT NULL, process_name text NOT NULL,"
		      " second timestamptz NOT NULL, invocations bigint NOT NULL,"
		      " completed bigint NOT NULL, unwound bigint NOT NULL, exited bigint NOT NULL");
	n = rollup_columns(sql, n, sizeof(sql));
	n += snprintf(sql + n, sizeof(sql) - n,
		      ", PRIMARY KEY (host, spool, session_id, process_name, second));"
		      "CREATE TABLE IF NOT EXISTS profiles ("
		      " id bigint GENERATED ALWAYS AS IDENTITY UNIQUE, host text NOT NULL,"
		      " spool text NOT NULL, local_id bigint NOT NULL");
	for (int col = 0; col < PROFILE_NCOLS && n < sizeof(sql); col++)
		n += snprintf(sql + n, sizeof(sql) - n, ", \"%s\" %s", profile_columns[col].name,
			      central_schema__type(profile_columns[col].kind));
	snprintf(sql + n, sizeof(sql) - n,
		 ", PRIMARY KEY (host, spool, local_id));"
		 "CREATE INDEX IF NOT EXISTS profiles_task ON profiles (process_name, task_start_time);"
		 "CREATE INDEX IF NOT EXISTS profiles_host ON profiles (host, task_start_time);"
		 "CREATE INDEX IF NOT EXISTS profiles_session ON profiles (host, spool, session_id);"
		 "CREATE INDEX IF NOT EXISTS profiles_time ON profiles (task_start_time);"
		 "INSERT INTO taskprof_schema SELECT %d WHERE NOT EXISTS "
		 "(SELECT 1 FROM taskprof_schema);", CENTRAL_SCHEMA_VERSION);
	return exec(c, sql, err, errlen);
}

int central_schema__check(PGconn *c, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, "SELECT max(version) FROM taskprof_schema");
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
	int v = ok && !PQgetisnull(r, 0, 0) ? atoi(PQgetvalue(r, 0, 0)) : 0;

	if (!ok) {
		/* 42P01: undefined_table, a database no collector shipped to */
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		int none = state && !strcmp(state, "42P01");

		snprintf(err, errlen, "postgresql: %s", none ? "no taskprof schema there: no "
			 "collector has shipped to it yet" : PQresultErrorMessage(r));
		err[strcspn(err, "\n")] = 0;
		PQclear(r);
		return none ? -ENOENT : -EIO;
	}
	PQclear(r);
	if (v > CENTRAL_SCHEMA_VERSION) {
		snprintf(err, errlen, "postgresql: the central schema is version %d, newer than "
			 "this taskprof's %d: upgrade taskprof", v, CENTRAL_SCHEMA_VERSION);
		return -EPROTO;
	}
	return 0;
}

int central_schema__create(PGconn *c, char *err, size_t errlen)
{
	char lock[96], ignored[64];
	int rc, unlocked;

	snprintf(lock, sizeof(lock), "SET client_min_messages = warning;"
		 "SELECT pg_advisory_lock(%d)", SCHEMA_LOCK_KEY);
	rc = exec(c, lock, err, errlen);
	if (rc)
		return rc;
	rc = create_tables(c, err, errlen);
	if (!rc)
		rc = central_schema__check(c, err, errlen);
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_unlock(%d)", SCHEMA_LOCK_KEY);
	/* the first failure is the one said */
	unlocked = exec(c, lock, rc ? ignored : err, rc ? sizeof(ignored) : errlen);
	return rc ? rc : unlocked;
}
