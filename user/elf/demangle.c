// SPDX-License-Identifier: MIT
/*
 * C++ names as users type them: demangled with the C++ ABI's own
 * __cxa_demangle, then without parameters, qualifiers and ABI tags
 * ("Pipeline::risky_step", all overloads alike).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "elf/demangle.h"

#include "base/util.h"

char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

/* Drop "[abi:cxx11]" tags: users do not type them. */
static void strip_abi_tags(char *s)
{
	char *p;

	while ((p = strstr(s, "[abi:")) != NULL) {
		char *q = strchr(p, ']');

		if (!q)
			break;
		memmove(p, q + 1, strlen(q + 1) + 1);
	}
}

char *tp_strip_params(const char *demangled)
{
	static const char *const quals[] = { " const", " volatile", " &&", " &", " noexcept" };
	char *s = strdup(demangled), *start;
	size_t n;
	int depth = 0;
	bool again = true;

	if (!s)
		return NULL;
	strip_abi_tags(s);
	while (again) {
		again = false;
		for (size_t i = 0; i < sizeof(quals) / sizeof(quals[0]); i++) {
			if (tp_ends_with(s, quals[i])) {
				s[strlen(s) - strlen(quals[i])] = 0;
				again = true;
			}
		}
	}
	n = strlen(s);
	if (n && s[n - 1] == ')') {
		for (ssize_t i = n - 1; i >= 0; i--) {
			if (s[i] == ')')
				depth++;
			else if (s[i] == '(' && --depth == 0) {
				s[i] = 0;
				break;
			}
		}
	}
	/* template functions carry their return type: "int foo<int>" */
	start = s;
	depth = 0;
	for (char *p = s; *p; p++) {
		if (*p == '<' || *p == '(')
			depth++;
		else if ((*p == '>' || *p == ')') && depth > 0)
			depth--;
		else if (*p == ' ' && depth == 0 && strncmp(p + 1, "const", 5))
			start = p + 1;
	}
	if (start != s)
		memmove(s, start, strlen(start) + 1);
	return s;
}

/* The plain name of a mangled C++ symbol, or NULL for a C name; caller frees. */
char *tp_demangle_plain(const char *name)
{
	int status = 0;
	char *d, *plain = NULL;

	if (strncmp(name, "_Z", 2))
		return NULL;
	d = __cxa_demangle(name, NULL, NULL, &status);
	if (d && !status)
		plain = tp_strip_params(d);
	free(d);
	return plain;
}
