/* SPDX-License-Identifier: MIT */
/*
 * The central PostgreSQL schema a fleet's collectors ship to and the
 * ProfileRepo reads (central.c): profiles with the repository's columns
 * (from the one column table) after host, spool (the local database they
 * came from) and local_id, their key; sessions under the same key; the
 * rollups; and each spool's shipping marks. Every row and session also
 * has a central id, unique across hosts, which the CLI names them by.
 * Versioned in taskprof_schema, as the SQLite one is by user_version.
 */
#ifndef TP_CENTRAL_SCHEMA_H
#define TP_CENTRAL_SCHEMA_H

#include <stddef.h>

#define CENTRAL_SCHEMA_VERSION 1
/* The timestamptz columns as the repository's ISO-8601 UTC text. */
#define CENTRAL_TIME_FMT "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"

struct pg_conn; /* libpq's PGconn */

/* The tables and indexes, created if absent (under an advisory lock, as
 * collectors race); 0, or -EIO/-EPROTO with one line in err. */
int central_schema__create(struct pg_conn *c, char *err, size_t errlen);
/* 0 if the server's schema is one this taskprof reads; -ENOENT when there
 * is none yet; else -EPROTO/-EIO, with one line in err. */
int central_schema__check(struct pg_conn *c, char *err, size_t errlen);
/* The SQL type of a profile column of kind k (enum profile_kind). */
const char *central_schema__type(int kind);

#endif /* TP_CENTRAL_SCHEMA_H */
