// SPDX-License-Identifier: MIT
/* What every module uses: one-line messages, clocks and time stamps, strings. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

void tp_iso_time(uint64_t realtime_ns, char *buf, size_t len)
{
	/* the collector formats two stamps per record: keep the date part */
	static __thread time_t cached_sec = -1;
	static __thread char cached[64];
	time_t sec = realtime_ns / 1000000000ULL;
	unsigned long usec = (realtime_ns % 1000000000ULL) / 1000;

	if (sec != cached_sec) {
		struct tm tm;

		gmtime_r(&sec, &tm);
		snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		cached_sec = sec;
	}
	if (len < 28) {
		snprintf(buf, len, "%.19s", cached);
		return;
	}
	memcpy(buf, cached, 19);
	buf[19] = '.';
	for (int i = 25; i >= 20; i--) {
		buf[i] = '0' + usec % 10;
		usec /= 10;
	}
	buf[26] = 'Z';
	buf[27] = 0;
}

int tp_parse_iso_us(const char *s, int64_t *us)
{
	struct tm tm = {};
	unsigned long frac = 0;
	int n = 0, digits;
	const char *f;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -EINVAL;
	f = s + n;
	if (*f == '.') {
		for (digits = 0, f++; *f >= '0' && *f <= '9'; f++, digits++)
			if (digits < 6)
				frac = frac * 10 + (*f - '0');
		for (; digits < 6; digits++)
			frac *= 10;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*us = (int64_t)timegm(&tm) * 1000000 + frac;
	/* rows written by hand may carry an offset: +02:00 is 2 h ahead of UTC */
	if (*f == '+' || *f == '-') {
		int hh, mm, sign = *f == '+' ? 1 : -1;

		if (sscanf(f + 1, "%2d:%2d", &hh, &mm) != 2)
			return -EINVAL;
		*us -= sign * ((int64_t)hh * 3600 + mm * 60) * 1000000;
		return 0;
	}
	return *f == 'Z' || *f == 0 ? 0 : -EINVAL;
}

uint64_t tp_now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

bool tp_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

char *tp_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

int tp_u64_push(uint64_t **v, size_t *n, uint64_t x)
{
	uint64_t *nv;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

void tp_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int tp_strv_add(char ***v, size_t *n, const char *s)
{
	char **nv;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

