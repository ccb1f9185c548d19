// SPDX-License-Identifier: MIT
/*
 * The schema: the tables of a new file, and the upgrades of an older one
 * step by step to SCHEMA_VERSION (user_version), in one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo_columns.h"
#include "repo_internal.h"
#include "repo_schema.h"

/* The base version's sessions, with their status, and the index by task. */
static const char create_sessions[] =
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY,"
	" target TEXT NOT NULL,"
	" tasks TEXT NOT NULL,"
	" started_at TEXT NOT NULL,"
	" ended_at TEXT,"
	" events_seen INTEGER NOT NULL DEFAULT 0,"
	" events_lost INTEGER NOT NULL DEFAULT 0,"
	" loss_detail TEXT,"
	" status TEXT NOT NULL DEFAULT 'completed'"
	"  CHECK (status IN ('running', 'completed', 'aborted')));"
	"CREATE INDEX profiles_process_name ON profiles(process_name);";

/*
 * Upgrades of older files: entry i moves a file from version i to i + 1. A
 * new file gets the version 2 schema at once (profiles from the column
 * table, sessions with their status), then the later entries. NULL: the
 * step's SQL is generated (generated_step).
 */
static const char *const migrations[SCHEMA_VERSION] = {
	[1] = "ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'completed'"
	      " CHECK (status IN ('running', 'completed', 'aborted'));",
	[2] = NULL, /* v3: rollups, collector_status, sessions.config */
	[3] = NULL, /* v4: profiles.approximate */
	/* v5: rollups.seq, the order they last changed in, for shipping them
	 * (a rollup changes after it is made, so an id is no high-water mark),
	 * and the marks of what was shipped, by server, kept with the spool */
	[4] = "ALTER TABLE rollups ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
	      "UPDATE rollups SET seq = id;"
	      "CREATE INDEX rollups_seq ON rollups(seq);"
	      "CREATE TABLE ship_marks (target TEXT PRIMARY KEY,"
	      " rows INTEGER NOT NULL, rollups INTEGER NOT NULL);"
	      /* this file's own: a new file at the same path restarts its ids,
	       * and must not pass for the one a server already holds */
	      "CREATE TABLE spool (id TEXT NOT NULL);"
	      "INSERT INTO spool VALUES (lower(hex(randomblob(16))));",
};
#define BASE_VERSION 2

static const char create_status[] =
	"ALTER TABLE sessions ADD COLUMN config TEXT;"
	"CREATE TABLE collector_status ("
	" session_id INTEGER PRIMARY KEY REFERENCES sessions(id),"
	" updated_at TEXT NOT NULL,"
	" collector_pid INTEGER NOT NULL,"
	" report TEXT NOT NULL);";

/* A step whose SQL comes from the column table; caller frees. */
static char *generated_step(int v)
{
	char *rollups, *sql;

	if (v != 2)
		return columns__add_since(v + 1);
	rollups = columns__create_rollups();
	sql = rollups ? malloc(strlen(rollups) + sizeof(create_status)) : NULL;
	if (sql) {
		strcpy(sql, rollups);
		strcat(sql, create_status);
	}
	free(rollups);
	return sql;
}

static int run_step(struct profile_repo *repo, int v, char **msg)
{
	char *sql;
	int rc;

	if (migrations[v])
		return sqlite3_exec(repo->db, migrations[v], NULL, NULL, msg);
	sql = generated_step(v);
	rc = sql ? sqlite3_exec(repo->db, sql, NULL, NULL, msg) : SQLITE_NOMEM;
	free(sql);
	return rc;
}

int schema__write(struct profile_repo *repo, int from)
{
	char pragma[64], *msg = NULL, *profiles = NULL;
	int rc, v;

	if (from >= SCHEMA_VERSION)
		return 0;
	rc = sqlite3_exec(repo->db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
	if (from == 0 && rc == SQLITE_OK) {
		profiles = columns__create_table(BASE_VERSION);
		rc = profiles ? sqlite3_exec(repo->db, profiles, NULL, NULL, &msg) : SQLITE_NOMEM;
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(repo->db, create_sessions, NULL, NULL, &msg);
		free(profiles);
		from = BASE_VERSION;
	}
	for (v = from; v < SCHEMA_VERSION && rc == SQLITE_OK; v++)
		rc = run_step(repo, v, &msg);
	/* PRAGMA takes no bound parameters; the version is our own integer */
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(repo->db, pragma, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(repo->db, "COMMIT", NULL, NULL, &msg);
	else
		sqlite3_exec(repo->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		repo__set_err(repo->err, sizeof(repo->err), "repo: cannot write the schema: %s",
			      msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return repo__errno(rc);
}
