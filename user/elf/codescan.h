/* SPDX-License-Identifier: MIT */
/*
 * A file's code and data as the analysis of its calls reads them. Code is
 * read with pread, never through a mapping: uprobes go into every private
 * mapping of the file that may execute, this process's read-only one too
 * (uprobes' valid_vma wants only VM_MAYEXEC), so a mapped copy shows the
 * int3s of probes already attached.
 */
#ifndef TP_CODESCAN_H
#define TP_CODESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <capstone/capstone.h>

struct elf_file;
struct elf_sym;

/* One section's bytes and where they load. */
struct codescan_region {
	uint64_t vaddr;
	const uint8_t *b;
	size_t len;
	bool exec;
	bool write;
	uint8_t *owned;    /* b, when read for us (code) */
};

/* One decoded function, or a stretch of code no symbol covers. */
struct codescan_decoded {
	uint64_t start, end;
	cs_insn *insn;
	size_t count;
};

struct codescan {
	const struct elf_file *ef;
	struct codescan_region *r;
	size_t nr;
	csh cs;
	struct codescan_decoded d; /* the last decoded: valid until the next decode */
};

/* The sections holding code, or data an address may be stored in. */
int codescan__open(struct codescan *s, const struct elf_file *ef);
void codescan__close(struct codescan *s);
/* Whether fn's address is held other than by a direct branch (exported,
 * stored, relocated), and where, in why. */
bool codescan__held(struct codescan *s, uint64_t fn, char *why, size_t len);
/* Bytes that could belong to a reference to fn: a rel32 ending up to four
 * bytes before its instruction does, a rel8 near it, or at a fixed
 * address the address itself. */
int codescan__candidates(struct codescan *s, uint64_t fn, uint64_t **out, size_t *n);
/* The function symbol over at, or NULL. */
const struct elf_sym *codescan__sym_over(const struct elf_file *ef, uint64_t at);
/* Decodes the code around at (s->d); the index of the instruction over
 * at, or -1 if none is. */
long codescan__decode_at(struct codescan *s, uint64_t at);

#endif /* TP_CODESCAN_H */
