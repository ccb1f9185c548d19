/* SPDX-License-Identifier: MIT */
/*
 * What a sink implementation provides (private to sink/): one table of
 * operations, any of which but close may be NULL (-EOPNOTSUPP), and the
 * struct sink at the start of its own state.
 */
#ifndef TP_SINK_SINK_IMPL_H
#define TP_SINK_SINK_IMPL_H

#include "sink/sink.h"

struct sink_ops {
	const char *name;
	void (*observe)(struct sink *s, const struct profile *p);
	int (*write_batch)(struct sink *s, struct profile *rows, size_t n, const struct rollup *ru,
			   size_t nr);
	int (*session_begin)(struct sink *s, const struct sink_session *ss, int64_t *id);
	int (*session_end)(struct sink *s, int64_t id, const struct sink_session_end *e);
	int (*session_abort)(struct sink *s, int64_t id, const char *ended_at, const char *why);
	int (*abort_stale)(struct sink *s, const char *ended_at, const char *why);
	int (*session_config)(struct sink *s, int64_t id, const char *tasks, const char *config);
	int (*expire)(struct sink *s, const char *before, int batch);
	int (*put_status)(struct sink *s, int64_t session, const char *updated_at, int pid,
			  const char *report);
	const char *(*errmsg)(const struct sink *s);
	void (*close)(struct sink *s);
};

/* The first member of every implementation's state. */
struct sink {
	const struct sink_ops *ops;
};

#endif /* TP_SINK_SINK_IMPL_H */
