// SPDX-License-Identifier: MIT
/*
 * The central PostgreSQL (postgres.h). The profiles table has the
 * repository's columns, generated from the one column table, with
 * timestamptz for the two times, after host, spool (the local database
 * it came from) and local_id, its key. Every value goes as a parameter or
 * through COPY's own escaping: nothing is pasted into SQL.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "central_schema.h"
#include "profile_columns.h"
#include "profile_repo.h"
#include "sink/copy_format.h"
#include "sink/postgres.h"
#include "sink/postgres_rollups.h"

struct postgres {
	PGconn *c;
	struct copybuf buf;
	char insert[4096]; /* staging into profiles, every column named */
};

/* One statement with no result rows; err gets libpq's message. */
static int exec(struct postgres *pg, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(pg->c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(err, errlen, "postgresql: %s", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -EIO;
}

/*
 * The staging table, once a connection: the profiles columns without the
 * central id, which the insert from it assigns. COPY has no ON CONFLICT,
 * so a retried batch goes through here to be inserted once.
 */
static int stage(struct postgres *pg, char *err, size_t errlen)
{
	size_t n = snprintf(pg->insert, sizeof(pg->insert),
			    "INSERT INTO profiles (host, spool, local_id");

	for (int c = 0; c < PROFILE_NCOLS && n < sizeof(pg->insert); c++)
		n += snprintf(pg->insert + n, sizeof(pg->insert) - n, ", \"%s\"",
			      profile_columns[c].name);
	if (n < sizeof(pg->insert))
		snprintf(pg->insert + n, sizeof(pg->insert) - n, ") SELECT * FROM tp_staging "
			 "ON CONFLICT (host, spool, local_id) DO NOTHING");
	return exec(pg, "CREATE TEMP TABLE tp_staging (LIKE profiles) ON COMMIT DELETE ROWS;"
		    "ALTER TABLE tp_staging DROP COLUMN id", err, errlen);
}

struct postgres *postgres__connect(const char *conninfo, char *err, size_t errlen)
{
	struct postgres *pg = calloc(1, sizeof(*pg));

	if (!pg) {
		snprintf(err, errlen, "postgresql: %s", strerror(ENOMEM));
		return NULL;
	}
	/* a server that drops packets would hold the shipper (and a stop that
	 * waits for it) for minutes: 10 s unless the string says otherwise,
	 * its own settings expanded after this default */
	static const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *vals[] = { "10", conninfo, NULL };

	pg->c = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(pg->c) != CONNECTION_OK) {
		snprintf(err, errlen, "postgresql: %s", PQerrorMessage(pg->c));
		err[strcspn(err, "\n")] = 0;
		postgres__close(pg);
		return NULL;
	}
	if (central_schema__create(pg->c, err, errlen) || stage(pg, err, errlen)) {
		postgres__close(pg);
		return NULL;
	}
	return pg;
}

void postgres__close(struct postgres *pg)
{
	if (!pg)
		return;
	PQfinish(pg->c);
	free(pg->buf.p);
	free(pg);
}

int postgres__marks(struct postgres *pg, const char *host, const char *spool,
		    struct ship_marks *m, char *err, size_t errlen)
{
	const char *params[] = { host, spool };
	PGresult *r = PQexecParams(pg->c, "SELECT shipped_id, rollup_mark FROM ship_marks "
				   "WHERE host = $1 AND spool = $2", 2, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK, one = ok && PQntuples(r);

	if (!ok)
		snprintf(err, errlen, "postgresql: %s", PQresultErrorMessage(r));
	if (ok) {
		m->rows = one ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
		m->rollups = one ? strtoll(PQgetvalue(r, 0, 1), NULL, 10) : 0;
	}
	PQclear(r);
	return ok ? 0 : -EIO;
}

/* A COPY text field: backslash, tab, line feed and return escaped; the
 * runs between them written whole (this is most of a batch's CPU). */
static int copy_rows(struct postgres *pg, const char *host, const char *spool,
		     const struct profile *rows, size_t n, char *err, size_t errlen)
{
	PGresult *r;
	int ok;

	bool binary = copy_format__rows(&pg->buf, host, spool, rows, n);

	if (pg->buf.failed) {
		snprintf(err, errlen, "postgresql: copy: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	r = PQexec(pg->c, binary ? "COPY tp_staging FROM STDIN (FORMAT binary)" :
				   "COPY tp_staging FROM STDIN");
	ok = PQresultStatus(r) == PGRES_COPY_IN;
	PQclear(r);
	ok = ok && PQputCopyData(pg->c, pg->buf.p, (int)pg->buf.len) == 1 &&
	     PQputCopyEnd(pg->c, NULL) == 1;
	r = PQgetResult(pg->c);
	ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(err, errlen, "postgresql: copy: %s", PQerrorMessage(pg->c));
	PQclear(r);
	while ((r = PQgetResult(pg->c)))
		PQclear(r);
	return ok ? 0 : -EIO;
}

static const char *or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

static int upsert_session(struct postgres *pg, const char *host, const char *spool,
			  const struct session *s, char *err, size_t errlen)
{
	char id[24], gid[512], seen[24], lost[24];
	const char *params[] = { host, spool, id, gid, s->target, s->tasks, or_null(s->started_at),
				 or_null(s->ended_at), seen, lost, s->loss_detail, s->status };
	PGresult *r;
	int ok;

	snprintf(id, sizeof(id), "%lld", (long long)s->id);
	snprintf(gid, sizeof(gid), "%s:%lld", host, (long long)s->id);
	snprintf(seen, sizeof(seen), "%lld", (long long)s->events_seen);
	snprintf(lost, sizeof(lost), "%lld", (long long)s->events_lost);
	r = PQexecParams(pg->c,
			 /* an update first: an INSERT ... ON CONFLICT would take a
			  * central id for nothing each time a session is shipped again */
			 "WITH u AS (UPDATE sessions SET ended_at = $8, events_seen = $9, "
			 "events_lost = $10, loss_detail = $11, status = $12, tasks = $6 "
			 "WHERE host = $1 AND spool = $2 AND local_id = $3::bigint RETURNING 1) "
			 "INSERT INTO sessions (host, spool, local_id, global_id, target, tasks, "
			 "started_at, ended_at, events_seen, events_lost, loss_detail, status) "
			 "SELECT $1, $2, $3::bigint, $4, $5, $6, $7::timestamptz, $8::timestamptz, "
			 "$9::bigint, $10::bigint, $11, $12 "
			 "WHERE NOT EXISTS (SELECT 1 FROM u)", 12, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(err, errlen, "postgresql: session: %s", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -EIO;
}

/* Both marks forward to the batch's last row and rollup (never back). */
static int set_marks(struct postgres *pg, const char *host, const char *spool,
		     const struct ship_batch *b, char *err, size_t errlen)
{
	char rows[24], rollups[24];
	const char *params[] = { host, spool, rows, rollups };
	PGresult *r;
	int ok;

	snprintf(rows, sizeof(rows), "%lld", b->nrows ? (long long)b->rows[b->nrows - 1].id : 0LL);
	snprintf(rollups, sizeof(rollups), "%lld",
		 b->nrollups ? (long long)b->rollups[b->nrollups - 1].seq : 0LL);
	r = PQexecParams(pg->c, "INSERT INTO ship_marks VALUES ($1, $2, $3, $4) ON CONFLICT "
			 "(host, spool) DO UPDATE SET shipped_id = "
			 "greatest(ship_marks.shipped_id, excluded.shipped_id), rollup_mark = "
			 "greatest(ship_marks.rollup_mark, excluded.rollup_mark)",
			 4, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(err, errlen, "postgresql: mark: %s", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -EIO;
}

int postgres__ship(struct postgres *pg, const char *host, const char *spool,
		   const struct ship_batch *b, char *err, size_t errlen)
{
	int rc = exec(pg, "BEGIN", err, errlen);

	if (!rc && b->nrows)
		rc = copy_rows(pg, host, spool, b->rows, b->nrows, err, errlen);
	if (!rc && b->nrows)
		rc = exec(pg, pg->insert, err, errlen);
	/* sessions before rollups: a reader joins a rollup to its session */
	for (size_t i = 0; !rc && i < b->nsessions; i++)
		rc = upsert_session(pg, host, spool, &b->sessions[i], err, errlen);
	for (size_t i = 0; !rc && i < b->nrollups; i++)
		rc = postgres_rollups__put(pg->c, host, spool, &b->rollups[i], err, errlen);
	if (!rc && (b->nrows || b->nrollups))
		rc = set_marks(pg, host, spool, b, err, errlen);
	if (!rc)
		rc = exec(pg, "COMMIT", err, errlen);
	if (rc)
		PQclear(PQexec(pg->c, "ROLLBACK"));
	err[strcspn(err, "\n")] = 0;
	return rc;
}
