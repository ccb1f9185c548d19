// SPDX-License-Identifier: MIT
/*
 * ProfileRepo over SQLite. Statements are prepared once and always bound;
 * batches are one transaction; the schema is versioned by user_version.
 * The database runs in WAL mode so sqlite3 and pandas can read it while the
 * collector writes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "profile_repo.h"

#define SCHEMA_VERSION 2
/* rows per multi-row INSERT: one statement step per 32 rows is ~2x faster */
#define INSERT_ROWS 32
#define INSERT_COLS 25
#define BUSY_TIMEOUT_MS 5000

enum stmt_id {
	ST_INSERT,
	ST_INSERT_MANY,
	ST_GET_ALL,
	ST_GET_BY_PROCESS,
	ST_GET,
	ST_EXISTS,
	ST_REMOVE,
	ST_REMOVE_BY_PROCESS,
	ST_SESSION_BEGIN,
	ST_SESSION_END,
	ST_SESSION_ABORT,
	ST_SESSION_GET,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_NR,
};

#define PROFILE_COLUMNS                                                                  \
	"id, session_id, env, stage, process_name, task_start_time, task_end_time, "      \
	"runtime_seconds, cpu_cores, cpu_user_utilization, cpu_system_utilization, "      \
	"cpu_user_seconds, cpu_system_seconds, memory_usage_peak_mb, memory_allocations, " \
	"file_read_bytes, file_write_bytes, io_wait_time_seconds, "                        \
	"network_data_sent_bytes, network_data_received_bytes, exceptions_raised, "       \
	"pid, tid, symbol, binary, status"

static const char *const stmt_sql[ST_NR] = {
	[ST_INSERT] = "INSERT INTO profiles (session_id, env, stage, process_name, "
		      "task_start_time, task_end_time, runtime_seconds, cpu_cores, "
		      "cpu_user_utilization, cpu_system_utilization, cpu_user_seconds, "
		      "cpu_system_seconds, memory_usage_peak_mb, memory_allocations, "
		      "file_read_bytes, file_write_bytes, io_wait_time_seconds, "
		      "network_data_sent_bytes, network_data_received_bytes, exceptions_raised, "
		      "pid, tid, symbol, binary, status) VALUES "
		      "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_INSERT_MANY] = NULL, /* built from ST_INSERT at open */
	[ST_GET_ALL] = "SELECT " PROFILE_COLUMNS " FROM profiles ORDER BY id",
	[ST_GET_BY_PROCESS] = "SELECT " PROFILE_COLUMNS
			      " FROM profiles WHERE process_name = ? ORDER BY id",
	[ST_GET] = "SELECT " PROFILE_COLUMNS " FROM profiles WHERE id = ?",
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
			   "events_lost, loss_detail, status FROM sessions WHERE id = ?",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

/* Each entry moves the schema from version i to i + 1. */
static const char *const migrations[] = {
	"CREATE TABLE sessions ("
	" id INTEGER PRIMARY KEY,"
	" target TEXT NOT NULL,"
	" tasks TEXT NOT NULL,"
	" started_at TEXT NOT NULL,"
	" ended_at TEXT,"
	" events_seen INTEGER NOT NULL DEFAULT 0,"
	" events_lost INTEGER NOT NULL DEFAULT 0,"
	" loss_detail TEXT);"
	"CREATE TABLE profiles ("
	" id INTEGER PRIMARY KEY,"
	" env TEXT,"
	" stage TEXT,"
	" process_name TEXT NOT NULL,"
	" task_start_time TEXT NOT NULL,"
	" task_end_time TEXT NOT NULL,"
	" runtime_seconds REAL NOT NULL,"
	" cpu_cores INTEGER,"
	" cpu_user_utilization REAL,"
	" cpu_system_utilization REAL,"
	" memory_usage_peak_mb REAL,"
	" memory_allocations INTEGER,"
	" file_read_bytes INTEGER,"
	" file_write_bytes INTEGER,"
	" io_wait_time_seconds REAL,"
	" network_data_sent_bytes INTEGER,"
	" network_data_received_bytes INTEGER,"
	" exceptions_raised INTEGER,"
	" pid INTEGER,"
	" tid INTEGER,"
	" symbol TEXT,"
	" binary TEXT,"
	" status TEXT NOT NULL CHECK (status IN ('completed', 'unwound', 'exited')),"
	" cpu_user_seconds REAL,"
	" cpu_system_seconds REAL,"
	" session_id INTEGER REFERENCES sessions(id));"
	"CREATE INDEX profiles_process_name ON profiles(process_name);",
	/* v2: how a recording ended; 'aborted' when the collector died */
	"ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'completed'"
	" CHECK (status IN ('running', 'completed', 'aborted'));",
};

struct profile_repo {
	sqlite3 *db;
	sqlite3_stmt *st[ST_NR];
	unsigned int flags;
	char err[512];
};

static char open_err[512];

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

const char *profile_repo__errmsg(const struct profile_repo *repo)
{
	return repo ? repo->err : open_err;
}

const char *profile_repo__open_error(void)
{
	return open_err;
}

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EILSEQ;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CONSTRAINT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int fail(struct profile_repo *repo, int rc, const char *what)
{
	set_err(repo->err, sizeof(repo->err), "repo: %s: %s", what, sqlite3_errmsg(repo->db));
	return sqlite_errno(rc);
}

static int exec_simple(struct profile_repo *repo, int id, const char *what)
{
	sqlite3_stmt *st = repo->st[id];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(repo, rc, what);
	return 0;
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

static int migrate(struct profile_repo *repo, int from)
{
	char pragma[64];
	char *msg = NULL;
	int rc, v;

	if (from >= (int)(sizeof(migrations) / sizeof(migrations[0])))
		return 0;
	rc = sqlite3_exec(repo->db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		goto out;
	for (v = from; v < (int)(sizeof(migrations) / sizeof(migrations[0])); v++) {
		rc = sqlite3_exec(repo->db, migrations[v], NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			sqlite3_exec(repo->db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
	}
	/* PRAGMA takes no bound parameters; v is our own integer */
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
	rc = sqlite3_exec(repo->db, pragma, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(repo->db, "COMMIT", NULL, NULL, &msg);
	else
		sqlite3_exec(repo->db, "ROLLBACK", NULL, NULL, NULL);
out:
	if (rc != SQLITE_OK)
		set_err(repo->err, sizeof(repo->err), "repo: cannot write the schema: %s",
			msg ? msg : sqlite3_errmsg(repo->db));
	sqlite3_free(msg);
	return rc == SQLITE_OK ? 0 : sqlite_errno(rc);
}

/* "INSERT ... VALUES (?,...),(?,...)...": placeholders only, never data */
static char *insert_many_sql(void)
{
	const char *one = stmt_sql[ST_INSERT];
	const char *values = strstr(one, "(?");
	size_t head = values - one, tuple = strlen(values);
	char *sql = malloc(head + INSERT_ROWS * (tuple + 1) + 1), *p;

	if (!sql)
		return NULL;
	memcpy(sql, one, head);
	p = sql + head;
	for (int k = 0; k < INSERT_ROWS; k++) {
		if (k)
			*p++ = ',';
		memcpy(p, values, tuple);
		p += tuple;
	}
	*p = 0;
	return sql;
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

struct profile_repo *profile_repo__open(const char *path, unsigned int flags)
{
	struct profile_repo *repo;
	bool memory = !strcmp(path, ":memory:");
	bool readonly = flags & PROFILE_REPO_READONLY;
	int version = 0, ntables = 0, rc, err = EIO, oflags;
	struct stat sb;
	bool exists;

	open_err[0] = 0;
	/* no global allocation statistics: they take a mutex on every malloc */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	repo = calloc(1, sizeof(*repo));
	if (!repo) {
		errno = ENOMEM;
		return NULL;
	}
	repo->flags = flags;
	exists = memory || stat(path, &sb) == 0;
	if (!exists && readonly) {
		set_err(open_err, sizeof(open_err),
			"repo: no database at %s: record a session first, or pass --db", path);
		err = ENOENT;
		goto cleanup;
	}
	if (exists && !memory && !S_ISREG(sb.st_mode)) {
		set_err(open_err, sizeof(open_err), "repo: %s is not a regular file: pass --db FILE",
			path);
		err = EISDIR;
		goto cleanup;
	}
	oflags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (!exists)
		oflags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &repo->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		set_err(open_err, sizeof(open_err),
			"repo: cannot open %s: %s: check that its directory exists and is writable",
			path, repo->db ? sqlite3_errmsg(repo->db) : sqlite3_errstr(rc));
		err = -sqlite_errno(rc);
		goto cleanup;
	}
	sqlite3_busy_timeout(repo->db, BUSY_TIMEOUT_MS);
	/* Look before writing anything: a corrupt or foreign file stays untouched. */
	rc = read_user_version(repo->db, &version, &ntables);
	if (rc != SQLITE_OK) {
		set_err(open_err, sizeof(open_err),
			"repo: %s is not a usable SQLite database (%s): it was left untouched; "
			"pass --db with a new path", path, sqlite3_errmsg(repo->db));
		err = EILSEQ;
		goto cleanup;
	}
	if (version > SCHEMA_VERSION) {
		set_err(open_err, sizeof(open_err),
			"repo: %s has schema version %d, newer than this taskprof's %d: upgrade taskprof",
			path, version, SCHEMA_VERSION);
		err = EPROTO;
		goto cleanup;
	}
	if (version == 0 && ntables > 0) {
		set_err(open_err, sizeof(open_err),
			"repo: %s holds tables that are not taskprof's: it was left untouched; "
			"pass --db with a new path", path);
		err = EILSEQ;
		goto cleanup;
	}
	if (!readonly) {
		if (!memory) {
			char *msg = NULL;

			/* checkpoint every ~16 MB of WAL rather than every 4 MB:
			 * fewer double writes while a burst is stored */
			rc = sqlite3_exec(repo->db, "PRAGMA journal_mode = WAL; "
					  "PRAGMA synchronous = NORMAL; "
					  "PRAGMA wal_autocheckpoint = 4000; "
					  "PRAGMA cache_size = -16384", NULL, NULL, &msg);
			if (rc != SQLITE_OK) {
				set_err(open_err, sizeof(open_err),
					"repo: cannot write %s: %s: pass --db with a writable path",
					path, msg ? msg : sqlite3_errmsg(repo->db));
				sqlite3_free(msg);
				err = -sqlite_errno(rc);
				goto cleanup;
			}
		}
		rc = migrate(repo, version);
		if (rc) {
			set_err(open_err, sizeof(open_err), "%s: pass --db with a writable path",
				repo->err);
			err = -rc;
			goto cleanup;
		}
	} else if (version == 0) {
		/* an empty file: nothing to read, and nothing to prepare against */
		return repo;
	}
	for (int i = 0; i < ST_NR; i++) {
		char *many = NULL;
		const char *sql = stmt_sql[i];

		if (i == ST_INSERT_MANY) {
			if (readonly)
				continue;
			many = insert_many_sql();
			if (!many) {
				err = ENOMEM;
				goto cleanup;
			}
			sql = many;
		}
		/* a v1 file read as it is: its sessions had no status column */
		if (i == ST_SESSION_GET && version < 2 && readonly)
			sql = "SELECT id, target, tasks, started_at, ended_at, events_seen, "
			      "events_lost, loss_detail, 'completed' FROM sessions WHERE id = ?";
		if (readonly && (i == ST_INSERT || i == ST_REMOVE || i == ST_REMOVE_BY_PROCESS ||
				 i == ST_SESSION_BEGIN || i == ST_SESSION_END ||
				 i == ST_SESSION_ABORT || i == ST_BEGIN))
			continue;
		rc = sqlite3_prepare_v3(repo->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &repo->st[i],
					NULL);
		free(many);
		if (rc != SQLITE_OK) {
			set_err(open_err, sizeof(open_err), "repo: cannot prepare a statement on %s: %s",
				path, sqlite3_errmsg(repo->db));
			err = EIO;
			goto cleanup;
		}
	}
	return repo;

cleanup:
	profile_repo__close(repo);
	errno = err;
	return NULL;
}

static int need(struct profile_repo *repo, int id)
{
	if (repo->st[id])
		return 0;
	if (repo->flags & PROFILE_REPO_READONLY && id != ST_GET_ALL && id != ST_GET &&
	    id != ST_GET_BY_PROCESS && id != ST_EXISTS && id != ST_SESSION_GET) {
		set_err(repo->err, sizeof(repo->err), "repo: the database was opened read-only");
		return -EROFS;
	}
	return -ENOENT; /* empty database: no tables yet */
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == PROFILE_NULL_I64)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* Binds one profile's 25 values starting at parameter i. */
static void bind_profile(sqlite3_stmt *st, int i, const struct profile *p)
{
	bind_i64(st, i++, p->session_id ? p->session_id : PROFILE_NULL_I64);
	bind_text(st, i++, p->env);
	bind_text(st, i++, p->stage);
	bind_text(st, i++, p->process_name);
	bind_text(st, i++, p->task_start_time);
	bind_text(st, i++, p->task_end_time);
	sqlite3_bind_double(st, i++, p->runtime_seconds);
	bind_i64(st, i++, p->cpu_cores);
	sqlite3_bind_double(st, i++, p->cpu_user_utilization);
	sqlite3_bind_double(st, i++, p->cpu_system_utilization);
	sqlite3_bind_double(st, i++, p->cpu_user_seconds);
	sqlite3_bind_double(st, i++, p->cpu_system_seconds);
	sqlite3_bind_double(st, i++, p->memory_usage_peak_mb);
	bind_i64(st, i++, p->memory_allocations);
	bind_i64(st, i++, p->file_read_bytes);
	bind_i64(st, i++, p->file_write_bytes);
	sqlite3_bind_double(st, i++, p->io_wait_time_seconds);
	bind_i64(st, i++, p->network_data_sent_bytes);
	bind_i64(st, i++, p->network_data_received_bytes);
	bind_i64(st, i++, p->exceptions_raised);
	bind_i64(st, i++, p->pid);
	bind_i64(st, i++, p->tid);
	bind_text(st, i++, p->symbol);
	bind_text(st, i++, p->binary);
	bind_text(st, i++, p->status ? p->status : "completed");
}

/* Inserts n profiles (1 or INSERT_ROWS) with one statement step. */
static int insert_rows(struct profile_repo *repo, struct profile *p, int n)
{
	sqlite3_stmt *st = repo->st[n == 1 ? ST_INSERT : ST_INSERT_MANY];
	int64_t last;
	int rc;

	for (int k = 0; k < n; k++)
		bind_profile(st, 1 + k * INSERT_COLS, &p[k]);
	/* every parameter is bound on each call: no clear_bindings needed */
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return fail(repo, rc, "cannot add a profile");
	/* rowids of one INSERT are consecutive: the table has no AUTOINCREMENT gaps */
	last = sqlite3_last_insert_rowid(repo->db);
	for (int k = 0; k < n; k++)
		p[k].id = last - (n - 1 - k);
	return 0;
}

int profile_repo__add_batch(struct profile_repo *repo, struct profile *p, size_t n)
{
	int err;

	if (!repo || (!p && n))
		return -EINVAL;
	err = need(repo, ST_INSERT);
	if (err)
		return err;
	if (!n)
		return 0;
	err = exec_simple(repo, ST_BEGIN, "cannot begin a transaction");
	if (err)
		return err;
	for (size_t i = 0; i < n;) {
		int rows = n - i >= INSERT_ROWS && repo->st[ST_INSERT_MANY] ? INSERT_ROWS : 1;

		err = insert_rows(repo, &p[i], rows);
		if (err) {
			exec_simple(repo, ST_ROLLBACK, "cannot roll back");
			return err;
		}
		i += rows;
	}
	return exec_simple(repo, ST_COMMIT, "cannot commit profiles");
}

int64_t profile_repo__add(struct profile_repo *repo, const struct profile *p)
{
	struct profile copy;
	int err;

	if (!repo || !p)
		return -EINVAL;
	copy = *p;
	err = profile_repo__add_batch(repo, &copy, 1);
	return err ? err : copy.id;
}

static char *col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? strdup((const char *)s) : NULL;
}

static int64_t col_i64(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return PROFILE_NULL_I64;
	return sqlite3_column_int64(st, i);
}

static void col_copy(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", s ? (const char *)s : "");
}

static void row_to_profile(sqlite3_stmt *st, struct profile *p)
{
	int i = 0;

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, i++);
	p->session_id = sqlite3_column_int64(st, i++);
	p->env = col_strdup(st, i++);
	p->stage = col_strdup(st, i++);
	p->process_name = col_strdup(st, i++);
	col_copy(st, i++, p->task_start_time, sizeof(p->task_start_time));
	col_copy(st, i++, p->task_end_time, sizeof(p->task_end_time));
	p->runtime_seconds = sqlite3_column_double(st, i++);
	p->cpu_cores = col_i64(st, i++);
	p->cpu_user_utilization = sqlite3_column_double(st, i++);
	p->cpu_system_utilization = sqlite3_column_double(st, i++);
	p->cpu_user_seconds = sqlite3_column_double(st, i++);
	p->cpu_system_seconds = sqlite3_column_double(st, i++);
	p->memory_usage_peak_mb = sqlite3_column_double(st, i++);
	p->memory_allocations = col_i64(st, i++);
	p->file_read_bytes = col_i64(st, i++);
	p->file_write_bytes = col_i64(st, i++);
	p->io_wait_time_seconds = sqlite3_column_double(st, i++);
	p->network_data_sent_bytes = col_i64(st, i++);
	p->network_data_received_bytes = col_i64(st, i++);
	p->exceptions_raised = col_i64(st, i++);
	p->pid = col_i64(st, i++);
	p->tid = col_i64(st, i++);
	p->symbol = col_strdup(st, i++);
	p->binary = col_strdup(st, i++);
	p->status = col_strdup(st, i++);
}

static int list_push(struct profile_list *l, sqlite3_stmt *st)
{
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct profile *n = realloc(l->items, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->items = n;
		l->cap = cap;
	}
	row_to_profile(st, &l->items[l->len++]);
	return 0;
}

static int query_list(struct profile_repo *repo, int id, const char *arg, struct profile_list *out)
{
	sqlite3_stmt *st;
	int rc, err;

	memset(out, 0, sizeof(*out));
	err = need(repo, id);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	st = repo->st[id];
	if (arg)
		bind_text(st, 1, arg);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = list_push(out, st);
		if (err)
			break;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (err || rc != SQLITE_DONE) {
		profile_list__free(out);
		return err ? err : fail(repo, rc, "cannot read profiles");
	}
	return 0;
}

int profile_repo__get_all(struct profile_repo *repo, struct profile_list *out)
{
	if (!repo || !out)
		return -EINVAL;
	return query_list(repo, ST_GET_ALL, NULL, out);
}

int profile_repo__get_by_process(struct profile_repo *repo, const char *process_name,
				 struct profile_list *out)
{
	if (!repo || !out || !process_name)
		return -EINVAL;
	return query_list(repo, ST_GET_BY_PROCESS, process_name, out);
}

int profile_repo__get(struct profile_repo *repo, int64_t id, struct profile *out)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !out)
		return -EINVAL;
	err = need(repo, ST_GET);
	if (err)
		return err;
	st = repo->st[ST_GET];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_to_profile(st, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return fail(repo, rc, "cannot read a profile");
}

int profile_repo__exists(struct profile_repo *repo, int64_t id)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo)
		return -EINVAL;
	err = need(repo, ST_EXISTS);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	st = repo->st[ST_EXISTS];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return fail(repo, rc, "cannot look up a profile");
}

static int delete_where(struct profile_repo *repo, int id, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return fail(repo, rc, "cannot remove profiles");
	return sqlite3_changes(repo->db);
}

int profile_repo__remove(struct profile_repo *repo, int64_t id)
{
	int n, err;

	if (!repo)
		return -EINVAL;
	err = need(repo, ST_REMOVE);
	if (err)
		return err;
	sqlite3_bind_int64(repo->st[ST_REMOVE], 1, id);
	n = delete_where(repo, ST_REMOVE, repo->st[ST_REMOVE]);
	if (n < 0)
		return n;
	if (n == 0) {
		set_err(repo->err, sizeof(repo->err), "repo: no profile with id %lld",
			(long long)id);
		return -ENOENT;
	}
	return 0;
}

int profile_repo__remove_by_process(struct profile_repo *repo, const char *process_name)
{
	int err;

	if (!repo || !process_name)
		return -EINVAL;
	err = need(repo, ST_REMOVE_BY_PROCESS);
	if (err)
		return err;
	bind_text(repo->st[ST_REMOVE_BY_PROCESS], 1, process_name);
	return delete_where(repo, ST_REMOVE_BY_PROCESS, repo->st[ST_REMOVE_BY_PROCESS]);
}

int64_t profile_repo__session_begin(struct profile_repo *repo, const char *target,
				    const char *tasks, const char *started_at)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !target || !tasks || !started_at)
		return -EINVAL;
	err = need(repo, ST_SESSION_BEGIN);
	if (err)
		return err;
	st = repo->st[ST_SESSION_BEGIN];
	bind_text(st, 1, target);
	bind_text(st, 2, tasks);
	bind_text(st, 3, started_at);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return fail(repo, rc, "cannot record the session");
	return sqlite3_last_insert_rowid(repo->db);
}

int profile_repo__session_end(struct profile_repo *repo, int64_t id, const char *ended_at,
			      int64_t events_seen, int64_t events_lost, const char *loss_detail)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !ended_at)
		return -EINVAL;
	err = need(repo, ST_SESSION_END);
	if (err)
		return err;
	st = repo->st[ST_SESSION_END];
	bind_text(st, 1, ended_at);
	sqlite3_bind_int64(st, 2, events_seen);
	sqlite3_bind_int64(st, 3, events_lost);
	bind_text(st, 4, loss_detail);
	sqlite3_bind_int64(st, 5, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return fail(repo, rc, "cannot close the session");
	return sqlite3_changes(repo->db) ? 0 : -ENOENT;
}

int profile_repo__session_abort(struct profile_repo *repo, int64_t id, const char *ended_at,
				const char *why)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !ended_at)
		return -EINVAL;
	err = need(repo, ST_SESSION_ABORT);
	if (err)
		return err;
	st = repo->st[ST_SESSION_ABORT];
	bind_text(st, 1, ended_at);
	bind_text(st, 2, why);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return fail(repo, rc, "cannot mark the session aborted");
	return sqlite3_changes(repo->db) ? 0 : -ENOENT;
}

int profile_repo__get_session(struct profile_repo *repo, int64_t id, struct session *out)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !out)
		return -EINVAL;
	err = need(repo, ST_SESSION_GET);
	if (err)
		return err;
	st = repo->st[ST_SESSION_GET];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = sqlite3_column_int64(st, 0);
		out->target = col_strdup(st, 1);
		out->tasks = col_strdup(st, 2);
		col_copy(st, 3, out->started_at, sizeof(out->started_at));
		col_copy(st, 4, out->ended_at, sizeof(out->ended_at));
		out->events_seen = sqlite3_column_int64(st, 5);
		out->events_lost = sqlite3_column_int64(st, 6);
		out->loss_detail = col_strdup(st, 7);
		out->status = col_strdup(st, 8);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return fail(repo, rc, "cannot read the session");
}

void profile__free(struct profile *p)
{
	if (!p)
		return;
	free(p->env);
	free(p->stage);
	free(p->process_name);
	free(p->symbol);
	free(p->binary);
	free(p->status);
	p->env = p->stage = p->process_name = p->symbol = p->binary = p->status = NULL;
}

void profile_list__free(struct profile_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->len; i++)
		profile__free(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void session__free(struct session *s)
{
	if (!s)
		return;
	free(s->target);
	free(s->tasks);
	free(s->loss_detail);
	free(s->status);
	s->target = s->tasks = s->loss_detail = s->status = NULL;
}
