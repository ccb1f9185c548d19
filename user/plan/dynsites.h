/* SPDX-License-Identifier: MIT */
/*
 * Return sites found while a program runs. A task whose callers cannot all
 * be known from its file returns by probes on its ret instructions; when it
 * leaves by a tail call instead, BPF (tp_tail) asks for the return address
 * of the call in progress, and a probe goes there: the next calls from
 * that place end exactly, as tasks whose callers are known do. The file
 * mapped there is checked to be the one read, by device and inode.
 */
#ifndef TP_DYNSITES_H
#define TP_DYNSITES_H

#include <stdint.h>
#include <sys/types.h>

struct plan;
struct dynsites;

struct dynsites *dynsites__new(void);
void dynsites__free(struct dynsites *d);
/* The return site at ra in process pid into p: 1 if it adds probes, 0 if
 * not (known already, or no call of a mapped file's code returns there),
 * or a negative errno. */
int dynsites__add(struct dynsites *d, struct plan *p, pid_t pid, uint64_t ra);
/* Every site found so far into p, a plan made anew (a collector's reload). */
int dynsites__reapply(struct dynsites *d, struct plan *p);
/* Sites found so far. */
size_t dynsites__count(const struct dynsites *d);

#endif /* TP_DYNSITES_H */
