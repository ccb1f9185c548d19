/* SPDX-License-Identifier: MIT */
/*
 * Finding a task's functions in a file by the name a user wrote: a C
 * name, a mangled name, a demangled name without parameters, a glob; and
 * near matches when there is none.
 */
#ifndef TP_ELF_ELF_FIND_H
#define TP_ELF_ELF_FIND_H

#include <stddef.h>

struct elf_file;
struct elf_sym;

/* Symbols matching a C name, a mangled name or a demangled name without
 * parameters; one per address. Returns the count, or a negative errno. */
int elf_file__find(const struct elf_file *ef, const char *query, struct elf_sym ***out);
/* Up to max near matches for an unknown symbol, comma separated. */
void elf_file__suggest(const struct elf_file *ef, const char *query, char *buf, size_t len);

#endif /* TP_ELF_ELF_FIND_H */
