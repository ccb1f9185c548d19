// SPDX-License-Identifier: MIT
/*
 * The processes a collector covers: those that map a probed task file,
 * found in /proc at the start and at every tick, tracked from then on
 * (with their children, from their fork), and counted for the status.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/file_id.h"
#include "base/log.h"
#include "engine/engine.h"
#include "service/collect_plan.h"
#include "service/collector.h"
#include "service/procscan.h"

/* The probed files' ids; which[k] is id k's index in c->files. */
static struct file_id *probed_ids(const struct collector *c, size_t *which, size_t *n)
{
	struct file_id *ids = calloc(c->nfiles + 1, sizeof(*ids));

	*n = 0;
	for (size_t i = 0; ids && i < c->nfiles; i++)
		if (c->files[i].probed) {
			which[*n] = i;
			ids[(*n)++] = c->files[i].id;
		}
	return ids;
}

/* --- processes ---------------------------------------------------------------- */

size_t collector__nprobed(const struct collector *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nfiles; i++)
		n += c->files[i].probed;
	return n;
}

size_t collector__nprocs(const struct collector *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nmaps; i++)
		n += !i || c->maps[i].pid != c->maps[i - 1].pid;
	return n;
}

/*
 * Tracks every process that maps a task's file now. Those that enter a task
 * later are tracked by BPF anyway; these are tracked now so that the
 * IO-wait fallback goes in before their first task, if they predate delay
 * accounting.
 */
int collector__track_running(struct collector *c)
{
	size_t nids, *which = calloc(c->nfiles + 1, sizeof(*which));
	struct file_id *ids = which ? probed_ids(c, which, &nids) : NULL;
	int err = ids ? 0 : -ENOMEM;

	free(c->maps);
	c->maps = NULL;
	c->nmaps = 0;
	if (!err)
		err = engine__set_task_files(c->engine, ids, nids);
	if (!err)
		err = procscan__mapping(ids, nids, &c->maps, &c->nmaps);
	for (size_t i = 0; i < c->nmaps && !err; i++) {
		c->maps[i].file = which[c->maps[i].file]; /* now an index into c->files */
		if (c->maps[i].pid != getpid())
			engine__track(c->engine, c->maps[i].pid, 0);
	}
	free(ids);
	free(which);
	if (!err)
		/* for those, before their next call */
		err = engine__check_rss(c->engine, c->nmaps > 0);
	return err;
}

