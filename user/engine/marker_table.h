/* SPDX-License-Identifier: MIT */
/*
 * What each (process, marker id) a region reported names: the records
 * the marker library sends through the ring buffer, for the aggregator.
 */
#ifndef TP_ENGINE_MARKER_TABLE_H
#define TP_ENGINE_MARKER_TABLE_H

#include <stdbool.h>
#include <stdint.h>

struct marker_table;
struct tp_marker_rec;

struct marker_table;
struct marker_table *marker_table__new(void);
void marker_table__free(struct marker_table *t);
int marker_table__put(struct marker_table *t, const struct tp_marker_rec *r);
/* What (pid, id) names; stage and env NULL when the region gave none. */
bool marker_table__get(const struct marker_table *t, uint32_t pid, uint32_t id, const char **name,
		       const char **stage, const char **env);

#endif /* TP_ENGINE_MARKER_TABLE_H */
