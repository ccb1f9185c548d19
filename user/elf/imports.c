// SPDX-License-Identifier: MIT
/*
 * Where code reaches a function by name (imports.h): its definition, if
 * the file has one; else the GOT slot its relocations fill (JUMP_SLOT, or
 * GLOB_DAT for code that calls through the GOT), and the PLT entries whose
 * jump goes through that slot, found by decoding the PLT sections.
 */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf/imports.h"

#include "elf/elf_file.h"
#include "elf/x86insn.h"

#define PLT_ENTRY 16 /* bytes of a PLT entry, .plt and .plt.sec alike (x86-64) */

static void add_target(struct import *im, uint64_t a)
{
	for (size_t i = 0; i < im->ntargets; i++)
		if (im->targets[i] == a)
			return;
	if (im->ntargets < sizeof(im->targets) / sizeof(*im->targets))
		im->targets[im->ntargets++] = a;
}

/* The GOT slot a relocation against name fills, or 0. */
static uint64_t got_slot(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh, symsh;
		Elf_Data *data, *syms;
		Elf_Scn *symscn;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)) || !(symscn = elf_getscn(elf, sh.sh_link)) ||
		    !gelf_getshdr(symscn, &symsh) || !(syms = elf_getdata(symscn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela ra;
			GElf_Sym sym;
			const char *n;
			uint32_t type;

			if (!gelf_getrela(data, (int)i, &ra))
				continue;
			type = GELF_R_TYPE(ra.r_info);
			if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) ||
			    !gelf_getsym(syms, GELF_R_SYM(ra.r_info), &sym))
				continue;
			n = elf_strptr(elf, symsh.sh_link, sym.st_name);
			if (n && (!strcmp(n, name) ||
				  (!strncmp(n, name, strlen(name)) && n[strlen(name)] == '@')))
				return ra.r_offset;
		}
	}
	return 0;
}

/* PLT entries whose jump goes through slot. */
static void plt_entries(const struct elf_file *ef, uint64_t slot, struct import *im)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	csh cs;

	if (elf_getshdrstrndx(ef->elf, &shstrndx) ||
	    cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	while ((scn = elf_nextscn(ef->elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *n;
		cs_insn *insn = NULL;
		uint8_t *code;
		size_t count = 0;

		if (!gelf_getshdr(scn, &sh) || !(n = elf_strptr(ef->elf, shstrndx, sh.sh_name)) ||
		    strncmp(n, ".plt", 4) || sh.sh_type == SHT_NOBITS || !sh.sh_size ||
		    sh.sh_size > (1 << 24) || !(code = malloc(sh.sh_size)))
			continue;
		/* read, not mapped: a mapping may show our own probes (callsites.c) */
		if (pread(ef->fd, code, sh.sh_size, (off_t)sh.sh_offset) == (ssize_t)sh.sh_size)
			count = cs_disasm(cs, code, sh.sh_size, sh.sh_addr, 0, &insn);
		free(code);
		for (size_t i = 0; i < count; i++)
			if (x86insn__in_group(&insn[i], CS_GRP_JUMP) &&
			    x86insn__refers_to(&insn[i], slot, false))
				add_target(im, sh.sh_addr + (insn[i].address - sh.sh_addr) /
								PLT_ENTRY * PLT_ENTRY);
		if (insn)
			cs_free(insn, count);
	}
	cs_close(&cs);
}

int import__find(const struct elf_file *ef, const char *name, struct import *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ef->nsyms; i++)
		if (!strcmp(ef->syms[i].name, name))
			add_target(out, ef->syms[i].addr);
	out->got = got_slot(ef->elf, name);
	if (out->got)
		plt_entries(ef, out->got, out);
	return out->ntargets || out->got ? 0 : -ENOENT;
}

bool import__called_by(const struct import *im, const cs_insn *in)
{
	uint64_t t;

	if (!x86insn__in_group(in, CS_GRP_CALL))
		return false;
	t = x86insn__direct_target(in);
	for (size_t i = 0; t && i < im->ntargets; i++)
		if (im->targets[i] == t)
			return true;
	return !t && im->got && x86insn__refers_to(in, im->got, false);
}
