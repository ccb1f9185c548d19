/* SPDX-License-Identifier: MIT */
/* The PostgreSQL sink's rollups (postgres_rollups.c); private to sink/. */
#ifndef TP_SINK_POSTGRES_ROLLUPS_H
#define TP_SINK_POSTGRES_ROLLUPS_H

#include <stddef.h>

struct pg_conn;
struct rollup;

/* r as the central rollups table's row of (host, spool, its session, task,
 * second), replacing what was there; 0, or -EIO with one line in err. */
int postgres_rollups__put(struct pg_conn *c, const char *host, const char *spool,
			  const struct rollup *r, char *err, size_t errlen);

#endif /* TP_SINK_POSTGRES_ROLLUPS_H */
