/* SPDX-License-Identifier: MIT */
/*
 * The column table (profile_columns.h) as SQL and binds (columns.c): what
 * schema.c creates, statements.c prepares and profiles.c binds and decodes
 * by. Every char * returned is malloc'd SQL text, which the caller frees;
 * NULL when out of memory.
 */
#ifndef REPO_COLUMNS_H
#define REPO_COLUMNS_H

#include <sqlite3.h>

#include "profile_repo.h"

/* The profiles table as schema version `version` has it. */
char *columns__create_table(int version);
/* ALTER TABLE for the columns version `version` added. */
char *columns__add_since(int version);
/* "INSERT INTO profiles ... VALUES" with placeholders for `rows` rows. */
char *columns__insert(int rows);
/* SELECT id and every column, then `where`; those the file (at version)
 * predates read as NULL. */
char *columns__select(const char *where, int version);
/* The rollups table: per session, task and second, each metric's sum and max. */
char *columns__create_rollups(void);
/* "INSERT INTO rollups (...) VALUES (?,...)" for one rollup, added to the
 * row of its (session, task, second) if there is one. */
char *columns__insert_rollup(void);
/* "SELECT seq, session_id, ..." of the rollups changed after a seq. */
char *columns__select_rollups(void);
/* Binds p's columns from parameter first on; p must outlive the next step. */
void columns__bind(sqlite3_stmt *st, int first, const struct profile *p);
/* Fills p from a row of columns__select(); -ENOMEM leaves p empty. */
int columns__decode(sqlite3_stmt *st, struct profile *p);

/* Sets column c of p from its text (NULL: NULL), as a PostgreSQL result
 * gives it; -ENOMEM leaves the field NULL. */
int columns__set_text(struct profile *p, enum profile_col c, const char *v);

#endif /* REPO_COLUMNS_H */
