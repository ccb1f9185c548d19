/* SPDX-License-Identifier: MIT */
/*
 * Which invocation ran inside which, by thread and time.
 */
#ifndef TP_ANALYSIS_NESTING_H
#define TP_ANALYSIS_NESTING_H

#include <stddef.h>

struct profile_list;

/*
 * For each row of l, the row it ran directly inside, or -1: on its thread,
 * the innermost whose span holds it; for a thread's outermost rows, the
 * innermost invocation on another thread of the process that holds all of
 * that thread's rows. With covered, each row's seconds its children's
 * spans cover, overlaps once. NULL with errno set on failure.
 */
ptrdiff_t *nesting__parents(const struct profile_list *l, double *covered);

#endif /* TP_ANALYSIS_NESTING_H */
