// SPDX-License-Identifier: MIT
/*
 * Rollups to the central PostgreSQL (postgres_rollups.h). A local rollup
 * holds its (session, task, second)'s sums so far, so the central row is
 * replaced, never added to: shipping one again after a crash is exact.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "profile_repo.h"
#include "sink/postgres_rollups.h"

/* host, spool, session, task, second and four counts, then sum and max
 * of each metric column */
#define FIXED_PARAMS 9
#define MAX_PARAMS (FIXED_PARAMS + 2 * PROFILE_NCOLS)

static char upsert_sql[8192];
static pthread_once_t upsert_once = PTHREAD_ONCE_INIT;

static void build_upsert(void)
{
	char cols[4096] = "host, spool, session_id, process_name, second, invocations, "
			  "completed, unwound, exited",
	     vals[2048] = "$1, $2, $3, $4, $5, $6, $7, $8, $9",
	     sets[4096] = "invocations = excluded.invocations, completed = excluded.completed, "
			  "unwound = excluded.unwound, exited = excluded.exited";
	int p = FIXED_PARAMS;

	for (int c = 0; c < PROFILE_NCOLS; c++) {
		const char *n = profile_columns[c].name;

		if (!profile_columns[c].metric)
			continue;
		snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols),
			 ", \"sum_%s\", \"max_%s\"", n, n);
		snprintf(vals + strlen(vals), sizeof(vals) - strlen(vals), ", $%d, $%d", p + 1,
			 p + 2);
		snprintf(sets + strlen(sets), sizeof(sets) - strlen(sets),
			 ", \"sum_%s\" = excluded.\"sum_%s\", \"max_%s\" = excluded.\"max_%s\"", n,
			 n, n, n);
		p += 2;
	}
	snprintf(upsert_sql, sizeof(upsert_sql), "INSERT INTO rollups (%s) VALUES (%s) ON CONFLICT "
		 "(host, spool, session_id, process_name, second) DO UPDATE SET %s", cols, vals,
		 sets);
}

int postgres_rollups__put(PGconn *c, const char *host, const char *spool,
			  const struct rollup *r, char *err, size_t errlen)
{
	char text[MAX_PARAMS][32];
	const char *params[MAX_PARAMS] = { host, spool, text[2], r->process_name, r->second,
					   text[5], text[6], text[7], text[8] };
	PGresult *res;
	int n = FIXED_PARAMS, ok;

	pthread_once(&upsert_once, build_upsert);
	snprintf(text[2], sizeof(text[2]), "%lld", (long long)r->session_id);
	snprintf(text[5], sizeof(text[5]), "%lld", (long long)r->invocations);
	snprintf(text[6], sizeof(text[6]), "%lld", (long long)r->completed);
	snprintf(text[7], sizeof(text[7]), "%lld", (long long)r->unwound);
	snprintf(text[8], sizeof(text[8]), "%lld", (long long)r->exited);
	for (int col = 0; col < PROFILE_NCOLS; col++) {
		if (!profile_columns[col].metric)
			continue;
		/* %.17g: every double back exactly */
		snprintf(text[n], sizeof(text[n]), "%.17g", r->sum[col]);
		params[n] = r->has[col] ? text[n] : NULL;
		n++;
		snprintf(text[n], sizeof(text[n]), "%.17g", r->max[col]);
		params[n] = r->has[col] ? text[n] : NULL;
		n++;
	}
	res = PQexecParams(c, upsert_sql, n, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok) {
		snprintf(err, errlen, "postgresql: rollup: %s", PQresultErrorMessage(res));
		err[strcspn(err, "\n")] = 0;
	}
	PQclear(res);
	return ok ? 0 : -EIO;
}
