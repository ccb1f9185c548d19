// SPDX-License-Identifier: MIT
/*
 * The profile columns (profile_columns.h) as data: the SQL that creates,
 * inserts and selects them, binding a struct profile to a statement,
 * decoding a row back and freeing it, all by walking the one table.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo_columns.h"
#include "repo_internal.h"

const struct profile_column profile_columns[PROFILE_NCOLS] = {
#define COLUMN(name, sql, kind, prec, metric, since)                                      \
	[PROFILE_COL_##name] = { #name, sql, kind, prec, metric, since,                   \
				 offsetof(struct profile, name) },
	PROFILE_COLUMNS(COLUMN)
#undef COLUMN
};

/* Each field has the C type its kind says: a mismatch does not compile. */
#define FIELD(name) (((struct profile *)0)->name)
#define TYPE_OF(name)                                                                   \
	_Generic(FIELD(name), int64_t: 1, double: 2,                                    \
		 char *: (sizeof(FIELD(name)) == PROFILE_TIME_LEN ? 3 : 4), default: 0)
#define TYPE_FOR(kind)                                                                  \
	((kind) == PROFILE_I64 || (kind) == PROFILE_REF ? 1 :                            \
	 (kind) == PROFILE_REAL ? 2 : (kind) == PROFILE_TIME ? 3 : 4)
#define CHECK(name, sql, kind, prec, metric, since)                                                  \
	_Static_assert(TYPE_OF(name) == TYPE_FOR(kind), #name ": field type and kind differ");
PROFILE_COLUMNS(CHECK)
#undef CHECK

static const void *field(const struct profile *p, enum profile_col c)
{
	return (const char *)p + profile_columns[c].offset;
}

static void *field_mut(struct profile *p, enum profile_col c)
{
	return (char *)p + profile_columns[c].offset;
}

void profile__free(struct profile *p)
{
	if (!p)
		return;
	free(p->env);
	free(p->stage);
	free(p->process_name);
	free(p->symbol);
	free(p->binary);
	free(p->status);
	p->env = p->stage = p->process_name = p->symbol = p->binary = p->status = NULL;
}

int64_t profile__i64(const struct profile *p, enum profile_col c)
{
	return *(const int64_t *)field(p, c);
}

double profile__real(const struct profile *p, enum profile_col c)
{
	return *(const double *)field(p, c);
}

const char *profile__text(const struct profile *p, enum profile_col c)
{
	if (profile_columns[c].kind == PROFILE_TIME)
		return field(p, c);
	return *(char *const *)field(p, c);
}

bool profile__is_null(const struct profile *p, enum profile_col c)
{
	switch (profile_columns[c].kind) {
	case PROFILE_I64:
		return profile__i64(p, c) == PROFILE_NULL_I64;
	case PROFILE_REF:
		return profile__i64(p, c) == 0;
	case PROFILE_REAL:
		return isnan(profile__real(p, c));
	case PROFILE_TEXT:
	case PROFILE_STATUS:
		return profile__text(p, c) == NULL;
	default:
		return false;
	}
}

/* Appends to a malloc'd string; NULL (and frees s) when out of memory. */
static char *cat(char *s, const char *more)
{
	size_t a = s ? strlen(s) : 0, b = strlen(more);
	char *n = realloc(s, a + b + 1);

	if (!n) {
		free(s);
		return NULL;
	}
	memcpy(n + a, more, b + 1);
	return n;
}

static char *names(char *s, const char *sep)
{
	for (int c = 0; c < PROFILE_NCOLS && s; c++) {
		if (c)
			s = cat(s, sep);
		s = s ? cat(s, profile_columns[c].name) : NULL;
	}
	return s;
}

char *columns__create_table(int version)
{
	char *s = cat(NULL, "CREATE TABLE profiles (id INTEGER PRIMARY KEY");

	for (int c = 0; c < PROFILE_NCOLS && s; c++) {
		if (profile_columns[c].since > version)
			continue;
		s = cat(s, ", ");
		s = s ? cat(s, profile_columns[c].name) : NULL;
		s = s ? cat(s, " ") : NULL;
		s = s ? cat(s, profile_columns[c].sql) : NULL;
	}
	return s ? cat(s, ");") : NULL;
}

char *columns__add_since(int version)
{
	char *s = cat(NULL, "");

	for (int c = 0; c < PROFILE_NCOLS && s; c++) {
		if (profile_columns[c].since != version)
			continue;
		s = cat(s, "ALTER TABLE profiles ADD COLUMN ");
		s = s ? cat(s, profile_columns[c].name) : NULL;
		s = s ? cat(s, " ") : NULL;
		s = s ? cat(s, profile_columns[c].sql) : NULL;
		s = s ? cat(s, ";") : NULL;
	}
	return s;
}

/* ", sum_X<type>, max_X<type>" for each metric column X, counted in *n. */
static char *metric_pairs(char *s, const char *type, int *n)
{
	for (int c = 0; c < PROFILE_NCOLS && s; c++) {
		if (!profile_columns[c].metric)
			continue;
		s = cat(s, ", sum_");
		s = s ? cat(s, profile_columns[c].name) : NULL;
		s = s ? cat(s, type) : NULL;
		s = s ? cat(s, ", max_") : NULL;
		s = s ? cat(s, profile_columns[c].name) : NULL;
		s = s ? cat(s, type) : NULL;
		*n += 2;
	}
	return s;
}

/* Rollups: invocations beyond a task's rate, per task and second, with
 * the sum and the maximum of every metric column. */
char *columns__create_rollups(void)
{
	char *s = cat(NULL, "CREATE TABLE rollups (id INTEGER PRIMARY KEY,"
			    " session_id INTEGER NOT NULL REFERENCES sessions(id),"
			    " process_name TEXT NOT NULL, second TEXT NOT NULL,"
			    " invocations INTEGER NOT NULL, completed INTEGER NOT NULL,"
			    " unwound INTEGER NOT NULL, exited INTEGER NOT NULL");
	int n = 0;

	s = metric_pairs(s, " REAL", &n);
	return s ? cat(s, ", UNIQUE (session_id, process_name, second));"
			  " CREATE INDEX rollups_second ON rollups(second);") : NULL;
}

/* Adds to the row of its (session, task, second), NULL meaning none. */
static char *upsert(char *s)
{
	static const char *const counts[] = { "invocations", "completed", "unwound", "exited" };
	char buf[512];

	s = cat(s, ") ON CONFLICT (session_id, process_name, second) DO UPDATE SET "
		   "seq = excluded.seq, ");
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]) && s; i++) {
		snprintf(buf, sizeof(buf), "%s%s = %s + excluded.%s", i ? ", " : "", counts[i],
			 counts[i], counts[i]);
		s = cat(s, buf);
	}
	for (int c = 0; c < PROFILE_NCOLS && s; c++) {
		const char *n = profile_columns[c].name;

		if (!profile_columns[c].metric)
			continue;
		snprintf(buf, sizeof(buf),
			 ", sum_%s = coalesce(sum_%s + excluded.sum_%s, sum_%s, excluded.sum_%s)"
			 ", max_%s = coalesce(max(max_%s, excluded.max_%s), max_%s, excluded.max_%s)",
			 n, n, n, n, n, n, n, n, n, n);
		s = cat(s, buf);
	}
	return s;
}

char *columns__insert_rollup(void)
{
	char *s = cat(NULL, "INSERT INTO rollups (seq, session_id, process_name, second,"
			    " invocations, completed, unwound, exited");
	int params = 7;

	s = metric_pairs(s, "", &params);
	/* the next in the order of change, made or added to */
	s = s ? cat(s, ") VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM rollups), ?") : NULL;
	for (int i = 1; i < params && s; i++)
		s = cat(s, ",?");
	return s ? upsert(s) : NULL;
}

/* Rollups changed after seq ?1, in the order they changed, at most ?2. */
char *columns__select_rollups(void)
{
	char *s = cat(NULL, "SELECT seq, session_id, process_name, second, invocations,"
			    " completed, unwound, exited");
	int n = 0;

	s = metric_pairs(s, "", &n);
	return s ? cat(s, " FROM rollups WHERE seq > ?1 ORDER BY seq LIMIT ?2") : NULL;
}

/* "INSERT ... VALUES (?,...),(?,...)...": placeholders only, never data */
char *columns__insert(int rows)
{
	char *s = names(cat(NULL, "INSERT INTO profiles ("), ", ");

	s = s ? cat(s, ") VALUES ") : NULL;
	for (int r = 0; r < rows && s; r++) {
		s = cat(s, r ? ",(" : "(");
		for (int c = 0; c < PROFILE_NCOLS && s; c++)
			s = cat(s, c ? ",?" : "?");
		s = s ? cat(s, ")") : NULL;
	}
	return s;
}

char *columns__select(const char *where, int version)
{
	char *s = cat(NULL, "SELECT id");

	/* a column the file predates reads as NULL */
	for (int c = 0; c < PROFILE_NCOLS && s; c++) {
		s = cat(s, ", ");
		s = s ? cat(s, profile_columns[c].since > version ? "NULL" :
			       profile_columns[c].name) : NULL;
	}

	s = s ? cat(s, " FROM profiles") : NULL;
	s = s ? cat(s, where) : NULL;
	return s;
}

static inline void bind_i64(sqlite3_stmt *st, int i, int64_t v, int64_t null)
{
	if (v == null)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static inline void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* NaN is how a REAL column holds NULL (a profile added without it). */
static inline void bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

#define BIND_PROFILE_I64(i, x) bind_i64(st, i, x, PROFILE_NULL_I64)
#define BIND_PROFILE_REF(i, x) bind_i64(st, i, x, 0)
#define BIND_PROFILE_REAL(i, x) bind_real(st, i, x)
#define BIND_PROFILE_TEXT(i, x) bind_text(st, i, x)
#define BIND_PROFILE_TIME(i, x) bind_text(st, i, x)
#define BIND_PROFILE_STATUS(i, x)                                                       \
	bind_text(st, i, (x) ? (x) : profile_status__name(PROFILE_COMPLETED))

/*
 * The hot path of every batch: one statement per column, expanded from the
 * table at compile time, as straight as a hand-written bind.
 */
void columns__bind(sqlite3_stmt *st, int first, const struct profile *p)
{
	int i = first;

#define BIND(name, sql, kind, prec, metric, since) BIND_##kind(i++, p->name);
	PROFILE_COLUMNS(BIND)
#undef BIND
}

int columns__decode(sqlite3_stmt *st, struct profile *p)
{
	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, 0);
	for (int c = 0; c < PROFILE_NCOLS; c++) {
		int i = 1 + c;
		void *f = field_mut(p, c);

		switch (profile_columns[c].kind) {
		case PROFILE_I64:
			*(int64_t *)f = sqlite3_column_type(st, i) == SQLITE_NULL ?
						PROFILE_NULL_I64 : sqlite3_column_int64(st, i);
			break;
		case PROFILE_REF:
			*(int64_t *)f = sqlite3_column_int64(st, i); /* NULL reads as 0 */
			break;
		case PROFILE_REAL:
			*(double *)f = sqlite3_column_type(st, i) == SQLITE_NULL ?
					       NAN : sqlite3_column_double(st, i);
			break;
		case PROFILE_TIME:
			repo__col_copy(st, i, f, PROFILE_TIME_LEN);
			break;
		default:
			*(char **)f = repo__col_strdup(st, i);
			if (!*(char **)f && sqlite3_column_type(st, i) != SQLITE_NULL) {
				profile__free(p);
				return -ENOMEM;
			}
		}
	}
	return 0;
}

int columns__set_text(struct profile *p, enum profile_col c, const char *v)
{
	void *f = field_mut(p, c);

	switch (profile_columns[c].kind) {
	case PROFILE_I64:
		*(int64_t *)f = v ? strtoll(v, NULL, 10) : PROFILE_NULL_I64;
		return 0;
	case PROFILE_REF:
		*(int64_t *)f = v ? strtoll(v, NULL, 10) : 0;
		return 0;
	case PROFILE_REAL:
		*(double *)f = v ? strtod(v, NULL) : NAN; /* "NaN" and "Infinity" too */
		return 0;
	case PROFILE_TIME:
		snprintf(f, PROFILE_TIME_LEN, "%s", v ? v : "");
		return 0;
	default:
		*(char **)f = v ? strdup(v) : NULL;
		return v && !*(char **)f ? -ENOMEM : 0;
	}
}
