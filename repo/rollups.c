// SPDX-License-Identifier: MIT
/*
 * Rollups: the invocations beyond a task's rate limit, counted by status
 * and summed per (session, task, second) instead of stored as rows; and
 * how many there were.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repo_central.h"
#include "repo_internal.h"
#include "repo_rollups.h"

void rollup__add(struct rollup *r, const struct profile *p)
{
	r->invocations++;
	switch (profile_status__parse(p->status)) {
	case PROFILE_COMPLETED:
		r->completed++;
		break;
	case PROFILE_UNWOUND:
		r->unwound++;
		break;
	default: /* exited, and any word that is not a status */
		r->exited++;
	}
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

int64_t profile_repo__rolled_up(struct profile_repo *repo, int64_t session_id,
				const char *process_name)
{
	sqlite3_stmt *st;
	int err;

	if (!repo || session_id < 0)
		return -EINVAL;
	if (repo->central)
		return central__rolled_up(repo, session_id, process_name);
	err = repo__need(repo, ST_ROLLED_UP);
	if (err)
		return err == -ENOENT ? 0 : err;
	st = repo->st[ST_ROLLED_UP];
	sqlite3_bind_int64(st, 1, session_id);
	repo__bind_text(st, 2, process_name);
	return repo__scalar(repo, ST_ROLLED_UP, "cannot read rollups");
}

void rollup_list__free(struct rollup_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->len; i++)
		free((char *)l->items[i].process_name);
	free(l->items);
	*l = (struct rollup_list){};
}

/* A row of ST_ROLLUPS_AFTER: seq, session, task, second, counts, then each
 * metric column's sum and max. */
static int rollup_decode(sqlite3_stmt *st, struct rollup *r)
{
	int i = 4;

	memset(r, 0, sizeof(*r));
	r->seq = sqlite3_column_int64(st, 0);
	r->session_id = sqlite3_column_int64(st, 1);
	r->process_name = repo__col_strdup(st, 2);
	repo__col_copy(st, 3, r->second, sizeof(r->second));
	r->invocations = sqlite3_column_int64(st, i++);
	r->completed = sqlite3_column_int64(st, i++);
	r->unwound = sqlite3_column_int64(st, i++);
	r->exited = sqlite3_column_int64(st, i++);
	for (int c = 0; c < PROFILE_NCOLS; c++) {
		if (!profile_columns[c].metric)
			continue;
		r->has[c] = sqlite3_column_type(st, i) != SQLITE_NULL;
		r->sum[c] = sqlite3_column_double(st, i++);
		r->max[c] = sqlite3_column_double(st, i++);
	}
	return r->process_name ? 0 : -ENOMEM;
}

int profile_repo__rollups_after(struct profile_repo *repo, int64_t after, int limit,
				struct rollup_list *out)
{
	struct rollup *grown;
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = SQLITE_DONE, err;

	if (!repo || !out || limit <= 0)
		return -EINVAL;
	*out = (struct rollup_list){};
	err = repo__need(repo, ST_ROLLUPS_AFTER);
	if (err)
		return err == -ENOENT ? 0 : err;
	st = repo->st[ST_ROLLUPS_AFTER];
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->len == cap) {
			cap = cap ? 2 * cap : 64;
			grown = realloc(out->items, cap * sizeof(*grown));
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			out->items = grown;
		}
		err = rollup_decode(st, &out->items[out->len]);
		out->len += !err;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (!err && rc != SQLITE_DONE)
		err = repo__fail(repo, rc, "cannot read rollups");
	if (err)
		rollup_list__free(out);
	return err;
}
