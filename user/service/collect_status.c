// SPDX-License-Identifier: MIT
/*
 * What the collector is doing, for `taskprof status`: the collector writes
 * a report into its database every few seconds (the readers group can read
 * it without privilege, and without reaching the collector), and status
 * prints the newest, saying whether its collector still runs.
 *
 * The report: each task's files and the processes mapping them now, rows
 * per second, rolled-up invocations, losses by reason, the collector's own
 * CPU and memory, and the BPF programs' run time from the kernel's BPF
 * statistics.
 *
 * Those statistics cost every BPF program in the system two clock reads a
 * run while they are on (measured here: 5-9% more time per page fault for
 * a program that only faults, through rss_stat), so they are on for one
 * tick a minute, and the report gives that window's figures. The first
 * window opens 20 s after the start, not at once: a collector's start is
 * when people measure what it costs, and they should see what it costs for
 * 58 s of each minute.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "profile_repo.h"
#include "taskprof.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/engine.h"
#include "engine/losses.h"
#include "engine/ratelimit.h"
#include "plan/plan.h"
#include "service/collect.h"
#include "service/collect_lock.h"
#include "sink/conninfo.h"
#include "service/ship.h"
#include "service/collect_plan.h"
#include "service/collector.h"
#include "sink/sink.h"
#include "service/config.h"
#include "service/procscan.h"

#define STATS_EVERY 30 /* ticks: one window a minute */
#define STATS_FIRST 10 /* ...the first 20 s after the start */
#define STALE_S 10     /* a report older than this: the collector is not ticking */

void collector__sample_bpf(struct collector *c)
{
	struct bpf_sample *b = &c->bpf;
	uint64_t now = tp_now_ns(CLOCK_MONOTONIC), ns, runs;

	if (c->stats_fd >= 0) {
		engine__prog_stats(c->engine, &ns, &runs);
		b->seconds = (now - b->t0) / 1e9;
		b->run_ns = ns - b->ns0;
		b->runs = runs - b->runs0;
		tp_iso_time(tp_now_ns(CLOCK_REALTIME), b->at, sizeof(b->at));
		close(c->stats_fd);
		c->stats_fd = -1;
		return;
	}
	if (b->ticks++ % STATS_EVERY != STATS_FIRST)
		return;
	c->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	b->failed = c->stats_fd < 0;
	engine__prog_stats(c->engine, &b->ns0, &b->runs0);
	b->t0 = now;
}

/* How the returns of the file's tasks are seen, each way once: "returns by
 * uretprobe, return sites" (record -v says it function by function). */
static const char *returns_of(const struct collector *c, const char *path, char *buf, size_t len)
{
	bool uret = false, sites = false, insn = false;

	for (size_t i = 0; i < c->plan->n; i++) {
		const struct uprobe_req *r = &c->plan->v[i];

		if (r->prog != TP_PROG_ENTER || strcmp(r->path, path))
			continue;
		uret |= (r->cookie & TP_COOKIE_URET) != 0;
		sites |= (r->cookie & TP_COOKIE_SITES) != 0;
		insn |= !(r->cookie & (TP_COOKIE_URET | TP_COOKIE_SITES));
	}
	snprintf(buf, len, "returns by%s%s%s%s%s", uret ? " uretprobe" : "",
		 uret && (sites || insn) ? "," : "", sites ? " return sites" : "",
		 sites && insn ? "," : "", insn ? " ret instructions" : "");
	return buf;
}

/* The processes mapping watched file w, on one line. */
static void pids_of(FILE *f, const struct collector *c, const struct watched_file *w)
{
	size_t shown = 0, total = 0;

	for (size_t i = 0; i < c->nmaps; i++) {
		if (&c->files[c->maps[i].file] != w)
			continue;
		if (shown < 20)
			fprintf(f, "%s%d", shown++ ? " " : "", c->maps[i].pid);
		total++;
	}
	if (!total)
		fputs("none now", f);
	else if (total > shown)
		fprintf(f, " ... (%zu in all)", total);
}

static void tasks(FILE *f, const struct collector *c)
{
	for (size_t t = 0; t < c->cfg->ntasks; t++) {
		const struct collect_task *ct = &c->cfg->tasks[t];
		bool any = false;

		fprintf(f, "task %s: %s in %s\n", ct->name, ct->symbol, ct->binary);
		if (ct->max_rows)
			fprintf(f, "  rows up to %u a second, the rest rolled up\n", ct->max_rows);
		for (size_t i = 0; i < c->tt.n; i++) {
			const struct watched_file *w = NULL;

			if (strcmp(c->tt.v[i].name, ct->name))
				continue;
			for (size_t k = 0; k < c->nfiles && !w; k++)
				if (c->files[k].probed && !strcmp(c->files[k].path, c->tt.v[i].binary))
					w = &c->files[k];
			if (!w)
				continue;
			any = true;
			char how[96];

			fprintf(f, "  %s (%s): processes ", w->path,
				returns_of(c, w->path, how, sizeof(how)));
			pids_of(f, c, w);
			fputc('\n', f);
		}
		if (!any)
			fputs("  not attached: no file matches, or it lacks the symbol\n", f);
	}
}

/* The backlog and the last failure; the server named without a password. */
static void shipping(FILE *f, struct collector *c)
{
	char who[512], err[512];
	int64_t backlog = shipper__backlog(c->shipper, err, sizeof(err));

	conninfo__describe(c->cfg->postgresql, who, sizeof(who));
	if (backlog < 0)
		fprintf(f, "shipping to postgresql (%s): not connected yet", who);
	else
		fprintf(f, "shipping to postgresql (%s): backlog %lld rows", who,
			(long long)backlog);
	fprintf(f, "%s%s\n", err[0] ? "; last error: " : "", err);
}

static void numbers(FILE *f, struct collector *c, const struct losses *l)
{
	uint64_t now = tp_now_ns(CLOCK_MONOTONIC), rss, mine;
	const struct bpf_sample *b = &c->bpf;
	double up = c->started_mono ? (now - c->started_mono) / 1e9 : 0, cpu;

	fprintf(f, "rows: %llu stored, %.1f/s now\n", (unsigned long long)c->ls.agg.written,
		c->rows_per_s);
	fprintf(f, "rolled up: %llu invocations, %.1f/s now\n",
		(unsigned long long)ratelimit__rolled(c->ls.agg.limits), c->rolled_per_s);
	fprintf(f, "lost: %llu (%s)\n", (unsigned long long)l->lost, l->detail);
	if (c->cfg->retention_days)
		fprintf(f, "retention: %u days, %llu rows removed\n", c->cfg->retention_days,
			(unsigned long long)c->expired);
	if (c->shipper)
		shipping(f, c);
	procscan__self(&cpu, &rss, &mine);
	fprintf(f, "collector: PID %d, up %.0f s, CPU %.2f s in all, %.2f%% of one CPU now; memory "
		"%.1f MiB of its own (RSS %.1f MiB with the ring buffer and ELF files mapped)\n",
		getpid(), up, cpu, 100 * c->cpu_share, mine / 1048576.0, rss / 1048576.0);
	if (b->failed)
		fputs("BPF: run time unknown: the kernel's BPF statistics could not be enabled\n",
		      f);
	else if (!b->at[0])
		fputs("BPF: run time not sampled yet (its first window opens 20 s after the "
		      "start)\n", f);
	else
		fprintf(f, "BPF: %.4f%% of one CPU: %.3f ms run time in %llu runs (%.0f ns each) "
			"over %.1f s to %s (the kernel's BPF statistics, on %.0f s a minute)\n",
			b->seconds > 0 ? 100 * b->run_ns / 1e9 / b->seconds : 0, b->run_ns / 1e6,
			(unsigned long long)b->runs, b->runs ? (double)b->run_ns / b->runs : 0,
			b->seconds, b->at, b->seconds);
	fprintf(f, "config: %s, %llu reload%s (%llu refused), %llu replan%s\n", c->config_path,
		(unsigned long long)c->reloads, c->reloads == 1 ? "" : "s",
		(unsigned long long)c->reloads_refused, (unsigned long long)c->replans,
		c->replans == 1 ? "" : "s");
}

void collector__put_status(struct collector *c, const struct losses *final)
{
	char now[PROFILE_TIME_LEN];
	struct losses l;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	if (final)
		l = *final;
	else
		engine__losses(c->engine, &c->ls.agg, &l);
	tasks(f, c);
	numbers(f, c, &l);
	fclose(f);
	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now, sizeof(now));
	if (sink__put_status(c->ls.sink, c->ls.id, now, getpid(), buf))
		tp_err("collect: cannot store the status: %s", sink__errmsg(c->ls.sink));
	free(buf);
}

/* Seconds since an ISO time of tp_iso_time, or -1. */
static double age_of(const char *iso)
{
	struct tm tm = { 0 };
	const char *rest = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!rest)
		return -1;
	return tp_now_ns(CLOCK_REALTIME) / 1e9 - (double)timegm(&tm) - atof(rest);
}

int status__print(const char *db)
{
	struct profile_repo *r = profile_repo__open(db, PROFILE_REPO_READONLY);
	struct collector_status cs;
	bool running;
	int err;

	if (!r) {
		tp_err("%s", profile_repo__open_error());
		return 1;
	}
	err = profile_repo__get_status(r, &cs);
	profile_repo__close(r);
	if (err == -ENOENT) {
		printf("no collector has run on %s\n", db);
		return 3;
	}
	if (err) {
		tp_err("status: cannot read %s: %s", db, strerror(-err));
		return 1;
	}
	running = session_status__parse(cs.session_status) == SESSION_RUNNING && collect_lock__held(db);
	if (running && age_of(cs.updated_at) > STALE_S)
		printf("collector running, but its last report is %.0f s old (it reports every "
		       "2 s): it is stopped (SIGSTOP) or stuck; rows may be waiting: session %lld, "
		       "database %s, report of %s\n", age_of(cs.updated_at),
		       (long long)cs.session_id, db, cs.updated_at);
	else if (running)
		printf("collector running: session %lld, database %s, report of %s\n",
		       (long long)cs.session_id, db, cs.updated_at);
	else if (session_status__parse(cs.session_status) == SESSION_RUNNING)
		printf("collector NOT running: session %lld never ended (its collector, PID %lld, "
		       "is gone: it was killed): its last report, of %s:\n", (long long)cs.session_id,
		       (long long)cs.collector_pid, cs.updated_at);
	else
		printf("collector not running: session %lld %s at %s; its last report:\n",
		       (long long)cs.session_id, cs.session_status, cs.ended_at);
	fputs(cs.report, stdout);
	collector_status__free(&cs);
	return running ? 0 : 3;
}
