/* SPDX-License-Identifier: MIT */
/*
 * Multi-uprobe links (Linux 6.6) made with bpf(2) directly: Debian's
 * libbpf 1.1 predates them.
 */
#ifndef TP_ENGINE_UPROBE_MULTI_H
#define TP_ENGINE_UPROBE_MULTI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The kernel's ABI that Debian's libbpf 1.1 headers predate (6.6+). */
#define TP_TRACE_UPROBE_MULTI 48  /* enum bpf_attach_type BPF_TRACE_UPROBE_MULTI */
#define TP_UPROBE_MULTI_RETURN 1  /* BPF_F_UPROBE_MULTI_RETURN */

int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t n, unsigned int flags, pid_t pid);

#endif /* TP_ENGINE_UPROBE_MULTI_H */
