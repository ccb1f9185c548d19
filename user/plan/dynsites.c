// SPDX-License-Identifier: MIT
/*
 * Return sites found at run time (dynsites.h): from a process's address to
 * the file mapped there and the address in that file, then the call that
 * returns there and its function's landing pads (callsites.c), into the
 * plan. Each site is remembered by file and address, so a plan made anew
 * gets it again.
 */
#include <limits.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "plan/dynsites.h"

#include "base/log.h"
#include "elf/elf_file.h"
#include "plan/callsites.h"
#include "plan/plan.h"

struct found {
	char *path;
	uint64_t vaddr; /* the return address in the file */
};

struct dynsites {
	struct found *v;
	size_t n;
};

struct dynsites *dynsites__new(void)
{
	struct dynsites *d = calloc(1, sizeof(*d));

	if (!d)
		errno = ENOMEM;
	return d;
}

void dynsites__free(struct dynsites *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].path);
	free(d->v);
	free(d);
}

size_t dynsites__count(const struct dynsites *d)
{
	return d ? d->n : 0;
}

/* The file mapped at addr in pid, its device and inode, and addr's offset
 * in it; -ENOENT if no file is. */
static int mapping_of(pid_t pid, uint64_t addr, char *path, size_t len, dev_t *dev, ino_t *ino,
		      uint64_t *off)
{
	char maps[64], line[PATH_MAX + 128];
	int err = -ENOENT;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", pid);
	f = fopen(maps, "re");
	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f)) {
		uint64_t start, end, pgoff, inode;
		unsigned int maj, min;
		int at = 0;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %x:%x %" SCNu64 " %n",
			   &start, &end, &pgoff, &maj, &min, &inode, &at) < 6 ||
		    addr < start || addr >= end || !at || line[at] != '/')
			continue;
		line[strcspn(line, "\n")] = 0;
		if (strstr(line + at, " (deleted)"))
			break; /* replaced since it was mapped: not the file on disk */
		snprintf(path, len, "%s", line + at);
		*dev = makedev(maj, min);
		*ino = (ino_t)inode;
		*off = addr - start + pgoff;
		err = 0;
	}
	fclose(f);
	return err;
}

static int remember(struct dynsites *d, const char *path, uint64_t vaddr)
{
	struct found *nv = realloc(d->v, (d->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	d->v = nv;
	nv[d->n].path = strdup(path);
	nv[d->n].vaddr = vaddr;
	if (!nv[d->n].path)
		return -ENOMEM;
	d->n++;
	return 0;
}

/* The site at vaddr in the file at path into p: its probes' count, new. */
static int add_in_file(struct plan *p, struct elf_file *ef, uint64_t vaddr)
{
	struct callers c;
	int n;

	if (callers__site_at(ef, vaddr, &c))
		return 0; /* no call returns there that can be decoded */
	n = plan__add_sites(p, ef, &c);
	callers__free(&c);
	return n;
}

int dynsites__add(struct dynsites *d, struct plan *p, pid_t pid, uint64_t ra)
{
	char path[PATH_MAX];
	struct elf_file *ef;
	uint64_t off = 0, vaddr;
	struct stat st;
	dev_t dev = 0;
	ino_t ino = 0;
	int n;

	if (mapping_of(pid, ra, path, sizeof(path), &dev, &ino, &off))
		return 0; /* gone, or code no file holds (a JIT's) */
	ef = plan__elf(p, path);
	/* the offsets must be of the bytes that are mapped */
	if (!ef || fstat(ef->fd, &st) || st.st_dev != dev || st.st_ino != ino ||
	    elf_file__vaddr(ef, off, &vaddr))
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].vaddr == vaddr && !strcmp(d->v[i].path, path))
			return 0;
	n = add_in_file(p, ef, vaddr);
	if (n > 0 && remember(d, path, vaddr))
		return -ENOMEM;
	if (n > 0)
		tp_debug("return site found while running: %s+0x%" PRIx64 " (PID %d)", path,
			 vaddr, pid);
	return n < 0 ? n : n > 0;
}

int dynsites__reapply(struct dynsites *d, struct plan *p)
{
	int err = 0;

	for (size_t i = 0; i < d->n && err >= 0; i++) {
		struct elf_file *ef = plan__elf(p, d->v[i].path);

		if (ef)
			err = add_in_file(p, ef, d->v[i].vaddr);
	}
	return err < 0 ? err : 0;
}
