// SPDX-License-Identifier: MIT
/* A plan's probes grouped into links (probe_groups.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/probe_groups.h"

#include "taskprof.h"
#include "elf/elf_file.h"

void probe_group__fini(struct probe_group *g)
{
	free(g->path);
	free(g->offs);
	free(g->cookies);
}

static uint32_t task_of(const struct uprobe_req *r)
{
	return r->prog == TP_PROG_ENTER ? TP_COOKIE_TASK(r->cookie) : NO_TASK;
}

static bool same_group(const struct probe_group *g, const struct uprobe_req *r, dev_t dev, ino_t ino)
{
	return g->prog == r->prog && g->task == task_of(r) && file_id__eq(&g->file, dev, ino);
}

int probe_groups__push(struct probe_group **v, size_t *n, const struct probe_group *g)
{
	struct probe_group *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = *g;
	*v = nv;
	return 0;
}

/* Adds r to its group in the list, or starts the group. */
static int add_req(struct probe_group **v, size_t *n, const struct uprobe_req *r, dev_t dev, ino_t ino)
{
	struct probe_group *g = NULL, fresh = { .prog = r->prog, .task = task_of(r), .file = { dev, ino },
					  .fd = -1 };
	uint64_t *o, *c;

	for (size_t i = 0; i < *n && !g; i++)
		if (same_group(&(*v)[i], r, dev, ino))
			g = &(*v)[i];
	if (!g) {
		fresh.path = strdup(r->path);
		if (!fresh.path || probe_groups__push(v, n, &fresh)) {
			free(fresh.path);
			return -ENOMEM;
		}
		g = &(*v)[*n - 1];
	}
	o = realloc(g->offs, (g->n + 1) * sizeof(*o));
	if (o)
		g->offs = o;
	c = o ? realloc(g->cookies, (g->n + 1) * sizeof(*c)) : NULL;
	if (!c)
		return -ENOMEM;
	g->cookies = c;
	g->offs[g->n] = r->offset;
	g->cookies[g->n++] = r->cookie;
	return 0;
}

/* The plan as groups, each named by the inode its file was read from. */
int probe_groups__of_plan(const struct plan *p, struct probe_group **out, size_t *n)
{
	int err = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < p->n && !err; i++) {
		const struct uprobe_req *r = &p->v[i];
		struct elf_file *ef = NULL;
		struct stat st;

		if (r->prog == TP_PROG_ALLOC)
			continue; /* per process: attacher__attach_allocs */
		for (size_t k = 0; k < p->nelves && !ef; k++)
			if (!strcmp(p->elves[k]->path, r->path))
				ef = p->elves[k];
		if (!ef || fstat(ef->fd, &st))
			err = -ENOENT;
		else
			err = add_req(out, n, r, st.st_dev, st.st_ino);
	}
	return err;
}

bool probe_group__same_probes(const struct probe_group *a, const struct probe_group *b)
{
	return a->n == b->n && !memcmp(a->offs, b->offs, a->n * sizeof(*a->offs)) &&
	       !memcmp(a->cookies, b->cookies, a->n * sizeof(*a->cookies));
}

