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

#include "plan/plan.h"

#include "taskprof.h"
#include "base/log.h"
#include "base/util.h"
#include "elf/elf_file.h"
#include "elf/elf_find.h"
#include "elf/libs.h"
#include "plan/callsites.h"
#include "plan/probeplan.h"
#include "plan/resumes.h"

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
	free(p->images);
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
			err = plan__add(p, TP_PROG_RET, ef->path, off, TP_RET_COOKIE_INSN);
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

/* Whether fn calls nothing and leaves only by ret: nothing it runs can walk
 * the stack past its return address. Its cold part, if any, counts too. */
static bool is_leaf(struct elf_file *ef, const struct elf_sym *fn, const struct probe_plan *pp)
{
	struct elf_sym **m = NULL;
	char name[1024];
	int n;

	if (pp->has_call || pp->ntail_jmps) /* direct or indirect jumps out */
		return false;
	snprintf(name, sizeof(name), "%s.cold", fn->name);
	n = elf_file__find(ef, name, &m);
	free(m);
	return n == 0;
}

static bool is_site_prog(enum tp_prog prog)
{
	return prog == TP_PROG_SITE || prog == TP_PROG_LANDED;
}

/*
 * A return-site or landing-pad probe. Another such probe already at the
 * same instruction with another meaning (a cookie, or the other program)
 * would leave the order of the two to chance: this one moves back to its
 * own return address or pad, where nothing else can be.
 */
static int add_site(struct plan *p, struct elf_file *ef, const struct ret_site *rs,
		    enum tp_prog prog)
{
	uint64_t off, cookie = TP_SITE_COOKIE(rs->ra_sp);
	int err = elf_file__offset(ef, rs->probe, &off);

	for (size_t i = 0; i < p->n && !err; i++) {
		if (!is_site_prog(p->v[i].prog) || p->v[i].offset != off ||
		    strcmp(p->v[i].path, ef->path) ||
		    (p->v[i].prog == prog && p->v[i].cookie == cookie))
			continue;
		cookie = TP_SITE_COOKIE(0);
		err = elf_file__offset(ef, rs->ra, &off);
		break;
	}
	size_t n0 = p->n;

	if (!err)
		err = plan__add(p, prog, ef->path, off, cookie);
	if (!err && p->n > n0 && prog == TP_PROG_SITE)
		p->nsites++;
	else if (!err && p->n > n0)
		p->npads++;
	return err;
}

/*
 * The return mechanism of one function, and why, for -v. AUTO: a uretprobe
 * where the image never looks at its stack (URETPROBE comes in resolved so:
 * resolve.c decides per image) or on a leaf, which calls nothing that could
 * walk past its return address; both are exact and the cheapest, for a
 * uretprobe returns through a system call, not a trap (6.11+). Else the
 * callers' return sites when every caller is known, else the ret
 * instructions. SAFE, with a debugger attached: no uretprobe at all.
 */
static enum tp_ret_mode choose(struct elf_file *ef, const struct elf_sym *fn,
			       const struct probe_plan *pp, enum tp_ret_mode mode,
			       const struct callers *c, char *why, size_t len)
{
	if (mode == TP_RET_URETPROBE || mode == TP_RET_INSN) {
		snprintf(why, len, "%s", mode == TP_RET_URETPROBE ? "nothing in its image looks at "
			 "its stack, or --returns" : "--returns insn");
		return mode;
	}
	if (mode == TP_RET_AUTO && is_leaf(ef, fn, pp)) {
		snprintf(why, len, "a leaf: nothing it runs can walk past its return");
		return TP_RET_URETPROBE;
	}
	if (c->complete || mode == TP_RET_SITES) {
		snprintf(why, len, "%s%s", c->complete ? "every caller is known" : "--returns sites, "
			 "but calls from elsewhere end late: ", c->complete ? "" : c->why);
		return TP_RET_SITES;
	}
	snprintf(why, len, "not every caller is known: %s", c->why);
	return TP_RET_INSN;
}

static int add_returns(struct plan *p, struct elf_file *ef, const struct elf_sym *s,
		       const struct probe_plan *pp, const struct callers *c, uint64_t entry_off)
{
	int err = 0;

	switch (pp->mode) {
	case TP_RET_URETPROBE:
		/* the uretprobe shares the entry's address so only one trap fires */
		p->nuret++;
		return plan__add(p, TP_PROG_URET, ef->path, entry_off, TP_RET_COOKIE_URET);
	case TP_RET_SITES:
		err = plan__add_sites(p, ef, c);
		return err < 0 ? err : 0;
	default:
		err = add_rets(p, ef, pp->rets, pp->nrets);
		if (!err)
			err = add_tail_closers(p, ef, pp, 0);
		/* where it may leave by a tail call: the return site is asked
		 * for then (dynsites.c), its first call ending approximate */
		for (size_t i = 0; i < pp->ntail_jmps && !err; i++)
			if (!(err = elf_file__offset(ef, pp->tail_jmps[i], &entry_off)))
				err = plan__add(p, TP_PROG_TAIL, ef->path, entry_off, 0);
		if (!err)
			err = add_cold_part(p, ef, s);
		/* the callers that are known end it exactly from the start */
		if (!err && (err = plan__add_sites(p, ef, c)) > 0)
			err = 0;
		return err;
	}
}

int plan__add_sites(struct plan *p, struct elf_file *ef, const struct callers *c)
{
	size_t before = p->nsites;
	int err = 0;

	for (size_t i = 0; i < c->n && !err; i++)
		err = add_site(p, ef, &c->v[i], TP_PROG_SITE);
	for (size_t i = 0; i < c->npads && !err; i++)
		err = add_site(p, ef, &c->pads[i], TP_PROG_LANDED);
	return err ? err : (int)(p->nsites - before);
}

/* Where its own cleanups send an exception on: its frame ends there, its
 * destructors run (a uretprobe's task, a leaf or plain C, has none). */
static int add_resumes(struct plan *p, struct elf_file *ef, const struct elf_sym *s,
		       uint32_t task)
{
	uint64_t *v = NULL, off;
	size_t n = 0;
	int err = resumes__find(ef, s, &v, &n);

	for (size_t i = 0; i < n && !err; i++)
		if (!(err = elf_file__offset(ef, v[i], &off)))
			err = plan__add(p, TP_PROG_RESUME, ef->path, off, task);
	free(v);
	return err;
}

static const char *mode_name(enum tp_ret_mode m)
{
	return m == TP_RET_URETPROBE ? "a uretprobe" :
	       m == TP_RET_SITES     ? "return sites" : "ret-instruction probes";
}

static size_t emulated_sites(const struct callers *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->v[i].emulated;
	return n;
}

int plan__add_function(struct plan *p, struct elf_file *ef, const struct elf_sym *s,
		       uint32_t task, enum tp_ret_mode mode)
{
	struct callers c = { .complete = false };
	enum tp_ret_mode chosen;
	struct probe_plan pp;
	char why[320];
	uint64_t off;
	int err;

	err = probe_plan__build(ef, s, TP_RET_INSN, &pp);
	if (!err && mode != TP_RET_URETPROBE && mode != TP_RET_INSN)
		err = callers__find(ef, s, &c);
	if (err) {
		tp_err("record: cannot decode %s in %s: %s", s->name, ef->path, strerror(-err));
		probe_plan__free(&pp);
		return err;
	}
	chosen = choose(ef, s, &pp, mode, &c, why, sizeof(why));
	if (chosen == TP_RET_URETPROBE) {
		probe_plan__free(&pp);
		err = probe_plan__build(ef, s, TP_RET_URETPROBE, &pp);
	}
	pp.mode = chosen;
	if (!err)
		err = elf_file__offset(ef, pp.entry_vaddr, &off);
	if (!err)
		err = plan__add(p, TP_PROG_ENTER, ef->path, off,
				TP_COOKIE(task, pp.sp_adj) |
					(chosen == TP_RET_URETPROBE ? TP_COOKIE_URET : 0) |
					(chosen == TP_RET_SITES && c.complete ? TP_COOKIE_SITES : 0));
	if (!err)
		err = add_returns(p, ef, s, &pp, &c, off);
	if (!err && chosen != TP_RET_URETPROBE)
		err = add_resumes(p, ef, s, task);
	tp_debug("task %s: entry %s+0x%llx%s; returns by %s (%zu ret, %zu sites of which %zu "
		 "emulated, %zu landing pads): %s", s->name, ef->path,
		 (unsigned long long)(pp.entry_vaddr - s->addr),
		 pp.entry_emulated ? "" : " (single-stepped)", mode_name(chosen), pp.nrets, c.n,
		 emulated_sites(&c), c.npads, why);
	callers__free(&c);
	probe_plan__free(&pp);
	p->nfuncs++;
	return err;
}
