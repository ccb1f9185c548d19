// SPDX-License-Identifier: MIT
/* What every module uses: one-line messages, clocks and time stamps, strings. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tp.h"

int tp_verbose;

void tp_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("taskprof: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

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
