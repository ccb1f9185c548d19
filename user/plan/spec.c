// SPDX-License-Identifier: MIT
/*
 * Task specs: [NAME=][BINARY:]SYMBOL, or marker:NAME for a region a program
 * names itself (markers.c). C++ names hold "::", so the binary separator is
 * the first colon that is not half of a "::".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan/spec.h"

#include "taskprof.h"

static const char *binary_colon(const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p != ':')
			continue;
		if (p[1] == ':') {
			p++;
			continue;
		}
		return p;
	}
	return NULL;
}

/* NAME= only counts when what precedes '=' cannot be part of a C++ name
 * such as operator= or operator==. */
static const char *name_equals(const char *s)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s)
		return NULL;
	if (eq - s >= 8 && !strncmp(eq - 8, "operator", 8))
		return NULL;
	for (const char *p = s; p < eq; p++)
		if (*p == ':' || *p == '(' || *p == '<')
			return NULL;
	return eq;
}

int task_spec__parse(const char *s, struct task_spec *out)
{
	const char *eq, *rest, *colon;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return -EINVAL;
	eq = name_equals(s);
	rest = eq ? eq + 1 : s;
	colon = binary_colon(rest);
	if (colon) {
		if (colon == rest || !colon[1])
			return -EINVAL;
		out->binary = strndup(rest, colon - rest);
		out->symbol = strdup(colon + 1);
	} else {
		out->symbol = strdup(rest);
	}
	if (!out->symbol || (colon && !out->binary)) {
		task_spec__free(out);
		return -ENOMEM;
	}
	if (!*out->symbol) {
		task_spec__free(out);
		return -EINVAL;
	}
	/* marker:NAME is a region libtaskprof-marker names, not a file */
	if (out->binary && !strcmp(out->binary, "marker")) {
		free(out->binary);
		out->binary = NULL;
		out->marker = true;
		if (strlen(out->symbol) >= TP_MARKER_NAME) {
			task_spec__free(out);
			return -ENAMETOOLONG;
		}
	}
	out->name = eq ? strndup(s, eq - s) : strdup(out->symbol);
	if (!out->name) {
		task_spec__free(out);
		return -ENOMEM;
	}
	return 0;
}

void task_spec__free(struct task_spec *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->binary);
	free(t->symbol);
	memset(t, 0, sizeof(*t));
}
