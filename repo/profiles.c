// SPDX-License-Identifier: MIT
/*
 * Profiles: add in batches (one transaction a batch, 32 rows a statement,
 * with the batch's rollups), get, list, test and remove; every value
 * bound, rows bound and decoded by the column table (columns.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repo_columns.h"
#include "repo_central.h"
#include "repo_internal.h"
#include "repo_rollups.h"

/* Inserts n profiles (1 or INSERT_ROWS) with one statement step. */
static int insert_rows(struct profile_repo *repo, struct profile *p, int n)
{
	sqlite3_stmt *st = repo->st[n == 1 ? ST_INSERT : ST_INSERT_MANY];
	int64_t last;
	int rc;

	for (int k = 0; k < n; k++)
		columns__bind(st, 1 + k * PROFILE_NCOLS, &p[k]);
	/* every parameter is bound on each call: no clear_bindings needed */
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return repo__fail(repo, rc, "cannot add a profile");
	/* rowids of one INSERT are consecutive: the table has no AUTOINCREMENT gaps */
	last = sqlite3_last_insert_rowid(repo->db);
	for (int k = 0; k < n; k++)
		p[k].id = last - (n - 1 - k);
	return 0;
}

static int insert_all(struct profile_repo *repo, struct profile *p, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n && !err;) {
		int rows = n - i >= INSERT_ROWS && repo->st[ST_INSERT_MANY] ? INSERT_ROWS : 1;

		err = insert_rows(repo, &p[i], rows);
		i += rows;
	}
	return err;
}

int profile_repo__store(struct profile_repo *repo, struct profile *p, size_t n,
			const struct rollup *r, size_t nr)
{
	int err;

	if (!repo || (!p && n) || (!r && nr))
		return -EINVAL;
	err = repo__need(repo, ST_INSERT);
	if (!err && nr)
		err = repo__need(repo, ST_ROLLUP_INSERT);
	if (err || (!n && !nr))
		return err;
	err = repo__exec(repo, ST_BEGIN, "cannot begin a transaction");
	if (err)
		return err;
	err = insert_all(repo, p, n);
	for (size_t i = 0; i < nr && !err; i++)
		err = repo__insert_rollup(repo, &r[i]);
	if (err) {
		repo__exec(repo, ST_ROLLBACK, "cannot roll back");
		return err;
	}
	return repo__exec(repo, ST_COMMIT, "cannot commit profiles");
}

int profile_repo__add_batch(struct profile_repo *repo, struct profile *p, size_t n)
{
	return profile_repo__store(repo, p, n, NULL, 0);
}

int64_t profile_repo__add(struct profile_repo *repo, const struct profile *p)
{
	struct profile copy;
	int err;

	if (!repo || !p)
		return -EINVAL;
	copy = *p;
	err = profile_repo__add_batch(repo, &copy, 1);
	return err ? err : copy.id;
}

static int list_push(struct profile_list *l, sqlite3_stmt *st)
{
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct profile *n = realloc(l->items, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->items = n;
		l->cap = cap;
	}
	if (columns__decode(st, &l->items[l->len]))
		return -ENOMEM;
	l->len++;
	return 0;
}

/* ST_FIND binds a session (0: any) then a task; ST_GET_AFTER an id (in
 * session) and a limit; the others a task, if any. */
static int query_find(struct profile_repo *repo, enum stmt_id id, int64_t session,
		      const char *process, int limit, struct profile_list *out)
{
	sqlite3_stmt *st;
	int rc, err;

	memset(out, 0, sizeof(*out));
	if (repo->central && id != ST_GET_AFTER)
		return central__find(repo, session, process, 0, out);
	err = repo__need(repo, id);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	st = repo->st[id];
	if (id == ST_FIND) {
		sqlite3_bind_int64(st, 1, session);
		repo__bind_text(st, 2, process);
	} else if (id == ST_GET_AFTER) {
		sqlite3_bind_int64(st, 1, session);
		sqlite3_bind_int(st, 2, limit);
	} else if (process) {
		repo__bind_text(st, 1, process);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = list_push(out, st);
		if (err)
			break;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (err || rc != SQLITE_DONE) {
		profile_list__free(out);
		return err ? err : repo__fail(repo, rc, "cannot read profiles");
	}
	return 0;
}

int profile_repo__get_all(struct profile_repo *repo, struct profile_list *out)
{
	if (!repo || !out)
		return -EINVAL;
	return query_find(repo, ST_GET_ALL, 0, NULL, 0, out);
}

int profile_repo__find(struct profile_repo *repo, int64_t session_id, const char *process_name,
		       struct profile_list *out)
{
	if (!repo || !out || session_id < 0)
		return -EINVAL;
	return query_find(repo, ST_FIND, session_id, process_name, 0, out);
}

int profile_repo__get_after(struct profile_repo *repo, int64_t after_id, int limit,
			    struct profile_list *out)
{
	if (!repo || !out || limit <= 0)
		return -EINVAL;
	return query_find(repo, ST_GET_AFTER, after_id, NULL, limit, out);
}

int64_t profile_repo__count_after(struct profile_repo *repo, int64_t after_id)
{
	int err;

	if (!repo)
		return -EINVAL;
	err = repo__need(repo, ST_COUNT_AFTER);
	if (err)
		return err == -ENOENT ? 0 : err;
	sqlite3_bind_int64(repo->st[ST_COUNT_AFTER], 1, after_id);
	return repo__scalar(repo, ST_COUNT_AFTER, "cannot count profiles");
}

int profile_repo__get_by_process(struct profile_repo *repo, const char *process_name,
				 struct profile_list *out)
{
	if (!repo || !out || !process_name)
		return -EINVAL;
	return query_find(repo, ST_GET_BY_PROCESS, 0, process_name, 0, out);
}

/* One row of the central database, by its central id. */
static int central_get(struct profile_repo *repo, int64_t id, struct profile *out)
{
	struct profile_list l;
	int err = id > 0 ? central__find(repo, 0, NULL, id, &l) : -ENOENT;

	memset(out, 0, sizeof(*out));
	if (!err && l.len)
		*out = l.items[--l.len]; /* moved: the list no longer frees it */
	else if (!err)
		err = -ENOENT;
	if (id > 0)
		profile_list__free(&l);
	return err;
}

int profile_repo__get(struct profile_repo *repo, int64_t id, struct profile *out)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo || !out)
		return -EINVAL;
	if (repo->central)
		return central_get(repo, id, out);
	err = repo__need(repo, ST_GET);
	if (err)
		return err;
	st = repo->st[ST_GET];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = columns__decode(st, out);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return err;
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return repo__fail(repo, rc, "cannot read a profile");
}

int profile_repo__exists(struct profile_repo *repo, int64_t id)
{
	sqlite3_stmt *st;
	int rc, err;

	if (!repo)
		return -EINVAL;
	if (repo->central) {
		struct profile p;

		err = central_get(repo, id, &p);
		profile__free(&p);
		return err == -ENOENT ? 0 : err ? err : 1;
	}
	err = repo__need(repo, ST_EXISTS);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	st = repo->st[ST_EXISTS];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return repo__fail(repo, rc, "cannot look up a profile");
}

static int delete_where(struct profile_repo *repo, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return repo__fail(repo, rc, "cannot remove profiles");
	return sqlite3_changes(repo->db);
}

int profile_repo__remove(struct profile_repo *repo, int64_t id)
{
	int n, err;

	if (!repo)
		return -EINVAL;
	err = repo__need(repo, ST_REMOVE);
	if (err)
		return err;
	sqlite3_bind_int64(repo->st[ST_REMOVE], 1, id);
	n = delete_where(repo, repo->st[ST_REMOVE]);
	if (n < 0)
		return n;
	if (n == 0) {
		repo__set_err(repo->err, sizeof(repo->err), "repo: no profile with id %lld",
			(long long)id);
		return -ENOENT;
	}
	return 0;
}

int profile_repo__remove_by_process(struct profile_repo *repo, const char *process_name)
{
	int err;

	if (!repo || !process_name)
		return -EINVAL;
	err = repo__need(repo, ST_REMOVE_BY_PROCESS);
	if (err)
		return err;
	repo__bind_text(repo->st[ST_REMOVE_BY_PROCESS], 1, process_name);
	return delete_where(repo, repo->st[ST_REMOVE_BY_PROCESS]);
}

