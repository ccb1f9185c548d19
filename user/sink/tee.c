// SPDX-License-Identifier: MIT
/*
 * Several sinks as one (sink__tee): the local repository first, whose
 * session ids the session keeps, then outputs such as metrics. An
 * operation goes to every member that has it; the first error is said.
 */
#include <errno.h>
#include <stdlib.h>

#include "sink/sink.h"
#include "sink/sink_impl.h"

struct tee {
	struct sink base;
	struct sink **v;
	size_t n;
	const struct sink *failed; /* whose error errmsg says */
};

#define TEE(s) ((struct tee *)(s))
/* op on every member that has it; the first non-zero result kept */
#define EACH(s, op, ...)                                                                  \
	({                                                                                \
		struct tee *t_ = TEE(s);                                                  \
		int rc_ = 0, r_;                                                          \
		for (size_t i_ = 0; i_ < t_->n; i_++) {                                   \
			if (!t_->v[i_]->ops->op)                                          \
				continue;                                                 \
			r_ = t_->v[i_]->ops->op(t_->v[i_], __VA_ARGS__);                 \
			if (r_ < 0 && !rc_) {                                             \
				rc_ = r_;                                                 \
				t_->failed = t_->v[i_];                                   \
			}                                                                 \
		}                                                                         \
		rc_;                                                                      \
	})

static void observe(struct sink *s, const struct profile *p)
{
	for (size_t i = 0; i < TEE(s)->n; i++)
		sink__observe(TEE(s)->v[i], p);
}

static int write_batch(struct sink *s, struct profile *rows, size_t n, const struct rollup *ru,
		       size_t nr)
{
	return EACH(s, write_batch, rows, n, ru, nr);
}

/* The session's id is the first member's; the others learn it. */
static int session_begin(struct sink *s, const struct sink_session *ss, int64_t *id)
{
	struct tee *t = TEE(s);
	int64_t other;
	int err = sink__session_begin(t->v[0], ss, id);

	if (err) {
		t->failed = t->v[0];
		return err;
	}
	for (size_t i = 1; i < t->n; i++)
		if (t->v[i]->ops->session_begin)
			t->v[i]->ops->session_begin(t->v[i], ss, &other);
	return 0;
}

static int session_end(struct sink *s, int64_t id, const struct sink_session_end *e)
{
	return EACH(s, session_end, id, e);
}

static int session_abort(struct sink *s, int64_t id, const char *ended_at, const char *why)
{
	return EACH(s, session_abort, id, ended_at, why);
}

/* Counts (>= 0) are the local store's: only the first member keeps rows. */
static int abort_stale(struct sink *s, const char *ended_at, const char *why)
{
	return sink__abort_stale(TEE(s)->v[0], ended_at, why);
}

static int session_config(struct sink *s, int64_t id, const char *tasks, const char *config)
{
	return EACH(s, session_config, id, tasks, config);
}

static int expire(struct sink *s, const char *before, int batch)
{
	return sink__expire(TEE(s)->v[0], before, batch);
}

static int put_status(struct sink *s, int64_t session, const char *updated_at, int pid,
		      const char *report)
{
	return EACH(s, put_status, session, updated_at, pid, report);
}

static const char *errmsg(const struct sink *s)
{
	const struct tee *t = (const struct tee *)s;

	return sink__errmsg(t->failed ? t->failed : t->v[0]);
}

static void tee_close(struct sink *s)
{
	for (size_t i = 0; i < TEE(s)->n; i++)
		sink__close(TEE(s)->v[i]);
	free(TEE(s)->v);
	free(s);
}

static const struct sink_ops tee_ops = {
	.name = "tee",
	.observe = observe,
	.write_batch = write_batch,
	.session_begin = session_begin,
	.session_end = session_end,
	.session_abort = session_abort,
	.abort_stale = abort_stale,
	.session_config = session_config,
	.expire = expire,
	.put_status = put_status,
	.errmsg = errmsg,
	.close = tee_close,
};

struct sink *sink__tee(struct sink **v, size_t n)
{
	struct tee *t = calloc(1, sizeof(*t));

	if (t)
		t->v = calloc(n, sizeof(*t->v));
	if (!t || !t->v || !n) {
		free(t ? t->v : NULL);
		free(t);
		errno = n ? ENOMEM : EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		t->v[i] = v[i];
	t->n = n;
	t->base.ops = &tee_ops;
	return &t->base;
}
