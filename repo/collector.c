// SPDX-License-Identifier: MIT
/*
 * What a long-running collector keeps besides profiles: rollups of the
 * invocations beyond a task's rate limit, the removal of expired rows in
 * small batches, and the status report `taskprof status` reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repo_internal.h"

void rollup__add(struct rollup *r, const struct profile *p)
{
	r->invocations++;
	if (!p->status || !strcmp(p->status, "completed"))
		r->completed++;
	else if (!strcmp(p->status, "unwound"))
		r->unwound++;
	else
		r->exited++;
	for (int c = 0; c < PROFILE_NCOLS; c++) {
		double v;

		if (!profile_columns[c].metric || profile__is_null(p, c))
			continue;
		v = profile_columns[c].kind == PROFILE_REAL ? profile__real(p, c)
							    : (double)profile__i64(p, c);
		r->sum[c] = r->has[c] ? r->sum[c] + v : v;
		r->max[c] = r->has[c] && r->max[c] > v ? r->max[c] : v;
		r->has[c] = true;
	}
}

static void bind_real_or_null(sqlite3_stmt *st, int i, bool has, double v)
{
	if (has)
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* Inside the caller's transaction. */
int repo__insert_rollup(struct profile_repo *repo, const struct rollup *r)
{
	sqlite3_stmt *st = repo->st[ST_ROLLUP_INSERT];
	int i = 1, rc;

	sqlite3_bind_int64(st, i++, r->session_id);
	repo__bind_text(st, i++, r->process_name);
	repo__bind_text(st, i++, r->second);
	sqlite3_bind_int64(st, i++, r->invocations);
	sqlite3_bind_int64(st, i++, r->completed);
	sqlite3_bind_int64(st, i++, r->unwound);
	sqlite3_bind_int64(st, i++, r->exited);
	for (int c = 0; c < PROFILE_NCOLS; c++) {
		if (!profile_columns[c].metric)
			continue;
		bind_real_or_null(st, i++, r->has[c], r->sum[c]);
		bind_real_or_null(st, i++, r->has[c], r->max[c]);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : repo__fail(repo, rc, "cannot add a rollup");
}

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

int profile_repo__put_status(struct profile_repo *repo, int64_t session, const char *updated_at,
			     int64_t collector_pid, const char *report)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !updated_at || !report)
		return -EINVAL;
	err = repo__need(repo, ST_STATUS_PUT);
	if (err)
		return err;
	st = repo->st[ST_STATUS_PUT];
	sqlite3_bind_int64(st, 1, session);
	repo__bind_text(st, 2, updated_at);
	sqlite3_bind_int64(st, 3, collector_pid);
	repo__bind_text(st, 4, report);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : repo__fail(repo, rc, "cannot store the status");
}

int profile_repo__get_status(struct profile_repo *repo, struct collector_status *out)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	err = repo__need(repo, ST_STATUS_GET);
	if (err)
		return err;
	st = repo->st[ST_STATUS_GET];
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->session_id = sqlite3_column_int64(st, 0);
		repo__col_copy(st, 1, out->updated_at, sizeof(out->updated_at));
		out->collector_pid = sqlite3_column_int64(st, 2);
		out->report = repo__col_strdup(st, 3);
		repo__col_copy(st, 4, out->session_status, sizeof(out->session_status));
		repo__col_copy(st, 5, out->ended_at, sizeof(out->ended_at));
		err = out->report ? 0 : -ENOMEM;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return err;
	return rc == SQLITE_DONE ? -ENOENT : repo__fail(repo, rc, "cannot read the status");
}

void collector_status__free(struct collector_status *s)
{
	if (s) {
		free(s->report);
		s->report = NULL;
	}
}

int profile_repo__abort_stale_collectors(struct profile_repo *repo, const char *ended_at,
					 const char *why)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !ended_at)
		return -EINVAL;
	err = repo__need(repo, ST_SESSION_ABORT_STALE);
	if (err)
		return err;
	st = repo->st[ST_SESSION_ABORT_STALE];
	repo__bind_text(st, 1, ended_at);
	repo__bind_text(st, 2, why);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return repo__fail(repo, rc, "cannot close the sessions of dead collectors");
	return sqlite3_changes(repo->db);
}
