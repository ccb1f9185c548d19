/* SPDX-License-Identifier: MIT */
/*
 * The central PostgreSQL of a fleet, through libpq: its schema (created if
 * absent, versioned), and batches of a spool's rows shipped exactly once.
 * Each batch goes in one transaction with the spool's high-water mark,
 * kept on the server, so a retry after a crash between COMMIT and anything
 * local is exact: rows are COPYed into a staging table and inserted from
 * it with ON CONFLICT DO NOTHING on (host, spool, local_id).
 */
#ifndef TP_SINK_POSTGRES_H
#define TP_SINK_POSTGRES_H

#include <stddef.h>
#include <stdint.h>

struct postgres;
struct profile;
struct session;

/* Connected, the schema there; NULL with one line in err (never the
 * password: libpq's messages do not carry it). */
struct postgres *postgres__connect(const char *conninfo, char *err, size_t errlen);
void postgres__close(struct postgres *pg);
/* The last profile id of (host, spool) the server holds; 0 if none. */
int postgres__mark(struct postgres *pg, const char *host, const char *spool, int64_t *mark,
		   char *err, size_t errlen);
/* n rows (ids ascending), every session given (upserted: they change as
 * they end), and the mark moved to the last row's id, in one transaction. */
int postgres__ship(struct postgres *pg, const char *host, const char *spool,
		   const struct profile *rows, size_t n, const struct session *ss, size_t nss,
		   char *err, size_t errlen);

#endif /* TP_SINK_POSTGRES_H */
