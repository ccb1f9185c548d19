// SPDX-License-Identifier: MIT
/*
 * Multi-uprobe links through bpf(2) itself: one link for many offsets of one
 * file, torn down with one RCU synchronisation instead of one per probe.
 * The kernel has them since 6.6 (BPF_TRACE_UPROBE_MULTI); Debian's libbpf
 * 1.1 does not know them yet, so the attribute is laid out here.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "engine/uprobe_multi.h"

/* union bpf_attr's link_create, as 6.6+ lays it out for uprobe_multi */
struct link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
};

int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t n, unsigned int flags, pid_t pid)
{
	/* bigger than any kernel's bpf_attr: it checks the tail is zero */
	union {
		struct link_create_uprobe_multi a;
		char bytes[256];
	} attr;
	int fd;

	if (!n || n > UINT32_MAX)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.a.prog_fd = prog_fd;
	attr.a.attach_type = TP_TRACE_UPROBE_MULTI;
	attr.a.path = (uintptr_t)path;
	attr.a.offsets = (uintptr_t)offsets;
	attr.a.cookies = (uintptr_t)cookies;
	attr.a.cnt = (uint32_t)n;
	attr.a.multi_flags = flags;
	attr.a.pid = (uint32_t)pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}
