/* SPDX-License-Identifier: MIT */
/*
 * Rows up to a task's rate; rollups (per task and second) beyond it.
 */
#ifndef TP_ENGINE_RATELIMIT_H
#define TP_ENGINE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct profile;
struct ratelimit;
struct rollup;

struct ratelimit;
struct ratelimit *ratelimit__new(size_t ntasks);
void ratelimit__free(struct ratelimit *r);
bool ratelimit__admit(struct ratelimit *r, uint32_t task, int64_t sec, uint32_t max);
int ratelimit__roll(struct ratelimit *r, const struct profile *p);
const struct rollup *ratelimit__pending(const struct ratelimit *r, size_t *n);
uint64_t ratelimit__clear(struct ratelimit *r);
uint64_t ratelimit__rolled(const struct ratelimit *r);

#endif /* TP_ENGINE_RATELIMIT_H */
