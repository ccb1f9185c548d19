// SPDX-License-Identifier: MIT
/*
 * The collector keeping up with change: a configuration reloaded on
 * SIGHUP, and task binaries that appear, are replaced or are rewritten.
 *
 * A new plan is built beside the running one and replaces it only whole;
 * the links then change only where the plans differ (attacher__sync).
 * A binary replaced by a new file keeps its probes on the old file while a
 * process still runs it. A binary rewritten in place loses its probes at
 * the first write, since its offsets would point into other code, and
 * gets new ones once the writes have stopped.
 */
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "base/file_id.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/attach.h"
#include "engine/engine.h"
#include "engine/losses.h"
#include "engine/ratelimit.h"
#include "plan/plan.h"
#include "service/collect_metrics.h"
#include "service/collect_plan.h"
#include "service/collector.h"
#include "sink/sink.h"
#include "service/config.h"
#include "service/config_file.h"
#include "service/dbfile.h"
#include "service/procscan.h"
#include "service/ship.h"
#include "service/task_table.h"

#define SETTLE_NS (300ULL * 1000000ULL)

/* The tasks as the session row lists them. */
int collector__store_config(struct collector *c)
{
	char *s = NULL, *prev, *text;
	int err;

	for (size_t i = 0; i < c->cfg->ntasks; i++) {
		const struct collect_task *t = &c->cfg->tasks[i];

		prev = s;
		if (t->marker)
			s = tp_strdup_printf("%s%s%s=marker:%s", prev ? prev : "", prev ? " " : "",
					     t->name, t->marker);
		else
			s = tp_strdup_printf("%s%s%s=%s:%s", prev ? prev : "", prev ? " " : "",
					     t->name, t->binary, t->symbol);
		free(prev);
		if (!s)
			return -ENOMEM;
	}
	/* the session row holds what it ran with, but never a password */
	text = config_file__redacted(c->config_text);
	err = text ? sink__session_config(c->ls.sink, c->ls.id, s, text) : -ENOMEM;
	free(text);
	free(s);
	return err ? -EIO : 0;
}

/* --- keeping probes on replaced files -------------------------------------------- */

static bool in_ids(const struct file_id *v, size_t n, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (file_id__eq(&v[i], dev, ino))
			return true;
	return false;
}

static bool task_configured(const struct collector *c, uint32_t task)
{
	if (task >= c->tt.n)
		return true; /* not an entry group: the file decides */
	for (size_t i = 0; i < c->cfg->ntasks; i++)
		if (!strcmp(c->cfg->tasks[i].name, c->tt.v[task].name))
			return true;
	return false;
}

/* A probe on a file no binary names any more stays while a process runs it. */
static bool keep(void *ctx, dev_t dev, ino_t ino, uint32_t task)
{
	struct collector *c = ctx;

	return in_ids(c->gone, c->ngone, dev, ino) && task_configured(c, task) &&
	       procscan__any_maps(dev, ino);
}

static void retire(void *ctx, uint32_t task)
{
	struct collector *c = ctx;

	engine__retire(c->engine, task);
}

/* Files the old plan probed that the new one does not: remembered as gone. */
static void note_gone(struct collector *c, const struct watched_file *old, size_t nold)
{
	for (size_t i = 0; i < nold; i++) {
		struct file_id *nv;
		bool still = false;

		for (size_t k = 0; k < c->nfiles && !still; k++)
			still = c->files[k].probed &&
				file_id__eq(&c->files[k].id, old[i].id.dev, old[i].id.ino);
		if (!old[i].probed || still || in_ids(c->gone, c->ngone, old[i].id.dev, old[i].id.ino))
			continue;
		nv = realloc(c->gone, (c->ngone + 1) * sizeof(*nv));
		if (!nv)
			return; /* then its probes go now: safe, only less coverage */
		c->gone = nv;
		c->gone[c->ngone++] = old[i].id;
	}
}

/* Forgets gone files no process maps any more (their probes went with them). */
static void prune_gone(struct collector *c)
{
	size_t k = 0;

	for (size_t i = 0; i < c->ngone; i++)
		if (procscan__any_maps(c->gone[i].dev, c->gone[i].ino))
			c->gone[k++] = c->gone[i];
	c->ngone = k;
}

/* --- a new plan ---------------------------------------------------------------- */

/*
 * Plans for cfg (the running configuration, or a new one) and puts the plan
 * in force. Nothing changes unless the whole plan could be made.
 */
static int replan(struct collector *c, char *err, size_t errlen)
{
	struct collect_config *cfg = c->cfg;
	struct attacher_sync s = { .ctx = c, .keep = keep, .retire = retire };
	struct watched_file *files, *old_files = c->files;
	struct task_table tt, old_tt = c->tt;
	size_t nfiles, nold = c->nfiles;
	struct plan *p;
	int rc;

	if (task_table__clone(&c->tt, &tt)) {
		snprintf(err, errlen, "collect: cannot plan the probes: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	p = collect_plan__build(cfg, &tt, &files, &nfiles, err, errlen);
	if (!p) {
		task_table__free(&tt);
		return -EINVAL;
	}
	/* rows waiting to be stored borrow the old table's strings */
	engine__flush(c->engine);
	c->tt = tt;
	c->ls.agg.tasks = c->tt.v;
	c->ls.agg.ntasks = c->tt.n;
	c->ls.agg.env = cfg->env;
	c->ls.agg.marker_exc_unknown = p->nmarkers && !p->npyraise;
	c->files = files;
	c->nfiles = nfiles;
	note_gone(c, old_files, nold);
	rc = engine__sync(c->engine, p, &s);
	plan__free(c->plan);
	c->plan = p;
	watched_files__free(old_files, nold);
	task_table__free(&old_tt);
	collector__unwatch_files(c);
	collector__watch_files(c);
	collector__track_running(c);
	c->replans++;
	c->plan_dirty = false;
	if (rc)
		snprintf(err, errlen, "collect: some probes could not be placed (see above)");
	return rc;
}

/* --- SIGHUP ---------------------------------------------------------------------- */

void collector__reload(struct collector *c)
{
	char err[2048], *text = NULL;
	struct collect_config *cfg = collect_config__load(c->config_path, &text, err, sizeof(err));
	struct collect_config *old;

	if (cfg && strcmp(cfg->database, c->cfg->database)) {
		snprintf(err, sizeof(err), "config: %s: database changed from %s to %s: restart "
			 "the collector to move it", c->config_path, c->cfg->database, cfg->database);
		collect_config__free(cfg);
		cfg = NULL;
	}
	old = c->cfg;
	if (cfg) {
		c->cfg = cfg; /* what the plan and the kept probes are judged by */
		if (replan(c, err, sizeof(err)) == -EINVAL) {
			c->cfg = old;
			collect_config__free(cfg);
			cfg = NULL;
		}
	}
	if (!cfg) {
		tp_err("%s; reload refused, the running configuration stays", err);
		free(text);
		c->reloads_refused++;
		return;
	}
	if (cfg->readers_gid != old->readers_gid)
		dbfile__prepare(cfg->database, cfg->readers_gid);
	if (cfg->ringbuf_mb != old->ringbuf_mb)
		tp_warn("collect: note: ringbuf_mb changes at the next start");
	collect_config__free(old);
	free(c->config_text);
	c->config_text = text;
	if (collector__store_config(c))
		tp_err("collect: %s", sink__errmsg(c->ls.sink));
	c->reloads++;
	tp_info("collect: reloaded %s: %zu task%s in %zu file%s", c->config_path, cfg->ntasks,
		cfg->ntasks == 1 ? "" : "s", collector__nprobed(c),
		collector__nprobed(c) == 1 ? "" : "s");
}

/* --- watching the files ---------------------------------------------------------- */

/* Each watched file, and the directory each binary pattern names files in. */
int collector__watch_files(struct collector *c)
{
	c->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (c->inotify_fd < 0)
		return 0; /* the periodic rescan still notices, later */
	c->wds = calloc(c->nfiles + 1, sizeof(*c->wds));
	for (size_t i = 0; c->wds && i < c->nfiles; i++)
		c->wds[i] = inotify_add_watch(c->inotify_fd, c->files[i].path,
					      IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE |
					      IN_DELETE_SELF | IN_MOVE_SELF);
	for (size_t i = 0; i < c->cfg->ntasks; i++) {
		char dir[PATH_MAX];

		if (!c->cfg->tasks[i].binary)
			continue; /* a marker task: its libraries are watched as files */
		snprintf(dir, sizeof(dir), "%s", c->cfg->tasks[i].binary);
		dirname(dir);
		if (!strpbrk(dir, "*?["))
			inotify_add_watch(c->inotify_fd, dir,
					  IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM |
					  IN_ATTRIB | IN_CLOSE_WRITE);
	}
	return 0;
}

void collector__unwatch_files(struct collector *c)
{
	if (c->inotify_fd >= 0)
		close(c->inotify_fd);
	c->inotify_fd = -1;
	free(c->wds);
	c->wds = NULL;
}

/* A probed file being written: its probes go before its code changes under them. */
static void written(struct collector *c, int wd)
{
	struct attacher_sync s = { .ctx = c, .retire = retire };

	for (size_t i = 0; c->wds && i < c->nfiles; i++) {
		if (c->wds[i] != wd || !c->files[i].probed)
			continue;
		tp_warn("collect: %s is being rewritten in place: its probes are off until it is "
			"written", c->files[i].path);
		engine__drop_file(c->engine, c->files[i].id.dev, c->files[i].id.ino, &s);
		c->files[i].probed = false;
		c->plan_dirty = true; /* the running plan's offsets for it are void */
	}
}

/* Whether a file named so in a watched directory could be a task's binary:
 * its other files (a log, a configuration beside it) change nothing. */
static bool names_task_file(const struct collector *c, const char *name)
{
	for (size_t i = 0; i < c->cfg->ntasks; i++) {
		const char *base;

		if (!c->cfg->tasks[i].binary)
			continue;
		base = strrchr(c->cfg->tasks[i].binary, '/');
		if (!fnmatch(base ? base + 1 : c->cfg->tasks[i].binary, name, 0))
			return true;
	}
	return false;
}

void collector__check_files(struct collector *c)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	uint64_t now = tp_now_ns(CLOCK_MONOTONIC);
	char err[2048];
	ssize_t n;

	while (c->inotify_fd >= 0 && (n = read(c->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->mask & IN_MODIFY)
				written(c, ev->wd);
			if (!ev->len || names_task_file(c, ev->name)) {
				c->replan_due = true;
				c->replan_after = now + SETTLE_NS;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (!c->replan_due || now < c->replan_after)
		return;
	c->replan_due = false;
	if (replan(c, err, sizeof(err))) {
		/* said once, not at every rescan while it stays so */
		if (strncmp(err, c->last_err, sizeof(c->last_err) - 1))
			tp_err("%s; the task's probes go in when it is fixed", err);
		snprintf(c->last_err, sizeof(c->last_err), "%.*s", (int)sizeof(c->last_err) - 1, err);
		return;
	}
	c->last_err[0] = 0;
		tp_info("collect: task files changed: %zu file%s probed", collector__nprobed(c),
			collector__nprobed(c) == 1 ? "" : "s");
}

/* --- every few seconds ----------------------------------------------------------- */

void collector__tick(struct collector *c)
{
	struct attacher_sync s = { .ctx = c, .keep = keep, .retire = retire };
	uint64_t now = tp_now_ns(CLOCK_MONOTONIC), rolled = ratelimit__rolled(c->ls.agg.limits);
	double dt = (now - c->last_tick_mono) / 1e9, cpu;
	uint64_t rss, mine;
	struct losses l;
	char line[256];

	if (!c->replan_due && collect_plan__stale(c->cfg, c->files, c->nfiles)) {
		c->replan_due = true;
		c->replan_after = now;
	}
	if (c->ngone && !c->plan_dirty) {
		prune_gone(c);
		engine__sync(c->engine, c->plan, &s); /* drops probes of files no one runs */
	}
	collector__track_running(c);
	engine__prune_dead(c->engine);
	engine__idle_rss(c->engine);
	collector__sample_bpf(c);
	procscan__self(&cpu, &rss, &mine);
	if (c->last_tick_mono && dt > 0) {
		c->rows_per_s = (c->ls.agg.written - c->last_tick_written) / dt;
		c->rolled_per_s = (rolled - c->last_tick_rolled) / dt;
		c->cpu_share = (cpu - c->last_tick_cpu) / dt;
	}
	c->last_tick_cpu = cpu;
	c->last_tick_mono = now;
	c->last_tick_written = c->ls.agg.written;
	c->last_tick_rolled = rolled;
	/* read once for both: each read walks every CPU's BPF counters */
	c->ls.agg.spool_dropped = shipper__dropped(c->shipper);
	engine__losses(c->engine, &c->ls.agg, &l);
	collector__put_status(c, &l);
	collector__publish_metrics(c, &l);
	snprintf(line, sizeof(line), "STATUS=%zu processes; %.1f rows/s, %.1f rolled up/s",
		 collector__nprocs(c), c->rows_per_s, c->rolled_per_s);
	sd_notify(0, line);
}
