/* SPDX-License-Identifier: MIT */
/*
 * A batch of rows as COPY data for the PostgreSQL sink's staging table
 * (copy_format.c); private to sink/.
 */
#ifndef TP_SINK_COPY_FORMAT_H
#define TP_SINK_COPY_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

struct profile;

/* A batch's COPY data, its memory kept from batch to batch: growing a
 * fresh buffer for each took a third of the shipper's CPU in page faults
 * and copies. */
struct copybuf {
	char *p;
	size_t len, cap;
	bool failed; /* out of memory: the batch is not sent */
};

/* The rows, after host, spool and their ids, into b: in COPY's binary
 * format (true), or in its text format (false) when a time is not in the
 * repository's own form and only the server can read it. b->failed when
 * out of memory. */
bool copy_format__rows(struct copybuf *b, const char *host, const char *spool,
		       const struct profile *rows, size_t n);

#endif /* TP_SINK_COPY_FORMAT_H */
