// SPDX-License-Identifier: MIT
/*
 * `taskprof collect`, the always-on collector: a thin caller of the engine,
 * like record. It reads its configuration, takes its database (one
 * collector per database), plans the probes, starts the engine with every
 * process that enters a task tracked, says it is ready, and then stores
 * rows until SIGTERM or SIGINT, reloading on SIGHUP and following task
 * binaries that appear, change or go (collect_reload.c), keeping old rows
 * within the retention, and reporting its status (collect_status.c).
 * collect__run reads as the list of its phases.
 *
 * What a target sees: nothing, as with record. If this process is killed,
 * the kernel drops every link with it; the guardian restores delay
 * accounting and closes the session, and the next collector to start
 * closes whatever session a guardian could not.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "service/collect.h"
#include "service/collect_metrics.h"

#include "profile_repo.h"
#include "taskprof.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/agg.h"
#include "engine/engine.h"
#include "engine/losses.h"
#include "engine/ratelimit.h"
#include "plan/plan.h"
#include "service/collect_lock.h"
#include "service/collect_plan.h"
#include "service/ship.h"
#include "service/collector.h"
#include "service/config.h"
#include "service/dbfile.h"
#include "service/task_table.h"
#include "session/live_session.h"
#include "sink/sink.h"

#define POLL_MS 50
#define BATCH 4096
#define TICK_NS (2ULL * 1000000000ULL)
#define RETENTION_NS (60ULL * 1000000000ULL)
#define RETENTION_BATCH 500

static volatile sig_atomic_t stop_signal, reload_signal;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_signal = 1;
	else
		stop_signal = sig;
}

/* --- before anything changes --------------------------------------------------- */

static int load_config(struct collector *c)
{
	char err[1024];

	c->cfg = collect_config__load(c->config_path, &c->config_text, err, sizeof(err));
	if (!c->cfg)
		tp_err("%s", err);
	return c->cfg ? 0 : -EINVAL;
}

/*
 * The database: safe to open as root, ours alone (a second collector on it
 * would store every invocation twice), and rid of the sessions of
 * collectors that died with their guardians.
 */
static int take_database(struct collector *c)
{
	char now[PROFILE_TIME_LEN];
	int n, err = dbfile__prepare(c->cfg->database, c->cfg->readers_gid);

	if (err)
		return err;
	c->lock_fd = collect_lock__take(c->cfg->database);
	if (c->lock_fd < 0)
		return c->lock_fd;
	err = live_session__open(&c->ls, c->cfg->database);
	if (err)
		return err;
	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now, sizeof(now));
	n = sink__abort_stale(c->ls.sink, now,
						 "collector died (found by the next collector): "
						 "invocations open or not yet stored are missing");
	if (n > 0)
		tp_warn("collect: note: %d earlier collector session%s had no end (killed with its "
			"guardian): marked aborted", n, n == 1 ? "" : "s");
	return n < 0 ? n : 0;
}

static int make_plan(struct collector *c)
{
	char err[2048];

	c->plan = collect_plan__build(c->cfg, &c->tt, &c->files, &c->nfiles, err, sizeof(err));
	if (!c->plan)
		tp_err("%s", err);
	return c->plan ? 0 : -EINVAL;
}

/* The guardian first, then the one system setting we change. */
static int protect(struct collector *c)
{
	return live_session__protect(&c->ls, "collect", c->cfg->database);
}

static int start_engine(struct collector *c)
{
	/*
	 * As record's (TP_RINGBUF_MB: a buffer that stays in the caches costs
	 * every call less): 8 MiB holds a quarter of a second of 250,000
	 * invocations a second, five 50 ms polls.
	 */
	struct engine_opts eo = { .track_all = true, .lazy_rss = true,
				  .ringbuf_mb = c->cfg->ringbuf_mb ? c->cfg->ringbuf_mb
								   : TP_COLLECT_RINGBUF_MB };

	c->engine = engine__new(&eo);
	return c->engine ? 0 : -errno;
}

static int begin_session(struct collector *c)
{
	char now[PROFILE_TIME_LEN], *target;
	struct sink_session ss = { .tasks = "", .started_at = now };
	struct agg *a = &c->ls.agg;
	int err;

	a->tasks = c->tt.v;
	a->ntasks = c->tt.n;
	a->env = c->cfg->env;
	a->marker_exc_unknown = c->plan->nmarkers && !c->plan->npyraise;
	a->limits = ratelimit__new(TP_MAX_TASKS);
	target = tp_strdup_printf("collect --config %s", c->config_path);
	if (!a->limits || !target) {
		free(target);
		return -ENOMEM;
	}
	ss.target = target;
	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now, sizeof(now));
	err = live_session__begin(&c->ls, c->engine, &ss, BATCH);
	free(target);
	if (!err && collector__store_config(c)) {
		tp_err("%s", sink__errmsg(c->ls.sink));
		err = -EIO;
	}
	return err;
}

/* Tracepoints and probes, then the processes that ran a task's file before us. */
static int attach_all(struct collector *c)
{
	int err = engine__attach(c->engine, c->plan);

	if (!err)
		err = collector__track_running(c);
	if (!err)
		err = collector__watch_files(c);
	return err;
}

static int go(struct collector *c)
{
	struct sigaction sa = { .sa_handler = on_signal };
	size_t nproc = collector__nprocs(c);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	c->started_mono = tp_now_ns(CLOCK_MONOTONIC);
	tp_info("collect: ready: %zu task%s in %zu file%s, %zu process%s running them now; "
		"storing into %s (session %lld)", c->cfg->ntasks, c->cfg->ntasks == 1 ? "" : "s",
		collector__nprobed(c), collector__nprobed(c) == 1 ? "" : "s", nproc,
		nproc == 1 ? "" : "es", c->cfg->database, (long long)c->ls.id);
	sd_notifyf(0, "READY=1\nSTATUS=%zu processes; 0.0 rows/s, 0.0 rolled up/s", nproc);
	return 0;
}

/* With postgresql: the local database shipped from now on, by a thread. */
static int start_shipping(struct collector *c)
{
	char host[256];

	if (!c->cfg->postgresql)
		return 0;
	if (c->cfg->host)
		snprintf(host, sizeof(host), "%s", c->cfg->host);
	else if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "localhost");
	c->shipper = shipper__start(c->cfg->postgresql, c->cfg->database, host,
				    c->cfg->spool_max_rows);
	if (!c->shipper)
		tp_err("collect: cannot start shipping: %s", strerror(errno));
	return c->shipper ? 0 : -errno;
}

/* --- running --------------------------------------------------------------------- */

/* Deletes rows older than the retention, a small transaction at a time. */
static void expire(struct collector *c)
{
	char before[PROFILE_TIME_LEN];
	uint64_t now = tp_now_ns(CLOCK_REALTIME);
	int n;

	/* an unshipped row is never deleted: retention waits for the shipper */
	if (!c->cfg->retention_days || !shipper__caught_up(c->shipper))
		return;
	tp_iso_time(now - (uint64_t)c->cfg->retention_days * 86400ULL * 1000000000ULL, before,
		    sizeof(before));
	do {
		n = sink__expire(c->ls.sink, before, RETENTION_BATCH);
		if (n > 0)
			c->expired += n;
		engine__poll(c->engine, 0); /* records keep flowing between batches */
	} while (n >= RETENTION_BATCH && !stop_signal);
	if (n < 0)
		tp_err("collect: %s", sink__errmsg(c->ls.sink));
}

/*
 * Trouble with the database, said when it happens: a deleted file (rows
 * would go on into an unlinked inode, and a second collector could start
 * on the path) stops the collector; failed writes are logged, not only
 * counted at the stop.
 */
static bool database_trouble(struct collector *c)
{
	uint64_t errs = c->ls.agg.write_errors;
	struct stat st;

	if (errs > c->write_errors_said) {
		tp_err("collect: %llu invocations could not be stored: %s",
		       (unsigned long long)(errs - c->write_errors_said),
		       sink__errmsg(c->ls.sink));
		c->write_errors_said = errs;
	}
	if (!fstat(c->lock_fd, &st) && st.st_nlink == 0) {
		tp_err("collect: %s was deleted while in use: stopping; start the collector again "
		       "for a new database", c->cfg->database);
		c->db_gone = true;
	}
	return c->db_gone;
}

static void run(struct collector *c)
{
	uint64_t now, next_tick = 0, next_expiry = 0;

	while (!stop_signal) {
		engine__poll(c->engine, POLL_MS);
		engine__check_rss(c->engine, false);
		if (reload_signal) {
			reload_signal = 0;
			sd_notify(0, "RELOADING=1");
			collector__reload(c);
			sd_notify(0, "READY=1");
		}
		collector__check_files(c);
		now = tp_now_ns(CLOCK_MONOTONIC);
		if (now >= next_tick) {
			if (database_trouble(c))
				return;
			collector__tick(c);
			next_tick = now + TICK_NS;
		}
		if (now >= next_expiry) {
			expire(c);
			next_expiry = now + RETENTION_NS;
		}
	}
}

/* --- the end ------------------------------------------------------------------- */

static void end_session(struct collector *c)
{
	struct losses l;

	sd_notify(0, "STOPPING=1");
	c->ls.agg.spool_dropped = shipper__dropped(c->shipper);
	live_session__end(&c->ls, c->engine, &l);
	shipper__stop(c->shipper);
	c->shipper = NULL;
	collector__put_status(c, &l);
	collector__publish_metrics(c, &l);
	tp_info("collect: stopped by %s: session %lld: %llu invocations stored as rows, %llu "
		"rolled up", stop_signal ? strsignal(stop_signal) : "the database's deletion",
		(long long)c->ls.id,
		(unsigned long long)c->ls.agg.written,
		(unsigned long long)ratelimit__rolled(c->ls.agg.limits));
	if (l.lost)
		tp_warn("warning: %llu lost (%s)", (unsigned long long)l.lost, l.detail);
	if (l.open)
		tp_warn("collect: note: %llu invocation%s still running at the stop: not stored",
			(unsigned long long)l.open, l.open == 1 ? " was" : "s were");
}

static void collector__cleanup(struct collector *c)
{
	engine__free(c->engine);
	if (c->stats_fd >= 0)
		close(c->stats_fd);
	shipper__stop(c->shipper);
	live_session__close(&c->ls, "collect failed before it was ready");
	collector__stop_metrics(c);
	ratelimit__free(c->ls.agg.limits);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	collector__unwatch_files(c);
	plan__free(c->plan);
	watched_files__free(c->files, c->nfiles);
	free(c->maps);
	free(c->gone);
	task_table__free(&c->tt);
	collect_config__free(c->cfg);
	free(c->config_text);
}

int collect__run(const char *config_path)
{
	struct collector c = { .config_path = config_path, .lock_fd = -1, .stats_fd = -1,
			       .inotify_fd = -1 };
	int rc = 1, err;

	if (load_config(&c)) {
		rc = TP_EXIT_CONFIG;
		goto cleanup;
	}
	if (geteuid() != 0) {
		tp_err("collect: needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN to load BPF "
		       "and place uprobes): run it as a service, or with sudo");
		goto cleanup;
	}
	/* the side that faces the network first: it holds nothing of ours */
	if (collector__start_metrics(&c))
		goto cleanup;
	/* a task that cannot be planned is a configuration mistake: no database yet */
	if (make_plan(&c)) {
		rc = TP_EXIT_CONFIG;
		goto cleanup;
	}
	err = take_database(&c);
	if (err) {
		/* a path refused (symlink, open directory) is the configuration's fault */
		rc = err == -EPERM || err == -ENOTDIR ? TP_EXIT_CONFIG : 1;
		goto cleanup;
	}
	if (collector__add_metrics_sink(&c) || protect(&c) || start_engine(&c) ||
	    begin_session(&c) || attach_all(&c) || go(&c))
		goto cleanup;
	collector__publish_metrics(&c, NULL);
	if (start_shipping(&c))
		goto cleanup;
	run(&c);
	end_session(&c);
	rc = c.ls.agg.write_errors || c.db_gone ? 1 : 0;
cleanup:
	collector__cleanup(&c);
	return rc;
}
