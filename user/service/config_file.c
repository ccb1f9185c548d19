// SPDX-License-Identifier: MIT
/* The configuration file as bytes, read safely (config_file.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/config_file.h"
#include "sink/conninfo.h"

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


/* Why st, at path, lets someone other than owner change what it holds;
 * NULL if nothing does. A sticky directory (/tmp) keeps others from
 * replacing what they do not own. */
static const char *untrusted(const struct stat *st, uid_t owner)
{
	bool sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);

	if (st->st_uid != owner)
		return "is not owned by root";
	if ((st->st_mode & S_IWOTH) && !sticky_dir)
		return "is writable by others";
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0 && !sticky_dir)
		return "is writable by its group";
	return NULL;
}

/* path and every directory above it, each checked. */
static int check_chain(const char *path, uid_t owner, char *err, size_t errlen)
{
	char p[PATH_MAX], *slash;
	struct stat st;
	const char *why;

	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		if (stat(p[0] ? p : "/", &st)) {
			snprintf(err, errlen, "config: %s: %s", p[0] ? p : "/", strerror(errno));
			return -errno;
		}
		why = untrusted(&st, owner);
		if (why) {
			snprintf(err, errlen, "config: %s %s (owner uid %u, mode %04o): whoever can "
				 "change it chooses what root runs; make it root's and not "
				 "writable by others (chown root, chmod go-w)", p[0] ? p : "/",
				 why, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
			return -EPERM;
		}
		slash = strrchr(p, '/');
		if (!slash || !p[0])
			return 0;
		*slash = 0;
	}
}

int config_file__check_trust(const char *path, uid_t owner, bool secret, char *err,
			     size_t errlen)
{
	char abs[PATH_MAX], real[PATH_MAX], cwd[PATH_MAX];
	struct stat st;
	int rc;

	if (path[0] == '/')
		snprintf(abs, sizeof(abs), "%s", path);
	else if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	else if (snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >= (int)sizeof(abs))
		return -ENAMETOOLONG;
	if (!realpath(abs, real)) {
		snprintf(err, errlen, "config: %s: %s", path, strerror(errno));
		return -errno;
	}
	/* the path as given (its symlinks' directories) and where it leads */
	rc = check_chain(abs, owner, err, errlen);
	if (!rc && strcmp(abs, real))
		rc = check_chain(real, owner, err, errlen);
	if (rc || !secret || stat(real, &st))
		return rc;
	if ((st.st_mode & S_IROTH) || ((st.st_mode & S_IRGRP) && st.st_gid != 0)) {
		snprintf(err, errlen, "config: %s holds a password and is readable by others "
			 "(mode %04o): chmod 0600 %s, or use ~/.pgpass or PGPASSFILE", path,
			 (unsigned)(st.st_mode & 07777), path);
		return -EPERM;
	}
	return 0;
}

static void trim(char *v)
{
	size_t n = strlen(v), k = strspn(v, " \t");

	while (n > k && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	memmove(v, v + k, n - k);
	v[n - k] = 0;
}

/* A postgresql = VALUE line's replacement, if VALUE names a password. */
static bool redact_line(const char *line, size_t n, char *out, size_t len)
{
	const char *k = line, *eq = memchr(line, '=', n);
	char v[4096], who[1024];

	while (k < line + n && (*k == ' ' || *k == '\t'))
		k++;
	if (!eq || strncmp(k, "postgresql", 10) || !strchr(" \t=", k[10]))
		return false;
	snprintf(v, sizeof(v), "%.*s", (int)(line + n - eq - 1), eq + 1);
	v[strcspn(v, "\r\n")] = 0;
	trim(v);
	/* as inih reads it: " ;" starts a comment */
	for (char *c = v; *c; c++)
		if (*c == ';' && c > v && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = 0;
			trim(v);
			break;
		}
	if (conninfo__has_password(v) == 0)
		return false;
	conninfo__describe(v, who, sizeof(who));
	snprintf(out, len, "postgresql = %s password=********\n", who);
	return true;
}

char *config_file__redacted(const char *text)
{
	size_t cap = strlen(text) + 1, used = 0;
	char *out = malloc(cap), *nb, repl[1200];

	for (const char *p = text; out && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p), r;
		const char *src = p;

		p += n;
		if (redact_line(src, n, repl, sizeof(repl))) {
			src = repl;
			n = strlen(repl);
		}
		r = used + n + 1;
		if (r > cap) {
			nb = realloc(out, r);
			if (!nb) {
				free(out);
				return NULL;
			}
			out = nb;
			cap = r;
		}
		memcpy(out + used, src, n);
		used += n;
	}
	if (out)
		out[used] = 0;
	return out;
}
