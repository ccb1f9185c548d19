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
struct rollup;
struct session;

/* How far a spool has been shipped: its last row's id, its last rollup's seq. */
struct ship_marks {
	int64_t rows;
	int64_t rollups;
};

/* What one round ships: rows (ids ascending), rollups (seqs ascending) and
 * every session (upserted: they change as they end). */
struct ship_batch {
	const struct profile *rows;
	size_t nrows;
	const struct rollup *rollups;
	size_t nrollups;
	const struct session *sessions;
	size_t nsessions;
};

/* Connected, the schema there; NULL with one line in err (never the
 * password: libpq's messages do not carry it). */
struct postgres *postgres__connect(const char *conninfo, char *err, size_t errlen);
void postgres__close(struct postgres *pg);
/* The marks of (host, spool) the server holds; 0 for none. */
int postgres__marks(struct postgres *pg, const char *host, const char *spool,
		    struct ship_marks *m, char *err, size_t errlen);
/* A batch, and the marks moved to its last row and rollup, in one
 * transaction. A rollup replaces the server's copy: it holds the sums so
 * far, so shipping it again is exact. */
int postgres__ship(struct postgres *pg, const char *host, const char *spool,
		   const struct ship_batch *b, char *err, size_t errlen);

#endif /* TP_SINK_POSTGRES_H */
