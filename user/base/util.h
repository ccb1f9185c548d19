/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every layer may use, calling nothing of taskprof: time
 * stamps and clocks, strings, growable arrays of u64 and of strings.
 */
#ifndef TP_BASE_UTIL_H
#define TP_BASE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ISO-8601 UTC with microseconds, from CLOCK_REALTIME nanoseconds. */
void tp_iso_time(uint64_t realtime_ns, char *buf, size_t len);
/* ...and back, to microseconds since the epoch; -EINVAL if s is not one. */
int tp_parse_iso_us(const char *s, int64_t *us);
uint64_t tp_now_ns(int clock);
char *tp_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool tp_ends_with(const char *s, const char *suffix);
/* Appends x to *v unless it holds it already; 0 or -ENOMEM. */
int tp_u64_push(uint64_t **v, size_t *n, uint64_t x);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Frees n strings and the array; accepts NULL. */
void tp_strv_free(char **v, size_t n);
/* Appends a copy of s unless v holds it already; 0 or -ENOMEM. */
int tp_strv_add(char ***v, size_t *n, const char *s);

#endif /* TP_BASE_UTIL_H */
