/* SPDX-License-Identifier: MIT */
/*
 * The collector's state, shared by the files of service/ that run it:
 * collect.c (its phases), collect_reload.c (SIGHUP, files that change, the
 * 2 s tick), collect_procs.c (the processes covered), collect_status.c
 * (the status report).
 * Private to service/.
 */
#ifndef TP_SERVICE_COLLECTOR_H
#define TP_SERVICE_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile_repo.h"
#include "session/live_session.h"
#include "service/task_table.h"

struct collect_config;
struct engine;
struct exporter;
struct shipper;
struct sink;
struct file_id;
struct losses;
struct plan;
struct proc_map;
struct watched_file;

struct collector {
	const char *config_path;
	struct collect_config *cfg;
	char *config_text;
	struct task_table tt;         /* (task, file) pairs: indexes for life */
	struct plan *plan;
	struct watched_file *files;   /* what the plan's task binaries name */
	size_t nfiles;
	struct engine *engine;
	bool db_gone;                 /* the database file was deleted under it */
	uint64_t write_errors_said;   /* write errors already logged */
	int lock_fd;                  /* flock on the database: one collector each */
	int stats_fd;                 /* BPF run-time statistics, on while open */
	struct bpf_sample {           /* the last window they were on for */
		uint64_t t0, ns0, runs0;  /* its start */
		double seconds;
		uint64_t run_ns, runs;
		char at[PROFILE_TIME_LEN];
		uint64_t ticks;
		bool failed;
	} bpf;
	int inotify_fd;
	struct live_session ls;      /* its guardian, sink, aggregator and row */
	struct exporter *exporter;    /* the /metrics child, or NULL */
	struct sink *metrics;         /* the metrics sink in ls.sink's tee, or NULL */
	struct shipper *shipper;      /* rows to the central database, or NULL */
	bool metrics_err_said;
	bool replan_due;              /* a watched file changed: plan again */
	bool plan_dirty;              /* a file of the plan was rewritten: never sync it */
	char last_err[256];           /* the last replan failure, said once */
	uint64_t replan_after;        /* ...once it has been quiet until then */
	struct proc_map *maps;        /* processes mapping probed files, last scan;
				       * .file indexes files */
	size_t nmaps;
	struct file_id *gone;         /* files probed once, replaced: kept while mapped */
	size_t ngone;
	int *wds;                     /* inotify watch of each watched file, or -1 */
	uint64_t started_mono;
	uint64_t reloads, reloads_refused, replans;
	uint64_t expired;             /* rows deleted by retention */
	uint64_t last_tick_mono, last_tick_written, last_tick_rolled;
	double last_tick_cpu;
	double rows_per_s, rolled_per_s, cpu_share; /* over the last tick */
};

int collector__track_running(struct collector *c);
size_t collector__nprocs(const struct collector *c);
size_t collector__nprobed(const struct collector *c);
int collector__store_config(struct collector *c);
int collector__watch_files(struct collector *c);
void collector__unwatch_files(struct collector *c);
/* Acts on changed task files: probes off a file written in place at once,
 * a new plan once the files are quiet. */
void collector__check_files(struct collector *c);
/* SIGHUP: the new configuration in force, or the old one kept. */
void collector__reload(struct collector *c);
/* Every few seconds: files rescanned, processes counted, the status stored. */
void collector__tick(struct collector *c);

/* Opens or closes a window of BPF run-time statistics (one tick a minute). */
void collector__sample_bpf(struct collector *c);
/* Stores what `status` shows; l: the losses to report, or NULL to read them now. */
void collector__put_status(struct collector *c, const struct losses *l);

#endif /* TP_SERVICE_COLLECTOR_H */
