/* SPDX-License-Identifier: MIT */
/* Rollups (rollups.c) as profiles.c stores them with a flush's profiles. */
#ifndef REPO_ROLLUPS_H
#define REPO_ROLLUPS_H

#include "repo_internal.h"

/* Adds r to the row of its (session, task, second), or makes that row;
 * inside the caller's transaction, so a flush stays one transaction. */
int repo__insert_rollup(struct profile_repo *repo, const struct rollup *r);

#endif /* REPO_ROLLUPS_H */
