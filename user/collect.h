/* SPDX-License-Identifier: MIT */
/*
 * Interfaces of the always-on collector (`taskprof collect`), a caller of
 * the engine like `record` is: its configuration, its plan, its database
 * file, the processes it covers, and its status report.
 */
#ifndef TP_COLLECT_H
#define TP_COLLECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tp.h"

#define TP_COLLECT_CONF "/etc/taskprof/taskprof.conf"
#define TP_COLLECT_DB "/var/lib/taskprof/profiles.db"
#define TP_COLLECT_RINGBUF_MB 8 /* as record's: see TP_RINGBUF_MB */

/* --- config.c: the INI file -------------------------------------------- */
struct collect_task {
	char *name;             /* [task NAME]: process_name */
	char *binary;           /* absolute path or glob */
	char *symbol;
	char *marker;           /* marker = NAME instead of binary and symbol */
	char *stage;            /* NULL: none */
	uint32_t max_rows;      /* per second; 0: no limit */
	enum tp_ret_mode returns;
	int line;               /* of its [task NAME] header, for messages */
	int binary_line;
	int symbol_line;
};

struct collect_config {
	char *path;
	char *database;
	char *env;
	char *readers;          /* group that may read the database, or NULL */
	gid_t readers_gid;      /* (gid_t)-1 without readers */
	unsigned int retention_days; /* 0: rows are kept */
	size_t ringbuf_mb;      /* 0: the default */
	struct collect_task *tasks;
	size_t ntasks;
};

/*
 * Reads and checks the whole file. NULL, with the one line that names the
 * problem ("config: FILE:LINE: problem") in err; else the configuration,
 * and in *text (if text) the file as read.
 */
struct collect_config *collect_config__load(const char *path, char **text, char *err,
					    size_t errlen);
void collect_config__free(struct collect_config *c);

/* --- collect_plan.c: the configuration as probes -------------------------- */
/* One file a task's binary names now, as the plan read it. */
struct watched_file {
	char *path;
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	off_t size;
	bool probed;            /* holds probes (else only matched) */
};

/*
 * The task table of a collector: names keep their index for the life of
 * the collector, so a record in flight across a reload keeps its name.
 */
struct task_table {
	struct agg_task *v;
	size_t n;
};

int task_table__clone(const struct task_table *from, struct task_table *to);
void task_table__free(struct task_table *t);
/* The index of (name, binary), added if new; -ENOSPC past TP_MAX_TASKS. */
int task_table__find(struct task_table *t, const char *name, const char *binary, uint32_t *idx);
/* What a row of this (task, file) says: the config's stage and limit; its
 * symbol when the file has one match (only), else none. */
int task_table__set(struct task_table *tt, uint32_t idx, const struct collect_task *ct,
		    const struct elf_sym *only);

/*
 * The plan for a configuration: each task's binary expanded (globs) and
 * resolved, the runtime hooks of every image, and the files it read; tt
 * gains the (task, file) pairs it did not have. On a mistake, NULL and the
 * one line naming the config file and line in err.
 */
struct plan *collect_plan__build(const struct collect_config *c, struct task_table *tt,
				 struct watched_file **files, size_t *nfiles, char *err,
				 size_t errlen);
/* Whether any file the plan read has changed since, or a glob matches others. */
bool collect_plan__stale(const struct collect_config *c, const struct watched_file *files,
			 size_t nfiles);
void watched_files__free(struct watched_file *f, size_t n);

/* --- dbfile.c: the database file, safe to open as root ------------------- */
/*
 * Refuses a symlink or a directory others can write to; creates the file
 * 0640, group readers (or root only), so SQLite's -wal and -shm files,
 * which copy the database's mode and owner, get the same.
 */
int dbfile__prepare(const char *path, gid_t readers);

/* --- procscan.c: who maps a task's files ----------------------------------- */

struct proc_map {
	pid_t pid;
	size_t file;            /* index into the file ids asked about */
};

/* Every process mapping one of the files now, in /proc order (by pid). */
int procscan__mapping(const struct file_id *ids, size_t n, struct proc_map **out, size_t *nout);
/* Whether some process maps the file; true when it cannot tell. */
bool procscan__any_maps(dev_t dev, ino_t ino);
/* This process's CPU seconds, resident memory, and the private part of it. */
void procscan__self(double *cpu_s, uint64_t *rss_bytes, uint64_t *private_bytes);

/* --- collect.c, collect_reload.c, collect_status.c: the collector ----------- */
/* Exit status for a configuration that cannot be used (sysexits' EX_CONFIG):
 * the unit does not restart on it. */
#define TP_EXIT_CONFIG 78

struct collector {
	const char *config_path;
	struct collect_config *cfg;
	char *config_text;
	struct task_table tt;         /* (task, file) pairs: indexes for life */
	struct plan *plan;
	struct watched_file *files;   /* what the plan's task binaries name */
	size_t nfiles;
	struct engine *engine;
	struct guardian *guardian;
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
	struct profile_repo *repo;
	struct agg agg;
	int64_t session;
	bool session_ended;
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

int collect__run(const char *config_path);

/* collect_reload.c */
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

/* collect_lock.c */
/* The database's fd, locked for the collector's life; or -errno, said. */
int collect_lock__take(const char *db);
/* Whether a live collector holds db (for readers too: any namespace). */
bool collect_lock__held(const char *db);
/* `collect --after-stop`: tidies what a collector killed with its guardian left. */
int collect__after_stop(const char *config_path);

/* collect_status.c */
/* Opens or closes a window of BPF run-time statistics (one tick a minute). */
void collector__sample_bpf(struct collector *c);
/* Stores what `status` shows; l: the final losses, or NULL for now's. */
void collector__put_status(struct collector *c, const struct losses *l);
/* `taskprof status`: prints the newest collector's report. */
int status__print(const char *db);

#endif /* TP_COLLECT_H */
