// SPDX-License-Identifier: MIT
/*
 * The collector's metrics (prometheus = ADDRESS:PORT): the task series a
 * metrics sink keeps beside the local repository, the collector's own
 * health, rendered each tick and handed to the /metrics child
 * (exporter.c), which serves it as nobody.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/engine.h"
#include "engine/losses.h"
#include "engine/ratelimit.h"
#include "service/collect_metrics.h"
#include "service/collector.h"
#include "service/config.h"
#include "service/exporter.h"
#include "service/ship.h"
#include "session/live_session.h"
#include "sink/metrics.h"
#include "sink/sink.h"

#ifndef TP_VERSION
#define TP_VERSION "unknown"
#endif
#define NOBODY 65534 /* nobody and nogroup, on Debian */
#define DEFAULT_MAX_TASKS 500

int collector__start_metrics(struct collector *c)
{
	char err[512];

	if (!c->cfg->prometheus)
		return 0;
	c->exporter = exporter__start(c->cfg->prometheus, NOBODY, NOBODY, err, sizeof(err));
	if (!c->exporter) {
		tp_err("collect: %s", err);
		return -EADDRNOTAVAIL;
	}
	tp_info("collect: metrics on http://%s/metrics, served as nobody (PID %d)",
		c->cfg->prometheus, exporter__pid(c->exporter));
	return 0;
}

int collector__add_metrics_sink(struct collector *c)
{
	struct sink *m, *both[2];

	if (!c->exporter)
		return 0;
	m = metrics_sink__new(c->cfg->metrics_max_tasks ? c->cfg->metrics_max_tasks
							: DEFAULT_MAX_TASKS);
	if (!m)
		return -ENOMEM;
	both[0] = c->ls.sink;
	both[1] = m;
	c->ls.sink = sink__tee(both, 2);
	if (!c->ls.sink) {
		c->ls.sink = both[0];
		sink__close(m);
		return -ENOMEM;
	}
	c->metrics = m;
	return 0;
}

/* loss_detail's "reason=N" words, the lost ones, as one counter each */
static void lost_by_reason(FILE *f, const char *detail)
{
	char name[64];
	unsigned long long n;
	int used;

	fputs("# HELP taskprof_collector_events_lost_total Invocations lost or stored short, "
	      "by reason.\n# TYPE taskprof_collector_events_lost_total counter\n", f);
	for (const char *p = detail; sscanf(p, " %63[^=]=%llu%n", name, &n, &used) == 2;
	     p += used)
		if (strcmp(name, "mem_peak_approximate") && strcmp(name, "still_open_at_stop"))
			fprintf(f, "taskprof_collector_events_lost_total{reason=\"%s\"} %llu\n",
				name, n);
}

static void gauge(FILE *f, const char *name, const char *type, const char *help,
		  unsigned long long v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

static void health(FILE *f, struct collector *c, const struct losses *l)
{
	int64_t backlog;

	lost_by_reason(f, l->detail);
	gauge(f, "taskprof_collector_rows_stored_total", "counter",
	      "Invocations stored as rows in the local database.", c->ls.agg.written);
	gauge(f, "taskprof_collector_rows_rolled_up_total", "counter",
	      "Invocations past a task's rate, stored as per-second rollups.",
	      ratelimit__rolled(c->ls.agg.limits));
	gauge(f, "taskprof_collector_processes_tracked", "gauge",
	      "Processes mapping a task's file, tracked.", collector__nprocs(c));
	backlog = c->shipper ? shipper__backlog(c->shipper, NULL, 0) : 0;
	gauge(f, "taskprof_collector_ship_backlog_rows", "gauge",
	      "Rows stored locally and not yet shipped to the central database.",
	      backlog > 0 ? (unsigned long long)backlog : 0);
	gauge(f, "taskprof_collector_series_folded_total", "counter",
	      "Invocations counted under task=\"other\": more tasks than metrics_max_tasks.",
	      metrics_sink__folded(c->metrics));
	fprintf(f, "# HELP taskprof_collector_info The collector's version.\n"
		   "# TYPE taskprof_collector_info gauge\n"
		   "taskprof_collector_info{version=\"%s\"} 1\n", TP_VERSION);
}

void collector__publish_metrics(struct collector *c, const struct losses *l)
{
	struct losses now;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	if (!c->exporter || !c->metrics)
		return;
	f = open_memstream(&text, &len);
	if (!f)
		return;
	if (!l) {
		engine__losses(c->engine, &c->ls.agg, &now);
		l = &now;
	}
	metrics_sink__render(c->metrics, f);
	health(f, c, l);
	if (fclose(f)) {
		free(text);
		return;
	}
	err = exporter__publish(c->exporter, text, len);
	if (err && !c->metrics_err_said) {
		tp_warn("collect: metrics: cannot hand the server a snapshot: %s", strerror(-err));
		c->metrics_err_said = true;
	}
	free(text);
}

void collector__stop_metrics(struct collector *c)
{
	exporter__stop(c->exporter);
	c->exporter = NULL;
}
