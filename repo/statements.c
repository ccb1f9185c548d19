// SPDX-License-Identifier: MIT
/*
 * The statements: the SQL text of each one a handle runs, as the file's
 * schema version has it, prepared once when the repository is opened.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo_columns.h"
#include "repo_internal.h"
#include "repo_statements.h"

/* Statements with fixed text; the profile ones come from the column table. */
static const char *const fixed_sql[ST_NR] = {
	[ST_EXISTS] = "SELECT 1 FROM profiles WHERE id = ?",
	[ST_COUNT_AFTER] = "SELECT count(*) FROM profiles WHERE id > ?",
	[ST_REMOVE] = "DELETE FROM profiles WHERE id = ?",
	[ST_REMOVE_BY_PROCESS] = "DELETE FROM profiles WHERE process_name = ?",
	[ST_SESSION_BEGIN] = "INSERT INTO sessions (target, tasks, started_at, status) "
			     "VALUES (?,?,?,'running')",
	[ST_SESSION_END] = "UPDATE sessions SET ended_at = ?, events_seen = ?, events_lost = ?, "
			   "loss_detail = ?, status = 'completed' WHERE id = ?",
	/* only a session still running: a late guardian never rewrites an end */
	[ST_SESSION_ABORT] = "UPDATE sessions SET ended_at = ?, loss_detail = ?, "
			     "status = 'aborted' WHERE id = ? AND status = 'running'",
	[ST_SESSION_GET] = "SELECT id, target, tasks, started_at, ended_at, events_seen, "
			   "events_lost, loss_detail, status, config FROM sessions WHERE id = ?",
	[ST_ROLLED_UP] = "SELECT COALESCE(SUM(invocations), 0) FROM rollups "
			 "WHERE (?1 = 0 OR session_id = ?1) AND (?2 IS NULL OR process_name = ?2)",
	[ST_SESSION_LAST] = "SELECT MAX(id) FROM sessions",
	[ST_SESSION_SET_CONFIG] = "UPDATE sessions SET tasks = ?, config = ? WHERE id = ?",
	/* only a collector holding the database's lock calls it: any other
	 * collector session still running has lost its collector */
	[ST_SESSION_ABORT_STALE] = "UPDATE sessions SET status = 'aborted', ended_at = ?, "
				   "loss_detail = ? WHERE status = 'running' AND id IN "
				   "(SELECT session_id FROM collector_status)",
	[ST_STATUS_PUT] = "INSERT OR REPLACE INTO collector_status "
			  "(session_id, updated_at, collector_pid, report) VALUES (?,?,?,?)",
	[ST_STATUS_GET] = "SELECT c.session_id, c.updated_at, c.collector_pid, c.report, "
			  "s.status, s.ended_at FROM collector_status c "
			  "JOIN sessions s ON s.id = c.session_id "
			  "ORDER BY c.session_id DESC LIMIT 1",
	/*
	 * Rows go in as invocations end, so the oldest come first by id: a
	 * batch looks at the first 4 x batch rows only. Scanning for an end
	 * time (no index, which every insert would pay for) took 130 ms on a
	 * million rows when none was old.
	 */
	[ST_EXPIRE_PROFILES] = "DELETE FROM profiles WHERE id IN (SELECT id FROM (SELECT id, "
			       "task_end_time FROM profiles ORDER BY id LIMIT ?2 * 4) "
			       "WHERE task_end_time < ?1 LIMIT ?2)",
	[ST_EXPIRE_ROLLUPS] = "DELETE FROM rollups WHERE id IN (SELECT id FROM rollups "
			      "WHERE second < ? ORDER BY id LIMIT ?)",
	[ST_SPOOL_ID] = "SELECT id FROM spool",
	[ST_SPOOL_MARK_GET] = "SELECT rows, rollups FROM ship_marks WHERE target = ?",
	[ST_SPOOL_MARK_PUT] = "INSERT OR REPLACE INTO ship_marks VALUES (?, ?, ?)",
	/* the oldest unshipped rows beyond ?2 of them */
	[ST_SPOOL_TRIM] = "DELETE FROM profiles WHERE id IN (SELECT id FROM profiles WHERE id > ?1 "
			  "ORDER BY id LIMIT max(0, (SELECT count(*) FROM profiles WHERE id > ?1) "
			  "- ?2))",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

/* Older files read as they are: v1 sessions had no status, v2 no config. */
static const char session_get_v1[] =
	"SELECT id, target, tasks, started_at, ended_at, events_seen, events_lost, "
	"loss_detail, 'completed', NULL FROM sessions WHERE id = ?";
static const char session_get_v2[] =
	"SELECT id, target, tasks, started_at, ended_at, events_seen, events_lost, "
	"loss_detail, status, NULL FROM sessions WHERE id = ?";

/* Each session with its profile count: one scan of profiles, not one a session. */
static char *session_list(const char *get)
{
	static const char counts[] = " LEFT JOIN (SELECT session_id AS sid, COUNT(*) AS n "
				     "FROM profiles GROUP BY session_id) ON sid = id ORDER BY id";
	const char *from = strstr(get, " FROM sessions");
	char *s = malloc(strlen(get) + sizeof(counts) + 32);

	if (s)
		sprintf(s, "%.*s, COALESCE(n, 0) FROM sessions%s", (int)(from - get), get, counts);
	return s;
}

/* Every session, without counting rows: a shipper reads them each round. */
static char *session_all(const char *get)
{
	const char *where = strstr(get, " WHERE id = ?");
	char *s = malloc(strlen(get) + 16);

	if (s)
		sprintf(s, "%.*s ORDER BY id", (int)(where - get), get);
	return s;
}

/* The statement's text; *owned is set when the caller frees it. */
static const char *stmt_text(enum stmt_id i, int version, bool readonly, char **owned)
{
	switch (i) {
	case ST_INSERT:
		return *owned = columns__insert(1);
	case ST_INSERT_MANY:
		return *owned = columns__insert(INSERT_ROWS);
	case ST_GET_ALL:
		return *owned = columns__select(" ORDER BY id", version);
	case ST_GET_BY_PROCESS:
		return *owned = columns__select(" WHERE process_name = ? ORDER BY id", version);
	case ST_FIND:
		return *owned = columns__select(" WHERE (?1 = 0 OR session_id = ?1) AND "
						"(?2 IS NULL OR process_name = ?2) ORDER BY id",
						version);
	case ST_GET:
		return *owned = columns__select(" WHERE id = ?", version);
	case ST_GET_AFTER:
		return *owned = columns__select(" WHERE id > ?1 ORDER BY id LIMIT ?2", version);
	case ST_ROLLED_UP:
		/* files before v3 have no rollups: nothing was rolled up */
		return version < 3 && readonly ? "SELECT 0" : fixed_sql[i];
	case ST_SESSION_GET:
		if (readonly && version < 3)
			return version < 2 ? session_get_v1 : session_get_v2;
		return fixed_sql[i];
	case ST_SESSION_LIST:
		return *owned = session_list(stmt_text(ST_SESSION_GET, version, readonly, owned));
	case ST_SESSION_ALL:
		return *owned = session_all(stmt_text(ST_SESSION_GET, version, readonly, owned));
	case ST_ROLLUP_INSERT:
		return *owned = columns__insert_rollup();
	case ST_SPOOL_MARK_GET:
		/* an older file read as it is: nothing shipped from it yet */
		return version < 5 && readonly ? "SELECT 0, 0 WHERE 0" : fixed_sql[i];
	case ST_SPOOL_ID:
		return version < 5 && readonly ? "SELECT NULL WHERE 0" : fixed_sql[i];
	case ST_ROLLUPS_AFTER:
		/* an older file read as it is: none to ship from it */
		return version < 5 && readonly ? "SELECT 1 WHERE 0" :
		       (*owned = columns__select_rollups());
	case ST_STATUS_GET:
		/* an older file read as it is has no collector table: nothing runs */
		return version < 3 && readonly ? "SELECT 1 WHERE 0" : fixed_sql[i];
	default:
		return fixed_sql[i];
	}
}

int statements__prepare(struct profile_repo *repo, int version, const char *path)
{
	bool readonly = repo->flags & PROFILE_REPO_READONLY;

	for (int i = 0; i < ST_NR; i++) {
		char *owned = NULL;
		const char *sql;
		int rc;

		if (readonly && !repo__read_only_stmt(i))
			continue;
		sql = stmt_text(i, version, readonly, &owned);
		if (!sql) {
			repo__set_err(repo_open_err, sizeof(repo_open_err), "repo: cannot prepare %s: %s", path,
				      strerror(ENOMEM));
			return -ENOMEM;
		}
		rc = sqlite3_prepare_v3(repo->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &repo->st[i],
					NULL);
		free(owned);
		if (rc != SQLITE_OK) {
			repo__set_err(repo_open_err, sizeof(repo_open_err),
				      "repo: cannot prepare a statement on %s: %s", path,
				      sqlite3_errmsg(repo->db));
			return -EIO;
		}
	}
	return 0;
}

