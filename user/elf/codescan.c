// SPDX-License-Identifier: MIT
/*
 * A file's code and data as the analysis reads them (codescan.h): code by
 * pread, data through libelf; where an address is held other than by a
 * direct branch; bytes that could refer to it; the function around an
 * address, decoded from its symbol.
 */
#include <errno.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf/codescan.h"

#include "base/util.h"
#include "elf/elf_file.h"

#define MAX_FUNC_BYTES (1 << 22)

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
static int add_region(struct codescan *s, const GElf_Shdr *sh, Elf_Scn *scn)
{
	bool exec = sh->sh_flags & SHF_EXECINSTR;
	Elf_Data *data = exec ? NULL : elf_getdata(scn, NULL);
	struct codescan_region *nr, r = { .vaddr = sh->sh_addr, .exec = exec,
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
int codescan__open(struct codescan *s, const struct elf_file *ef)
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

void codescan__close(struct codescan *s)
{
	if (s->d.insn)
		cs_free(s->d.insn, s->d.count);
	if (s->cs)
		cs_close(&s->cs);
	for (size_t i = 0; i < s->nr; i++)
		free(s->r[i].owned);
	free(s->r);
}

static bool said(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return true;
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
static bool find_stored(struct codescan *s, uint64_t fn, char *why, size_t len)
{
	bool fixed = !s->ef->is_dyn;

	for (size_t i = 0; i < s->nr; i++) {
		const struct codescan_region *r = &s->r[i];

		if (r->exec || (!fixed && !r->write))
			continue;
		for (size_t o = (8 - r->vaddr % 8) % 8; o + 8 <= r->len; o += 8)
			if (rd64(r->b + o) == fn)
				return said(why, len, "its address is stored at 0x%llx", r->vaddr + o);
		if (!fixed || fn > UINT32_MAX)
			continue;
		for (size_t o = (4 - r->vaddr % 4) % 4; o + 4 <= r->len; o += 4)
			if (rd32(r->b + o) == fn)
				return said(why, len, "its address is stored at 0x%llx", r->vaddr + o);
	}
	return false;
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

static bool find_relocated(struct codescan *s, uint64_t fn, char *why, size_t len)
{
	Elf *elf = s->ef->elf;
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela ra;

			if (gelf_getrela(data, (int)i, &ra) && reloc_targets(elf, &sh, &ra, fn))
				return said(why, len, "its address is relocated into 0x%llx",
					    (unsigned long long)ra.r_offset);
		}
	}
	return false;
}

static bool find_exported(struct codescan *s, uint64_t fn, char *why, size_t len)
{
	for (size_t i = 0; i < s->ef->nsyms; i++)
		if (s->ef->syms[i].addr == fn && s->ef->syms[i].exported)
			return said(why, len, "it is exported (0x%llx): other files may call it",
				    (unsigned long long)fn);
	return false;
}

bool codescan__held(struct codescan *s, uint64_t fn, char *why, size_t len)
{
	return find_exported(s, fn, why, len) || find_stored(s, fn, why, len) ||
	       find_relocated(s, fn, why, len);
}

/* --- code: what may refer to an address, and the code around it ----------------- */

/*
 * Bytes that could be part of a reference to fn: a rel32 ending up to four
 * bytes before its instruction does (an immediate may follow it), a rel8
 * near fn, or at a fixed address the address itself.
 */
int codescan__candidates(struct codescan *s, uint64_t fn, uint64_t **out, size_t *n)
{
	bool fixed = !s->ef->is_dyn;
	int err = 0;

	for (size_t i = 0; i < s->nr && !err; i++) {
		const struct codescan_region *r = &s->r[i];

		if (!r->exec)
			continue;
		for (size_t o = 0; o < r->len && !err; o++) {
			uint64_t at = r->vaddr + o;
			bool four = o + 4 <= r->len;
			uint64_t d = four ? fn - (at + 4 + (int64_t)(int32_t)rd32(r->b + o)) : 3;

			if ((d <= 4 && d != 3) || (fixed && four && rd32(r->b + o) == fn) ||
			    (fixed && o + 8 <= r->len && rd64(r->b + o) == fn))
				err = tp_u64_push(out, n, at);
			else if (at + 130 > fn && at < fn + 130 &&
				 at + 1 + (int64_t)(int8_t)r->b[o] == fn)
				err = tp_u64_push(out, n, at);
		}
	}
	return err;
}

static const struct codescan_region *region_of(const struct codescan *s, uint64_t at)
{
	for (size_t i = 0; i < s->nr; i++)
		if (s->r[i].exec && at >= s->r[i].vaddr && at < s->r[i].vaddr + s->r[i].len)
			return &s->r[i];
	return NULL;
}

/* The function symbol over at, or NULL. */
const struct elf_sym *codescan__sym_over(const struct elf_file *ef, uint64_t at)
{
	for (size_t i = 0; i < ef->nsyms; i++)
		if (ef->syms[i].size && at >= ef->syms[i].addr &&
		    at < ef->syms[i].addr + ef->syms[i].size)
			return &ef->syms[i];
	return NULL;
}

/* The code around at to decode: its function, or the stretch between the
 * symbols (or section edges) on either side. */
static void range_of(const struct codescan *s, const struct codescan_region *r, uint64_t at, uint64_t *start,
		     uint64_t *end)
{
	const struct elf_sym *f = codescan__sym_over(s->ef, at);

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
long codescan__decode_at(struct codescan *s, uint64_t at)
{
	const struct codescan_region *r = region_of(s, at);
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
