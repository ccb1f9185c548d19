/* SPDX-License-Identifier: MIT */
/*
 * An ELF file opened once: its symbols (demangled), its segments, its
 * DT_NEEDED libraries, and what its code can do to its own stack (walk it,
 * unwind it, handle signals, load code). The bottom of the elf/ folder.
 */
#ifndef TP_ELF_ELF_FILE_H
#define TP_ELF_ELF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_sym {
	char *name;      /* as in the symbol table */
	char *plain;     /* demangled without parameters, or NULL for C names */
	uint64_t addr;
	uint64_t size;
	bool exported;   /* defined in .dynsym: other files may call it */
};

/* Ways a file's code can leave frames without returning (elfsym.c). */
enum elf_cuts {
	ELF_CUT_THROW = 0x1,   /* C++ exceptions, Rust panics */
	ELF_CUT_FORCED = 0x2,  /* pthread_exit, pthread_cancel */
	ELF_CUT_JUMP = 0x4,    /* longjmp */
};

struct elf_file {
	char *path;
	int fd;
	void *elf;          /* Elf * */
	bool has_symtab;    /* not stripped */
	bool is_go;
	bool walks_stack;   /* unwinds, walks or records its own stack (elfsym.c) */
	bool walker;        /* ...walks or records it, not only unwinds it */
	bool handles_signals; /* installs signal handlers */
	bool loads_code;    /* dlopen: code the analysis of its image cannot see */
	unsigned int cuts;  /* enum elf_cuts it can cause */
	bool is_dyn;        /* ET_DYN (PIE or shared library) */
	bool is_exec;       /* an executable, PIE or not */
	struct elf_sym *syms;
	size_t nsyms;
	char **needed;      /* DT_NEEDED */
	size_t nneeded;
	char *runpath;      /* DT_RUNPATH or DT_RPATH */
};

struct elf_file *elf_file__open(const char *path);
void elf_file__close(struct elf_file *ef);
const struct elf_sym *elf_file__sym_at(const struct elf_file *ef, uint64_t addr);
int elf_file__offset(const struct elf_file *ef, uint64_t vaddr, uint64_t *off);
/* The address a file offset is loaded at; -ENOENT if no segment holds it. */
int elf_file__vaddr(const struct elf_file *ef, uint64_t off, uint64_t *vaddr);
int elf_file__read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);

#endif /* TP_ELF_ELF_FILE_H */
