/* SPDX-License-Identifier: MIT */
/* Preparing a handle's statements (statements.c), as open.c asks for it. */
#ifndef REPO_STATEMENTS_H
#define REPO_STATEMENTS_H

#include "repo_internal.h"

/* Prepares, once, every statement repo runs on a file at schema version
 * `version` (a read-only handle: only repo__read_only_stmt() ones, as that
 * file has them); 0 or a negative errno, with repo_open_err naming path. */
int statements__prepare(struct profile_repo *repo, int version, const char *path);

#endif /* REPO_STATEMENTS_H */
