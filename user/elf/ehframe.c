// SPDX-License-Identifier: MIT
/*
 * Landing pads from the unwind tables (ehframe.h). The FDE of a function
 * is found through .eh_frame_hdr's sorted table, or by walking .eh_frame
 * where there is none; its CIE says whether it has language data (the 'L'
 * augmentation) and how pointers are encoded; the data's call-site table
 * names a landing pad for each range of calls that has one. The formats
 * are the LSB's (Linux Standard Base, "Exception Frames") and GCC's
 * (unwind-dw2-fde, unwind-c.c / eh_personality.cc, LSDA layout).
 */
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "elf/ehframe.h"

#include "elf/elf_file.h"

/* DW_EH_PE_* pointer encodings */
#define PE_OMIT 0xff
#define PE_FORMAT 0x0f
#define PE_APPLY 0x70
#define PE_ABSPTR 0x00
#define PE_ULEB128 0x01
#define PE_UDATA2 0x02
#define PE_UDATA4 0x03
#define PE_UDATA8 0x04
#define PE_SLEB128 0x09
#define PE_SDATA2 0x0a
#define PE_SDATA4 0x0b
#define PE_SDATA8 0x0c
#define PE_PCREL 0x10
#define PE_DATAREL 0x30
#define MAX_PADS 4096

/* A section's bytes and where they are mapped. */
struct sect {
	uint64_t vaddr;
	const uint8_t *b;
	size_t len;
};

/* Reads from bytes mapped at a known address; a read past the end sets bad. */
struct cur {
	const uint8_t *p, *end;
	uint64_t vaddr; /* of p */
	bool bad;
};

static bool sect_named(Elf *elf, const char *name, struct sect *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!n || strcmp(n, name) || !(d = elf_getdata(scn, NULL)) || !d->d_buf)
			continue;
		*out = (struct sect){ .vaddr = sh.sh_addr, .b = d->d_buf, .len = d->d_size };
		return true;
	}
	return false;
}

/* A cursor at vaddr in s, up to its end; bad if vaddr is outside. */
static struct cur at(const struct sect *s, uint64_t vaddr)
{
	struct cur c = { .bad = true };

	if (vaddr < s->vaddr || vaddr >= s->vaddr + s->len)
		return c;
	c.p = s->b + (vaddr - s->vaddr);
	c.end = s->b + s->len;
	c.vaddr = vaddr;
	c.bad = false;
	return c;
}

static uint64_t take(struct cur *c, size_t n)
{
	uint64_t v = 0;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	c->vaddr += n;
	return v;
}

static uint64_t uleb(struct cur *c)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		b = (uint8_t)take(c, 1);
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while ((b & 0x80) && !c->bad);
	return v;
}

static int64_t sleb(struct cur *c)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		b = (uint8_t)take(c, 1);
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while ((b & 0x80) && !c->bad);
	if (shift < 64 && (b & 0x40))
		v |= ~0ULL << shift;
	return (int64_t)v;
}

/* A pointer in encoding enc; datarel is what DW_EH_PE_datarel is relative to. */
static uint64_t encoded(struct cur *c, uint8_t enc, uint64_t datarel)
{
	uint64_t here = c->vaddr, v;

	switch (enc & PE_FORMAT) {
	case PE_ABSPTR: case PE_UDATA8: case PE_SDATA8: v = take(c, 8); break;
	case PE_ULEB128: v = uleb(c); break;
	case PE_SLEB128: v = (uint64_t)sleb(c); break;
	case PE_UDATA2: v = take(c, 2); break;
	case PE_SDATA2: v = (uint64_t)(int64_t)(int16_t)take(c, 2); break;
	case PE_UDATA4: v = take(c, 4); break;
	case PE_SDATA4: v = (uint64_t)(int64_t)(int32_t)take(c, 4); break;
	default: c->bad = true; return 0;
	}
	switch (enc & PE_APPLY) {
	case 0: return v;
	case PE_PCREL: return here + v;
	case PE_DATAREL: return datarel + v;
	default: c->bad = true; return 0; /* textrel, funcrel, aligned: not on x86-64 */
	}
}

/* The FDE of fn, through .eh_frame_hdr's search table; 0 if none. */
static uint64_t fde_from_hdr(const struct sect *hdr, uint64_t fn)
{
	struct cur c = at(hdr, hdr->vaddr);
	uint8_t version = (uint8_t)take(&c, 1), ptr_enc = (uint8_t)take(&c, 1);
	uint8_t count_enc = (uint8_t)take(&c, 1), table_enc = (uint8_t)take(&c, 1);
	uint64_t count, lo = 0, hi;

	if (version != 1 || table_enc != (PE_DATAREL | PE_SDATA4))
		return 0;
	encoded(&c, ptr_enc, hdr->vaddr);
	count = encoded(&c, count_enc, hdr->vaddr);
	if (c.bad || count > (uint64_t)(c.end - c.p) / 8)
		return 0;
	hi = count;
	while (lo < hi) { /* entries are (initial location, FDE), sorted */
		uint64_t mid = lo + (hi - lo) / 2;
		struct cur e = c;
		uint64_t loc;

		e.p += mid * 8;
		e.vaddr += mid * 8;
		loc = encoded(&e, table_enc, hdr->vaddr);
		if (loc == fn)
			return encoded(&e, table_enc, hdr->vaddr);
		if (loc < fn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* What a CIE says of its FDEs: the encodings of their pointers. */
struct cie {
	uint8_t fde_enc;
	uint8_t lsda_enc;
	bool aug_z;
};

static bool read_cie(const struct sect *eh, uint64_t vaddr, struct cie *out)
{
	struct cur c = at(eh, vaddr);
	const char *aug;
	size_t n;

	*out = (struct cie){ .fde_enc = PE_ABSPTR, .lsda_enc = PE_OMIT };
	if (take(&c, 4) == 0xffffffffu || take(&c, 4) != 0)
		return false; /* 64-bit DWARF, or not a CIE */
	take(&c, 1); /* version */
	aug = (const char *)c.p;
	n = strnlen(aug, (size_t)(c.end - c.p));
	take(&c, n + 1);
	uleb(&c);
	sleb(&c);
	uleb(&c); /* code and data alignment, return register */
	if (c.bad || aug[0] != 'z')
		return !c.bad && !aug[0];
	out->aug_z = true;
	uleb(&c);
	for (size_t i = 1; i < n && !c.bad; i++) {
		if (aug[i] == 'R') {
			out->fde_enc = (uint8_t)take(&c, 1);
		} else if (aug[i] == 'L') {
			out->lsda_enc = (uint8_t)take(&c, 1);
		} else if (aug[i] == 'P') {
			uint8_t enc = (uint8_t)take(&c, 1);

			encoded(&c, enc & ~0x80, 0);
		} else if (aug[i] != 'S' && aug[i] != 'B') {
			return false;
		}
	}
	return !c.bad;
}

/*
 * The FDE at vaddr: whether it covers fn, and its LSDA (0: none). Its CIE
 * pointer counts back from the field itself.
 */
static bool read_fde(const struct sect *eh, uint64_t vaddr, uint64_t fn, uint64_t *lsda)
{
	struct cur c = at(eh, vaddr);
	uint64_t len = take(&c, 4), cie_ptr_at = c.vaddr, cie_ptr = take(&c, 4), begin;
	struct cie cie;

	*lsda = 0;
	if (c.bad || len == 0xffffffffu || !cie_ptr || !read_cie(eh, cie_ptr_at - cie_ptr, &cie))
		return false;
	begin = encoded(&c, cie.fde_enc, 0);
	encoded(&c, cie.fde_enc & PE_FORMAT, 0); /* the range */
	if (c.bad || begin != fn)
		return false;
	if (cie.aug_z && cie.lsda_enc != PE_OMIT) {
		uleb(&c);
		*lsda = encoded(&c, cie.lsda_enc, 0);
	}
	return !c.bad;
}

/* Every FDE in turn, for a file without .eh_frame_hdr. */
static uint64_t fde_by_walk(const struct sect *eh, uint64_t fn)
{
	uint64_t off = 0, lsda;

	while (off + 8 <= eh->len) {
		struct cur c = at(eh, eh->vaddr + off);
		uint64_t len = take(&c, 4), id = take(&c, 4);

		if (!len || len == 0xffffffffu)
			break;
		if (id && read_fde(eh, eh->vaddr + off, fn, &lsda))
			return eh->vaddr + off;
		off += 4 + len;
	}
	return 0;
}

static int push_pad(uint64_t **v, size_t *n, uint64_t pad)
{
	uint64_t *nv;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == pad)
			return 0;
	if (*n >= MAX_PADS)
		return -E2BIG;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = pad;
	*v = nv;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The call-site table of the LSDA at vaddr: each record's landing pad. */
static int read_lsda(const struct sect *gx, uint64_t vaddr, uint64_t fn, uint64_t **out, size_t *n)
{
	struct cur c = at(gx, vaddr);
	uint8_t lp_enc = (uint8_t)take(&c, 1), tt_enc, cs_enc;
	uint64_t lpstart = fn, cs_len;
	const uint8_t *end;
	int err = 0;

	if (lp_enc != PE_OMIT)
		lpstart = encoded(&c, lp_enc, 0);
	tt_enc = (uint8_t)take(&c, 1);
	if (tt_enc != PE_OMIT)
		uleb(&c);
	cs_enc = (uint8_t)take(&c, 1);
	cs_len = uleb(&c);
	if (c.bad || cs_len > (uint64_t)(c.end - c.p))
		return -EINVAL;
	end = c.p + cs_len;
	while (c.p < end && !c.bad && !err) {
		uint64_t lp;

		encoded(&c, cs_enc, 0);
		encoded(&c, cs_enc, 0); /* the range of calls */
		lp = encoded(&c, cs_enc, 0);
		uleb(&c); /* the action */
		if (!c.bad && lp)
			err = push_pad(out, n, lpstart + lp);
	}
	return c.bad ? -EINVAL : err;
}

int eh__landing_pads(const struct elf_file *ef, uint64_t fn, uint64_t **out, size_t *n)
{
	struct sect eh, hdr, gx;
	uint64_t fde = 0, lsda = 0;
	int err;

	*out = NULL;
	*n = 0;
	if (!sect_named(ef->elf, ".eh_frame", &eh))
		return 0;
	if (sect_named(ef->elf, ".eh_frame_hdr", &hdr))
		fde = fde_from_hdr(&hdr, fn);
	if (!fde)
		fde = fde_by_walk(&eh, fn);
	if (!fde || !read_fde(&eh, fde, fn, &lsda) || !lsda)
		return 0;
	if (!sect_named(ef->elf, ".gcc_except_table", &gx))
		return -ENOENT;
	err = read_lsda(&gx, lsda, fn, out, n);
	if (err) {
		free(*out);
		*out = NULL;
		*n = 0;
		return err;
	}
	qsort(*out, *n, sizeof(**out), cmp_u64);
	return 0;
}
