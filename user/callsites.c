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
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tp.h"
#include "callsites.h"
#include "ehframe.h"
#include "x86insn.h"

#define MAX_TAIL_DEPTH 4   /* tail calls into tail calls: chains are short */
#define MAX_WALK 24        /* instructions looked at after a return address */
#define MAX_FUNC_BYTES (1 << 22)

/* Code of one section, as the file holds it. */
struct region {
	uint64_t vaddr;
	const uint8_t *b;
	size_t len;
	bool exec;
	bool write;
	uint8_t *owned;    /* b, read for us: code is never read through a mapping */
};

/* One decoded function (or a stretch of code no symbol covers). */
struct decoded {
	uint64_t start, end;
	cs_insn *insn;
	size_t count;
};

struct scan {
	const struct elf_file *ef;
	struct region *r;
	size_t nr;
	csh cs;
	struct decoded d;         /* the last one decoded, kept for the next candidate */
	uint64_t visiting[MAX_TAIL_DEPTH + 1]; /* functions on the tail chain */
	size_t nvisiting;
};

static const char *const skipped_data[] = {
	".eh_frame", ".eh_frame_hdr", ".gcc_except_table", ".dynsym", ".dynstr", ".gnu.hash",
	".hash", ".gnu.version", ".gnu.version_r", ".gnu.version_d", ".interp",
};

static bool skipped(const char *name)
{
	if (!name || !strncmp(name, ".note", 5) || !strncmp(name, ".rel", 4))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(skipped_data); i++)
		if (!strcmp(name, skipped_data[i]))
			return true;
	return false;
}

/*
 * A section's bytes. Code is read with pread, never through libelf's
 * mapping: uprobes go into every private mapping of the file that may
 * execute, this process's read-only one included (valid_vma wants only
 * VM_MAYEXEC), so once probes are attached a mapped copy shows their int3s.
 */
static int add_region(struct scan *s, const GElf_Shdr *sh, Elf_Scn *scn)
{
	bool exec = sh->sh_flags & SHF_EXECINSTR;
	Elf_Data *data = exec ? NULL : elf_getdata(scn, NULL);
	struct region *nr, r = { .vaddr = sh->sh_addr, .exec = exec,
				 .write = sh->sh_flags & SHF_WRITE };

	if (exec) {
		if (sh->sh_size < 8 || sh->sh_size > ((size_t)1 << 31))
			return 0;
		r.owned = malloc(sh->sh_size);
		if (!r.owned)
			return -ENOMEM;
		if (pread(s->ef->fd, r.owned, sh->sh_size, (off_t)sh->sh_offset) !=
		    (ssize_t)sh->sh_size) {
			free(r.owned);
			return -EIO;
		}
		r.b = r.owned;
		r.len = sh->sh_size;
	} else if (!data || !data->d_buf || data->d_size < 8) {
		return 0;
	} else {
		r.b = data->d_buf;
		r.len = data->d_size;
	}
	nr = realloc(s->r, (s->nr + 1) * sizeof(*nr));
	if (!nr) {
		free(r.owned);
		return -ENOMEM;
	}
	s->r = nr;
	nr[s->nr++] = r;
	return 0;
}

/* The sections that hold code, or data a function's address may be in. */
static int scan__open(struct scan *s, const struct elf_file *ef)
{
	Elf *elf = ef->elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int err = 0;

	memset(s, 0, sizeof(*s));
	s->ef = ef;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	while (!err && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!(sh.sh_flags & SHF_EXECINSTR) && skipped(name))
			continue;
		err = add_region(s, &sh, scn);
	}
	if (!err && cs_open(CS_ARCH_X86, CS_MODE_64, &s->cs) != CS_ERR_OK)
		err = -EINVAL;
	if (!err)
		cs_option(s->cs, CS_OPT_DETAIL, CS_OPT_ON);
	return err;
}

static void scan__close(struct scan *s)
{
	if (s->d.insn)
		cs_free(s->d.insn, s->d.count);
	if (s->cs)
		cs_close(&s->cs);
	for (size_t i = 0; i < s->nr; i++)
		free(s->r[i].owned);
	free(s->r);
}

static void say(struct callers *c, const char *fmt, unsigned long long addr)
{
	if (c->complete)
		snprintf(c->why, sizeof(c->why), fmt, addr);
	c->complete = false;
}

/* --- data: the address stored, relocated, or exported --------------------- */

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Position-independent data holds addresses only where it is relocated,
 * in writable (or relro) sections; data at a fixed address anywhere. */
static void find_stored(struct scan *s, uint64_t fn, struct callers *c)
{
	bool fixed = !s->ef->is_dyn;

	for (size_t i = 0; i < s->nr && c->complete; i++) {
		const struct region *r = &s->r[i];

		if (r->exec || (!fixed && !r->write))
			continue;
		for (size_t o = (8 - r->vaddr % 8) % 8; o + 8 <= r->len; o += 8)
			if (rd64(r->b + o) == fn)
				say(c, "its address is stored at 0x%llx", r->vaddr + o);
		if (!fixed || fn > UINT32_MAX)
			continue;
		for (size_t o = (4 - r->vaddr % 4) % 4; o + 4 <= r->len; o += 4)
			if (rd32(r->b + o) == fn)
				say(c, "its address is stored at 0x%llx", r->vaddr + o);
	}
}

static bool reloc_targets(Elf *elf, const GElf_Shdr *sh, const GElf_Rela *ra, uint64_t fn)
{
	Elf_Scn *symscn;
	Elf_Data *syms;
	GElf_Sym sym;
	uint32_t type = GELF_R_TYPE(ra->r_info), idx = GELF_R_SYM(ra->r_info);

	if (type == R_X86_64_RELATIVE || type == R_X86_64_IRELATIVE)
		return (uint64_t)ra->r_addend == fn;
	if (!idx || !(symscn = elf_getscn(elf, sh->sh_link)) || !(syms = elf_getdata(symscn, NULL)))
		return false;
	return gelf_getsym(syms, idx, &sym) && sym.st_shndx != SHN_UNDEF && sym.st_value == fn;
}

static void find_relocated(struct scan *s, uint64_t fn, struct callers *c)
{
	Elf *elf = s->ef->elf;
	Elf_Scn *scn = NULL;

	while (c->complete && (scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela ra;

			if (gelf_getrela(data, (int)i, &ra) && reloc_targets(elf, &sh, &ra, fn)) {
				say(c, "its address is relocated into 0x%llx",
				    (unsigned long long)ra.r_offset);
				break;
			}
		}
	}
}

static void find_exported(struct scan *s, uint64_t fn, struct callers *c)
{
	for (size_t i = 0; i < s->ef->nsyms; i++)
		if (s->ef->syms[i].addr == fn && s->ef->syms[i].exported)
			say(c, "it is exported (0x%llx): other files may call it", fn);
}

/* --- code: calls, jumps and references ---------------------------------------- */

static int push_addr(uint64_t **v, size_t *n, uint64_t a)
{
	uint64_t *nv;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == a)
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = a;
	*v = nv;
	return 0;
}

/*
 * Bytes that could be part of a reference to fn: a rel32 ending up to four
 * bytes before its instruction does (an immediate may follow it), a rel8
 * near fn, or at a fixed address the address itself.
 */
static int find_candidates(struct scan *s, uint64_t fn, uint64_t **out, size_t *n)
{
	bool fixed = !s->ef->is_dyn;
	int err = 0;

	for (size_t i = 0; i < s->nr && !err; i++) {
		const struct region *r = &s->r[i];

		if (!r->exec)
			continue;
		for (size_t o = 0; o < r->len && !err; o++) {
			uint64_t at = r->vaddr + o;
			bool four = o + 4 <= r->len;
			uint64_t d = four ? fn - (at + 4 + (int64_t)(int32_t)rd32(r->b + o)) : 3;

			if ((d <= 4 && d != 3) || (fixed && four && rd32(r->b + o) == fn) ||
			    (fixed && o + 8 <= r->len && rd64(r->b + o) == fn))
				err = push_addr(out, n, at);
			else if (at + 130 > fn && at < fn + 130 &&
				 at + 1 + (int64_t)(int8_t)r->b[o] == fn)
				err = push_addr(out, n, at);
		}
	}
	return err;
}

static const struct region *region_of(const struct scan *s, uint64_t at)
{
	for (size_t i = 0; i < s->nr; i++)
		if (s->r[i].exec && at >= s->r[i].vaddr && at < s->r[i].vaddr + s->r[i].len)
			return &s->r[i];
	return NULL;
}

/* The function symbol over at, or NULL. */
static const struct elf_sym *sym_over(const struct elf_file *ef, uint64_t at)
{
	for (size_t i = 0; i < ef->nsyms; i++)
		if (ef->syms[i].size && at >= ef->syms[i].addr &&
		    at < ef->syms[i].addr + ef->syms[i].size)
			return &ef->syms[i];
	return NULL;
}

/* The code around at to decode: its function, or the stretch between the
 * symbols (or section edges) on either side. */
static void range_of(const struct scan *s, const struct region *r, uint64_t at, uint64_t *start,
		     uint64_t *end)
{
	const struct elf_sym *f = sym_over(s->ef, at);

	*start = r->vaddr;
	*end = r->vaddr + r->len;
	if (f) {
		*start = f->addr > *start ? f->addr : *start;
		*end = f->addr + f->size < *end ? f->addr + f->size : *end;
		return;
	}
	for (size_t i = 0; i < s->ef->nsyms; i++) {
		const struct elf_sym *y = &s->ef->syms[i];
		uint64_t y_end = y->addr + y->size;

		if (y->addr > at && y->addr < *end)
			*end = y->addr;
		if (y->addr <= at && y_end > *start && y_end <= at)
			*start = y_end;
		if (!y->size && y->addr <= at && y->addr > *start)
			*start = y->addr;
	}
}

/* Decodes the code around at (kept for the next candidate); its index
 * there, or -1 if at is not inside a decoded instruction. */
static long decode_at(struct scan *s, uint64_t at)
{
	const struct region *r = region_of(s, at);
	uint64_t start, end;

	if (!r)
		return -1;
	range_of(s, r, at, &start, &end);
	if (!s->d.insn || s->d.start != start || s->d.end != end) {
		if (s->d.insn)
			cs_free(s->d.insn, s->d.count);
		memset(&s->d, 0, sizeof(s->d));
		if (end - start > MAX_FUNC_BYTES)
			return -1;
		s->d.start = start;
		s->d.end = end;
		s->d.count = cs_disasm(s->cs, r->b + (start - r->vaddr), end - start, start, 0,
				       &s->d.insn);
	}
	for (size_t i = 0; i < s->d.count; i++)
		if (at >= s->d.insn[i].address && at < s->d.insn[i].address + s->d.insn[i].size)
			return (long)i;
	return -1;
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
	long i = decode_at(s, at);
	const cs_insn *in;
	const struct elf_sym *g;
	struct ret_site site;

	if (i < 0) {
		say(c, "code at 0x%llx that may refer to it cannot be decoded", at);
		return 0;
	}
	in = &s->d.insn[i];
	if (!x86insn__refers_to(in, fn, !s->ef->is_dyn))
		return 0; /* bytes inside another instruction */
	if (x86insn__in_group(in, CS_GRP_CALL) && x86insn__direct_target(in) == fn) {
		if ((size_t)i + 1 >= s->d.count)
			return 0; /* it never returns there: nothing follows */
		place_site(s->d.insn, s->d.count, (size_t)i + 1, &site);
		site.caller = s->d.start;
		return push_site(c, &site);
	}
	if (x86insn__in_group(in, CS_GRP_JUMP) && x86insn__direct_target(in) == fn) {
		g = sym_over(s->ef, in->address);
		if (!g) {
			say(c, "it is jumped to from 0x%llx, outside any function", in->address);
			return 0;
		}
		return g->addr == fn ? 0 : push_addr(tails, ntails, in->address);
	}
	say(c, "its address is taken at 0x%llx", in->address);
	return 0;
}

/* --- tail calls: the caller's callers ------------------------------------------ */

/* The function a tail call from at leaves: its symbol, or for GCC's
 * NAME.cold part (the rarely run code of NAME) NAME itself. */
static const struct elf_sym *leaving(const struct elf_file *ef, uint64_t at)
{
	const struct elf_sym *g = sym_over(ef, at);
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
	const struct elf_sym *g = leaving(s->ef, jump);
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
	uint64_t *cand = NULL, *tails = NULL;
	size_t ncand = 0, ntails = 0;
	int err;

	s->visiting[s->nvisiting++] = fn;
	find_exported(s, fn, c);
	find_stored(s, fn, c);
	find_relocated(s, fn, c);
	err = find_candidates(s, fn, &cand, &ncand);
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
	int err = eh__landing_pads(s->ef, caller, &pads, &npads);

	if (err)
		say(c, "the unwind tables of its caller at 0x%llx cannot be read", caller);
	for (size_t i = 0; i < npads && !err; i++) {
		struct ret_site pad;
		long k = decode_at(s, pads[i]);

		if (k < 0 || s->d.insn[k].address != pads[i]) {
			say(c, "a landing pad of its caller, 0x%llx, cannot be decoded", pads[i]);
			continue;
		}
		place_site(s->d.insn, s->d.count, (size_t)k, &pad);
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
	err = scan__open(&s, ef);
	i = err ? -1 : decode_at(&s, ra);
	/* ra must begin an instruction that a call ends right before */
	if (!err && (i < 1 || s.d.insn[i].address != ra ||
		     !x86insn__in_group(&s.d.insn[i - 1], CS_GRP_CALL)))
		err = -ENOENT;
	if (!err) {
		place_site(s.d.insn, s.d.count, (size_t)i, &site);
		site.caller = s.d.start;
		err = push_site(out, &site);
	}
	if (!err)
		err = find_pads(&s, out);
	out->complete = !err;
	scan__close(&s);
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
	err = scan__open(&s, ef);
	if (!err)
		err = find_sites(&s, fn->addr, out);
	if (!err)
		err = find_pads(&s, out);
	scan__close(&s);
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
