// SPDX-License-Identifier: MIT
/* What each (process, marker id) a region reported names (marker_table.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/marker_table.h"

#include "taskprof.h"

#define MARKER_BUCKETS 1024

struct marker_entry {
	struct marker_entry *next;
	uint64_t key;
	char name[TP_MARKER_NAME], stage[TP_MARKER_NAME], env[TP_MARKER_NAME];
};

struct marker_table {
	struct marker_entry *b[MARKER_BUCKETS];
};

struct marker_table *marker_table__new(void)
{
	return calloc(1, sizeof(struct marker_table));
}

void marker_table__free(struct marker_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < MARKER_BUCKETS; i++)
		while (t->b[i]) {
			struct marker_entry *e = t->b[i];

			t->b[i] = e->next;
			free(e);
		}
	free(t);
}

static uint64_t key_of(uint32_t pid, uint32_t id)
{
	return (uint64_t)pid << 32 | id;
}

/* A pid reused by a new process brings new records: the newest wins. */
int marker_table__put(struct marker_table *t, const struct tp_marker_rec *r)
{
	uint64_t key = key_of(r->pid, r->id);
	struct marker_entry **slot = &t->b[key % MARKER_BUCKETS], *e = *slot;

	while (e && e->key != key)
		e = e->next;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->key = key;
		e->next = *slot;
		*slot = e;
	}
	memcpy(e->name, r->name, TP_MARKER_NAME);
	memcpy(e->stage, r->stage, TP_MARKER_NAME);
	memcpy(e->env, r->env, TP_MARKER_NAME);
	e->name[TP_MARKER_NAME - 1] = e->stage[TP_MARKER_NAME - 1] = e->env[TP_MARKER_NAME - 1] = 0;
	return 0;
}

bool marker_table__get(const struct marker_table *t, uint32_t pid, uint32_t id, const char **name,
		       const char **stage, const char **env)
{
	uint64_t key = key_of(pid, id);
	const struct marker_entry *e = t ? t->b[key % MARKER_BUCKETS] : NULL;

	while (e && e->key != key)
		e = e->next;
	if (!e)
		return false;
	*name = e->name;
	*stage = e->stage[0] ? e->stage : NULL;
	*env = e->env[0] ? e->env : NULL;
	return true;
}
