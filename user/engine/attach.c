// SPDX-License-Identifier: MIT
/*
 * Turns the probe plan into links, and keeps them in step with a plan that
 * changes (the collector's reloads). Task probes and runtime hooks are
 * multi-uprobe links on the file, for every process that maps it: BPF acts
 * only in tracked processes, so a fork costs no attach, and a link's
 * teardown costs one RCU synchronisation however many processes it served.
 * Allocation probes are per process (a probe on libc's malloc for every
 * process would tax them all). Teardowns run in parallel: 64 links go in
 * about one grace period (~80 ms here), not 64.
 *
 * A link is one group (probe_groups.h).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "engine/attach.h"
#include "engine/probe_groups.h"

#include "taskprof.h"
#include "taskprof.skel.h"
#include "base/file_id.h"
#include "base/log.h"
#include "elf/elf_file.h"
#include "engine/uprobe_multi.h"
#include "plan/plan.h"

#define MAX_CLOSERS 64


struct attacher {
	struct taskprof_bpf *skel;
	struct probe_group *g;          /* multi-uprobe links */
	size_t ng;
	struct bpf_link **links;  /* per-process perf-event uprobes */
	size_t nlinks;
};

static struct bpf_program *prog_of(struct taskprof_bpf *skel, enum tp_prog prog)
{
	switch (prog) {
	case TP_PROG_ENTER: return skel->progs.tp_enter;
	case TP_PROG_RET: return skel->progs.tp_ret;
	case TP_PROG_URET: return skel->progs.tp_ret; /* the link says return */
	case TP_PROG_SITE: return skel->progs.tp_site;
	case TP_PROG_LANDED: return skel->progs.tp_landed;
	case TP_PROG_TAIL: return skel->progs.tp_tail;
	case TP_PROG_RESUME: return skel->progs.tp_resume;
	case TP_PROG_RAISE: return skel->progs.tp_raise;
	case TP_PROG_FORCED: return skel->progs.tp_forced;
	case TP_PROG_JUMP: return skel->progs.tp_jump;
	case TP_PROG_ALLOC: return skel->progs.tp_alloc;
	case TP_PROG_MARK_BEGIN: return skel->progs.tp_mark_begin;
	case TP_PROG_MARK_END: return skel->progs.tp_mark_end;
	case TP_PROG_PYRAISE: return skel->progs.tp_py_raise;
	case TP_PROG_PYFRAME: return skel->progs.tp_py_frame;
	default: return NULL;
	}
}

/* Before load: the programs that go into multi-uprobe links must say so. */
void attacher__prepare(struct taskprof_bpf *skel)
{
	for (int i = 0; i < TP_PROG_NR; i++)
		if (i != TP_PROG_ALLOC)
			bpf_program__set_expected_attach_type(prog_of(skel, i),
							       TP_TRACE_UPROBE_MULTI);
}

struct attacher *attacher__new(struct taskprof_bpf *skel)
{
	struct attacher *a = calloc(1, sizeof(*a));

	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	a->skel = skel;
	return a;
}

static int attach_group(struct attacher *a, struct probe_group *g, const struct plan *p)
{
	char fdpath[PATH_MAX];
	int fd;

	snprintf(fdpath, sizeof(fdpath), "%s", g->path);
	/* through the plan's descriptor: the very file its offsets came from */
	for (size_t k = 0; k < p->nelves; k++)
		if (!strcmp(p->elves[k]->path, g->path))
			snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", p->elves[k]->fd);
	fd = uprobe_multi__attach(bpf_program__fd(prog_of(a->skel, g->prog)), fdpath, g->offs,
				  g->cookies, g->n,
				  g->prog == TP_PROG_URET ? TP_UPROBE_MULTI_RETURN : 0, 0);
	if (fd < 0) {
		tp_err("attach: cannot place %s probes in %s: %s",
		       bpf_program__name(prog_of(a->skel, g->prog)), g->path, strerror(-fd));
		return fd;
	}
	g->fd = fd;
	return 0;
}

/* What a teardown thread closes: its share of the links. */
struct closer {
	int *fds;
	size_t nfds;
	struct bpf_link **links;
	size_t nlinks;
	size_t first, step;
};

static void *close_some(void *arg)
{
	struct closer *c = arg;

	for (size_t i = c->first; i < c->nfds + c->nlinks; i += c->step) {
		if (i < c->nfds)
			close(c->fds[i]);
		else
			bpf_link__destroy(c->links[i - c->nfds]);
	}
	return NULL;
}

/* Each link's teardown waits for a grace period; in parallel they share it. */
static void close_all(int *fds, size_t nfds, struct bpf_link **links, size_t nlinks)
{
	struct closer c[MAX_CLOSERS];
	pthread_t th[MAX_CLOSERS];
	bool threaded[MAX_CLOSERS];
	size_t n = nfds + nlinks, nth = n < MAX_CLOSERS ? n : MAX_CLOSERS;

	for (size_t k = 0; k < nth; k++) {
		c[k] = (struct closer){ .fds = fds, .nfds = nfds, .links = links,
					.nlinks = nlinks, .first = k, .step = nth };
		threaded[k] = !pthread_create(&th[k], NULL, close_some, &c[k]);
		if (!threaded[k])
			close_some(&c[k]); /* no thread to spare: this share here */
	}
	for (size_t k = 0; k < nth; k++)
		if (threaded[k])
			pthread_join(th[k], NULL);
}

/*
 * Closes the unwanted groups of one kind (entry or not), unless the caller
 * keeps them. A task losing entry probes is retired first (its open frames
 * may never see their returns now); its id goes into retired.
 */
static int drop_groups(struct attacher *a, bool entry, const struct attacher_sync *s,
		       uint32_t *retired, size_t *nretired)
{
	int *fds = calloc(a->ng ? a->ng : 1, sizeof(*fds));
	size_t n = 0, k = 0;

	if (!fds)
		return -ENOMEM;
	for (size_t i = 0; i < a->ng; i++) {
		struct probe_group *g = &a->g[i];

		if (!g->wanted && (g->prog == TP_PROG_ENTER) == entry &&
		    !(s && s->keep && s->keep(s->ctx, g->file.dev, g->file.ino, g->task))) {
			if (g->task != NO_TASK && s && s->retire) {
				s->retire(s->ctx, g->task);
				retired[(*nretired)++] = g->task;
			}
			fds[n++] = g->fd;
			probe_group__fini(g);
			continue;
		}
		a->g[k++] = *g;
	}
	a->ng = k;
	close_all(fds, n, NULL, 0);
	free(fds);
	return 0;
}

static int add_groups(struct attacher *a, struct probe_group *want, size_t nwant, bool entry,
		      const struct plan *p)
{
	int err = 0;

	for (size_t i = 0; i < nwant && !err; i++) {
		struct probe_group *g = &want[i];

		if (g->wanted || (g->prog == TP_PROG_ENTER) != entry)
			continue; /* already attached, or not this phase's */
		err = attach_group(a, g, p);
		if (!err && (err = probe_groups__push(&a->g, &a->ng, g))) {
			close(g->fd);
			g->fd = -1;
		}
		if (!err)
			a->g[a->ng - 1].wanted = true; /* the attacher owns it now (fd >= 0) */
	}
	return err;
}

/*
 * Makes the links match the plan, touching only what changed. Return
 * probes and hooks of the new plan go in before old entry probes go, and
 * old return probes go last: a frame never loses the probe that closes it
 * (a return seen twice closes it once). Entry probes of a task are never
 * doubled, which would open two frames for one call.
 */
int attacher__sync(struct attacher *a, const struct plan *p, const struct attacher_sync *s)
{
	struct probe_group *want = NULL;
	uint32_t *retired = calloc(a->ng + 1, sizeof(*retired));
	size_t nwant = 0, nretired = 0;
	int err;

	err = retired ? probe_groups__of_plan(p, &want, &nwant) : -ENOMEM;
	for (size_t i = 0; i < a->ng; i++) {
		a->g[i].wanted = false;
		for (size_t k = 0; k < nwant && !err; k++)
			if (!want[k].wanted && a->g[i].prog == want[k].prog &&
			    a->g[i].task == want[k].task && a->g[i].file.dev == want[k].file.dev &&
			    a->g[i].file.ino == want[k].file.ino && probe_group__same_probes(&a->g[i], &want[k]))
				a->g[i].wanted = want[k].wanted = true;
	}
	if (!err)
		err = add_groups(a, want, nwant, false, p);
	if (!err)
		err = drop_groups(a, true, s, retired, &nretired);
	if (!err)
		err = add_groups(a, want, nwant, true, p);
	if (!err)
		err = drop_groups(a, false, s, retired, &nretired);
	/* frames the old entry probes opened while they were going: retired too */
	for (size_t i = 0; i < nretired; i++)
		s->retire(s->ctx, retired[i]);
	for (size_t i = 0; i < nwant; i++)
		if (want[i].fd < 0)
			probe_group__fini(&want[i]); /* the attacher did not take it */
	free(want);
	free(retired);
	return err;
}

/* Every link on one file goes now: its bytes are being rewritten in place. */
int attacher__drop_file(struct attacher *a, dev_t dev, ino_t ino, const struct attacher_sync *s)
{
	struct attacher_sync only_retire = { .ctx = s ? s->ctx : NULL,
					     .retire = s ? s->retire : NULL };
	uint32_t *retired = calloc(a->ng + 1, sizeof(*retired));
	size_t nretired = 0;
	int err;

	if (!retired)
		return -ENOMEM;
	for (size_t i = 0; i < a->ng; i++)
		a->g[i].wanted = !file_id__eq(&a->g[i].file, dev, ino);

	err = drop_groups(a, true, &only_retire, retired, &nretired);
	if (!err)
		err = drop_groups(a, false, &only_retire, retired, &nretired);
	for (size_t i = 0; i < nretired; i++)
		s->retire(s->ctx, retired[i]);
	free(retired);
	return err;
}

int attacher__attach_allocs(struct attacher *a, const struct plan *p, pid_t pid)
{
	for (size_t i = 0; i < p->n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = p->v[i].cookie);
		struct bpf_link *l, **nv;

		if (p->v[i].prog != TP_PROG_ALLOC)
			continue;
		l = bpf_program__attach_uprobe_opts(a->skel->progs.tp_alloc, pid, p->v[i].path,
						    p->v[i].offset, &uo);
		if (!l) {
			int err = -errno;

			tp_err("attach: cannot place an allocation probe in %s for PID %d: %s",
			       p->v[i].path, pid, strerror(-err));
			return err;
		}
		nv = realloc(a->links, (a->nlinks + 1) * sizeof(*nv));
		if (!nv) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		nv[a->nlinks++] = l;
		a->links = nv;
	}
	return 0;
}

size_t attacher__count(const struct attacher *a)
{
	return a ? a->ng + a->nlinks : 0;
}

/*
 * Entry probes go first, then the rest: closed all at once, entries that
 * outlive their returns open frames that never close, counted as too deep
 * and still open at the stop (565 of them under load, none real).
 */
void attacher__free(struct attacher *a)
{
	int *fds;
	size_t n;

	if (!a)
		return;
	fds = calloc(a->ng + 1, sizeof(*fds));
	for (int entry = 1; entry >= 0; entry--) {
		n = 0;
		for (size_t i = 0; i < a->ng; i++) {
			if ((a->g[i].prog == TP_PROG_ENTER) != entry || a->g[i].fd < 0)
				continue;
			if (fds)
				fds[n++] = a->g[i].fd;
			else
				close(a->g[i].fd);
			a->g[i].fd = -1;
		}
		close_all(fds, fds ? n : 0, entry ? NULL : a->links, entry ? 0 : a->nlinks);
	}
	for (size_t i = 0; i < a->ng; i++)
		probe_group__fini(&a->g[i]);
	free(fds);
	free(a->g);
	free(a->links);
	free(a);
}
