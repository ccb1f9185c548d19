// SPDX-License-Identifier: MIT
/*
 * The collector's status report: what a running collector last said about
 * itself, stored per session, and read back by `taskprof status`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repo_internal.h"

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
