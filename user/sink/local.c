// SPDX-License-Identifier: MIT
/*
 * The local sink: the SQLite ProfileRepo (repo/profile_repo.h), one
 * transaction per flush. It is the spool every other output will read
 * from, so it has every operation.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "profile_repo.h"
#include "base/log.h"
#include "sink/sink.h"
#include "sink/sink_impl.h"

struct local_sink {
	struct sink base;
	struct profile_repo *repo;
	bool owned; /* closed with the sink */
};

static struct profile_repo *repo_of(const struct sink *s)
{
	return ((const struct local_sink *)s)->repo;
}

static int write_batch(struct sink *s, struct profile *rows, size_t n, const struct rollup *ru,
		       size_t nr)
{
	return profile_repo__store(repo_of(s), rows, n, ru, nr);
}

static int session_begin(struct sink *s, const struct sink_session *ss, int64_t *id)
{
	int64_t v = profile_repo__session_begin(repo_of(s), ss->target, ss->tasks, ss->started_at);

	if (v < 0)
		return (int)v;
	*id = v;
	return 0;
}

static int session_end(struct sink *s, int64_t id, const struct sink_session_end *e)
{
	return profile_repo__session_end(repo_of(s), id, e->ended_at, (int64_t)e->seen,
					 (int64_t)e->lost, e->loss_detail);
}

static int session_abort(struct sink *s, int64_t id, const char *ended_at, const char *why)
{
	return profile_repo__session_abort(repo_of(s), id, ended_at, why);
}

static int abort_stale(struct sink *s, const char *ended_at, const char *why)
{
	return profile_repo__abort_stale_collectors(repo_of(s), ended_at, why);
}

static int session_config(struct sink *s, int64_t id, const char *tasks, const char *config)
{
	return profile_repo__session_set_config(repo_of(s), id, tasks, config);
}

static int expire(struct sink *s, const char *before, int batch)
{
	return profile_repo__expire(repo_of(s), before, batch);
}

static int put_status(struct sink *s, int64_t session, const char *updated_at, int pid,
		      const char *report)
{
	return profile_repo__put_status(repo_of(s), session, updated_at, pid, report);
}

static const char *errmsg(const struct sink *s)
{
	return profile_repo__errmsg(repo_of(s));
}

static void local_close(struct sink *s)
{
	struct local_sink *l = (struct local_sink *)s;

	if (l->owned)
		profile_repo__close(l->repo);
	free(l);
}

static const struct sink_ops local_ops = {
	.name = "sqlite",
	.write_batch = write_batch,
	.session_begin = session_begin,
	.session_end = session_end,
	.session_abort = session_abort,
	.abort_stale = abort_stale,
	.session_config = session_config,
	.expire = expire,
	.put_status = put_status,
	.errmsg = errmsg,
	.close = local_close,
};

static struct sink *local_new(struct profile_repo *repo, bool owned)
{
	struct local_sink *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->base.ops = &local_ops;
	l->repo = repo;
	l->owned = owned;
	return &l->base;
}

struct sink *sink__over_repo(struct profile_repo *repo)
{
	return local_new(repo, false);
}

struct sink *sink__open_local(const char *path)
{
	struct profile_repo *repo = profile_repo__open(path, 0);
	struct sink *s;

	if (!repo) {
		tp_err("%s", profile_repo__open_error());
		return NULL;
	}
	s = local_new(repo, true);
	if (!s) {
		tp_err("sink: cannot open %s: %s", path, "out of memory");
		profile_repo__close(repo);
		errno = ENOMEM;
	}
	return s;
}
