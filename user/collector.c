// SPDX-License-Identifier: MIT
/*
 * `taskprof record`: resolve the declared tasks, attach, drain the ring
 * buffer into the ProfileRepo until the target ends, then account for
 * everything that was lost.
 *
 * Lifecycle follows libbpf's: open, configure rodata, load, attach.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tp.h"
#include "taskprof.skel.h"

#define POLL_MS 20
#define FLUSH_NS (200ULL * 1000 * 1000)
#define BATCH 4096

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && tp_verbose < 2)
		return 0;
	if (level == LIBBPF_INFO && !tp_verbose)
		return 0;
	if (!tp_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* --- attachment bookkeeping ------------------------------------------------ */

struct links {
	struct bpf_link **v;
	size_t n;
};

static int links_add(struct links *l, struct bpf_link *link)
{
	struct bpf_link **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[l->n++] = link;
	l->v = nv;
	return 0;
}

static void links_free(struct links *l)
{
	for (size_t i = 0; i < l->n; i++)
		bpf_link__destroy(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* One uprobe request, attached after load. */
struct uprobe_req {
	struct bpf_program *prog;
	char *path;
	uint64_t offset;
	uint64_t cookie;
	bool retprobe;
};

struct plan {
	struct uprobe_req *v;
	size_t n;
	struct elf_file **elves;
	size_t nelves;
	struct agg_task *tasks;
	size_t ntasks;
	size_t nfuncs;
};

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].path);
	free(p->v);
	for (size_t i = 0; i < p->nelves; i++)
		elf_file__close(p->elves[i]);
	free(p->elves);
	for (size_t i = 0; i < p->ntasks; i++) {
		free(p->tasks[i].name);
		free(p->tasks[i].symbol);
		free(p->tasks[i].binary);
	}
	free(p->tasks);
	memset(p, 0, sizeof(*p));
}

static int plan_add(struct plan *p, struct bpf_program *prog, const char *path, uint64_t off,
		    uint64_t cookie, bool ret)
{
	struct uprobe_req *nv;

	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].prog == prog && p->v[i].offset == off && p->v[i].retprobe == ret &&
		    !strcmp(p->v[i].path, path))
			return 0;
	nv = realloc(p->v, (p->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->v = nv;
	nv[p->n] = (struct uprobe_req){ .prog = prog, .path = strdup(path), .offset = off,
					.cookie = cookie, .retprobe = ret };
	if (!nv[p->n].path)
		return -ENOMEM;
	p->n++;
	return 0;
}

static struct elf_file *plan_elf(struct plan *p, const char *path)
{
	struct elf_file *ef, **nv;

	for (size_t i = 0; i < p->nelves; i++)
		if (!strcmp(p->elves[i]->path, path))
			return p->elves[i];
	ef = elf_file__open(path);
	if (!ef)
		return NULL;
	nv = realloc(p->elves, (p->nelves + 1) * sizeof(*nv));
	if (!nv) {
		elf_file__close(ef);
		errno = ENOMEM;
		return NULL;
	}
	p->elves = nv;
	nv[p->nelves++] = ef;
	return ef;
}

/* Return probes for a function reached by a tail call, so the frame that
 * jumped there closes when it returns. Bounded: tail chains are short. */
static int plan_tail_closers(struct plan *p, struct taskprof_bpf *skel, struct elf_file *ef,
			     const struct probe_plan *pp, int depth)
{
	for (size_t i = 0; i < pp->ntails && depth < 3; i++) {
		const struct elf_sym *s = elf_file__sym_at(ef, pp->tails[i]);
		struct probe_plan tp;
		int err;

		if (!s)
			continue; /* PLT or foreign code: closed lazily instead */
		if (probe_plan__build(ef, s, TP_RET_INSN, &tp))
			continue;
		for (size_t k = 0; k < tp.nrets; k++) {
			uint64_t off;

			if (elf_file__offset(ef, tp.rets[k], &off))
				continue;
			err = plan_add(p, skel->progs.tp_ret, ef->path, off, 0, false);
			if (err) {
				probe_plan__free(&tp);
				return err;
			}
		}
		err = plan_tail_closers(p, skel, ef, &tp, depth + 1);
		probe_plan__free(&tp);
		if (err)
			return err;
	}
	return 0;
}

/* GCC moves unlikely paths into NAME.cold; some of them return from there. */
static int plan_cold_part(struct plan *p, struct taskprof_bpf *skel, struct elf_file *ef,
			  const struct elf_sym *s)
{
	char name[1024];
	struct elf_sym **m = NULL;
	int n, err = 0;

	snprintf(name, sizeof(name), "%s.cold", s->name);
	n = elf_file__find(ef, name, &m);
	for (int i = 0; i < n && !err; i++) {
		struct probe_plan cp;

		if (probe_plan__build(ef, m[i], TP_RET_INSN, &cp))
			continue;
		for (size_t k = 0; k < cp.nrets && !err; k++) {
			uint64_t off;

			if (!elf_file__offset(ef, cp.rets[k], &off))
				err = plan_add(p, skel->progs.tp_ret, ef->path, off, 0, false);
		}
		probe_plan__free(&cp);
	}
	free(m);
	return err;
}

static int plan_function(struct plan *p, struct taskprof_bpf *skel, struct elf_file *ef,
			 const struct elf_sym *s, uint32_t task, enum tp_ret_mode mode)
{
	struct probe_plan pp;
	uint64_t off;
	int err;

	err = probe_plan__build(ef, s, mode, &pp);
	if (err) {
		tp_err("record: cannot decode %s in %s: %s", s->name, ef->path, strerror(-err));
		return err;
	}
	err = elf_file__offset(ef, pp.entry_vaddr, &off);
	if (!err)
		err = plan_add(p, skel->progs.tp_enter, ef->path, off, TP_COOKIE(task, pp.sp_adj),
			       false);
	if (!err && pp.mode == TP_RET_URETPROBE) {
		/* the uretprobe shares the entry's address so only one trap fires */
		err = plan_add(p, skel->progs.tp_uret, ef->path, off, 0, true);
	} else if (!err) {
		for (size_t k = 0; k < pp.nrets && !err; k++) {
			uint64_t roff;

			err = elf_file__offset(ef, pp.rets[k], &roff);
			if (!err)
				err = plan_add(p, skel->progs.tp_ret, ef->path, roff, 0, false);
		}
		if (!err)
			err = plan_tail_closers(p, skel, ef, &pp, 0);
		if (!err)
			err = plan_cold_part(p, skel, ef, s);
	}
	tp_debug("task %s: %s+0x%llx sp_adj=%u %s, %zu ret(s), %zu tail(s)%s", s->name, ef->path,
		 (unsigned long long)(pp.entry_vaddr - s->addr), pp.sp_adj,
		 pp.mode == TP_RET_URETPROBE ? "uretprobe" : "ret-insn probes", pp.nrets,
		 pp.ntails, pp.entry_emulated ? "" : ", entry single-stepped");
	probe_plan__free(&pp);
	p->nfuncs++;
	return err;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* BINARY may also name a program on PATH, for commands run through a shell. */
static bool which_into(const char *name, char *out, size_t len)
{
	char *p = strchr(name, '/') ? NULL : tp_which(name);

	if (!p)
		return false;
	snprintf(out, len, "%s", p);
	free(p);
	return true;
}

static int resolve_spec(struct plan *p, struct taskprof_bpf *skel, const struct task_spec *ts,
			uint32_t idx, const char *exe, char **libs, size_t nlibs,
			enum tp_ret_mode mode)
{
	struct elf_sym **m = NULL;
	struct elf_file *ef = NULL;
	char path[PATH_MAX];
	int n = 0, err = 0;

	if (ts->binary) {
		if (!strcmp(ts->binary, exe) || !strcmp(ts->binary, base_name(exe)))
			snprintf(path, sizeof(path), "%s", exe);
		else if (tp_find_lib(ts->binary, libs, nlibs, path, sizeof(path)) &&
			 !which_into(ts->binary, path, sizeof(path))) {
			tp_err("record: binary '%s' of task '%s' not found in the target or its "
			       "libraries: give a path, or a library the target loads", ts->binary,
			       ts->name);
			return -ENOENT;
		}
		ef = plan_elf(p, path);
		if (!ef) {
			tp_err("record: cannot read %s: %s", path, strerror(errno));
			return -errno;
		}
		n = elf_file__find(ef, ts->symbol, &m);
	} else {
		for (size_t i = 0; i <= nlibs && n <= 0; i++) {
			const char *cand = i == 0 ? exe : libs[i - 1];
			struct elf_file *e = plan_elf(p, cand);

			if (!e)
				continue;
			if (!ef)
				ef = e; /* the executable: where suggestions come from */
			free(m);
			m = NULL;
			n = elf_file__find(e, ts->symbol, &m);
			if (n > 0)
				ef = e;
		}
		if (!ef) {
			tp_err("record: cannot read %s: %s", exe, strerror(errno));
			return -ENOENT;
		}
	}
	if (n < 0) {
		free(m);
		return n;
	}
	if (n == 0) {
		char near[512];

		free(m);
		if (!ef->has_symtab) {
			tp_err("record: %s is stripped (no .symtab) and '%s' is not exported: "
			       "rebuild it without -s/strip, or install its debug symbols",
			       ef->path, ts->symbol);
			return -ENOENT;
		}
		elf_file__suggest(ef, ts->symbol, near, sizeof(near));
		if (near[0])
			tp_err("record: unknown symbol '%s' in %s: did you mean: %s?", ts->symbol,
			       ef->path, near);
		else
			tp_err("record: unknown symbol '%s' in %s: list candidates with "
			       "`nm -C %s | grep -i %s`", ts->symbol, ef->path, ef->path, ts->symbol);
		return -ENOENT;
	}
	if (ef->is_go) {
		free(m);
		tp_err("record: %s is a Go program: Go moves goroutine stacks, so frames cannot be "
		       "matched by stack pointer; Go binaries are not supported", ef->path);
		return -ENOTSUP;
	}
	p->tasks[idx].binary = strdup(ef->path);
	for (int i = 0; i < n && !err; i++)
		err = plan_function(p, skel, ef, m[i], idx, mode);
	if (!err && n == 1 && !p->tasks[idx].symbol)
		p->tasks[idx].symbol = strdup(m[0]->name);
	free(m);
	return err;
}

/* Resolves every declared task into plan, afresh. */
static int plan_tasks(struct plan *p, struct taskprof_bpf *skel, const struct record_opts *o,
		      const char *exe, char **libs, size_t nlibs, enum tp_ret_mode mode)
{
	int err;

	plan_free(p);
	p->tasks = calloc(o->nspecs, sizeof(*p->tasks));
	p->ntasks = o->nspecs;
	if (!p->tasks)
		return -ENOMEM;
	for (size_t i = 0; i < o->nspecs; i++) {
		p->tasks[i].name = strdup(o->specs[i].name);
		err = resolve_spec(p, skel, &o->specs[i], i, exe, libs, nlibs, mode);
		if (err)
			return err;
	}
	return 0;
}

/* Hooks in the runtime: exceptions, longjmp, allocations. */
static int plan_runtime(struct plan *p, struct taskprof_bpf *skel, const char *exe, char **libs,
			size_t nlibs, bool allocs)
{
	static const struct {
		const char *sym;
		int prog;
	} hooks[] = {
		{ "_Unwind_RaiseException", 0 },
		{ "_Unwind_ForcedUnwind", 1 },
		{ "__cxa_begin_catch", 6 },
		{ "_Unwind_Resume", 2 },
		{ "_Unwind_DeleteException", 6 },
		{ "__sigsetjmp", 5 },
		{ "longjmp", 3 },
		{ "_longjmp", 3 },
		{ "siglongjmp", 3 },
		{ "__longjmp_chk", 3 },
		{ "malloc", 4 },
		{ "calloc", 4 },
		{ "realloc", 4 },
		{ "reallocarray", 4 },
		{ "aligned_alloc", 4 },
		{ "posix_memalign", 4 },
		{ "memalign", 4 },
		{ "valloc", 4 },
		{ "pvalloc", 4 },
	};
	/* 6: tp_landed where the exception is over (the guard re-arms there) */
	struct bpf_program *progs[] = { skel->progs.tp_raise, skel->progs.tp_forced,
					skel->progs.tp_landed, skel->progs.tp_jump,
					skel->progs.tp_alloc, skel->progs.tp_setjmp,
					skel->progs.tp_landed };

	for (size_t i = 0; i <= nlibs; i++) {
		const char *path = i == 0 ? exe : libs[i - 1];
		struct elf_file *ef = plan_elf(p, path);

		if (!ef)
			continue;
		for (size_t h = 0; h < sizeof(hooks) / sizeof(hooks[0]); h++) {
			struct elf_sym **m = NULL;
			int n;

			if (hooks[h].prog == 4 && !allocs)
				continue;
			n = elf_file__find(ef, hooks[h].sym, &m);
			for (int k = 0; k < n; k++) {
				struct probe_plan pp;
				uint64_t off, vaddr = m[k]->addr, adj = 0;
				int err;

				/* entry-only: any once-per-call instruction will do */
				if (!probe_plan__build(ef, m[k], TP_RET_INSN, &pp)) {
					vaddr = pp.entry_vaddr;
					adj = pp.sp_adj;
					probe_plan__free(&pp);
				}
				err = elf_file__offset(ef, vaddr, &off);
				if (!err)
					err = plan_add(p, progs[hooks[h].prog], ef->path, off,
						       TP_COOKIE(hooks[h].prog == 6, adj), false);
				if (err) {
					free(m);
					return err;
				}
			}
			free(m);
		}
	}
	return 0;
}

/* --- main loop --------------------------------------------------------------- */

static uint64_t sum_stat(struct taskprof_bpf *skel, int idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals, sum = 0;
	uint32_t key = idx;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &key, vals))
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

static char *join_specs(const struct record_opts *o)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < o->nspecs; i++)
		len += strlen(o->specs[i].name) + strlen(o->specs[i].symbol) +
		       (o->specs[i].binary ? strlen(o->specs[i].binary) : 0) + 4;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (size_t i = 0; i < o->nspecs; i++) {
		const struct task_spec *t = &o->specs[i];

		if (i)
			strcat(s, " ");
		strcat(s, t->name);
		strcat(s, "=");
		if (t->binary) {
			strcat(s, t->binary);
			strcat(s, ":");
		}
		strcat(s, t->symbol);
	}
	return s;
}

static char *join_argv(char **argv)
{
	size_t len = 1;
	char *s;

	for (char **a = argv; *a; a++)
		len += strlen(*a) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (char **a = argv; *a; a++) {
		if (a != argv)
			strcat(s, " ");
		strcat(s, *a);
	}
	return s;
}

/* A zombie has ended too: its parent just has not reaped it yet. */
static bool pid_alive(pid_t pid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	if (kill(pid, 0) && errno != EPERM)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	paren = strrchr(buf, ')');
	return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

#define DELAYACCT "/proc/sys/kernel/task_delayacct"

/*
 * IO wait is the kernel's block IO delay accounting (taskstats' blkio
 * delay), which counts only while kernel.task_delayacct is on (off by
 * default since 5.14). Returns the previous setting, or -1 if there is none.
 */
static int delayacct_set(int on)
{
	char buf[8] = "";
	int prev = -1;
	FILE *f = fopen(DELAYACCT, "r+");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		prev = atoi(buf);
	if (prev != on) {
		rewind(f);
		fprintf(f, "%d\n", on);
	}
	fclose(f);
	return prev;
}

/*
 * Whether IO wait needs the sched_switch program: only for target threads
 * created while delayacct was off, which have no delay accounting. Sparing
 * it spares every context switch in the system a BPF call.
 */
static bool needs_switch(struct taskprof_bpf *skel, int delayacct_prev)
{
	struct bpf_link *it;
	uint32_t one;
	bool any = false;
	int fd;

	if (delayacct_prev < 0)
		return true; /* no delay accounting in this kernel */
	it = bpf_program__attach_iter(skel->progs.count_no_delays, NULL);
	if (!it)
		return true;
	fd = bpf_iter_create(bpf_link__fd(it));
	if (fd < 0 || read(fd, &one, sizeof(one)) == sizeof(one))
		any = true;
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(it);
	tp_debug("IO wait: %s", any ? "sched_switch (target predates delayacct)" : "delayacct");
	return any;
}

/* What the tracer thread needs to probe a forked process before it runs. */
struct attach_ctx {
	pthread_mutex_t lock;
	struct taskprof_bpf *skel;
	struct plan *plan;
	struct links *task_links; /* entry and return probes */
	struct links *links;      /* runtime hooks */
	bool ready;
	bool stopping;            /* set under lock: no more attaching */
	uint64_t fork_attach_errors;
};

static bool is_task_probe(const struct attach_ctx *c, const struct bpf_program *prog)
{
	return prog == c->skel->progs.tp_enter || prog == c->skel->progs.tp_uret ||
	       prog == c->skel->progs.tp_ret;
}

/*
 * Places the plan's uprobes for one process (pid -1: every process). Entry
 * probes go last: a frame opened before its return probe was in place would
 * never see its return.
 */
static int attach_uprobes(struct attach_ctx *c, pid_t pid)
{
	int err = 0;

	pthread_mutex_lock(&c->lock);
	for (int pass = 0; pass < 2 && !err && !c->stopping; pass++) {
		for (size_t i = 0; i < c->plan->n; i++) {
			const struct uprobe_req *r = &c->plan->v[i];
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .bpf_cookie = r->cookie,
				    .retprobe = r->retprobe);
			struct bpf_link *l;

			if ((r->prog == c->skel->progs.tp_enter) != (pass == 1))
				continue;
			l = bpf_program__attach_uprobe_opts(r->prog, pid, r->path, r->offset, &uo);
			if (!l) {
				err = -errno;
				tp_err("record: cannot place a uprobe at %s+0x%llx: %s", r->path,
				       (unsigned long long)r->offset, strerror(errno));
				break;
			}
			links_add(is_task_probe(c, r->prog) ? c->task_links : c->links, l);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return err;
}

static void on_fork(void *ctx, pid_t pid)
{
	struct attach_ctx *c = ctx;

	if (c->ready && attach_uprobes(c, pid))
		c->fork_attach_errors++;
}

/* With every thread held: no return slot may keep a trampoline unguarded. */
static void restore_hijacks(void *ctx)
{
	struct attach_ctx *c = ctx;
	struct bpf_link *it;
	struct tp_hijack rec;
	int fd;

	if (!c->ready)
		return;
	/* from here on an exception must not ask for a tracer that is leaving */
	c->skel->bss->guard_released = 1;
	it = bpf_program__attach_iter(c->skel->progs.dump_hijacks, NULL);
	if (!it)
		return;
	fd = bpf_iter_create(bpf_link__fd(it));
	while (fd >= 0 && read(fd, &rec, sizeof(rec)) == sizeof(rec)) {
		uint64_t cur = 0;
		struct iovec local = { &cur, sizeof(cur) };
		struct iovec remote = { (void *)rec.stack, sizeof(cur) };

		if (process_vm_readv(rec.tid, &local, 1, &remote, 1, 0) != sizeof(cur) ||
		    cur != rec.tramp || !rec.tramp)
			continue;
		local.iov_base = &rec.orig;
		process_vm_writev(rec.tid, &local, 1, &remote, 1, 0);
	}
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(it);
}

int record__run(const struct record_opts *o)
{
	struct taskprof_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct profile_repo *repo = NULL;
	struct launch child = { .pid = 0, .go_fd = -1 };
	struct links links = {}, task_links = {};
	struct attach_ctx actx = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct guard guard = { .req_fd = -1 };
	struct plan plan = {};
	struct agg agg = {};
	char **libs = NULL, *exe = NULL, *target = NULL, *tasks = NULL;
	char now_iso[PROFILE_TIME_LEN], detail[512];
	size_t nlibs = 0;
	int64_t session = 0;
	int err = 0, rc = 1, child_status = -1;
	uint64_t last_flush, deadline = 0, lost;
	uint64_t st[TP_STAT_NR];
	bool child_done = false;
	struct sigaction sa = { .sa_handler = on_signal };
	enum tp_ret_mode mode = o->ret_mode;
	pid_t root, attach_pid;
	int delayacct_prev = -1;

	if (geteuid() != 0) {
		tp_err("record: needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN to load BPF "
		       "and place uprobes): run it with sudo");
		return 1;
	}
	libbpf_set_print(libbpf_print);

	/* Target first: a bad PID or command fails before anything is written. */
	if (o->pid) {
		char link[64];

		if (o->pid < 0 || !pid_alive(o->pid)) {
			tp_err("record: no process with PID %d: check the PID with `ps -e`", o->pid);
			return 1;
		}
		snprintf(link, sizeof(link), "/proc/%d/exe", o->pid);
		exe = realpath(link, NULL);
		if (!exe) {
			tp_err("record: cannot read the executable of PID %d: %s", o->pid,
			       strerror(errno));
			return 1;
		}
		err = tp_libs_of_pid(o->pid, &libs, &nlibs);
		target = tp_strdup_printf("pid %d (%s)", o->pid, exe);
	} else {
		exe = tp_which(o->argv[0]);
		if (!exe) {
			tp_err("record: command not found: %s: give a path or check PATH", o->argv[0]);
			return 127;
		}
		err = tp_libs_of_exe(exe, &libs, &nlibs);
		target = join_argv(o->argv);
	}
	if (err || !target) {
		tp_err("record: cannot list the libraries of %s: %s", exe, strerror(-err));
		goto cleanup;
	}
	tasks = join_specs(o);

	skel = taskprof_bpf__open();
	if (!skel) {
		tp_err("record: cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	/* resolve before starting anything, so bad specs cost nothing */
	if (plan_tasks(&plan, skel, o, exe, libs, nlibs, TP_RET_INSN))
		goto cleanup;
	repo = profile_repo__open(o->db, 0);
	if (!repo) {
		tp_err("%s", profile_repo__open_error());
		goto cleanup;
	}

	/* before the command starts: tasks created with it off never count */
	delayacct_prev = delayacct_set(1);
	if (!o->pid) {
		err = launch__fork(&child, o->argv);
		if (err) {
			tp_err("record: cannot start %s: %s", o->argv[0], strerror(-err));
			goto cleanup;
		}
	}
	root = o->pid ? o->pid : child.pid;
	actx.skel = skel;
	actx.plan = &plan;
	actx.task_links = &task_links;
	actx.links = &links;
	if (!o->no_guard) {
		guard.on_fork = on_fork;
		guard.before_detach = restore_hijacks;
		guard.ctx = &actx;
		err = guard__start(&guard, root);
		if (err)
			tp_warn("record: note: cannot trace PID %d (%s): falling back to slower "
				"return probes where exceptions may pass", root, strerror(-err));
	}
	/* with the guard, uretprobes are safe everywhere; without, only where
	 * nothing unwinds */
	if (mode == TP_RET_AUTO && guard.active)
		mode = TP_RET_URETPROBE;

	/* plan again with the return mechanism now known */
	if (plan_tasks(&plan, skel, o, exe, libs, nlibs, mode) ||
	    plan_runtime(&plan, skel, exe, libs, nlibs, o->allocs))
		goto cleanup;

	skel->rodata->cfg.follow_forks = !o->pid || guard.active;
	skel->rodata->cfg.count_allocs = o->allocs;
	skel->rodata->cfg.guard = guard.active;
	if (o->ringbuf_mb)
		bpf_map__set_max_entries(skel->maps.events, o->ringbuf_mb << 20);
	err = taskprof_bpf__load(skel);
	if (err) {
		tp_err("record: cannot load the BPF programs: %s: this needs a kernel with BTF, "
		       "tp_btf and task storage (Linux 6.2 or later); run with -v for the verifier log",
		       strerror(-err));
		goto cleanup;
	}
	guard.req_fd = bpf_map__fd(skel->maps.guard_reqs);
	{
		uint32_t tgid = root;
		struct { uint64_t mm_key; uint32_t mm_idx, pad; } zero = { 0 };

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.tgids), &tgid, &zero, BPF_ANY)) {
			tp_err("record: cannot register PID %u: %s", tgid, strerror(errno));
			goto cleanup;
		}
	}

	/* tracepoints */
	{
		struct bpf_program *tps[] = { skel->progs.tp_switch, skel->progs.tp_fork,
					      skel->progs.tp_exit, skel->progs.tp_exec,
					      skel->progs.tp_rss, skel->progs.tp_send,
					      skel->progs.tp_recv };

		for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
			struct bpf_link *l;

			if (tps[i] == skel->progs.tp_switch && !needs_switch(skel, delayacct_prev))
				continue;
			l = bpf_program__attach(tps[i]);

			if (!l) {
				tp_err("record: cannot attach %s: %s", bpf_program__name(tps[i]),
				       strerror(errno));
				goto cleanup;
			}
			links_add(&links, l);
		}
	}
	/*
	 * Uprobes: per process when the guard follows forks (and tells us about
	 * each new process before it runs); else per PID with -p, and
	 * system-wide, filtered by tgid in BPF, when launching, so that
	 * processes the command forks are covered too.
	 */
	attach_pid = guard.active || o->pid ? root : -1;
	if (attach_uprobes(&actx, attach_pid))
		goto cleanup;
	actx.ready = true;
	tp_debug("attached %zu uprobes on %zu functions%s", plan.n, plan.nfuncs,
		 guard.active ? ", unwind guard on" : "");

	agg.repo = repo;
	agg.tasks = plan.tasks;
	agg.ntasks = plan.ntasks;
	agg.env = o->env;
	agg.stage = o->stage;
	agg.allocs = o->allocs;
	agg.mono_to_real_ns = (int64_t)tp_now_ns(CLOCK_REALTIME) - (int64_t)tp_now_ns(CLOCK_MONOTONIC);
	if (agg__init(&agg, BATCH))
		goto cleanup;
	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now_iso, sizeof(now_iso));
	session = profile_repo__session_begin(repo, target, tasks, now_iso);
	if (session < 0) {
		tp_err("%s", profile_repo__errmsg(repo));
		goto cleanup;
	}
	agg.session_id = session;

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), agg__handle, &agg, NULL);
	if (!rb) {
		tp_err("record: cannot open the ring buffer: %s", strerror(errno));
		goto cleanup;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (o->duration > 0)
		deadline = tp_now_ns(CLOCK_MONOTONIC) + (uint64_t)(o->duration * 1e9);
	if (!o->pid && launch__go(&child)) {
		tp_err("record: cannot start %s", o->argv[0]);
		goto cleanup;
	}
	if (o->pid)
		fprintf(stderr, "taskprof: recording PID %d into %s; Ctrl-C to stop\n", o->pid, o->db);

	last_flush = tp_now_ns(CLOCK_MONOTONIC);
	for (;;) {
		uint64_t now;

		ring_buffer__poll(rb, POLL_MS);
		ring_buffer__consume(rb);
		now = tp_now_ns(CLOCK_MONOTONIC);
		if (now - last_flush > FLUSH_NS) {
			agg__flush(&agg);
			last_flush = now;
		}
		if (stop_signal || (deadline && now >= deadline))
			break;
		if (!o->pid && guard.active) {
			/* the tracer reaps: a wait here could take its ptrace stops */
			if (guard.root_exited) {
				child_status = guard.root_status;
				child_done = true;
				break;
			}
		} else if (!o->pid) {
			pid_t w = waitpid(child.pid, &child_status, WNOHANG);

			if (w == child.pid) {
				child_done = true;
				break;
			}
		} else if (!pid_alive(o->pid)) {
			break;
		}
	}
	/* the exit tracepoints ran before the parent could reap: drain them */
	while (ring_buffer__consume(rb) > 0)
		;
	/* no new frames (nor new processes probed); then hold the target, put
	 * real return addresses back and let go; then the runtime hooks can go */
	pthread_mutex_lock(&actx.lock);
	actx.stopping = true;
	links_free(&task_links);
	pthread_mutex_unlock(&actx.lock);
	guard__stop(&guard);
	if (guard.root_exited && !child_done) {
		child_status = guard.root_status;
		child_done = true;
	}
	links_free(&links);
	while (ring_buffer__consume(rb) > 0)
		;
	agg__flush(&agg);

	for (int i = 0; i < TP_STAT_NR; i++)
		st[i] = sum_stat(skel, i);
	lost = st[TP_STAT_LOST_RINGBUF] + st[TP_STAT_LOST_DEPTH] + st[TP_STAT_LOST_THREAD] +
	       st[TP_STAT_LOST_DESC] + agg.write_errors;
	snprintf(detail, sizeof(detail),
		 "ringbuf_full=%llu nesting_too_deep=%llu thread_state=%llu child_charges=%llu "
		 "db_write_errors=%llu mem_peak_approximate=%llu fork_attach_errors=%llu",
		 (unsigned long long)st[TP_STAT_LOST_RINGBUF],
		 (unsigned long long)st[TP_STAT_LOST_DEPTH],
		 (unsigned long long)st[TP_STAT_LOST_THREAD],
		 (unsigned long long)st[TP_STAT_LOST_DESC], (unsigned long long)agg.write_errors,
		 (unsigned long long)st[TP_STAT_MEM_APPROX],
		 (unsigned long long)actx.fork_attach_errors);
	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now_iso, sizeof(now_iso));
	if (profile_repo__session_end(repo, session, now_iso, agg.seen, lost, detail))
		tp_err("%s", profile_repo__errmsg(repo));
	fprintf(stderr, "taskprof: session %lld: %llu invocations recorded into %s\n",
		(long long)session, (unsigned long long)agg.written, o->db);
	{
		struct rusage ru;
		double cpu;

		getrusage(RUSAGE_SELF, &ru);
		cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		      ru.ru_stime.tv_usec / 1e6;
		tp_debug("collector CPU: %.3f s, %.0f ns per invocation", cpu,
			 agg.seen ? cpu * 1e9 / agg.seen : 0.0);
	}
	if (guard.fixups)
		tp_debug("unwind guard: %llu fixups, %llu slots rewritten, %llu skipped",
			 (unsigned long long)guard.fixups, (unsigned long long)guard.written,
			 (unsigned long long)guard.skipped);
	if (lost)
		fprintf(stderr, "taskprof: warning: %llu lost (%s)\n", (unsigned long long)lost,
			detail);
	if (agg.write_errors)
		tp_err("record: %s", profile_repo__errmsg(repo));

	if (!o->pid) {
		if (!child_done) {
			if (stop_signal == SIGTERM)
				kill(child.pid, SIGTERM);
			if (waitpid(child.pid, &child_status, 0) == child.pid)
				child_done = true;
		}
		child.pid = 0;
		rc = child_done ? exit_code(child_status) : 1;
	} else {
		rc = 0;
	}
	if (agg.write_errors)
		rc = rc ? rc : 1;

cleanup:
	links_free(&task_links);
	guard__stop(&guard);
	if (delayacct_prev == 0)
		delayacct_set(0);
	if (child.pid > 0)
		launch__abort(&child);
	ring_buffer__free(rb);
	links_free(&links);
	taskprof_bpf__destroy(skel);
	agg__fini(&agg);
	profile_repo__close(repo);
	plan_free(&plan);
	tp_strv_free(libs, nlibs);
	free(exe);
	free(target);
	free(tasks);
	return rc;
}
