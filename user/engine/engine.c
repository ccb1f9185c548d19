// SPDX-License-Identifier: MIT
/*
 * The profiling engine: the BPF object, the processes it tracks, the
 * probes of a plan, the ring buffer drained into an aggregator, and what
 * was lost. `record` drives one for a launched command or a PID; a
 * system-wide collector drives one the same way.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "engine/engine.h"
#include "engine/engine_impl.h"

#include "taskprof.h"
#include "taskprof.skel.h"
#include "base/file_id.h"
#include "base/log.h"
#include "base/util.h"
#include "engine/agg.h"
#include "engine/attach.h"
#include "engine/losses.h"
#include "engine/marker_names.h"
#include "engine/ringbuf.h"
#include "plan/dynsites.h"
#include "plan/plan.h"


static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!tp_verbose || (level == LIBBPF_DEBUG && tp_verbose < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int load(struct engine *e)
{
	int free_fd, err;

	e->skel = taskprof_bpf__open();
	if (!e->skel) {
		tp_err("engine: cannot open the BPF object: %s", strerror(errno));
		return -errno;
	}
	attacher__prepare(e->skel);
	e->skel->rodata->cfg.count_allocs = e->opts.allocs;
	e->skel->rodata->cfg.track_all = e->opts.track_all;
	if (e->opts.ringbuf_mb &&
	    (err = bpf_map__set_max_entries(e->skel->maps.events, e->opts.ringbuf_mb << 20))) {
		tp_err("engine: cannot size the ring buffer: %s", strerror(-err));
		return err;
	}
	err = taskprof_bpf__load(e->skel);
	if (err) {
		tp_err("engine: cannot load the BPF programs: %s: this needs Linux 6.6 or later "
		       "with BTF (multi-uprobe links, task storage); run with -v for the "
		       "verifier log", strerror(-err));
		return err;
	}
	/* every memory-peak entry starts free */
	free_fd = bpf_map__fd(e->skel->maps.free_peaks);
	for (uint32_t i = 0; i < TP_MAX_PROCS && !err; i++)
		if (bpf_map_update_elem(free_fd, NULL, &i, BPF_ANY))
			err = -errno;
	if (err)
		tp_err("engine: cannot fill the memory-peak map: %s", strerror(-err));
	return err;
}

/*
 * Each CPU's clock offset, learned before any probe needs it: this thread,
 * moved to each CPU in turn and switched in afresh by a short sleep, runs
 * tp_calibrate there (bpf/counters.bpf.h).
 */
static void calibrate(struct engine *e)
{
	int fd = bpf_program__fd(e->skel->progs.tp_calibrate), ncpu = libbpf_num_possible_cpus();
	cpu_set_t was, one;

	if (sched_getaffinity(0, sizeof(was), &was))
		return;
	for (int cpu = 0; cpu < ncpu && cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &was))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;
		for (int i = 0; i < 4; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, o);

			usleep(100);
			bpf_prog_test_run_opts(fd, &o);
		}
	}
	sched_setaffinity(0, sizeof(was), &was);
}

struct engine *engine__new(const struct engine_opts *opts)
{
	struct engine *e = calloc(1, sizeof(*e));
	int err;

	if (!e) {
		errno = ENOMEM;
		return NULL;
	}
	e->opts = *opts;
	libbpf_set_print(libbpf_print);
	err = load(e);
	if (!err)
		calibrate(e);
	e->dyn = err ? NULL : dynsites__new();
	e->att = err || !e->dyn ? NULL : attacher__new(e->skel);
	if (!err && !e->att)
		err = -ENOMEM;
	if (err) {
		engine__free(e);
		errno = -err;
		return NULL;
	}
	return e;
}

int engine__track(struct engine *e, pid_t pid, uint32_t flags)
{
	struct tp_proc proc = { .flags = flags, .mm_idx = TP_NO_SLOT };
	uint32_t tgid = pid;

	if (bpf_map_update_elem(bpf_map__fd(e->skel->maps.tgids), &tgid, &proc, BPF_NOEXIST)) {
		if (errno == EEXIST)
			return 0; /* BPF tracked it first: it entered a task, or forked */
		tp_err("engine: cannot track PID %u: %s", tgid, strerror(errno));
		return -errno;
	}
	/* it may have exited between the caller's look and now: no exit would
	 * ever remove its entry (engine__prune_dead catches what this misses) */
	if (kill(pid, 0) && errno == ESRCH)
		bpf_map_delete_elem(bpf_map__fd(e->skel->maps.tgids), &tgid);
	return 0;
}

void engine__prune_dead(struct engine *e)
{
	int fd = bpf_map__fd(e->skel->maps.tgids);
	uint32_t next, kept, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!(kill(next, 0) && errno == ESRCH) || bpf_map_delete_elem(fd, &next)) {
			kept = next;
			prev = &kept;
		}
	}
}

int engine__attach_allocs(struct engine *e, const struct plan *p, pid_t pid)
{
	return attacher__attach_allocs(e->att, p, pid);
}

/* The plan's probes on files, changed from the last plan's (collect). */
int engine__sync(struct engine *e, struct plan *p, const struct attacher_sync *s)
{
	int err = dynsites__reapply(e->dyn, p);

	if (!err)
		err = marker_names__set(e->skel, p);
	e->plan = p;
	if (s) {
		e->sync = *s;
		e->have_sync = true;
	}
	return err ? err : attacher__sync(e->att, p, s);
}

int engine__drop_file(struct engine *e, dev_t dev, ino_t ino, const struct attacher_sync *s)
{
	return attacher__drop_file(e->att, dev, ino, s);
}

void engine__flush(struct engine *e)
{
	ringbuf__drain(e->sink);
}

/* A task's open frames are not to be stored: its probes are changing. */
void engine__retire(struct engine *e, uint32_t task)
{
	if (task < TP_MAX_TASKS)
		__atomic_add_fetch(&e->skel->bss->task_gen[task], 1, __ATOMIC_SEQ_CST);
}

/* What was lost so far, the engine still running. */
void engine__losses(struct engine *e, const struct agg *agg, struct losses *l)
{
	losses__collect(l, bpf_map__fd(e->skel->maps.stats), agg, 0);
}

/* Run time and runs of every program, while BPF statistics are on. */
void engine__prog_stats(struct engine *e, uint64_t *run_ns, uint64_t *runs)
{
	struct bpf_program *prog;

	*run_ns = *runs = 0;
	bpf_object__for_each_program(prog, e->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			*run_ns += info.run_time_ns;
			*runs += info.run_cnt;
		}
	}
}

/* Tracepoints, then the plan's probes on files; what is tracked is covered. */
int engine__attach(struct engine *e, struct plan *p)
{
	int err = engine__attach_tracepoints(e);

	e->plan = p;
	if (!err)
		err = marker_names__set(e->skel, p);
	if (!err)
		err = attacher__sync(e->att, p, NULL);
	if (!err)
		tp_debug("attached %zu links: %zu uprobes on %zu functions (%zu by uretprobe)",
			 attacher__count(e->att) + e->ntps, p->n, p->nfuncs, p->nuret);
	return err;
}

static void on_site_req(void *ctx, const struct tp_site_req *r)
{
	struct engine *e = ctx;

	if (e->nreqs < MAX_SITE_REQS)
		e->reqs[e->nreqs++] = *r;
}

int engine__sink(struct engine *e, struct agg *agg)
{
	e->sink = ringbuf__new(bpf_map__fd(e->skel->maps.events), agg);
	if (!e->sink) {
		tp_err("engine: cannot open the ring buffer: %s", strerror(errno));
		return -errno;
	}
	ringbuf__on_site(e->sink, on_site_req, e);
	return 0;
}

/* The return sites asked for since the last poll, probed. */
static void add_sites(struct engine *e)
{
	bool added = false;
	int n, err;

	for (size_t i = 0; i < e->nreqs && e->plan; i++) {
		n = dynsites__add(e->dyn, e->plan, e->reqs[i].pid, e->reqs[i].ra);
		if (n < 0)
			tp_warn("engine: cannot plan a return site: %s", strerror(-n));
		added |= n > 0;
	}
	e->nreqs = 0;
	if (added && (err = attacher__sync(e->att, e->plan, e->have_sync ? &e->sync : NULL)))
		tp_warn("engine: cannot probe a return site: %s", strerror(-err));
}

void engine__poll(struct engine *e, int timeout_ms)
{
	ringbuf__poll(e->sink, timeout_ms);
	if (e->nreqs)
		add_sites(e);
}

static void detach(struct engine *e)
{
	attacher__free(e->att);
	e->att = NULL;
	for (size_t i = 0; i < e->ntps; i++)
		bpf_link__destroy(e->tps[i]);
	e->ntps = 0;
	bpf_link__destroy(e->sw);
	e->sw = NULL;
	bpf_link__destroy(e->rss);
	e->rss = NULL;
}

/* Invocations open now, in every thread: they will not be recorded. */
static uint64_t count_open(struct engine *e)
{
	struct bpf_link *it = bpf_program__attach_iter(e->skel->progs.count_open, NULL);
	uint64_t open = 0;
	uint32_t depth;
	int fd;

	if (!it)
		return 0;
	fd = bpf_iter_create(bpf_link__fd(it));
	while (fd >= 0 && read(fd, &depth, sizeof(depth)) == sizeof(depth))
		open += depth;
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(it);
	return open;
}

/* Stops: every record taken, every probe gone, the losses counted. */
void engine__stop(struct engine *e, const struct agg *agg, struct losses *l)
{
	uint64_t open;

	/* the exit tracepoints ran before the target was reaped: take them */
	ringbuf__drain(e->sink);
	detach(e);
	ringbuf__drain(e->sink);
	open = count_open(e);
	losses__collect(l, bpf_map__fd(e->skel->maps.stats), agg, open);
}

void engine__free(struct engine *e)
{
	if (!e)
		return;
	detach(e);
	ringbuf__free(e->sink);
	dynsites__free(e->dyn);
	taskprof_bpf__destroy(e->skel);
	free(e);
}
