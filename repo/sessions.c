// SPDX-License-Identifier: MIT
/*
 * Sessions: one row per recording, begun running, ended completed, or
 * aborted when its collector died first (by the guardian, or by the next
 * collector to hold the database); read one, all, or the newest.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repo_central.h"
#include "repo_internal.h"

int64_t profile_repo__session_begin(struct profile_repo *repo, const char *target,
				    const char *tasks, const char *started_at)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !target || !tasks || !started_at)
		return -EINVAL;
	err = repo__need(repo, ST_SESSION_BEGIN);
	if (err)
		return err;
	st = repo->st[ST_SESSION_BEGIN];
	repo__bind_text(st, 1, target);
	repo__bind_text(st, 2, tasks);
	repo__bind_text(st, 3, started_at);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return repo__fail(repo, rc, "cannot record the session");
	return sqlite3_last_insert_rowid(repo->db);
}

int profile_repo__session_end(struct profile_repo *repo, int64_t id, const char *ended_at,
			      int64_t events_seen, int64_t events_lost, const char *loss_detail)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !ended_at)
		return -EINVAL;
	err = repo__need(repo, ST_SESSION_END);
	if (err)
		return err;
	st = repo->st[ST_SESSION_END];
	repo__bind_text(st, 1, ended_at);
	sqlite3_bind_int64(st, 2, events_seen);
	sqlite3_bind_int64(st, 3, events_lost);
	repo__bind_text(st, 4, loss_detail);
	sqlite3_bind_int64(st, 5, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return repo__fail(repo, rc, "cannot close the session");
	return sqlite3_changes(repo->db) ? 0 : -ENOENT;
}

int profile_repo__session_abort(struct profile_repo *repo, int64_t id, const char *ended_at,
				const char *why)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !ended_at)
		return -EINVAL;
	err = repo__need(repo, ST_SESSION_ABORT);
	if (err)
		return err;
	st = repo->st[ST_SESSION_ABORT];
	repo__bind_text(st, 1, ended_at);
	repo__bind_text(st, 2, why);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return repo__fail(repo, rc, "cannot mark the session aborted");
	return sqlite3_changes(repo->db) ? 0 : -ENOENT;
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

/* A row of ST_SESSION_GET or ST_SESSION_LIST (which adds the profile count). */
static int session_decode(sqlite3_stmt *st, struct session *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, 0);
	out->target = repo__col_strdup(st, 1);
	out->tasks = repo__col_strdup(st, 2);
	repo__col_copy(st, 3, out->started_at, sizeof(out->started_at));
	repo__col_copy(st, 4, out->ended_at, sizeof(out->ended_at));
	out->events_seen = sqlite3_column_int64(st, 5);
	out->events_lost = sqlite3_column_int64(st, 6);
	out->loss_detail = repo__col_strdup(st, 7);
	out->status = repo__col_strdup(st, 8);
	out->config = repo__col_strdup(st, 9);
	if (sqlite3_column_count(st) > 10)
		out->profiles = sqlite3_column_int64(st, 10);
	if (!out->target || !out->tasks || !out->status ||
	    (!out->config && sqlite3_column_type(st, 9) != SQLITE_NULL)) {
		session__free(out);
		return -ENOMEM;
	}
	return 0;
}

static int central_session(struct profile_repo *repo, int64_t id, struct session *out)
{
	struct session *s;
	size_t n;
	int err = id > 0 ? central__sessions(repo, id, &s, &n) : -ENOENT;

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	*out = s[0];
	while (n > 1)
		session__free(&s[--n]);
	free(s);
	return 0;
}

int profile_repo__get_session(struct profile_repo *repo, int64_t id, struct session *out)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !out)
		return -EINVAL;
	if (repo->central)
		return central_session(repo, id, out);
	err = repo__need(repo, ST_SESSION_GET);
	if (err)
		return err;
	st = repo->st[ST_SESSION_GET];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = session_decode(st, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return err;
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return repo__fail(repo, rc, "cannot read the session");
}

/* Every session by statement id (ST_SESSION_LIST or ST_SESSION_ALL). */
static int list(struct profile_repo *repo, enum stmt_id id, struct session **out, size_t *n)
{
	struct session *v = NULL, *grown;
	size_t len = 0, cap = 0;
	sqlite3_stmt *st;
	int rc, err;

	*out = NULL;
	*n = 0;
	err = repo__need(repo, id);
	if (err)
		return err == -ENOENT ? 0 : err;
	st = repo->st[id];
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			v = grown;
		}
		err = session_decode(st, &v[len]);
		len += !err;
	}
	sqlite3_reset(st);
	if (!err && rc != SQLITE_DONE)
		err = repo__fail(repo, rc, "cannot read sessions");
	if (err) {
		while (len)
			session__free(&v[--len]);
		free(v);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

int profile_repo__list_sessions(struct profile_repo *repo, struct session **out, size_t *n)
{
	if (!repo || !out || !n)
		return -EINVAL;
	if (repo->central)
		return central__sessions(repo, 0, out, n);
	return list(repo, ST_SESSION_LIST, out, n);
}

int profile_repo__sessions(struct profile_repo *repo, struct session **out, size_t *n)
{
	if (!repo || !out || !n)
		return -EINVAL;
	if (repo->central)
		return central__sessions(repo, 0, out, n);
	return list(repo, ST_SESSION_ALL, out, n);
}

int profile_repo__session_set_config(struct profile_repo *repo, int64_t id, const char *tasks,
				     const char *config)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !tasks)
		return -EINVAL;
	err = repo__need(repo, ST_SESSION_SET_CONFIG);
	if (err)
		return err;
	st = repo->st[ST_SESSION_SET_CONFIG];
	repo__bind_text(st, 1, tasks);
	repo__bind_text(st, 2, config);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return repo__fail(repo, rc, "cannot store the session's configuration");
	return sqlite3_changes(repo->db) ? 0 : -ENOENT;
}

int64_t profile_repo__last_session(struct profile_repo *repo)
{
	int err;

	if (!repo)
		return -EINVAL;
	if (repo->central)
		return central__last_session(repo);
	err = repo__need(repo, ST_SESSION_LAST);
	if (err)
		return err == -ENOENT ? 0 : err;
	return repo__scalar(repo, ST_SESSION_LAST, "cannot read sessions");
}
