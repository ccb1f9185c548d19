/* SPDX-License-Identifier: MIT */
/* Creating and migrating the schema (schema.c), as open.c asks for it. */
#ifndef REPO_SCHEMA_H
#define REPO_SCHEMA_H

#include "repo_internal.h"

/* The schema this taskprof writes: PRAGMA user_version of its files. A file
 * newer than it is refused; an older one is migrated, or read as it is. */
#define SCHEMA_VERSION 5

/* The current schema for a new file (from 0), or the upgrades a file at
 * version `from` needs, then user_version, in one transaction; 0 or a
 * negative errno, with repo->err set. */
int schema__write(struct profile_repo *repo, int from);

#endif /* REPO_SCHEMA_H */
