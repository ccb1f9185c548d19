// SPDX-License-Identifier: MIT
/*
 * Which libraries a program loads: those a running process maps, or those
 * a new one from an executable would (the DT_NEEDED closure, searched the
 * way the dynamic linker searches), and finding one by name among them.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf/libs.h"

#include "base/util.h"
#include "elf/elf_file.h"

int tp_libs_of_pid(pid_t pid, char ***out, size_t *n)
{
	char path[64], line[PATH_MAX + 256];
	FILE *f;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (!p || !strstr(line, " r-xp ") || !strstr(p, ".so"))
			continue;
		p[strcspn(p, "\n")] = 0;
		if (tp_ends_with(p, " (deleted)"))
			continue;
		if (tp_strv_add(out, n, p)) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

static bool file_exists(const char *p)
{
	return access(p, R_OK) == 0;
}

static bool search_dirs(const char *dirs, const char *origin, const char *name, char *out, size_t len)
{
	char *copy, *save = NULL, *dir;
	bool found = false;

	if (!dirs)
		return false;
	copy = strdup(dirs);
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char buf[PATH_MAX];

		if (!strncmp(dir, "$ORIGIN", 7))
			snprintf(buf, sizeof(buf), "%s%s/%s", origin, dir + 7, name);
		else
			snprintf(buf, sizeof(buf), "%s/%s", dir, name);
		if (file_exists(buf)) {
			snprintf(out, len, "%s", buf);
			found = true;
		}
	}
	free(copy);
	return found;
}

/* The dynamic linker's search, minus hardware capability subdirectories. */
static bool resolve_needed(const char *name, const struct elf_file *from, char *out, size_t len)
{
	static const char *const std_dirs =
		"/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64:/lib:/usr/lib:"
		"/usr/local/lib";
	char origin[PATH_MAX], *slash;

	if (strchr(name, '/')) {
		snprintf(out, len, "%s", name);
		return file_exists(out);
	}
	snprintf(origin, sizeof(origin), "%s", from->path);
	slash = strrchr(origin, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(origin, sizeof(origin), ".");
	return search_dirs(getenv("LD_LIBRARY_PATH"), origin, name, out, len) ||
	       search_dirs(from->runpath, origin, name, out, len) ||
	       search_dirs(std_dirs, origin, name, out, len);
}

int tp_libs_of_exe(const char *exe, char ***out, size_t *n)
{
	char **queue = NULL;
	size_t nq = 0;
	int err;

	*out = NULL;
	*n = 0;
	err = tp_strv_add(&queue, &nq, exe);
	for (size_t i = 0; !err && i < nq && i < 256; i++) {
		struct elf_file *ef = elf_file__open(queue[i]);

		if (!ef)
			continue;
		for (size_t k = 0; k < ef->nneeded && !err; k++) {
			char path[PATH_MAX];

			if (resolve_needed(ef->needed[k], ef, path, sizeof(path)))
				err = tp_strv_add(&queue, &nq, path);
		}
		elf_file__close(ef);
	}
	if (err) {
		tp_strv_free(queue, nq);
		return err;
	}
	/* the first entry is the executable itself */
	free(queue[0]);
	memmove(queue, queue + 1, (nq - 1) * sizeof(*queue));
	*out = queue;
	*n = nq - 1;
	return 0;
}

int tp_find_lib(const char *name, char *const *libs, size_t nlibs, char *out, size_t len)
{
	size_t nlen = strlen(name);

	if (strchr(name, '/')) {
		if (!file_exists(name))
			return -ENOENT;
		snprintf(out, len, "%s", name);
		return 0;
	}
	for (size_t i = 0; i < nlibs; i++) {
		const char *base = strrchr(libs[i], '/');

		base = base ? base + 1 : libs[i];
		if (!strncmp(base, name, nlen) && (base[nlen] == 0 || base[nlen] == '.' ||
						   base[nlen] == '-')) {
			snprintf(out, len, "%s", libs[i]);
			return 0;
		}
	}
	{
		struct elf_file dummy = { .path = "." };

		if (resolve_needed(name, &dummy, out, len))
			return 0;
	}
	return -ENOENT;
}
