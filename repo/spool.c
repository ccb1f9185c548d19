// SPDX-License-Identifier: MIT
/*
 * The file as a spool for a central database: the marks of what was
 * shipped, kept beside the rows, and the bound on the rows waiting
 * (spool_max_rows), which deletes the oldest unshipped ones.
 */
#include <errno.h>

#include "repo_internal.h"

int profile_repo__spool_id(struct profile_repo *repo, char *buf, size_t len)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !buf || !len)
		return -EINVAL;
	err = repo__need(repo, ST_SPOOL_ID);
	if (err)
		return err;
	st = repo->st[ST_SPOOL_ID];
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		repo__col_copy(st, 0, buf, len);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : repo__fail(repo, rc, "cannot read the spool's id");
}

int profile_repo__spool_mark(struct profile_repo *repo, const char *target, int64_t *rows,
			     int64_t *rollups)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !target || !rows || !rollups)
		return -EINVAL;
	err = repo__need(repo, ST_SPOOL_MARK_GET);
	if (err)
		return err;
	st = repo->st[ST_SPOOL_MARK_GET];
	repo__bind_text(st, 1, target);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*rows = sqlite3_column_int64(st, 0);
		*rollups = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : repo__fail(repo, rc, "cannot read the shipping mark");
}

int profile_repo__spool_set_mark(struct profile_repo *repo, const char *target, int64_t rows,
				 int64_t rollups)
{
	sqlite3_stmt *st;
	int err;

	if (!repo || !target)
		return -EINVAL;
	err = repo__need(repo, ST_SPOOL_MARK_PUT);
	if (err)
		return err;
	st = repo->st[ST_SPOOL_MARK_PUT];
	repo__bind_text(st, 1, target);
	sqlite3_bind_int64(st, 2, rows);
	sqlite3_bind_int64(st, 3, rollups);
	err = repo__exec(repo, ST_SPOOL_MARK_PUT, "cannot store the shipping mark");
	sqlite3_clear_bindings(st);
	return err;
}

int64_t profile_repo__spool_trim(struct profile_repo *repo, int64_t after, int64_t keep)
{
	sqlite3_stmt *st;
	int err;

	if (!repo || keep < 0)
		return -EINVAL;
	err = repo__need(repo, ST_SPOOL_TRIM);
	if (err)
		return err;
	st = repo->st[ST_SPOOL_TRIM];
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, keep);
	err = repo__exec(repo, ST_SPOOL_TRIM, "cannot trim the spool");
	sqlite3_clear_bindings(st);
	return err ? err : sqlite3_changes(repo->db);
}
