// SPDX-License-Identifier: MIT
/*
 * Retention: a long-running collector removes the profiles and rollups
 * that ended before a cutoff, in small batches, each one short transaction.
 */
#include <errno.h>

#include "repo_internal.h"

static int expire(struct profile_repo *repo, enum stmt_id id, const char *before, int batch)
{
	sqlite3_stmt *st = repo->st[id];
	int rc;

	repo__bind_text(st, 1, before);
	sqlite3_bind_int(st, 2, batch);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return repo__fail(repo, rc, "cannot remove expired rows");
	return sqlite3_changes(repo->db);
}

int profile_repo__expire(struct profile_repo *repo, const char *before, int batch)
{
	int a, b, err;

	if (!repo || !before || batch <= 0)
		return -EINVAL;
	err = repo__need(repo, ST_EXPIRE_PROFILES);
	if (!err)
		err = repo__exec(repo, ST_BEGIN, "cannot begin a transaction");
	if (err)
		return err;
	a = expire(repo, ST_EXPIRE_PROFILES, before, batch);
	b = a < 0 ? 0 : expire(repo, ST_EXPIRE_ROLLUPS, before, batch);
	if (a < 0 || b < 0) {
		repo__exec(repo, ST_ROLLBACK, "cannot roll back");
		return a < 0 ? a : b;
	}
	err = repo__exec(repo, ST_COMMIT, "cannot commit the removal");
	return err ? err : a + b;
}
