// SPDX-License-Identifier: GPL-2.0
/*
 * taskprof's BPF side: one record per task invocation. One object, so one
 * skeleton and one verifier pass; each job is a header of its own, which
 * includes what it uses (the lower headers first, none includes a higher
 * one), so the order here is only the order of definition:
 *
 *   kernel.bpf.h    assumptions about the kernel's layout, small helpers
 *   state.bpf.h     maps: threads, tracked processes, charges, peaks, losses
 *   counters.bpf.h  a thread's counters now; charging children's work
 *   mempeak.bpf.h   the memory peak of each open invocation (rss_stat)
 *   emit.bpf.h      the record of a closed frame
 *   frames.bpf.h    opening and closing invocation frames
 *   tasks.bpf.h     entry and return probes on the declared tasks
 *   markers.bpf.h   marker regions (libtaskprof-marker) and Python raises
 *   cuts.bpf.h      exceptions, forced unwinds and longjmp
 *   allocs.bpf.h    malloc-family calls (--allocs)
 *   iowait.bpf.h    IO wait, counted at sched_switch from in_iowait
 *   procs.bpf.h     fork, exit and exec
 *   net.bpf.h       socket bytes
 *
 * Nothing here writes to a target's memory or registers, and nothing here
 * outlives the collector's links in a way a target could notice.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

#include "kernel.bpf.h"
#include "state.bpf.h"
#include "counters.bpf.h"
#include "mempeak.bpf.h"
#include "emit.bpf.h"
#include "frames.bpf.h"
#include "tasks.bpf.h"
#include "markers.bpf.h"
#include "cuts.bpf.h"
#include "allocs.bpf.h"
#include "iowait.bpf.h"
#include "procs.bpf.h"
#include "net.bpf.h"
