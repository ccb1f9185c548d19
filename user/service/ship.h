/* SPDX-License-Identifier: MIT */
/*
 * Shipping the local database (the spool) to the central PostgreSQL: a
 * thread of the collector's with a handle of its own, so a slow or absent
 * server never stalls collection. It resumes from the mark the
 * server holds, retries with backoff through outages, and says how far
 * behind it is and what last went wrong.
 */
#ifndef TP_SERVICE_SHIP_H
#define TP_SERVICE_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shipper;

/* Rows of db go to conninfo's server as host's, at most max_rows of them
 * waiting (0: no bound); NULL and errno if the thread cannot start (a
 * server down is retried, not an error). */
struct shipper *shipper__start(const char *conninfo, const char *db, const char *host,
			       uint64_t max_rows);
/* The thread ends: connected, it ships what is left first (the session's
 * end); else that ships at the next start, from the server's mark.
 * Accepts NULL. */
void shipper__stop(struct shipper *s);
/* Rows not yet shipped (-1 until the server's mark is known), and the
 * last error, "" when the last round went through. */
int64_t shipper__backlog(struct shipper *s, char *last_err, size_t len);
/* Whether every stored row and rollup is on the server: retention may
 * delete. */
bool shipper__caught_up(struct shipper *s);

/* Unshipped rows the bound deleted, which the session counts as lost. */
uint64_t shipper__dropped(struct shipper *s);

#endif /* TP_SERVICE_SHIP_H */
