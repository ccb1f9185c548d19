// SPDX-License-Identifier: MIT
/*
 * Status words: an invocation's (completed, unwound, exited) and a
 * session's (running, completed, aborted), from enum to text and back:
 * the one place that compares them as strings.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "profile_repo.h"

/* The words the schema's CHECK constraints allow: PROFILE_STATUS_CHECK,
 * and the sessions table's (schema.c). */
static const char *const profile_status_names[PROFILE_NSTATUS] = {
	[PROFILE_COMPLETED] = "completed",
	[PROFILE_UNWOUND] = "unwound",
	[PROFILE_EXITED] = "exited",
};

static const char *const session_status_names[SESSION_NSTATUS] = {
	[SESSION_RUNNING] = "running",
	[SESSION_COMPLETED] = "completed",
	[SESSION_ABORTED] = "aborted",
};

/* The index of s in names, or -EINVAL. */
static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -EINVAL;
}

const char *profile_status__name(enum profile_status s)
{
	return (unsigned int)s < PROFILE_NSTATUS ? profile_status_names[s] : NULL;
}

int profile_status__parse(const char *s)
{
	if (!s)
		return PROFILE_COMPLETED;
	return lookup(profile_status_names, PROFILE_NSTATUS, s);
}

const char *session_status__name(enum session_status s)
{
	return (unsigned int)s < SESSION_NSTATUS ? session_status_names[s] : NULL;
}

int session_status__parse(const char *s)
{
	if (!s)
		return SESSION_COMPLETED;
	return lookup(session_status_names, SESSION_NSTATUS, s);
}
