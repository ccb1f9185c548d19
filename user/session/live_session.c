// SPDX-License-Identifier: MIT
/*
 * The phases of a session record and collect share (live_session.h). The
 * guardian comes first: a collector killed after its row is begun leaves
 * it to the guardian to end.
 */
#include <errno.h>
#include <time.h>

#include "session/live_session.h"

#include "profile_repo.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/engine.h"
#include "engine/losses.h"
#include "session/guardian.h"
#include "sink/sink.h"

int live_session__protect(struct live_session *s, const char *who, const char *db)
{
	s->guardian = guardian__protect(who, db);
	return s->guardian ? 0 : -errno;
}

int live_session__open(struct live_session *s, const char *db)
{
	s->sink = sink__open_local(db);
	return s->sink ? 0 : -EIO;
}

int live_session__begin(struct live_session *s, struct engine *e, const struct sink_session *ss,
			size_t batch)
{
	struct agg *a = &s->agg;
	int err;

	a->sink = s->sink;
	a->mono_to_real_ns = (int64_t)tp_now_ns(CLOCK_REALTIME) - (int64_t)tp_now_ns(CLOCK_MONOTONIC);
	if (agg__init(a, batch))
		return -ENOMEM;
	err = sink__session_begin(s->sink, ss, &s->id);
	if (err) {
		tp_err("%s", sink__errmsg(s->sink));
		return err;
	}
	a->session_id = s->id;
	guardian__tell_session(s->guardian, s->id);
	return engine__sink(e, a);
}

void live_session__end(struct live_session *s, struct engine *e, struct losses *l)
{
	char now[PROFILE_TIME_LEN];
	struct sink_session_end end = { .ended_at = now, .seen = s->agg.seen };

	engine__stop(e, &s->agg, l);
	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now, sizeof(now));
	end.lost = l->lost;
	end.loss_detail = l->detail;
	if (sink__session_end(s->sink, s->id, &end))
		tp_err("%s", sink__errmsg(s->sink));
	s->ended = true;
}

void live_session__close(struct live_session *s, const char *why)
{
	if (s->id > 0 && !s->ended) {
		char now[PROFILE_TIME_LEN];
		struct sink_session_end end = { .ended_at = now, .seen = s->agg.seen,
						.loss_detail = why };

		tp_iso_time(tp_now_ns(CLOCK_REALTIME), now, sizeof(now));
		sink__session_end(s->sink, s->id, &end);
	}
	agg__fini(&s->agg);
	sink__close(s->sink);
	s->sink = NULL;
	guardian__dismiss(s->guardian);
	s->guardian = NULL;
}
