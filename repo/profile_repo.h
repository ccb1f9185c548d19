/* SPDX-License-Identifier: MIT */
/*
 * ProfileRepo: task profiles in SQLite, with the seed's API (add, get_all,
 * get_by_process, exists, remove, remove_by_process) plus get by id and the
 * sessions that recorded them.
 *
 * Functions return 0 (or a count) on success and a negative errno on
 * failure; constructors return NULL and set errno. profile_repo__errmsg()
 * says what went wrong in words.
 */
#ifndef PROFILE_REPO_H
#define PROFILE_REPO_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "profile_columns.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PROFILE_TIME_LEN 32 /* "2026-11-24T04:07:00.123456Z" */
#define PROFILE_NULL_I64 INT64_MIN /* integer column holds NULL; a REAL one holds NAN */

/*
 * An invocation's status (struct profile's status), stored as a word:
 * completed (it returned), unwound (it left its frame through an exception
 * or longjmp), exited (its thread or process ended inside it). The words
 * are the ones the profiles table's CHECK allows (PROFILE_STATUS_CHECK).
 */
enum profile_status {
	PROFILE_COMPLETED,
	PROFILE_UNWOUND,
	PROFILE_EXITED,
	PROFILE_NSTATUS,
};

/* Its word; NULL for a value that is not a status. */
const char *profile_status__name(enum profile_status s);
/* The status a word names, or -EINVAL; NULL is PROFILE_COMPLETED, as a
 * profile stored with no status is. */
int profile_status__parse(const char *s);

/*
 * A session's status (struct session's, struct collector_status's), stored
 * as a word: running, completed, or aborted (its collector died). The words
 * are the ones the sessions table's CHECK allows.
 */
enum session_status {
	SESSION_RUNNING,
	SESSION_COMPLETED,
	SESSION_ABORTED,
	SESSION_NSTATUS,
};

/* Its word; NULL for a value that is not a status. */
const char *session_status__name(enum session_status s);
/* The status a word names, or -EINVAL; NULL is SESSION_COMPLETED, as the
 * column's default and a file from before it (v1) read. */
int session_status__parse(const char *s);

/* One row of `profiles`; its columns are declared in profile_columns.h. */
struct profile {
	int64_t id;
	int64_t session_id;
	char *env;
	char *stage;
	char *process_name;
	char task_start_time[PROFILE_TIME_LEN];
	char task_end_time[PROFILE_TIME_LEN];
	double runtime_seconds;
	int64_t cpu_cores;
	double cpu_user_utilization;
	double cpu_system_utilization;
	double cpu_user_seconds;
	double cpu_system_seconds;
	double memory_usage_peak_mb;
	int64_t memory_allocations; /* PROFILE_NULL_I64 when not counted */
	int64_t file_read_bytes;
	int64_t file_write_bytes;
	double io_wait_time_seconds;
	int64_t network_data_sent_bytes;
	int64_t network_data_received_bytes;
	int64_t exceptions_raised;
	int64_t pid;
	int64_t tid;
	char *symbol;
	char *binary;
	char *status; /* completed, unwound, exited (enum profile_status) */
	int64_t approximate; /* 1: its return went unseen, its end is when it was found
			      * left; 0: exact; PROFILE_NULL_I64: a file before v4 */
};

struct profile_list {
	struct profile *items;
	size_t len;
	size_t cap;
};

struct session {
	int64_t id;
	char *target;
	char *tasks;
	char started_at[PROFILE_TIME_LEN];
	char ended_at[PROFILE_TIME_LEN];
	int64_t events_seen;
	int64_t events_lost;
	char *loss_detail;
	char *status;  /* running, completed, aborted (enum session_status) */
	char *config;  /* a collector's configuration file, as loaded; else NULL */
	int64_t profiles; /* rows it stored (list_sessions only) */
	char *origin;     /* a central database's: "HOST:ID", the id on its host; else NULL */
};

/* Invocations of a task beyond its rate limit, ending in one second. */
struct rollup {
	int64_t seq;                    /* read: its place in the order of change */
	int64_t session_id;             /* required: a collector's session */
	const char *process_name;
	char second[PROFILE_TIME_LEN];  /* the second, ISO-8601 UTC, ".000000Z" */
	int64_t invocations;
	int64_t completed, unwound, exited;
	double sum[PROFILE_NCOLS];      /* by column: metric columns only */
	double max[PROFILE_NCOLS];
	bool has[PROFILE_NCOLS];        /* some invocation had a value (else NULL) */
};

/* What a collector last reported about itself (taskprof status). */
struct collector_status {
	int64_t session_id;
	char updated_at[PROFILE_TIME_LEN];
	int64_t collector_pid;
	char *report;
	char session_status[16];         /* its session's (enum session_status) */
	char ended_at[PROFILE_TIME_LEN]; /* empty while running */
};

enum profile_repo_flags {
	PROFILE_REPO_READONLY = 0x1, /* never create or write; fails if missing */
};

struct profile_repo;

/* path is a SQLite file, or a fleet's central PostgreSQL database as a
 * postgresql:// (or postgres://) URI, which is read-only: there, rows and
 * sessions go by central ids, unique across hosts, and the libpq
 * environment (PGPASSFILE, ~/.pgpass, sslmode) applies. */
struct profile_repo *profile_repo__open(const char *path, unsigned int flags);
/* Reads only host's rows and sessions (NULL: all); -EINVAL on a SQLite
 * file, which holds one host's. */
int profile_repo__set_host(struct profile_repo *repo, const char *host);
void profile_repo__close(struct profile_repo *repo);
const char *profile_repo__errmsg(const struct profile_repo *repo);
/* Message of the last open() failure, for when open returned NULL. */
const char *profile_repo__open_error(void);

int64_t profile_repo__add(struct profile_repo *repo, const struct profile *p);
/* Adds n profiles in one transaction; sets each id. */
int profile_repo__add_batch(struct profile_repo *repo, struct profile *p, size_t n);
int profile_repo__get_all(struct profile_repo *repo, struct profile_list *out);
int profile_repo__get_by_process(struct profile_repo *repo, const char *process_name,
				 struct profile_list *out);
/* Profiles of one session (0: any) and one task (NULL: any), by id. */
int profile_repo__find(struct profile_repo *repo, int64_t session_id, const char *process_name,
		       struct profile_list *out);
int profile_repo__get(struct profile_repo *repo, int64_t id, struct profile *out);
/* Up to limit profiles whose id is above after_id, by id: a spool read in
 * order (shipping to a central database). */
int profile_repo__get_after(struct profile_repo *repo, int64_t after_id, int limit,
			    struct profile_list *out);
/* How many profiles have an id above after_id; or a negative errno. */
int64_t profile_repo__count_after(struct profile_repo *repo, int64_t after_id);
/* 1 if it exists, 0 if not, negative errno on failure. */
int profile_repo__exists(struct profile_repo *repo, int64_t id);
/* 0, or -ENOENT if there is no such profile. */
int profile_repo__remove(struct profile_repo *repo, int64_t id);
/* Number of profiles removed. */
int profile_repo__remove_by_process(struct profile_repo *repo, const char *process_name);

int64_t profile_repo__session_begin(struct profile_repo *repo, const char *target,
				    const char *tasks, const char *started_at);
int profile_repo__session_end(struct profile_repo *repo, int64_t id, const char *ended_at,
			      int64_t events_seen, int64_t events_lost, const char *loss_detail);
/*
 * One flush of a collector: n profiles (ids set) and nr rollups, in one
 * transaction. A rollup for a (session, task, second) already stored is
 * added to it.
 */
int profile_repo__store(struct profile_repo *repo, struct profile *p, size_t n,
			const struct rollup *r, size_t nr);
/* Counts one invocation into r: its status, and each metric's sum and max. */
void rollup__add(struct rollup *r, const struct profile *p);
/* Deletes up to batch profiles and up to batch rollups that ended before
 * `before` (ISO-8601 UTC), in one short transaction; returns how many. */
int profile_repo__expire(struct profile_repo *repo, const char *before, int batch);
int profile_repo__put_status(struct profile_repo *repo, int64_t session, const char *updated_at,
			     int64_t collector_pid, const char *report);
/* The report of the newest collector session; -ENOENT if there was none. */
int profile_repo__get_status(struct profile_repo *repo, struct collector_status *out);
void collector_status__free(struct collector_status *s);

/* Ends a session whose collector died; only while it is still running. */
int profile_repo__session_abort(struct profile_repo *repo, int64_t id, const char *ended_at,
				const char *why);
int profile_repo__get_session(struct profile_repo *repo, int64_t id, struct session *out);
/* Every session, oldest first, with how many profiles each stored. */
int profile_repo__list_sessions(struct profile_repo *repo, struct session **out, size_t *n);
/* The same without counting each one's rows (profiles is 0): a scan of
 * every row, which a shipper asking each second cannot afford. */
int profile_repo__sessions(struct profile_repo *repo, struct session **out, size_t *n);
/* The newest session's id; 0 when there is none. */
int64_t profile_repo__last_session(struct profile_repo *repo);
/* Invocations beyond a collector's rate limit, kept as rollups, not rows:
 * of one session (0: any) and task (NULL: any). */
/* Rollups read back to ship them, their process_name owned. */
struct rollup_list {
	struct rollup *items;
	size_t len;
};
void rollup_list__free(struct rollup_list *l);
/* Up to limit rollups made or added to after seq `after`, in that order:
 * the last one's seq is the next call's `after`. */
int profile_repo__rollups_after(struct profile_repo *repo, int64_t after, int limit,
				struct rollup_list *out);
/* The file's own random id, made with it (schema v5): what tells it from
 * a file made later at the same path. -ENOENT on an older file read as
 * it is. */
int profile_repo__spool_id(struct profile_repo *repo, char *buf, size_t len);
/* A spool's marks of what it shipped to target (a server, named without
 * its password): its last row's id and last rollup's seq; -ENOENT when it
 * never shipped there. The server's own marks decide; these serve while
 * it cannot be reached. */
int profile_repo__spool_mark(struct profile_repo *repo, const char *target, int64_t *rows,
			     int64_t *rollups);
int profile_repo__spool_set_mark(struct profile_repo *repo, const char *target, int64_t rows,
				 int64_t rollups);
/* Deletes the oldest rows after id `after` (not yet shipped) beyond keep of
 * them; how many, or a negative errno. */
int64_t profile_repo__spool_trim(struct profile_repo *repo, int64_t after, int64_t keep);
int64_t profile_repo__rolled_up(struct profile_repo *repo, int64_t session_id,
				const char *process_name);
/* A collector's tasks and configuration text, at its start and each reload. */
int profile_repo__session_set_config(struct profile_repo *repo, int64_t id, const char *tasks,
				     const char *config);
/*
 * Marks aborted every collector session still running: for a collector
 * that holds the database (no other can); returns how many.
 */
int profile_repo__abort_stale_collectors(struct profile_repo *repo, const char *ended_at,
					 const char *why);

/* The columns, in table order, with what a printer needs of each. */
struct profile_column {
	const char *name;
	const char *sql;
	enum profile_kind kind;
	int prec;        /* digits of a REAL */
	int metric;      /* a measurement: rollups sum it and keep its maximum */
	int since;       /* the schema version that added it */
	size_t offset;   /* of its field in struct profile */
};

extern const struct profile_column profile_columns[PROFILE_NCOLS];

/* A column's value; is_null says whether it holds NULL. */
bool profile__is_null(const struct profile *p, enum profile_col c);
int64_t profile__i64(const struct profile *p, enum profile_col c);    /* I64, REF */
double profile__real(const struct profile *p, enum profile_col c);    /* REAL */
const char *profile__text(const struct profile *p, enum profile_col c); /* TEXT, TIME, STATUS */

void profile__free(struct profile *p); /* frees the strings, not p */
void profile_list__free(struct profile_list *l);
void session__free(struct session *s);

#ifdef __cplusplus
}
#endif

#endif /* PROFILE_REPO_H */
