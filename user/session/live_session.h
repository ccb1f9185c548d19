/* SPDX-License-Identifier: MIT */
/*
 * A session being recorded, as record and collect both run one: its
 * guardian, its sink, the aggregator that fills it from the engine, its
 * row begun and ended. The phases they share, written once.
 */
#ifndef TP_SESSION_LIVE_SESSION_H
#define TP_SESSION_LIVE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/agg.h"

struct engine;
struct losses;
struct sink_session;

struct live_session {
	struct guardian *guardian;
	struct sink *sink;
	struct agg agg; /* its fields the caller's to set before live_session__begin */
	int64_t id;
	bool ended;
};

/* Its guardian, started before anything can need one (who: "record"...). */
int live_session__protect(struct live_session *s, const char *who, const char *db);
/* The local database at db, as its sink. */
int live_session__open(struct live_session *s, const char *db);
/* The aggregator started (batch rows a flush), the session's row begun and
 * told to the guardian, and the engine's records going to it. */
int live_session__begin(struct live_session *s, struct engine *e, const struct sink_session *ss,
			size_t batch);
/* Every record taken, the engine detached, what was lost counted into *l,
 * and the row ended with it. */
void live_session__end(struct live_session *s, struct engine *e, struct losses *l);
/* A row begun and not ended ends with why; then everything is let go.
 * The engine must be freed first: it may flush into the aggregator. */
void live_session__close(struct live_session *s, const char *why);

#endif /* TP_SESSION_LIVE_SESSION_H */
