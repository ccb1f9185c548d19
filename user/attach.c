// SPDX-License-Identifier: MIT
/*
 * Turns the probe plan into links. Task probes and runtime hooks are
 * multi-uprobe links on the file, for every process that maps it: BPF acts
 * only in tracked processes, so a fork costs no attach, and a link's
 * teardown costs one RCU synchronisation however many processes it served.
 * Allocation probes are per process (a probe on libc's malloc for every
 * process would tax them all). Teardown runs the links' synchronisations in
 * parallel: 64 links go in about one grace period (~80 ms here), not 64.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "tp.h"
#include "taskprof.skel.h"

#define MAX_CLOSERS 64

struct attacher {
	struct taskprof_bpf *skel;
	int *fds;                 /* multi-uprobe links */
	size_t nfds;
	struct bpf_link **links;  /* per-process perf-event uprobes */
	size_t nlinks;
};

static struct bpf_program *prog_of(struct taskprof_bpf *skel, enum tp_prog prog)
{
	switch (prog) {
	case TP_PROG_ENTER: return skel->progs.tp_enter;
	case TP_PROG_RET: return skel->progs.tp_ret;
	case TP_PROG_URET: return skel->progs.tp_uret;
	case TP_PROG_RAISE: return skel->progs.tp_raise;
	case TP_PROG_FORCED: return skel->progs.tp_forced;
	case TP_PROG_JUMP: return skel->progs.tp_jump;
	case TP_PROG_ALLOC: return skel->progs.tp_alloc;
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

static int keep_fd(struct attacher *a, int fd)
{
	int *nv = realloc(a->fds, (a->nfds + 1) * sizeof(*nv));

	if (!nv) {
		close(fd);
		return -ENOMEM;
	}
	nv[a->nfds++] = fd;
	a->fds = nv;
	return 0;
}

/* One link for every offset of prog in path. */
static int attach_group(struct attacher *a, const struct plan *p, enum tp_prog prog,
			const char *path)
{
	uint64_t *offs = calloc(p->n, sizeof(*offs)), *cookies = calloc(p->n, sizeof(*cookies));
	size_t n = 0;
	int fd = -ENOMEM;

	if (offs && cookies) {
		for (size_t i = 0; i < p->n; i++) {
			if (p->v[i].prog != prog || strcmp(p->v[i].path, path))
				continue;
			offs[n] = p->v[i].offset;
			cookies[n++] = p->v[i].cookie;
		}
		fd = uprobe_multi__attach(bpf_program__fd(prog_of(a->skel, prog)), path, offs,
					  cookies, n,
					  prog == TP_PROG_URET ? TP_UPROBE_MULTI_RETURN : 0, 0);
	}
	free(offs);
	free(cookies);
	if (fd < 0) {
		tp_err("record: cannot place %s probes in %s: %s", bpf_program__name(prog_of(a->skel, prog)),
		       path, strerror(-fd));
		return fd;
	}
	return keep_fd(a, fd);
}

/* Whether an earlier entry already made the link for this entry's group. */
static bool group_done(const struct plan *p, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (p->v[k].prog == p->v[i].prog && !strcmp(p->v[k].path, p->v[i].path))
			return true;
	return false;
}

/*
 * Return probes go first and entry probes last: a frame opened before its
 * return probe was in place would never see its return.
 */
int attacher__attach_files(struct attacher *a, const struct plan *p)
{
	static const enum tp_prog order[] = { TP_PROG_RET, TP_PROG_URET, TP_PROG_RAISE,
					      TP_PROG_FORCED, TP_PROG_JUMP, TP_PROG_ENTER };
	int err = 0;

	for (size_t o = 0; o < ARRAY_SIZE(order) && !err; o++)
		for (size_t i = 0; i < p->n && !err; i++)
			if (p->v[i].prog == order[o] && !group_done(p, i))
				err = attach_group(a, p, order[o], p->v[i].path);
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

			tp_err("record: cannot place an allocation probe in %s for PID %d: %s",
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
	return a ? a->nfds + a->nlinks : 0;
}

struct closer {
	struct attacher *a;
	size_t first, step;
};

static void *close_some(void *arg)
{
	struct closer *c = arg;

	for (size_t i = c->first; i < c->a->nfds + c->a->nlinks; i += c->step) {
		if (i < c->a->nfds)
			close(c->a->fds[i]);
		else
			bpf_link__destroy(c->a->links[i - c->a->nfds]);
	}
	return NULL;
}

/* Each link's teardown waits for a grace period; in parallel they share it. */
void attacher__free(struct attacher *a)
{
	struct closer c[MAX_CLOSERS];
	pthread_t th[MAX_CLOSERS];
	bool threaded[MAX_CLOSERS];
	size_t total, nth;

	if (!a)
		return;
	total = a->nfds + a->nlinks;
	nth = total < MAX_CLOSERS ? total : MAX_CLOSERS;
	for (size_t k = 0; k < nth; k++) {
		c[k] = (struct closer){ .a = a, .first = k, .step = nth };
		threaded[k] = !pthread_create(&th[k], NULL, close_some, &c[k]);
		if (!threaded[k])
			close_some(&c[k]); /* no thread to spare: this share here */
	}
	for (size_t k = 0; k < nth; k++)
		if (threaded[k])
			pthread_join(th[k], NULL);
	free(a->fds);
	free(a->links);
	free(a);
}
