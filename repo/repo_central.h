/* SPDX-License-Identifier: MIT */
/*
 * The ProfileRepo's second backend (central.c): a fleet's central
 * PostgreSQL database, read-only, behind the same functions. The public
 * functions turn to it when the handle has one (repo->central).
 */
#ifndef REPO_CENTRAL_H
#define REPO_CENTRAL_H

#include <stdbool.h>
#include <stdint.h>

#include "profile_repo.h"

struct central;

/* Whether path names a PostgreSQL database (postgresql:// or postgres://). */
bool central__is_uri(const char *path);
/* Connected to uri, its schema checked; NULL with repo_open_err said. */
struct central *central__open(const char *uri);
void central__close(struct central *c);
/* Only host's rows and sessions from now on (NULL: every host). */
int central__set_host(struct profile_repo *repo, const char *host);
/* Rows of a session (0: any) and task (NULL: any), or the row id alone. */
int central__find(struct profile_repo *repo, int64_t session, const char *process, int64_t id,
		  struct profile_list *out);
/* Sessions, all (id 0) or the one; -ENOENT when there is none. */
int central__sessions(struct profile_repo *repo, int64_t id, struct session **out, size_t *n);
int64_t central__last_session(struct profile_repo *repo);
int64_t central__rolled_up(struct profile_repo *repo, int64_t session, const char *process);

#endif /* REPO_CENTRAL_H */
