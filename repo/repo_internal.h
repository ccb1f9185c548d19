/* SPDX-License-Identifier: MIT */
/*
 * The repository's handle and its bottom layer (stmt.c), which every other
 * file of repo/ builds on: the statements a handle prepares once, and
 * running them with errors said in words and as negative errno values.
 */
#ifndef REPO_INTERNAL_H
#define REPO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sqlite3.h>

#include "profile_repo.h"

struct central;

/* rows per multi-row INSERT: one statement step per 32 rows is ~2x faster */
#define INSERT_ROWS 32

/* Every statement a handle runs; open prepares each once (statements.c). */
enum stmt_id {
	ST_INSERT,
	ST_INSERT_MANY,
	ST_GET_ALL,
	ST_GET_BY_PROCESS,
	ST_FIND,
	ST_ROLLED_UP,
	ST_SESSION_LAST,
	ST_SESSION_LIST,
	ST_SESSION_ALL,
	ST_GET,
	ST_EXISTS,
	ST_GET_AFTER,
	ST_COUNT_AFTER,
	ST_REMOVE,
	ST_REMOVE_BY_PROCESS,
	ST_SESSION_BEGIN,
	ST_SESSION_END,
	ST_SESSION_ABORT,
	ST_SESSION_GET,
	ST_SESSION_SET_CONFIG,
	ST_SESSION_ABORT_STALE,
	ST_ROLLUP_INSERT,
	ST_ROLLUPS_AFTER,
	ST_SPOOL_ID,
	ST_SPOOL_MARK_GET,
	ST_SPOOL_MARK_PUT,
	ST_SPOOL_TRIM,
	ST_STATUS_PUT,
	ST_STATUS_GET,
	ST_EXPIRE_PROFILES,
	ST_EXPIRE_ROLLUPS,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_NR,
};

struct profile_repo {
	sqlite3 *db;              /* NULL on a central database */
	struct central *central;  /* a central PostgreSQL database (repo_central.h) */
	sqlite3_stmt *st[ST_NR]; /* NULL: not prepared (empty file, or read-only) */
	unsigned int flags;      /* enum profile_repo_flags */
	char err[512];           /* what failed last, for profile_repo__errmsg() */
};

/* What the last failed profile_repo__open said (profile_repo__open_error):
 * there is no handle to hold it when open fails. */
extern char repo_open_err[512];

/* snprintf into buf: repo->err, or repo_open_err while opening. */
void repo__set_err(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An SQLite result code as 0 or a negative errno. */
int repo__errno(int sqlite_rc);
/* Says what failed, and SQLite's message, in repo->err; returns the
 * negative errno of rc. */
int repo__fail(struct profile_repo *repo, int rc, const char *what);
/* Steps statement id (no row expected) and resets it; 0 or repo__fail(). */
int repo__exec(struct profile_repo *repo, enum stmt_id id, const char *what);
/* Steps statement id, whose parameters the caller bound, for its one
 * integer answer (a count or an id); resets it and clears its bindings. */
int64_t repo__scalar(struct profile_repo *repo, enum stmt_id id, const char *what);
/* Whether a read-only handle prepares statement i: the ones that only read. */
bool repo__read_only_stmt(enum stmt_id i);
/* 0 if statement id is prepared; -ENOENT on an empty file (no tables yet),
 * -EROFS on a read-only handle, with repo->err set. */
int repo__need(struct profile_repo *repo, enum stmt_id id);
/* Binds s, or NULL when s is; s must outlive the statement's next step. */
void repo__bind_text(sqlite3_stmt *st, int i, const char *s);
/* Column i as a malloc'd string; NULL for NULL, or when out of memory. */
char *repo__col_strdup(sqlite3_stmt *st, int i);
/* Column i into dst, cut to len; NULL reads as "". */
void repo__col_copy(sqlite3_stmt *st, int i, char *dst, size_t len);

#endif /* REPO_INTERNAL_H */
