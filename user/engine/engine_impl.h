/* SPDX-License-Identifier: MIT */
/*
 * The engine's state, private to engine.c and tracepoints.c: the BPF
 * skeleton, its links, the sink of its records, and the plan it applies.
 */
#ifndef TP_ENGINE_ENGINE_IMPL_H
#define TP_ENGINE_ENGINE_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "taskprof.h"
#include "engine/attach.h"
#include "engine/engine.h"

struct agg;

/* Return sites asked for at most this often between two polls (the rest are
 * asked again by the next call that needs them). */
#define MAX_SITE_REQS 256

struct engine {
	struct engine_opts opts;
	struct taskprof_bpf *skel;
	struct attacher *att;
	struct bpf_link *tps[8];
	size_t ntps;
	/* tp_switch (IO wait) and tp_rss: with lazy_rss, while a tracked process lives */
	struct bpf_link *sw;
	struct bpf_link *rss;
	struct ringbuf *sink;
	/* the plan applied, which return sites found while running join */
	struct plan *plan;
	struct attacher_sync sync; /* the owner's rules for a sync (collect) */
	bool have_sync;
	struct dynsites *dyn;
	struct tp_site_req reqs[MAX_SITE_REQS];
	size_t nreqs;
};

/* The always-on tracepoints (fork, exit, exec, exit notification, socket
 * bytes), and with them the lazy ones if they are wanted now. */
int engine__attach_tracepoints(struct engine *e);

#endif /* TP_ENGINE_ENGINE_IMPL_H */
