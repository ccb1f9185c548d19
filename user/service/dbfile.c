// SPDX-License-Identifier: MIT
/*
 * The collector's database file, which root writes and a readers group may
 * read. Root must not be tricked into writing elsewhere: a symlink is
 * refused, and so is a directory anyone but root can write to (whoever can
 * could swap the file for a link between our look and SQLite's open).
 * The file is created 0640, group readers; SQLite creates -wal and -shm
 * with the database's mode and owner, so they match. Readers open the file
 * read-only: SQLite (3.22+) reads a WAL database whose -shm it cannot
 * write, as long as -wal and -shm exist, which SQLITE_FCNTL_PERSIST_WAL
 * keeps so after the collector closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "service/dbfile.h"

#include "base/log.h"
#include "base/util.h"

#define FILE_MODE 0640
#define DIR_MODE 0755

static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };

/* Whether anyone but root may change what the directory holds. */
static bool others_write(const struct stat *st)
{
	return st->st_uid != 0 || (st->st_mode & S_IWOTH) ||
	       ((st->st_mode & S_IWGRP) && st->st_gid != 0);
}

/* The directory exists (made 0755 if not), owned by root, closed to others. */
static int check_dir(const char *db)
{
	char buf[PATH_MAX], *dir;
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", db);
	dir = dirname(buf);
	if (!mkdir(dir, DIR_MODE)) {
		chmod(dir, DIR_MODE); /* past the umask: readers must reach the file */
	} else if (errno != EEXIST) {
		tp_err("collect: cannot create %s: %s: create it, owned by root", dir,
		       strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode)) {
		tp_err("collect: database directory %s is not a directory%s", dir,
		       S_ISLNK(st.st_mode) ? " but a symlink: name the real directory" : "");
		return -ENOTDIR;
	}
	if (others_write(&st)) {
		tp_err("collect: refusing database directory %s: others can write to it (owner uid "
		       "%u, mode %04o): use a directory only root can write, such as /var/lib/taskprof",
		       dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* Each existing file of the database: a regular file, ours, mode and group set. */
static int fix_file(const char *path, gid_t gid)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	int err = 0;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		tp_err("collect: refusing database file %s: %s", path,
		       errno == ELOOP ? "it is a symlink: name the real file" : strerror(errno));
		return errno == ELOOP ? -EPERM : -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		tp_err("collect: refusing database file %s: not a regular file", path);
		err = -EPERM;
	} else if ((st.st_mode & 07777) != FILE_MODE || st.st_gid != gid || st.st_uid != 0) {
		if (fchown(fd, 0, gid) || fchmod(fd, FILE_MODE)) {
			err = -errno;
			tp_err("collect: cannot set the owner and mode of %s: %s", path,
			       strerror(errno));
		}
	}
	close(fd);
	return err;
}

int dbfile__prepare(const char *path, gid_t readers)
{
	gid_t gid = readers == (gid_t)-1 ? 0 : readers;
	char name[PATH_MAX];
	int fd, err;

	umask(027);
	err = check_dir(path);
	for (size_t i = 0; i < ARRAY_SIZE(suffixes) && !err; i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		err = fix_file(name, gid);
	}
	if (err)
		return err;
	/* create it ourselves, so SQLite's files copy the right mode and group */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, FILE_MODE);
	if (fd < 0) {
		tp_err("collect: cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	err = fchown(fd, 0, gid) || fchmod(fd, FILE_MODE) ? -errno : 0;
	if (err)
		tp_err("collect: cannot set the owner and mode of %s: %s", path, strerror(-err));
	close(fd);
	return err;
}
