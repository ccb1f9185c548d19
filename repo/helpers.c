// SPDX-License-Identifier: MIT
/*
 * What the repository's files share: errors in words and as errno values,
 * running a prepared statement, binding and reading text.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

int repo__need(struct profile_repo *repo, enum stmt_id id)
{
	if (repo->st[id])
		return 0;
	if (repo->flags & PROFILE_REPO_READONLY && !repo__read_only_stmt(id)) {
		repo__set_err(repo->err, sizeof(repo->err), "repo: the database was opened read-only");
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


int repo__reopen_immutable(struct profile_repo *repo, const char *path)
{
	char uri[3 * PATH_MAX + 32], *o = uri;
	int rc;

	/* a URI: every byte but the unreserved ones percent-encoded */
	o += sprintf(o, "file:");
	for (const unsigned char *s = (const unsigned char *)path; *s && o < uri + sizeof(uri) - 32;
	     s++)
		o += isalnum(*s) || strchr("/-._~", *s) ? sprintf(o, "%c", *s) : sprintf(o, "%%%02X", *s);
	strcpy(o, "?immutable=1");
	sqlite3_close(repo->db);
	repo->db = NULL;
	rc = sqlite3_open_v2(uri, &repo->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
						 SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		repo__set_err(repo_open_err, sizeof(repo_open_err), "repo: cannot read %s: %s", path,
			      repo->db ? sqlite3_errmsg(repo->db) : sqlite3_errstr(rc));
		return EIO;
	}
	return 0;
}
