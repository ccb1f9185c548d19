/* SPDX-License-Identifier: MIT */
/*
 * Runtime hooks: the functions where exceptions, forced unwinds and
 * longjmp start (cuts that leave frames without a return), and with
 * allocations counted, the malloc family.
 */
#ifndef TP_PLAN_HOOKS_H
#define TP_PLAN_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

struct plan;

/* Exceptions, longjmp and, with allocs, the malloc family . */
/* The same for one file and the libraries it needs, without allocs. */
int hooks__add_runtime_of(struct plan *p, const char *exe);
int hooks__add_runtime(struct plan *p, const char *exe, char *const *libs, size_t nlibs,
		      bool allocs);

#endif /* TP_PLAN_HOOKS_H */
