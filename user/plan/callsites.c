// SPDX-License-Identifier: MIT
/*
 * The return sites of a function in its own file (callsites.h).
 *
 * Every byte of the file's code is a candidate: a 32-bit displacement
 * that, taken from the end of an instruction of up to four more bytes,
 * lands on the function, or an 8-bit one near it, or (in code linked at a
 * fixed address) its absolute address. The enclosing function is then
 * decoded from its symbol, and the instruction over the candidate says
 * what it is: a call (a return site), a jump (a tail call: the jumping
 * function's own callers' sites), anything else referring to the address
 * (taken: callers unknown), or nothing (bytes that only looked like it).
 * Data that could hold the address (relocated or, at a fixed address,
 * stored) and the dynamic symbol table (exported) are read the same way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/callsites.h"

#include "base/util.h"
#include "elf/codescan.h"
#include "elf/ehframe.h"
#include "elf/elf_file.h"
#include "elf/x86insn.h"

#define MAX_TAIL_DEPTH 4   /* tail calls into tail calls: chains are short */
#define MAX_WALK 24        /* instructions looked at after a return address */

/* The file being read, and the functions on the tail chain followed. */
struct scan {
	struct codescan c;
	uint64_t visiting[MAX_TAIL_DEPTH + 1];
	size_t nvisiting;
};

/* The first reason the callers are not all known. */
static void say(struct callers *c, const char *fmt, ...)
{
	va_list ap;

	if (c->complete) {
		va_start(ap, fmt);
		vsnprintf(c->why, sizeof(c->why), fmt, ap);
		va_end(ap);
	}
	c->complete = false;
}

/*
 * Where the probe for the return address at insn[i] goes: the first
 * instruction the kernel emulates on the straight line from it, with how
 * far SP moved on the way, else the return address itself. Not past an
 * instruction that lowers SP: what follows may write over the returned
 * frame's return slot, which BPF reads at the probe (a push is emulated,
 * so the probe goes before it).
 */
static void place_site(const cs_insn *insn, size_t count, size_t i, struct ret_site *site)
{
	int64_t moved = 0, d;

	site->ra = insn[i].address;
	site->probe = site->ra;
	site->ra_sp = 0;
	site->emulated = false;
	for (size_t k = i; k < count && k < i + MAX_WALK; k++) {
		if (x86insn__emulated(&insn[k])) {
			site->probe = insn[k].address;
			site->ra_sp = (int32_t)-moved;
			site->emulated = true;
			return;
		}
		if (x86insn__branches(&insn[k]) || !x86insn__rsp_delta(&insn[k], &d) || d < 0)
			return;
		moved += d;
	}
}

static int push_to(struct ret_site **v, size_t *n, const struct ret_site *site)
{
	struct ret_site *nv;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].ra == site->ra)
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = *site;
	*v = nv;
	return 0;
}

static int push_site(struct callers *c, const struct ret_site *site)
{
	return push_to(&c->v, &c->n, site);
}

/*
 * What the bytes at a candidate are: a call to fn (its site added), a jump
 * to fn from another function (that function's start added to tails),
 * another reference (callers unknown), or nothing.
 */
static int classify(struct scan *s, uint64_t at, uint64_t fn, struct callers *c,
		    uint64_t **tails, size_t *ntails)
{
	long i = codescan__decode_at(&s->c, at);
	const cs_insn *in;
	const struct elf_sym *g;
	struct ret_site site;

	if (i < 0) {
		say(c, "code at 0x%llx that may refer to it cannot be decoded", at);
		return 0;
	}
	in = &s->c.d.insn[i];
	if (!x86insn__refers_to(in, fn, !s->c.ef->is_dyn))
		return 0; /* bytes inside another instruction */
	if (x86insn__in_group(in, CS_GRP_CALL) && x86insn__direct_target(in) == fn) {
		if ((size_t)i + 1 >= s->c.d.count)
			return 0; /* it never returns there: nothing follows */
		place_site(s->c.d.insn, s->c.d.count, (size_t)i + 1, &site);
		site.caller = s->c.d.start;
		return push_site(c, &site);
	}
	if (x86insn__in_group(in, CS_GRP_JUMP) && x86insn__direct_target(in) == fn) {
		g = codescan__sym_over(s->c.ef, in->address);
		if (!g) {
			say(c, "it is jumped to from 0x%llx, outside any function", in->address);
			return 0;
		}
		return g->addr == fn ? 0 : tp_u64_push(tails, ntails, in->address);
	}
	say(c, "its address is taken at 0x%llx", in->address);
	return 0;
}

/* --- tail calls: the caller's callers ------------------------------------------ */

/* The function a tail call from at leaves: its symbol, or for GCC's
 * NAME.cold part (the rarely run code of NAME) NAME itself. */
static const struct elf_sym *leaving(const struct elf_file *ef, uint64_t at)
{
	const struct elf_sym *g = codescan__sym_over(ef, at);
	const char *cold;
	size_t n;

	if (!g || !(cold = strstr(g->name, ".cold")))
		return g;
	n = (size_t)(cold - g->name);
	for (size_t i = 0; i < ef->nsyms; i++)
		if (strlen(ef->syms[i].name) == n && !strncmp(ef->syms[i].name, g->name, n))
			return &ef->syms[i];
	return NULL;
}

static int find_sites(struct scan *s, uint64_t fn, struct callers *c);

/* A tail call from the function at jump into fn returns where that
 * function's callers resume: their sites are fn's. */
static int add_tail_sites(struct scan *s, uint64_t jump, struct callers *c)
{
	const struct elf_sym *g = leaving(s->c.ef, jump);
	struct callers gc = { .complete = true };
	int err;

	if (!g) {
		say(c, "it is tail-called from 0x%llx, in no known function", jump);
		return 0;
	}
	for (size_t i = 0; i < s->nvisiting; i++)
		if (s->visiting[i] == g->addr)
			return 0; /* a cycle of tail calls: its sites are being found */
	if (s->nvisiting > MAX_TAIL_DEPTH) {
		say(c, "it is tail-called from 0x%llx, too many tail calls deep", jump);
		return 0;
	}
	err = find_sites(s, g->addr, &gc);
	if (!err && !gc.complete)
		say(c, "it is tail-called from 0x%llx, whose callers are not all known", jump);
	for (size_t i = 0; i < gc.n && !err; i++)
		err = push_site(c, &gc.v[i]);
	callers__free(&gc);
	return err;
}

static int find_sites(struct scan *s, uint64_t fn, struct callers *c)
{
	char why[sizeof(c->why)];
	uint64_t *cand = NULL, *tails = NULL;
	size_t ncand = 0, ntails = 0;
	int err;

	s->visiting[s->nvisiting++] = fn;
	if (codescan__held(&s->c, fn, why, sizeof(why)))
		say(c, "%s", why);
	err = codescan__candidates(&s->c, fn, &cand, &ncand);
	for (size_t i = 0; i < ncand && !err; i++)
		err = classify(s, cand[i], fn, c, &tails, &ntails);
	/* classify's decodings are done with: the recursion makes its own */
	for (size_t i = 0; i < ntails && !err && c->complete; i++)
		err = add_tail_sites(s, tails[i], c);
	s->nvisiting--;
	free(cand);
	free(tails);
	return err;
}

/* --- landing pads: where an exception through the call resumes -------------- */

static int add_pads_of(struct scan *s, uint64_t caller, struct callers *c)
{
	uint64_t *pads = NULL;
	size_t npads = 0;
	int err = eh__landing_pads(s->c.ef, caller, &pads, &npads);

	if (err)
		say(c, "the unwind tables of its caller at 0x%llx cannot be read", caller);
	for (size_t i = 0; i < npads && !err; i++) {
		struct ret_site pad;
		long k = codescan__decode_at(&s->c, pads[i]);

		if (k < 0 || s->c.d.insn[k].address != pads[i]) {
			say(c, "a landing pad of its caller, 0x%llx, cannot be decoded", pads[i]);
			continue;
		}
		place_site(s->c.d.insn, s->c.d.count, (size_t)k, &pad);
		pad.caller = caller;
		err = push_to(&c->pads, &c->npads, &pad);
	}
	free(pads);
	return err == -E2BIG || err == -EINVAL ? 0 : err;
}

static int find_pads(struct scan *s, struct callers *c)
{
	int err = 0;

	for (size_t i = 0; i < c->n && !err; i++) {
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = c->v[k].caller == c->v[i].caller;
		if (!seen)
			err = add_pads_of(s, c->v[i].caller, c);
	}
	return err;
}

int callers__site_at(const struct elf_file *ef, uint64_t ra, struct callers *out)
{
	struct ret_site site;
	struct scan s;
	long i;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	err = codescan__open(&s.c, ef);
	i = err ? -1 : codescan__decode_at(&s.c, ra);
	/* ra must begin an instruction that a call ends right before */
	if (!err && (i < 1 || s.c.d.insn[i].address != ra ||
		     !x86insn__in_group(&s.c.d.insn[i - 1], CS_GRP_CALL)))
		err = -ENOENT;
	if (!err) {
		place_site(s.c.d.insn, s.c.d.count, (size_t)i, &site);
		site.caller = s.c.d.start;
		err = push_site(out, &site);
	}
	if (!err)
		err = find_pads(&s, out);
	out->complete = !err;
	codescan__close(&s.c);
	if (err)
		callers__free(out);
	return err;
}

int callers__find(const struct elf_file *ef, const struct elf_sym *fn, struct callers *out)
{
	struct scan s;
	int err;

	memset(out, 0, sizeof(*out));
	out->complete = true;
	memset(&s, 0, sizeof(s));
	err = codescan__open(&s.c, ef);
	if (!err)
		err = find_sites(&s, fn->addr, out);
	if (!err)
		err = find_pads(&s, out);
	codescan__close(&s.c);
	if (err)
		callers__free(out);
	return err;
}

void callers__free(struct callers *c)
{
	if (!c)
		return;
	free(c->v);
	free(c->pads);
	c->v = c->pads = NULL;
	c->n = c->npads = 0;
}
