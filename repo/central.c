// SPDX-License-Identifier: MIT
/*
 * The central PostgreSQL database read through the ProfileRepo functions
 * (repo_central.h). Rows and sessions go by their central ids, which are
 * unique across hosts; a row's session_id is its session's central id.
 * Every value is a parameter: nothing is pasted into SQL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "central_schema.h"
#include "repo_central.h"
#include "repo_columns.h"
#include "repo_internal.h"

/* A row's session: the one shipped from the same spool under its local id. */
#define SESSION_JOIN                                                                    \
	" LEFT JOIN sessions s ON s.host = p.host AND s.spool = p.spool AND"           \
	" s.local_id = p.session_id"
#define TIME_OF(col) "to_char(" col " AT TIME ZONE 'UTC', " CENTRAL_TIME_FMT ")"

struct central {
	PGconn *c;
	char *host;        /* only its rows; NULL: every host */
	char select[4096]; /* the profiles columns, in the column table's order */
};

bool central__is_uri(const char *path)
{
	return !strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11);
}

static void build_select(struct central *c)
{
	size_t n = snprintf(c->select, sizeof(c->select), "SELECT p.id");

	for (int col = 0; col < PROFILE_NCOLS && n < sizeof(c->select); col++) {
		const char *name = profile_columns[col].name;

		if (col == PROFILE_COL_session_id)
			n += snprintf(c->select + n, sizeof(c->select) - n, ", s.id");
		else if (profile_columns[col].kind == PROFILE_TIME)
			n += snprintf(c->select + n, sizeof(c->select) - n,
				      ", " TIME_OF("p.\"%s\""), name);
		else
			n += snprintf(c->select + n, sizeof(c->select) - n, ", p.\"%s\"", name);
	}
	if (n < sizeof(c->select))
		snprintf(c->select + n, sizeof(c->select) - n, " FROM profiles p" SESSION_JOIN);
}

struct central *central__open(const char *uri)
{
	/* a server that drops packets would hold a `stats` for minutes: 10 s
	 * unless the URI says otherwise (its settings expand after this one) */
	static const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *vals[] = { "10", uri, NULL };
	struct central *c = calloc(1, sizeof(*c));
	char err[512];

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->c = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(c->c) != CONNECTION_OK) {
		/* libpq's messages never carry the password */
		snprintf(err, sizeof(err), "%s", PQerrorMessage(c->c));
		err[strcspn(err, "\n")] = 0;
		repo__set_err(repo_open_err, sizeof(repo_open_err), "repo: cannot connect to the "
			      "central database: %s", err);
		central__close(c);
		errno = ECONNREFUSED;
		return NULL;
	}
	if (central_schema__check(c->c, err, sizeof(err))) {
		repo__set_err(repo_open_err, sizeof(repo_open_err), "repo: %s", err);
		central__close(c);
		errno = EPROTO;
		return NULL;
	}
	build_select(c);
	return c;
}

void central__close(struct central *c)
{
	if (!c)
		return;
	PQfinish(c->c);
	free(c->host);
	free(c);
}

int central__set_host(struct profile_repo *repo, const char *host)
{
	char *h = host ? strdup(host) : NULL;

	if (host && !h)
		return -ENOMEM;
	free(repo->central->host);
	repo->central->host = h;
	return 0;
}

/* Runs sql with n text parameters; NULL after saying why in repo->err. */
static PGresult *query(struct profile_repo *repo, const char *sql, int n,
		       const char *const *params, const char *what)
{
	PGresult *r = PQexecParams(repo->central->c, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	repo__set_err(repo->err, sizeof(repo->err), "repo: %s: %s", what,
		      PQresultErrorMessage(r));
	repo->err[strcspn(repo->err, "\n")] = 0;
	PQclear(r);
	return NULL;
}

static const char *value(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int push_rows(PGresult *r, struct profile_list *out)
{
	int rows = PQntuples(r), err = 0;

	out->items = rows ? calloc(rows, sizeof(*out->items)) : NULL;
	if (rows && !out->items)
		return -ENOMEM;
	out->cap = rows;
	for (int i = 0; i < rows && !err; i++) {
		struct profile *p = &out->items[out->len++];

		p->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		for (int c = 0; c < PROFILE_NCOLS && !err; c++)
			err = columns__set_text(p, c, value(r, i, 1 + c));
	}
	return err;
}

int central__find(struct profile_repo *repo, int64_t session, const char *process, int64_t id,
		  struct profile_list *out)
{
	struct central *c = repo->central;
	char sql[5120], sid[24], pid[24];
	const char *params[] = { sid, process, c->host, pid };
	PGresult *r;
	int err;

	snprintf(sid, sizeof(sid), "%lld", (long long)session);
	snprintf(pid, sizeof(pid), "%lld", (long long)id);
	/* unnamed statements are planned with their parameters: the terms
	 * that are off fold away, and the indexes serve the rest */
	snprintf(sql, sizeof(sql), "%s WHERE ($1::bigint = 0 OR s.id = $1) AND "
		 "($2::text IS NULL OR p.process_name = $2) AND ($3::text IS NULL OR "
		 "p.host = $3) AND ($4::bigint = 0 OR p.id = $4) ORDER BY p.id", c->select);
	memset(out, 0, sizeof(*out));
	r = query(repo, sql, 4, params, "cannot read profiles");
	if (!r)
		return -EIO;
	err = push_rows(r, out);
	PQclear(r);
	if (err)
		profile_list__free(out);
	return err;
}

static char *dup_or(const char *v, const char *otherwise)
{
	return strdup(v ? v : otherwise);
}

static int session_decode(PGresult *r, int i, struct session *s)
{
	const char *ended = value(r, i, 4);

	memset(s, 0, sizeof(*s));
	s->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	s->target = dup_or(value(r, i, 1), "");
	s->tasks = dup_or(value(r, i, 2), "");
	snprintf(s->started_at, sizeof(s->started_at), "%s", PQgetvalue(r, i, 3));
	snprintf(s->ended_at, sizeof(s->ended_at), "%s", ended ? ended : "");
	s->events_seen = strtoll(PQgetvalue(r, i, 5), NULL, 10);
	s->events_lost = strtoll(PQgetvalue(r, i, 6), NULL, 10);
	s->loss_detail = value(r, i, 7) ? strdup(value(r, i, 7)) : NULL;
	s->status = dup_or(value(r, i, 8), session_status__name(SESSION_COMPLETED));
	s->profiles = strtoll(PQgetvalue(r, i, 9), NULL, 10);
	s->origin = dup_or(value(r, i, 10), "");
	if (!s->target || !s->tasks || !s->status || !s->origin ||
	    (value(r, i, 7) && !s->loss_detail)) {
		session__free(s);
		return -ENOMEM;
	}
	return 0;
}

int central__sessions(struct profile_repo *repo, int64_t id, struct session **out, size_t *n)
{
	char sid[24];
	const char *params[] = { sid, repo->central->host };
	PGresult *r;
	int rows, err = 0;

	*out = NULL;
	*n = 0;
	snprintf(sid, sizeof(sid), "%lld", (long long)id);
	r = query(repo,
		  "SELECT s.id, s.target, s.tasks, " TIME_OF("s.started_at") ", "
		  TIME_OF("s.ended_at") ", s.events_seen, s.events_lost, s.loss_detail, s.status,"
		  " (SELECT count(*) FROM profiles p WHERE p.host = s.host AND p.spool = s.spool"
		  " AND p.session_id = s.local_id), s.global_id FROM sessions s"
		  " WHERE ($1::bigint = 0 OR s.id = $1) AND ($2::text IS NULL OR s.host = $2)"
		  " ORDER BY s.id", 2, params, "cannot read sessions");
	if (!r)
		return -EIO;
	rows = PQntuples(r);
	*out = rows ? calloc(rows, sizeof(**out)) : NULL;
	if (rows && !*out)
		err = -ENOMEM;
	for (int i = 0; i < rows && !err; i++) {
		err = session_decode(r, i, &(*out)[i]);
		*n += !err;
	}
	PQclear(r);
	if (err) {
		while (*n)
			session__free(&(*out)[--*n]);
		free(*out);
		*out = NULL;
	}
	return err ? err : (id && !*n ? -ENOENT : 0);
}

/* One integer answer of sql, with its parameters; a negative errno on error. */
static int64_t scalar(struct profile_repo *repo, const char *sql, int n,
		      const char *const *params, const char *what)
{
	PGresult *r = query(repo, sql, n, params, what);
	int64_t v;

	if (!r)
		return -EIO;
	v = PQntuples(r) && !PQgetisnull(r, 0, 0) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return v;
}

int64_t central__last_session(struct profile_repo *repo)
{
	const char *params[] = { repo->central->host };

	return scalar(repo, "SELECT max(id) FROM sessions WHERE $1::text IS NULL OR host = $1",
		      1, params, "cannot read sessions");
}

int64_t central__rolled_up(struct profile_repo *repo, int64_t session, const char *process)
{
	char sid[24];
	const char *params[] = { sid, process, repo->central->host };

	snprintf(sid, sizeof(sid), "%lld", (long long)session);
	return scalar(repo,
		      "SELECT coalesce(sum(r.invocations), 0) FROM rollups r JOIN sessions s ON"
		      " s.host = r.host AND s.spool = r.spool AND s.local_id = r.session_id"
		      " WHERE ($1::bigint = 0 OR s.id = $1) AND ($2::text IS NULL OR"
		      " r.process_name = $2) AND ($3::text IS NULL OR r.host = $3)",
		      3, params, "cannot read rollups");
}
