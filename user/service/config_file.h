/* SPDX-License-Identifier: MIT */
/*
 * The configuration file as bytes: opened only if it is a regular file,
 * read whole for the session row, and trusted only when only its owner
 * can change it (as sshd's StrictModes). Parsing is config.c's.
 */
#ifndef TP_SERVICE_CONFIG_FILE_H
#define TP_SERVICE_CONFIG_FILE_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* path opened for reading if it is a regular file (a FIFO would block the
 * collector); NULL and errno (EISDIR, ENOEXEC for another kind) if not. */
FILE *config_file__open(const char *path);
/* The whole file, rewound after; NULL without memory. Caller frees. */
char *config_file__slurp(FILE *f);

/*
 * -EPERM, with one line in err naming the culprit and the fix, if path or
 * a directory above it (as given, and as its symlinks resolve) is not
 * owner's or is writable by another user or group; or, if it holds a
 * secret, if others may read it. Sticky directories (/tmp) pass.
 */
int config_file__check_trust(const char *path, uid_t owner, bool secret, char *err,
			     size_t errlen);

/* text with any password in its postgresql line starred out: what the
 * session row and the logs may hold. Caller frees; NULL without memory. */
char *config_file__redacted(const char *text);

#endif /* TP_SERVICE_CONFIG_FILE_H */
