/* SPDX-License-Identifier: MIT */
/*
 * Where a function's own cleanups send an exception on: its calls to
 * _Unwind_Resume, in it and in its .cold part (where GCC puts landing
 * pads). A task's frame is left there, once its destructors have run: the
 * unwind that began at the throw goes on past it.
 */
#ifndef TP_RESUMES_H
#define TP_RESUMES_H

#include <stddef.h>
#include <stdint.h>

struct elf_file;
struct elf_sym;

/* The addresses of those calls (caller frees); 0 or a negative errno. */
int resumes__find(const struct elf_file *ef, const struct elf_sym *fn, uint64_t **out, size_t *n);

#endif /* TP_RESUMES_H */
