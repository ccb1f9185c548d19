// SPDX-License-Identifier: MIT
/* One-line messages on stderr, for a terminal or for the journal (log.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"

int tp_verbose;
int tp_quiet;

/*
 * Whether stderr is systemd's journal stream: then each line starts with
 * its syslog priority, "<3>", which journald takes as the line's priority
 * (sd-daemon(3)), and no "taskprof: ", which the journal shows as the
 * line's identifier already; a terminal or a file gets plain lines.
 */
static bool to_journal(void)
{
	static int cached = -1;
	unsigned long long dev, ino;
	const char *e;
	struct stat st;

	if (cached < 0) {
		e = getenv("JOURNAL_STREAM");
		cached = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && !fstat(STDERR_FILENO, &st) &&
			 st.st_dev == dev && st.st_ino == ino;
	}
	return cached;
}

void tp_log(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (tp_quiet && prio >= 6)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line: lines of concurrent writers never interleave */
	if (to_journal())
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "taskprof: %s\n", line);
}

