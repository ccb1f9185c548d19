// SPDX-License-Identifier: MIT
/*
 * Freeing what the API hands out, profile lists and sessions, whichever
 * backend filled them: below both, so neither calls back into the other.
 */
#include <stdlib.h>
#include <string.h>

#include "profile_repo.h"

void profile_list__free(struct profile_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->len; i++)
		profile__free(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void session__free(struct session *s)
{
	if (!s)
		return;
	free(s->target);
	free(s->tasks);
	free(s->loss_detail);
	free(s->status);
	free(s->config);
	free(s->origin);
	s->target = s->tasks = s->loss_detail = s->status = s->config = s->origin = NULL;
}
