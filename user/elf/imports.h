/* SPDX-License-Identifier: MIT */
/*
 * Where a file's code reaches a function by name: the function itself if
 * the file defines it, its PLT entries (lazy .plt, or .plt.sec with IBT),
 * and its GOT slot, through which -fno-plt code (Rust's, by default) calls
 * it directly.
 */
#ifndef TP_IMPORTS_H
#define TP_IMPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <capstone/capstone.h>

struct elf_file;

struct import {
	uint64_t targets[8]; /* addresses a direct call to it lands on */
	size_t ntargets;
	uint64_t got;        /* its GOT slot, or 0 */
};

/* Where code in ef reaches name; 0, or -ENOENT if nowhere. */
int import__find(const struct elf_file *ef, const char *name, struct import *out);
/* Whether the decoded instruction calls it. */
bool import__called_by(const struct import *im, const cs_insn *in);

#endif /* TP_IMPORTS_H */
