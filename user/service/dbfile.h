/* SPDX-License-Identifier: MIT */
/*
 * The database file, safe to open as root.
 */
#ifndef TP_SERVICE_DBFILE_H
#define TP_SERVICE_DBFILE_H

#include <sys/types.h>

/*
 * Refuses a symlink or a directory others can write to; creates the file
 * 0640, group readers (or root only), so SQLite's -wal and -shm files,
 * which copy the database's mode and owner, get the same.
 */
int dbfile__prepare(const char *path, gid_t readers);

#endif /* TP_SERVICE_DBFILE_H */
