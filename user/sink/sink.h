/* SPDX-License-Identifier: MIT */
/*
 * Sinks: where a session's rows, rollups and session records go. The
 * aggregator (engine/agg.h), record and collect write through this
 * interface only; each implementation keeps its state behind the opaque
 * struct sink (sink_impl.h). The local SQLite repository (local.c) is the
 * first; a new output is one more file here with its own constructor.
 *
 * Functions return 0 or a negative errno; sink__errmsg says what failed.
 * An operation an implementation does not have returns -EOPNOTSUPP.
 */
#ifndef TP_SINK_SINK_H
#define TP_SINK_SINK_H

#include <stddef.h>
#include <stdint.h>

struct profile;
struct profile_repo;
struct rollup;
struct sink;

/* A session as it starts: what it profiles, and when. */
struct sink_session {
	const char *target;     /* sessions.target */
	const char *tasks;      /* the declared tasks, as given */
	const char *started_at; /* ISO-8601 UTC */
};

/* A session as it ends: what it saw and lost, and why (losses.h). */
struct sink_session_end {
	const char *ended_at;
	const char *loss_detail;
	uint64_t seen;
	uint64_t lost;
};

/* The local SQLite repository at path, created if absent. NULL and errno,
 * the reason said on stderr, if it cannot be opened. */
struct sink *sink__open_local(const char *path);
/* A sink over a repository the caller opened and will close (tests, benches). */
struct sink *sink__over_repo(struct profile_repo *repo);
void sink__close(struct sink *s);
const char *sink__errmsg(const struct sink *s);

/* Combines sinks: every operation goes to each that has it, in order; the
 * first one's session ids are the session's. Takes the sinks (closes them). */
struct sink *sink__tee(struct sink **v, size_t n);

/* Every invocation, as it is made, before a rate limit rolls it up: for
 * outputs that keep running figures (metrics). Never fails. */
void sink__observe(struct sink *s, const struct profile *p);
/* One flush: n rows and nr rollups, stored together or not at all. */
int sink__write_batch(struct sink *s, struct profile *rows, size_t n, const struct rollup *ru,
		      size_t nr);
/* A session's row: its id (> 0) in *id. */
int sink__session_begin(struct sink *s, const struct sink_session *ss, int64_t *id);
int sink__session_end(struct sink *s, int64_t id, const struct sink_session_end *e);
/* A session whose collector died: aborted, unless it ended meanwhile. */
int sink__session_abort(struct sink *s, int64_t id, const char *ended_at, const char *why);
/* Sessions of collectors dead with their guardians, aborted: how many (>= 0). */
int sink__abort_stale(struct sink *s, const char *ended_at, const char *why);
/* What a collector session profiles now (after a reload), and its config. */
int sink__session_config(struct sink *s, int64_t id, const char *tasks, const char *config);
/* Retention: up to batch rows older than before deleted; how many (>= 0). */
int sink__expire(struct sink *s, const char *before, int batch);
/* The collector's status report, which `taskprof status` reads. */
int sink__put_status(struct sink *s, int64_t session, const char *updated_at, int pid,
		     const char *report);

#endif /* TP_SINK_SINK_H */
