// SPDX-License-Identifier: MIT
/* The configuration file as bytes, read safely (config_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/config_file.h"

/* The file, if it is a regular one: a FIFO would block the collector. */
FILE *config_file__open(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		int err = errno;

		close(fd);
		errno = err;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : ENOEXEC; /* ENOEXEC: said as below */
		return NULL;
	}
	fcntl(fd, F_SETFL, 0); /* back to blocking reads, of a regular file */
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* The whole file, for the session row: what the collector ran with. */
char *config_file__slurp(FILE *f)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	buf[len] = 0;
	rewind(f);
	return buf;
}

