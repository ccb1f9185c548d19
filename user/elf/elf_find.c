// SPDX-License-Identifier: MIT
/*
 * From what a user typed to symbols: a C name, a mangled name, or a
 * demangled name without parameters (every overload), with GCC's .constprop
 * and .isra clones of it (callers in its own file often call a clone, even
 * of a function that stays for callers elsewhere); near names for a typo.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_find.h"

#include "elf/demangle.h"
#include "elf/elf_file.h"

/*
 * GCC clones keep the source name (C) or mangled name (C++) before their
 * suffixes, .constprop.N and .isra.N, in any order: the name of which
 * name is a clone matches query, as a C name, a mangled name or a
 * demangled one without parameters.
 */
/* Whether s is nothing but clone suffixes: a .cold or .part piece is not
 * the whole function. */
static bool only_clone_suffixes(const char *s)
{
	while (*s) {
		if (!strncmp(s, ".constprop.", 11))
			s += 11;
		else if (!strncmp(s, ".isra.", 6))
			s += 6;
		else
			return false;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return true;
}

static bool clone_of(const char *name, const char *query)
{
	const char *c = strstr(name, ".constprop."), *i = strstr(name, ".isra.");
	const char *cut = c && (!i || c < i) ? c : i;
	char base[1024], *plain;
	bool hit;

	if (!cut || (size_t)(cut - name) >= sizeof(base) || !only_clone_suffixes(cut))
		return false;
	snprintf(base, sizeof(base), "%.*s", (int)(cut - name), name);
	if (!strcmp(base, query))
		return true;
	plain = tp_demangle_plain(base);
	hit = plain && !strcmp(plain, query);
	free(plain);
	return hit;
}

static int collect(const struct elf_file *ef, const char *query, bool clones, struct elf_sym ***out)
{
	struct elf_sym **v = *out;
	int n = 0;

	while (v && v[n])
		n++;
	for (size_t i = 0; i < ef->nsyms; i++) {
		const struct elf_sym *s = &ef->syms[i];
		bool hit;
		int k;

		if (clones)
			hit = clone_of(s->name, query);
		else
			hit = !strcmp(s->name, query) || (s->plain && !strcmp(s->plain, query));
		if (!hit)
			continue;
		for (k = 0; k < n; k++)
			if (v[k]->addr == s->addr)
				break;
		if (k < n)
			continue; /* an alias of one we have */
		struct elf_sym **nv = realloc(v, (n + 2) * sizeof(*nv));

		if (!nv) {
			free(v);
			*out = NULL;
			return -ENOMEM;
		}
		v = nv;
		v[n++] = (struct elf_sym *)s;
		v[n] = NULL;
	}
	*out = v;
	return n;
}

int elf_file__find(const struct elf_file *ef, const char *query, struct elf_sym ***out)
{
	int n;

	*out = NULL;
	n = collect(ef, query, false, out);
	return n < 0 ? n : collect(ef, query, true, out);
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

