/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network bytes: what the thread sent and received on IPv4 and IPv6 sockets.
 *
 * Provides the programs tp_send and tp_recv; the counts they keep,
 * thread_state's ctr[TP_NET_TX] and ctr[TP_NET_RX], counters.bpf.h reads.
 * Relies on state.bpf.h (thread_of) and kernel.bpf.h (AF_INET*, MSG_PEEK).
 */
#ifndef TP_NET_BPF_H
#define TP_NET_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "taskprof.h"
#include "kernel.bpf.h"
#include "state.bpf.h"

static __always_inline void count_net(struct sock *sk, int ret, int idx)
{
	struct thread_state *ts;
	__u16 family;

	if (ret <= 0)
		return;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return;
	ts = thread_of(bpf_get_current_task_btf());
	if (ts)
		ts->ctr[idx] += ret;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tp_send, struct sock *sk, int ret, int flags)
{
	count_net(sk, ret, TP_NET_TX);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_recv, struct sock *sk, int ret, int flags)
{
	if (!(flags & MSG_PEEK))
		count_net(sk, ret, TP_NET_RX);
	return 0;
}

#endif /* TP_NET_BPF_H */
