// SPDX-License-Identifier: MIT
/*
 * The probe plan: every uprobe the collector will place, as (program, file,
 * offset, cookie), for the declared tasks and for the runtime hooks. It
 * reads ELF files only; attach.c turns it into links.
 *
 * The return mechanism of each task is chosen here. A uretprobe is the
 * cheapest (about 0.7 us a return), but it replaces the return address on
 * the stack with the kernel's trampoline for as long as the frame is open,
 * and after the collector is gone. Whatever looks at the stack then sees
 * it: the unwinder cannot step through it (an exception ends in
 * std::terminate), backtraces stop there, sanitizers record it. So AUTO
 * uses uretprobes only in executables whose whole image never looks at its
 * stack (elfsym.c's walks_stack), and uprobes on the ret instructions
 * everywhere else: single-stepped (about 15 us), but they change nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

struct plan *plan__new(void)
{
	struct plan *p = calloc(1, sizeof(*p));

	if (!p)
		errno = ENOMEM;
	else
		p->marker_any = TP_NO_TASK;
	return p;
}

void plan__free(struct plan *p)
{
	if (!p)
		return;
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
		free(p->tasks[i].stage);
	}
	free(p->tasks);
	free(p->quiet);
	free(p->markers);
	free(p);
}

int plan__add(struct plan *p, enum tp_prog prog, const char *path, uint64_t off, uint64_t cookie)
{
	struct uprobe_req *nv;

	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].prog == prog && p->v[i].offset == off && !strcmp(p->v[i].path, path))
			return 0;
	nv = realloc(p->v, (p->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->v = nv;
	nv[p->n] = (struct uprobe_req){ .prog = prog, .path = strdup(path), .offset = off,
					.cookie = cookie };
	if (!nv[p->n].path)
		return -ENOMEM;
	p->n++;
	return 0;
}

struct elf_file *plan__elf(struct plan *p, const char *path)
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

/* Adds a ret-instruction probe at every vaddr. */
static int add_rets(struct plan *p, struct elf_file *ef, const uint64_t *rets, size_t n)
{
	int err = 0;

	for (size_t k = 0; k < n && !err; k++) {
		uint64_t off;

		if (!elf_file__offset(ef, rets[k], &off))
			err = plan__add(p, TP_PROG_RET, ef->path, off, 0);
	}
	return err;
}

/* Return probes for a function reached by a tail call, so the frame that
 * jumped there closes when it returns. Bounded: tail chains are short. */
static int add_tail_closers(struct plan *p, struct elf_file *ef, const struct probe_plan *pp,
			    int depth)
{
	int err = 0;

	for (size_t i = 0; i < pp->ntails && depth < 3 && !err; i++) {
		const struct elf_sym *s = elf_file__sym_at(ef, pp->tails[i]);
		struct probe_plan tp;

		if (!s)
			continue; /* PLT or foreign code: closed when next seen instead */
		if (probe_plan__build(ef, s, TP_RET_INSN, &tp))
			continue;
		err = add_rets(p, ef, tp.rets, tp.nrets);
		if (!err)
			err = add_tail_closers(p, ef, &tp, depth + 1);
		probe_plan__free(&tp);
	}
	return err;
}

/* GCC moves unlikely paths into NAME.cold; some of them return from there. */
static int add_cold_part(struct plan *p, struct elf_file *ef, const struct elf_sym *s)
{
	struct elf_sym **m = NULL;
	char name[1024];
	int n, err = 0;

	snprintf(name, sizeof(name), "%s.cold", s->name);
	n = elf_file__find(ef, name, &m);
	for (int i = 0; i < n && !err; i++) {
		struct probe_plan cp;

		if (probe_plan__build(ef, m[i], TP_RET_INSN, &cp))
			continue;
		err = add_rets(p, ef, cp.rets, cp.nrets);
		probe_plan__free(&cp);
	}
	free(m);
	return err;
}

int plan__add_function(struct plan *p, struct elf_file *ef, const struct elf_sym *s,
		       uint32_t task, enum tp_ret_mode mode)
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
		err = plan__add(p, TP_PROG_ENTER, ef->path, off,
				TP_COOKIE(task, pp.sp_adj) |
					(pp.mode == TP_RET_URETPROBE ? TP_COOKIE_URET : 0));
	if (!err && pp.mode == TP_RET_URETPROBE) {
		/* the uretprobe shares the entry's address so only one trap fires */
		err = plan__add(p, TP_PROG_URET, ef->path, off, 0);
		p->nuret++;
	} else if (!err) {
		err = add_rets(p, ef, pp.rets, pp.nrets);
		if (!err)
			err = add_tail_closers(p, ef, &pp, 0);
		if (!err)
			err = add_cold_part(p, ef, s);
	}
	tp_debug("task %s: %s+0x%llx sp_adj=%u %s, %zu ret(s), %zu tail(s)%s", s->name, ef->path,
		 (unsigned long long)(pp.entry_vaddr - s->addr), pp.sp_adj,
		 pp.mode == TP_RET_URETPROBE ? "uretprobe" : "ret-insn probes", pp.nrets,
		 pp.ntails, pp.entry_emulated ? "" : ", entry single-stepped");
	probe_plan__free(&pp);
	p->nfuncs++;
	return err;
}

/*
 * Whether nothing in the image of a process running exe looks at its
 * stack: exe, the libraries it loads, and those the target was seen to map
 * (extra: /proc/PID/maps for -p, LD_PRELOAD for a launch).
 */
bool plan__image_quiet(struct plan *p, const char *exe, char *const *extra, size_t nextra)
{
	struct elf_file *ef = plan__elf(p, exe);
	char **libs = NULL;
	size_t nlibs = 0;
	bool quiet;

	if (!ef || !ef->is_exec || ef->walks_stack || tp_libs_of_exe(exe, &libs, &nlibs))
		return false;
	quiet = true;
	for (size_t i = 0; i < nlibs + nextra && quiet; i++) {
		const char *lib = i < nlibs ? libs[i] : extra[i - nlibs];
		struct elf_file *l = plan__elf(p, lib);

		quiet = l && !l->walks_stack;
	}
	tp_strv_free(libs, nlibs);
	return quiet;
}
