// SPDX-License-Identifier: MIT
/*
 * The sink interface (sink.h): each call goes to the implementation's
 * operation, or says it has none.
 */
#include <errno.h>

#include "sink/sink.h"
#include "sink/sink_impl.h"

#define CALL(s, op, ...) ((s)->ops->op ? (s)->ops->op((s), __VA_ARGS__) : -EOPNOTSUPP)

void sink__observe(struct sink *s, const struct profile *p)
{
	if (s->ops->observe)
		s->ops->observe(s, p);
}

int sink__write_batch(struct sink *s, struct profile *rows, size_t n, const struct rollup *ru,
		      size_t nr)
{
	return CALL(s, write_batch, rows, n, ru, nr);
}

int sink__session_begin(struct sink *s, const struct sink_session *ss, int64_t *id)
{
	return CALL(s, session_begin, ss, id);
}

int sink__session_end(struct sink *s, int64_t id, const struct sink_session_end *e)
{
	return CALL(s, session_end, id, e);
}

int sink__session_abort(struct sink *s, int64_t id, const char *ended_at, const char *why)
{
	return CALL(s, session_abort, id, ended_at, why);
}

int sink__abort_stale(struct sink *s, const char *ended_at, const char *why)
{
	return CALL(s, abort_stale, ended_at, why);
}

int sink__session_config(struct sink *s, int64_t id, const char *tasks, const char *config)
{
	return CALL(s, session_config, id, tasks, config);
}

int sink__expire(struct sink *s, const char *before, int batch)
{
	return CALL(s, expire, before, batch);
}

int sink__put_status(struct sink *s, int64_t session, const char *updated_at, int pid,
		     const char *report)
{
	return CALL(s, put_status, session, updated_at, pid, report);
}

const char *sink__errmsg(const struct sink *s)
{
	return s->ops->errmsg ? s->ops->errmsg(s) : "unknown error";
}

void sink__close(struct sink *s)
{
	if (s)
		s->ops->close(s);
}
