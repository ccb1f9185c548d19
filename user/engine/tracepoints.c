// SPDX-License-Identifier: MIT
/*
 * The engine's tracepoints: fork, exit, exec and the exit notification,
 * which follow processes, and socket bytes, attached for the engine's
 * life; rss_stat and sched_switch, which run for every page fault and
 * context switch on the machine, attached with lazy_rss only while a
 * tracked process lives.
 */
#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "engine/engine.h"
#include "engine/engine_impl.h"

#include "taskprof.h"
#include "taskprof.skel.h"
#include "base/file_id.h"
#include "base/log.h"
#include "base/util.h"

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

int engine__attach_tracepoints(struct engine *e)
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

