// SPDX-License-Identifier: MIT
/*
 * The collector's task table: one index per (task, file) pair, kept for
 * the collector's life, so a row names the very file its invocation ran
 * in and a reload never renumbers what BPF reports.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "service/task_table.h"

#include "taskprof.h"
#include "elf/elf_file.h"
#include "plan/plan.h"
#include "service/config.h"

/* The index of (name, binary), added if new; -ENOSPC past TP_MAX_TASKS. */
int task_table__find(struct task_table *t, const char *name, const char *binary,
			    uint32_t *idx)
{
	struct agg_task *nv;

	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name) && !strcmp(t->v[i].binary, binary)) {
			*idx = i;
			return 0;
		}
	if (t->n == TP_MAX_TASKS)
		return -ENOSPC;
	nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	t->v = nv;
	memset(&nv[t->n], 0, sizeof(*nv));
	nv[t->n].name = strdup(name);
	nv[t->n].binary = strdup(binary);
	if (!nv[t->n].name || !nv[t->n].binary) {
		free(nv[t->n].name);
		free(nv[t->n].binary);
		return -ENOMEM;
	}
	*idx = t->n++;
	return 0;
}

static char *dup_or_null(const char *s, bool *fail)
{
	char *d = s ? strdup(s) : NULL;

	*fail |= s && !d;
	return d;
}

/* A deep copy: a new plan fills it, and it replaces the old one if all goes well. */
int task_table__clone(const struct task_table *from, struct task_table *to)
{
	bool fail = false;

	to->n = 0;
	to->v = calloc(from->n + 1, sizeof(*to->v));
	if (!to->v)
		return -ENOMEM;
	for (size_t i = 0; i < from->n; i++, to->n++) {
		to->v[i] = from->v[i];
		to->v[i].name = dup_or_null(from->v[i].name, &fail);
		to->v[i].binary = dup_or_null(from->v[i].binary, &fail);
		to->v[i].symbol = dup_or_null(from->v[i].symbol, &fail);
		to->v[i].stage = dup_or_null(from->v[i].stage, &fail);
	}
	if (fail) {
		task_table__free(to);
		return -ENOMEM;
	}
	return 0;
}

void task_table__free(struct task_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].symbol);
		free(t->v[i].binary);
		free(t->v[i].stage);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* What a row of this (task, file) says: the config's current stage and limit. */
int task_table__set(struct task_table *tt, uint32_t idx, const struct collect_task *ct,
			   const struct elf_sym *only)
{
	struct agg_task *t = &tt->v[idx];
	char *stage = ct->stage ? strdup(ct->stage) : NULL;
	char *sym = only ? strdup(only->name) : NULL;

	if ((ct->stage && !stage) || (only && !sym)) {
		free(stage);
		free(sym);
		return -ENOMEM;
	}
	free(t->stage);
	free(t->symbol);
	t->stage = stage;
	t->symbol = sym;
	t->max_rows = ct->max_rows;
	return 0;
}

