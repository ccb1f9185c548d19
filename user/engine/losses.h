/* SPDX-License-Identifier: MIT */
/*
 * What a session lost, and why: BPF's loss counters and the
 * aggregator's, as sessions.events_lost and loss_detail.
 */
#ifndef TP_ENGINE_LOSSES_H
#define TP_ENGINE_LOSSES_H

#include <stdint.h>

struct agg;

struct losses {
	uint64_t lost;       /* sessions.events_lost */
	uint64_t open;       /* invocations still running at the stop: not stored */
	char detail[512];    /* sessions.loss_detail: every reason, with its count */
};

void losses__collect(struct losses *l, int stats_fd, const struct agg *agg, uint64_t open);

#endif /* TP_ENGINE_LOSSES_H */
