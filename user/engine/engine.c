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

/*
 * rss_stat runs for every page fault on the machine, some 40 ns each, and
 * tp_switch (IO wait) for every context switch: with lazy_rss both are
 * attached only while a tracked process lives. rss_on is stored after the
 * attach and cleared before the detach, with full barriers: a frame that
 * saw it set either finds them attached, or its process is in tgids, which
 * idle_rss reads after clearing it.
 */
static bool any_tracked(struct engine *e)
{
	uint32_t key;

	return !bpf_map_get_next_key(bpf_map__fd(e->skel->maps.tgids), NULL, &key);
}

int engine__check_rss(struct engine *e, bool needed)
{
	struct taskprof_bpf__bss *bss = e->skel->bss;

	if (e->rss || (e->opts.lazy_rss && !needed &&
		       !__atomic_load_n(&bss->rss_wanted, __ATOMIC_SEQ_CST)))
		return 0;
	e->sw = bpf_program__attach(e->skel->progs.tp_switch);
	if (!e->sw) {
		tp_err("engine: cannot attach tp_switch: %s", strerror(errno));
		return -errno;
	}
	e->rss = bpf_program__attach(e->skel->progs.tp_rss);
	if (!e->rss) {
		tp_err("engine: cannot attach tp_rss: %s", strerror(errno));
		bpf_link__destroy(e->sw);
		e->sw = NULL;
		return -errno;
	}
	__atomic_store_n(&bss->rss_on, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&bss->rss_wanted, 0, __ATOMIC_SEQ_CST);
	tp_debug("memory peaks and IO wait: rss_stat and sched_switch attached");
	return 0;
}

void engine__idle_rss(struct engine *e)
{
	struct taskprof_bpf__bss *bss = e->skel->bss;

	if (!e->opts.lazy_rss || !e->rss)
		return;
	__atomic_store_n(&bss->rss_on, 0, __ATOMIC_SEQ_CST);
	if (any_tracked(e)) {
		__atomic_store_n(&bss->rss_on, 1, __ATOMIC_SEQ_CST); /* still in use */
		return;
	}
	bpf_link__destroy(e->rss);
	e->rss = NULL;
	bpf_link__destroy(e->sw);
	e->sw = NULL;
	tp_debug("rss_stat and sched_switch detached, no tracked process left");
}

/* The kernel's encoding of a device number (super_block.s_dev). */
static uint64_t kdev(dev_t dev)
{
	return (uint64_t)major(dev) << 20 | minor(dev);
}

int engine__set_task_files(struct engine *e, const struct file_id *ids, size_t n)
{
	int fd = bpf_map__fd(e->skel->maps.task_files), err = 0;
	struct tp_file_id key, next, kept, *prev = NULL;
	uint8_t one = 1;

	for (size_t i = 0; i < n && !err; i++) {
		key = (struct tp_file_id){ .dev = kdev(ids[i].dev), .ino = ids[i].ino };
		err = bpf_map_update_elem(fd, &key, &one, BPF_ANY) ? -errno : 0;
	}
	/* then those no longer in the set go; a walk goes on from the last kept */
	while (!err && !bpf_map_get_next_key(fd, prev, &next)) {
		bool keep = false;

		for (size_t i = 0; i < n && !keep; i++)
			keep = next.ino == ids[i].ino && next.dev == kdev(ids[i].dev);
		if (keep || bpf_map_delete_elem(fd, &next)) {
			kept = next;
			prev = &kept;
		}
	}
	return err;
}

static int attach_tracepoints(struct engine *e)
{
	struct bpf_program *tps[] = { e->skel->progs.tp_fork, e->skel->progs.tp_exit,
				      e->skel->progs.tp_exec, e->skel->progs.tp_notify,
				      e->skel->progs.tp_send, e->skel->progs.tp_recv };
	int err = engine__check_rss(e, false);

	for (size_t i = 0; i < ARRAY_SIZE(tps) && !err; i++) {
		e->tps[e->ntps] = bpf_program__attach(tps[i]);
		if (!e->tps[e->ntps]) {
			tp_err("engine: cannot attach %s: %s", bpf_program__name(tps[i]),
			       strerror(errno));
			return -errno;
		}
		e->ntps++;
	}
	return err;
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
	int err = attach_tracepoints(e);

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
