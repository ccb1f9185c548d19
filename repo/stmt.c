// SPDX-License-Identifier: MIT
/*
 * Running a handle's prepared statements: which ones it has, stepping
 * them, binding and reading text, and saying what failed, in words and as
 * a negative errno. The bottom layer: it calls no other file of repo/.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "repo_internal.h"

char repo_open_err[512];

void repo__set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

const char *profile_repo__errmsg(const struct profile_repo *repo)
{
	return repo ? repo->err : repo_open_err;
}

const char *profile_repo__open_error(void)
{
	return repo_open_err;
}

int repo__errno(int rc)
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

int repo__fail(struct profile_repo *repo, int rc, const char *what)
{
	repo__set_err(repo->err, sizeof(repo->err), "repo: %s: %s", what, sqlite3_errmsg(repo->db));
	return repo__errno(rc);
}

int repo__exec(struct profile_repo *repo, enum stmt_id id, const char *what)
{
	sqlite3_stmt *st = repo->st[id];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return repo__fail(repo, rc, what);
	return 0;
}

int64_t repo__scalar(struct profile_repo *repo, enum stmt_id id, const char *what)
{
	sqlite3_stmt *st = repo->st[id];
	int64_t v = 0;
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return repo__fail(repo, rc, what);
	return v;
}

bool repo__read_only_stmt(enum stmt_id i)
{
	return i == ST_GET_ALL || i == ST_GET_BY_PROCESS || i == ST_FIND || i == ST_GET ||
	       i == ST_GET_AFTER || i == ST_COUNT_AFTER ||
	       i == ST_EXISTS || i == ST_SESSION_GET || i == ST_SESSION_LAST || i == ST_SESSION_LIST ||
	       i == ST_SESSION_ALL ||
	       i == ST_ROLLED_UP || i == ST_ROLLUPS_AFTER || i == ST_SPOOL_MARK_GET ||
	       i == ST_SPOOL_ID ||
	       i == ST_STATUS_GET;
}

int repo__need(struct profile_repo *repo, enum stmt_id id)
{
	if (repo->st[id])
		return 0;
	if (repo->flags & PROFILE_REPO_READONLY && !repo__read_only_stmt(id)) {
		repo__set_err(repo->err, sizeof(repo->err), repo->central ?
			      "repo: a central database is written only by the collectors "
			      "that ship to it" : "repo: the database was opened read-only");
		return -EROFS;
	}
	return -ENOENT; /* empty database: no tables yet */
}

void repo__bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

char *repo__col_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? strdup((const char *)s) : NULL;
}

void repo__col_copy(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", s ? (const char *)s : "");
}

