/* SPDX-License-Identifier: MIT */
/*
 * The plan's declared marker names, written into BPF's map of them.
 */
#ifndef TP_ENGINE_MARKER_NAMES_H
#define TP_ENGINE_MARKER_NAMES_H

struct plan;
struct taskprof_bpf;

struct taskprof_bpf;
/* The plan's marker names into BPF; ids seen so far are read again. */
int marker_names__set(struct taskprof_bpf *skel, const struct plan *p);

#endif /* TP_ENGINE_MARKER_NAMES_H */
