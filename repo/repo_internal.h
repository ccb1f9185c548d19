/* SPDX-License-Identifier: MIT */
/* What the repository's files share: the handle, its statements, helpers. */
#ifndef REPO_INTERNAL_H
#define REPO_INTERNAL_H

#include <sqlite3.h>

#include "profile_repo.h"

#define SCHEMA_VERSION 4
/* rows per multi-row INSERT: one statement step per 32 rows is ~2x faster */
#define INSERT_ROWS 32
#define BUSY_TIMEOUT_MS 5000

enum stmt_id {
	ST_INSERT,
	ST_INSERT_MANY,
	ST_GET_ALL,
	ST_GET_BY_PROCESS,
	ST_FIND,
	ST_ROLLED_UP,
	ST_SESSION_LAST,
	ST_SESSION_LIST,
	ST_GET,
	ST_EXISTS,
	ST_REMOVE,
	ST_REMOVE_BY_PROCESS,
	ST_SESSION_BEGIN,
	ST_SESSION_END,
	ST_SESSION_ABORT,
	ST_SESSION_GET,
	ST_SESSION_SET_CONFIG,
	ST_SESSION_ABORT_STALE,
	ST_ROLLUP_INSERT,
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
	sqlite3 *db;
	sqlite3_stmt *st[ST_NR];
	unsigned int flags;
	char err[512];
};

/* columns.c: SQL text made from the column table; callers free it */
/* The profiles table as schema version `version` has it. */
char *columns__create_table(int version);
/* ALTER TABLE for the columns version `version` added. */
char *columns__add_since(int version);
char *columns__insert(int rows);
/* SELECT id and every column; those the file (at version) predates as NULL. */
char *columns__select(const char *where, int version);
char *columns__create_rollups(void);
/* "INSERT INTO rollups (...) VALUES (?,...)" for one rollup */
char *columns__insert_rollup(void);
/* Binds p's columns from parameter first on. */
void columns__bind(sqlite3_stmt *st, int first, const struct profile *p);
/* Fills p from a row of columns__select(); -ENOMEM leaves p empty. */
int columns__decode(sqlite3_stmt *st, struct profile *p);

/* collector.c: one rollup, added to its (session, task, second) row */
int repo__insert_rollup(struct profile_repo *repo, const struct rollup *r);

/* helpers.c */
/* What the last failed profile_repo__open said (profile_repo__open_error). */
extern char repo_open_err[512];
void repo__set_err(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int repo__errno(int sqlite_rc);
/* Says what failed in repo->err; returns the negative errno. */
int repo__fail(struct profile_repo *repo, int rc, const char *what);
int repo__exec(struct profile_repo *repo, enum stmt_id id, const char *what);
/* 0 if statement id is prepared; -ENOENT on an empty file, -EROFS read-only. */
/* The database opened again read-only and immutable: for a reader who may
 * not create its -shm. 0 or a positive errno, with repo_open_err set. */
int repo__reopen_immutable(struct profile_repo *repo, const char *path);
/* Statements a read-only handle prepares. */
bool repo__read_only_stmt(enum stmt_id i);
int repo__need(struct profile_repo *repo, enum stmt_id id);
void repo__bind_text(sqlite3_stmt *st, int i, const char *s);
char *repo__col_strdup(sqlite3_stmt *st, int i);
void repo__col_copy(sqlite3_stmt *st, int i, char *dst, size_t len);

#endif /* REPO_INTERNAL_H */
