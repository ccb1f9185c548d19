/* SPDX-License-Identifier: MIT */
/*
 * The configuration file as bytes: opened only if it is a regular file,
 * and read whole for the session row. Parsing is config.c's.
 */
#ifndef TP_SERVICE_CONFIG_FILE_H
#define TP_SERVICE_CONFIG_FILE_H

#include <stdio.h>

/* path opened for reading if it is a regular file (a FIFO would block the
 * collector); NULL and errno (EISDIR, ENOEXEC for another kind) if not. */
FILE *config_file__open(const char *path);
/* The whole file, rewound after; NULL without memory. Caller frees. */
char *config_file__slurp(FILE *f);

#endif /* TP_SERVICE_CONFIG_FILE_H */
