/* SPDX-License-Identifier: MIT */
/*
 * One collector per database: a lock held for the collector's life, and
 * whether a live collector holds a database.
 */
#ifndef TP_SERVICE_COLLECT_LOCK_H
#define TP_SERVICE_COLLECT_LOCK_H

#include <stdbool.h>

/* The database's fd, locked for the collector's life; or -errno, said. */
int collect_lock__take(const char *db);
/* Whether a live collector holds db (for readers too: any namespace). */
bool collect_lock__held(const char *db);

#endif /* TP_SERVICE_COLLECT_LOCK_H */
