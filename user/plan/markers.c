// SPDX-License-Identifier: MIT
/*
 * Marker tasks (`-t marker:NAME`, `marker = NAME`): where the probes go,
 * and what each marker id names. The probes sit on taskprof_marker_begin
 * and _end in every libtaskprof-marker a program may load; uprobes on a
 * file apply to mappings made later, so a Python program that loads it
 * with ctypes after starting is covered. A region's name, stage and env
 * come from the tp_marker_rec BPF writes at an id's first region.
 */
#include <stdio.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "plan/markers.h"

#include "base/log.h"
#include "base/util.h"
#include "elf/elf_file.h"
#include "elf/elf_find.h"
#include "plan/hooks.h"
#include "plan/plan.h"
#include "plan/spec.h"

#ifndef TP_LIBDIR
#define TP_LIBDIR "/usr/local/lib"
#endif
#define MARKER_LIB "libtaskprof-marker.so"

/* Every marker library that exists, by distinct file: $TASKPROF_MARKER_LIB,
 * the one beside this binary (a build tree), and the installed ones. */
size_t markers__libraries(char paths[][PATH_MAX], size_t max)
{
	char self[PATH_MAX - sizeof(MARKER_LIB) - 1], cand[5][PATH_MAX];
	const char *env = getenv("TASKPROF_MARKER_LIB");
	struct stat seen[5];
	size_t n = 0, nc = 0;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (env && *env)
		snprintf(cand[nc++], PATH_MAX, "%s", env);
	if (len > 0) {
		self[len] = 0;
		*strrchr(self, '/') = 0;
		snprintf(cand[nc++], PATH_MAX, "%s/%s", self, MARKER_LIB);
	}
	snprintf(cand[nc++], PATH_MAX, "%s/%s", TP_LIBDIR, MARKER_LIB);
	snprintf(cand[nc++], PATH_MAX, "/usr/local/lib/%s", MARKER_LIB);
	snprintf(cand[nc++], PATH_MAX, "/usr/lib/%s", MARKER_LIB);
	for (size_t i = 0; i < nc && n < max; i++) {
		struct stat sb;
		bool dup = false;

		if (stat(cand[i], &sb) || !S_ISREG(sb.st_mode))
			continue;
		for (size_t j = 0; j < n; j++)
			dup |= seen[j].st_dev == sb.st_dev && seen[j].st_ino == sb.st_ino;
		if (dup)
			continue;
		seen[n] = sb;
		if (!realpath(cand[i], paths[n]))
			snprintf(paths[n], PATH_MAX, "%s", cand[i]);
		n++;
	}
	return n;
}

int markers__add_library(struct plan *p, const char *path)
{
	static const struct {
		const char *sym;
		enum tp_prog prog;
	} fns[] = { { "taskprof_marker_begin", TP_PROG_MARK_BEGIN },
		    { "taskprof_marker_end", TP_PROG_MARK_END } };
	struct elf_file *ef = plan__elf(p, path);
	int err = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].prog == TP_PROG_MARK_BEGIN && !strcmp(p->v[i].path, path))
			return 0; /* this plan has its probes already */
	if (!ef) {
		tp_err("markers: %s: cannot read it as ELF: rebuild it with make", path);
		return -ENOEXEC;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fns) && !err; i++) {
		struct elf_sym **m = NULL;
		uint64_t off;
		int n = elf_file__find(ef, fns[i].sym, &m);

		if (n != 1) {
			free(m);
			tp_err("markers: %s has no %s: it is not a taskprof marker library", path,
			       fns[i].sym);
			return -ENOENT;
		}
		/* their first instruction is a nop: the entry itself is cheap */
		err = elf_file__offset(ef, m[0]->addr, &off);
		if (!err)
			err = plan__add(p, fns[i].prog, ef->path, off, 0);
		free(m);
	}
	return err;
}

int markers__declare(struct plan *p, const char *name, uint32_t idx)
{
	struct plan_marker *nm = realloc(p->markers, (p->nmarkers + 1) * sizeof(*nm));

	if (!nm)
		return -ENOMEM;
	p->markers = nm;
	p->markers[p->nmarkers].name = name;
	p->markers[p->nmarkers].task = idx;
	p->nmarkers++;
	if (!strcmp(name, "*"))
		p->marker_any = idx;
	return 0;
}

int markers__add_task(struct plan *p, const struct task_spec *ts, uint32_t idx)
{
	char libs[4][PATH_MAX];
	size_t n;
	int err = 0;

	if (!p->nmarkers) {
		n = markers__libraries(libs, 4);
		if (!n) {
			tp_err("record: %s: no %s found: build it with make, install it, or set "
			       "TASKPROF_MARKER_LIB to its path", ts->name, MARKER_LIB);
			return -ENOENT;
		}
		for (size_t i = 0; i < n && !err; i++)
			err = markers__add_library(p, libs[i]);
		if (err)
			return err;
		p->tasks[idx].binary = strdup(libs[0]);
	} else {
		p->tasks[idx].binary = strdup(p->tasks[p->markers[0].task].binary);
	}
	p->tasks[idx].symbol = tp_strdup_printf("marker:%s", ts->symbol);
	if (!p->tasks[idx].binary || !p->tasks[idx].symbol)
		return -ENOMEM;
	return markers__declare(p, ts->symbol, idx);
}

int markers__add_python(struct plan *p)
{
	static const char *const pythons[] = { "/usr/bin/python3", "/usr/local/bin/python3" };
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(pythons) && !err && p->nmarkers; i++) {
		char path[PATH_MAX];

		if (realpath(pythons[i], path))
			err = hooks__add_runtime_of(p, path);
	}
	return err;
}
