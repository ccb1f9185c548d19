// SPDX-License-Identifier: MIT
/*
 * Opening a repository: look before writing (a corrupt or foreign file
 * stays untouched), create or migrate the schema (user_version), WAL and
 * busy_timeout, and prepare every statement once.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repo_internal.h"

/* Statements with fixed text; the profile ones come from the column table. */
static const char *const fixed_sql[ST_NR] = {
	[ST_EXISTS] = "SELECT 1 FROM profiles WHERE id = ?",
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

static int read_user_version(sqlite3 *db, int *version, int *ntables)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*ntables = sqlite3_column_int(st, 0);
	else if (rc == SQLITE_OK)
		rc = sqlite3_errcode(db);
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else if (rc == SQLITE_OK)
		rc = sqlite3_errcode(db);
	sqlite3_finalize(st);
	return rc;
}

/* The current schema for a new file, or the upgrades an older one needs,
 * then user_version: one transaction. */
static int write_schema(struct profile_repo *repo, int from)
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

bool repo__read_only_stmt(enum stmt_id i)
{
	return i == ST_GET_ALL || i == ST_GET_BY_PROCESS || i == ST_FIND || i == ST_GET ||
	       i == ST_EXISTS || i == ST_SESSION_GET || i == ST_SESSION_LAST || i == ST_SESSION_LIST ||
	       i == ST_ROLLED_UP || i == ST_STATUS_GET;
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
	case ST_ROLLED_UP:
		/* files before v3 have no rollups: nothing was rolled up */
		return version < 3 && readonly ? "SELECT 0" : fixed_sql[i];
	case ST_SESSION_GET:
		if (readonly && version < 3)
			return version < 2 ? session_get_v1 : session_get_v2;
		return fixed_sql[i];
	case ST_SESSION_LIST:
		return *owned = session_list(stmt_text(ST_SESSION_GET, version, readonly, owned));
	case ST_ROLLUP_INSERT:
		return *owned = columns__insert_rollup();
	case ST_STATUS_GET:
		/* an older file read as it is has no collector table: nothing runs */
		return version < 3 && readonly ? "SELECT 1 WHERE 0" : fixed_sql[i];
	default:
		return fixed_sql[i];
	}
}

static int prepare_all(struct profile_repo *repo, int version, const char *path)
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
			return ENOMEM;
		}
		rc = sqlite3_prepare_v3(repo->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &repo->st[i],
					NULL);
		free(owned);
		if (rc != SQLITE_OK) {
			repo__set_err(repo_open_err, sizeof(repo_open_err),
				      "repo: cannot prepare a statement on %s: %s", path,
				      sqlite3_errmsg(repo->db));
			return EIO;
		}
	}
	return 0;
}

void profile_repo__close(struct profile_repo *repo)
{
	if (!repo)
		return;
	for (int i = 0; i < ST_NR; i++)
		sqlite3_finalize(repo->st[i]);
	sqlite3_close(repo->db);
	free(repo);
}

/* Whether path may be opened: it exists (or may be made) and is a file. */
static int check_path(const char *path, bool readonly, bool *exists)
{
	struct stat sb;
	bool memory = !strcmp(path, ":memory:");

	*exists = memory || stat(path, &sb) == 0;
	if (!*exists && readonly) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: no database at %s: record a session first, or pass --db", path);
		return ENOENT;
	}
	if (*exists && !memory && !S_ISREG(sb.st_mode)) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: %s is not a regular file: pass --db FILE", path);
		return EISDIR;
	}
	return 0;
}

static int open_handle(struct profile_repo *repo, const char *path, bool readonly, bool exists)
{
	int oflags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	int rc;

	if (!exists)
		oflags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &repo->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK && exists && access(path, readonly ? R_OK : R_OK | W_OK)) {
		/* a collector's database: readable by root and its readers group */
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: cannot open %s: %s: ask its owner for access (a collector's "
			      "database is for root and the group named by readers =)",
			      path, strerror(errno));
		return -EACCES;
	}
	if (rc != SQLITE_OK) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: cannot open %s: %s: check that its directory exists and is "
			      "writable", path,
			      repo->db ? sqlite3_errmsg(repo->db) : sqlite3_errstr(rc));
		return -repo__errno(rc);
	}
	sqlite3_busy_timeout(repo->db, BUSY_TIMEOUT_MS);
	return 0;
}

/* Look before writing anything: a corrupt or foreign file stays untouched. */
static int inspect(struct profile_repo *repo, const char *path, int *version)
{
	int ntables = 0;

	if (read_user_version(repo->db, version, &ntables) != SQLITE_OK) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: %s is not a usable SQLite database (%s): it was left "
			      "untouched; pass --db with a new path", path, sqlite3_errmsg(repo->db));
		return EILSEQ;
	}
	if (*version > SCHEMA_VERSION) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: %s has schema version %d, newer than this taskprof's %d: "
			      "upgrade taskprof", path, *version, SCHEMA_VERSION);
		return EPROTO;
	}
	if (*version == 0 && ntables > 0) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: %s holds tables that are not taskprof's: it was left "
			      "untouched; pass --db with a new path", path);
		return EILSEQ;
	}
	return 0;
}

/*
 * WAL, so readers never wait for the writer; then the schema. The -wal and
 * -shm files stay after the last writer closes: a reader who may read the
 * database but not write its directory (the collector's readers group)
 * can open it read-only only while they exist (SQLite 3.22+).
 */
static int make_writable(struct profile_repo *repo, const char *path, int version)
{
	char *msg = NULL;
	int rc = SQLITE_OK, err, one = 1;

	if (strcmp(path, ":memory:"))
		sqlite3_file_control(repo->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	if (strcmp(path, ":memory:"))
		/* checkpoint every ~16 MB of WAL rather than every 4 MB: fewer
		 * double writes while a burst is stored */
		rc = sqlite3_exec(repo->db, "PRAGMA journal_mode = WAL; "
				  "PRAGMA synchronous = NORMAL; "
				  "PRAGMA wal_autocheckpoint = 4000; "
				  "PRAGMA cache_size = -16384", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		repo__set_err(repo_open_err, sizeof(repo_open_err),
			      "repo: cannot write %s: %s: pass --db with a writable path", path,
			      msg ? msg : sqlite3_errmsg(repo->db));
		sqlite3_free(msg);
		return -repo__errno(rc);
	}
	err = write_schema(repo, version);
	if (err)
		repo__set_err(repo_open_err, sizeof(repo_open_err), "%s: pass --db with a writable path",
			      repo->err);
	return -err;
}

struct profile_repo *profile_repo__open(const char *path, unsigned int flags)
{
	bool readonly = flags & PROFILE_REPO_READONLY, exists;
	struct profile_repo *repo = NULL;
	int version = 0, err;

	repo_open_err[0] = 0;
	/* no global allocation statistics: they take a mutex on every malloc */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	err = check_path(path, readonly, &exists);
	if (!err) {
		repo = calloc(1, sizeof(*repo));
		err = repo ? 0 : ENOMEM;
	}
	if (!err) {
		repo->flags = flags;
		err = open_handle(repo, path, readonly, exists);
	}
	if (!err)
		err = inspect(repo, path, &version);
	/* WAL without its -shm, in a directory a reader may not write: the
	 * file as it stands, unlocked (no writer has it open, or -shm would be) */
	if (err == EILSEQ && readonly && sqlite3_errcode(repo->db) == SQLITE_READONLY) {
		err = repo__reopen_immutable(repo, path);
		if (!err)
			err = inspect(repo, path, &version);
	}
	if (!err && !readonly) {
		err = make_writable(repo, path, version);
		version = SCHEMA_VERSION; /* migrated */
	}
	/* an empty file read as it is: nothing to read, nothing to prepare */
	if (!err && (!readonly || version > 0))
		err = prepare_all(repo, version, path);
	if (!err)
		return repo;
	profile_repo__close(repo);
	errno = err;
	return NULL;
}
