// SPDX-License-Identifier: MIT
/*
 * From what a user typed to symbols: a C name, a mangled name, or a
 * demangled name without parameters (every overload); GCC's .constprop and
 * .isra clones when the function itself is gone; near names for a typo.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

/* GCC clones keep the source name before the first dot. */
static bool clone_of(const char *name, const char *query)
{
	size_t n = strlen(query);

	if (strncmp(name, query, n) || name[n] != '.')
		return false;
	return !strncmp(name + n, ".constprop.", 11) || !strncmp(name + n, ".isra.", 6);
}

static int collect(const struct elf_file *ef, const char *query, bool clones, struct elf_sym ***out)
{
	struct elf_sym **v = NULL;
	int n = 0;

	for (size_t i = 0; i < ef->nsyms; i++) {
		const struct elf_sym *s = &ef->syms[i];
		bool hit;
		int k;

		if (clones)
			hit = clone_of(s->name, query) || (s->plain && clone_of(s->plain, query));
		else
			hit = !strcmp(s->name, query) || (s->plain && !strcmp(s->plain, query));
		if (!hit)
			continue;
		for (k = 0; k < n; k++)
			if (v[k]->addr == s->addr)
				break;
		if (k < n)
			continue; /* an alias of one we have */
		struct elf_sym **nv = realloc(v, (n + 1) * sizeof(*nv));

		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = (struct elf_sym *)s;
	}
	*out = v;
	return n;
}

int elf_file__find(const struct elf_file *ef, const char *query, struct elf_sym ***out)
{
	int n = collect(ef, query, false, out);

	if (n == 0) {
		free(*out);
		n = collect(ef, query, true, out);
	}
	return n;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[65], cur[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

void elf_file__suggest(const struct elf_file *ef, const char *query, char *buf, size_t len)
{
	size_t used = 0, count = 0, qlen = strlen(query);
	size_t limit = qlen / 3 + 1;

	buf[0] = 0;
	for (size_t pass = 0; pass < 2 && count < 5; pass++) {
		for (size_t i = 0; i < ef->nsyms && count < 5; i++) {
			const char *name = ef->syms[i].plain ? ef->syms[i].plain : ef->syms[i].name;
			bool near;

			if (pass == 0)
				near = edit_distance(name, query) <= limit;
			else
				near = qlen >= 3 && strstr(name, query) && edit_distance(name, query) > limit;
			if (!near || strstr(buf, name))
				continue;
			used += snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 count ? ", " : "", name);
			count++;
		}
	}
}

