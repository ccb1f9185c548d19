// SPDX-License-Identifier: MIT
/*
 * The collector's configuration as a probe plan: each task's binary (a
 * path or a glob) expanded to files, the symbol resolved in each, the
 * return mechanism chosen per file, and the runtime hooks of each file's
 * image. Each (task, file) pair has its own index in the task table, so a
 * row names the very file its invocation ran in. The files read are
 * remembered by inode, size and mtime, to notice a binary replaced or
 * rewritten.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "service/collect_plan.h"

#include "taskprof.h"
#include "base/log.h"
#include "base/util.h"
#include "elf/elf_file.h"
#include "elf/elf_find.h"
#include "plan/hooks.h"
#include "plan/markers.h"
#include "plan/plan.h"
#include "plan/probeplan.h"
#include "plan/resolve.h"
#include "service/config.h"
#include "service/task_table.h"

/* --- files -------------------------------------------------------------------- */

void watched_files__free(struct watched_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].path);
	free(f);
}

/*
 * Remembers a file a binary names: with its descriptor, the very file the
 * plan read (probed); without, one it matched but holds no probe.
 */
static int watch(struct watched_file **v, size_t *n, const char *path, int fd)
{
	struct watched_file *nv;
	struct stat st;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].path, path)) {
			(*v)[i].probed |= fd >= 0;
			return 0;
		}
	if (fd >= 0 ? fstat(fd, &st) : stat(path, &st))
		return fd >= 0 ? -errno : 0;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = (struct watched_file){ .path = strdup(path), .id = { st.st_dev, st.st_ino },
					.mtime_ns = st.st_mtim.tv_sec * 1000000000LL +
						    st.st_mtim.tv_nsec,
					.size = st.st_size, .probed = fd >= 0 };
	if (!nv[*n].path)
		return -ENOMEM;
	(*n)++;
	return 0;
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* A directory a glob cannot read: why, for the one line that says so. */
static __thread char glob_failed[PATH_MAX + 64];

/* A directory that is not there (yet) is no match; any other failure stops. */
static int glob_error(const char *path, int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return 0;
	snprintf(glob_failed, sizeof(glob_failed), "%s: %s", path, strerror(err));
	return 1;
}

/* The files a binary names now: one path, or a glob's matches. */
static int expand(const char *pattern, glob_t *g)
{
	int rc = glob(pattern, GLOB_NOCHECK * !is_glob(pattern), glob_error, g);

	if (rc == GLOB_NOMATCH)
		return 0;
	return rc == GLOB_ABORTED ? -EACCES : rc ? -ENOMEM : 0;
}

/* --- the plan ----------------------------------------------------------------- */

struct builder {
	char *err;              /* the one line saying why there is no plan */
	size_t errlen;
	const struct collect_config *c;
	const struct collect_task *ct;
	struct task_table *tt;
	struct plan *p;
	struct watched_file *files;
	size_t nfiles;
	size_t found;           /* files of this task with its symbol */
};

static void say_task(const struct builder *b, int line, const char *why)
{
	if (!b->err[0])
		snprintf(b->err, b->errlen, "config: %s:%d: task '%s': %s", b->c->path, line,
			 b->ct->name, why);
}

static enum tp_ret_mode mode_of(struct plan *p, const struct elf_file *ef, enum tp_ret_mode m)
{
	/*
	 * A library may be loaded by any program, which may look at its stack:
	 * only an executable whose whole image is quiet gets uretprobes.
	 */
	if (m != TP_RET_AUTO)
		return m;
	return plan__image_mode(p, ef->path, NULL, 0);
}

/* The task in one file; 0 if the file lacks the symbol and others may have it. */
static int add_file(struct builder *b, const char *path, bool only_file)
{
	struct elf_file *ef = plan__elf(b->p, path);
	struct elf_sym **m = NULL;
	char why[1536];
	uint32_t idx;
	int n, err;

	err = watch(&b->files, &b->nfiles, path, -1);
	if (err)
		return err;
	if (!ef) {
		snprintf(why, sizeof(why), "cannot read %s as an ELF file: %s", path,
			 strerror(errno));
		if (only_file)
			say_task(b, b->ct->binary_line, why);
		return only_file ? -ENOEXEC : 0;
	}
	n = elf_file__find(ef, b->ct->symbol, &m);
	if (n <= 0) {
		free(m);
		resolve__explain_missing(ef, b->ct->symbol, why, sizeof(why));
		if (only_file)
			say_task(b, b->ct->symbol_line, why);
		return only_file ? -ENOENT : 0;
	}
	if (ef->is_go) {
		free(m);
		say_task(b, b->ct->binary_line, "Go programs move goroutine stacks, so frames "
						"cannot be matched by stack pointer: not supported");
		return -ENOTSUP;
	}
	err = task_table__find(b->tt, b->ct->name, ef->path, &idx);
	if (err == -ENOSPC)
		say_task(b, b->ct->line, "too many (task, file) pairs over this collector's life: "
					 "restart it");
	if (!err)
		err = task_table__set(b->tt, idx, b->ct, n == 1 ? m[0] : NULL);
	for (int i = 0; i < n && !err; i++)
		err = plan__add_function(b->p, ef, m[i], idx, mode_of(b->p, ef, b->ct->returns));
	free(m);
	if (!err)
		err = watch(&b->files, &b->nfiles, ef->path, ef->fd);
	if (!err)
		err = hooks__add_runtime_of(b->p, ef->path);
	b->found++;
	return err;
}

/*
 * A marker task: its probes on every marker library there is, one task
 * index per library (as a binary's); BPF names regions by the first. A
 * Python program's raises count as its exceptions in Debian's python3.
 */
static int add_marker_task(struct builder *b)
{
	char libs[4][PATH_MAX];
	size_t n = markers__libraries(libs, 4);
	uint32_t idx, first = TP_NO_TASK;
	int err = 0;

	if (!n)
		tp_warn("config: %s:%d: task '%s': no libtaskprof-marker.so installed: install "
			"taskprof (make install) for marked programs to be seen", b->c->path,
			b->ct->line, b->ct->name);
	for (size_t i = 0; i < n && !err; i++) {
		err = watch(&b->files, &b->nfiles, libs[i], -1);
		if (!err)
			err = task_table__find(b->tt, b->ct->name, libs[i], &idx);
		if (!err)
			err = task_table__set(b->tt, idx, b->ct, NULL);
		if (!err && !b->tt->v[idx].symbol &&
		    !(b->tt->v[idx].symbol = tp_strdup_printf("marker:%s", b->ct->marker)))
			err = -ENOMEM;
		if (!err)
			err = markers__add_library(b->p, libs[i]);
		first = first == TP_NO_TASK ? idx : first;
	}
	if (!err && n)
		err = markers__declare(b->p, b->ct->marker, first);
	if (!err && n)
		err = markers__add_python(b->p);
	return err;
}

static int add_task(struct builder *b)
{
	glob_t g = { 0 };
	int err = expand(b->ct->binary, &g);
	char why[PATH_MAX + 128];

	if (err == -EACCES) {
		snprintf(why, sizeof(why), "cannot list the files %s names: %s", b->ct->binary,
			 glob_failed);
		say_task(b, b->ct->binary_line, why);
	}
	b->found = 0;
	for (size_t i = 0; i < g.gl_pathc && !err; i++)
		err = add_file(b, g.gl_pathv[i], !is_glob(b->ct->binary));
	if (!err && is_glob(b->ct->binary) && !b->found && g.gl_pathc) {
		snprintf(why, sizeof(why), "no file matching %s has the symbol '%s'",
			 b->ct->binary, b->ct->symbol);
		say_task(b, b->ct->symbol_line, why);
		err = -ENOENT;
	} else if (!err && !g.gl_pathc) {
		tp_warn("config: %s:%d: task '%s': nothing matches %s yet: its probes go in when "
			"it appears", b->c->path, b->ct->binary_line, b->ct->name, b->ct->binary);
	}
	globfree(&g);
	return err;
}

struct plan *collect_plan__build(const struct collect_config *c, struct task_table *tt,
				 struct watched_file **files, size_t *nfiles, char *errbuf,
				 size_t errlen)
{
	struct builder b = { .err = errbuf, .errlen = errlen, .c = c, .tt = tt,
			     .p = plan__new() };
	int err = b.p ? 0 : -ENOMEM;

	errbuf[0] = 0;
	for (size_t i = 0; i < c->ntasks && !err; i++) {
		b.ct = &c->tasks[i];
		err = b.ct->marker ? add_marker_task(&b) : add_task(&b);
	}
	if (err && !errbuf[0])
		snprintf(errbuf, errlen, "collect: cannot plan the probes: %s", strerror(-err));
	if (err) {
		plan__free(b.p);
		watched_files__free(b.files, b.nfiles);
		errno = -err;
		return NULL;
	}
	*files = b.files;
	*nfiles = b.nfiles;
	return b.p;
}

/* A file counts as changed when its inode, size or mtime has. */
static bool same_file(const struct watched_file *w)
{
	struct stat st;

	return !stat(w->path, &st) && file_id__eq(&w->id, st.st_dev, st.st_ino) &&
	       st.st_size == w->size &&
	       st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec == w->mtime_ns;
}

/* The marker libraries there are now: each watched and unchanged? */
static bool marker_libs_changed(const struct watched_file *files, size_t nfiles, bool *seen)
{
	char libs[4][PATH_MAX];
	size_t n = markers__libraries(libs, 4);

	for (size_t k = 0; k < n; k++) {
		size_t w = 0;

		while (w < nfiles && strcmp(files[w].path, libs[k]))
			w++;
		if (w == nfiles || !same_file(&files[w]))
			return true;
		seen[w] = true;
	}
	return false;
}

/* Whether every file the binaries name now is one the plan saw, unchanged,
 * and every file it saw is still named. */
bool collect_plan__stale(const struct collect_config *c, const struct watched_file *files,
			 size_t nfiles)
{
	bool *seen = calloc(nfiles + 1, sizeof(*seen)), stale = !seen;

	for (size_t i = 0; i < c->ntasks && !stale; i++) {
		glob_t g = { 0 };

		if (c->tasks[i].marker) {
			stale = marker_libs_changed(files, nfiles, seen);
			continue;
		}
		stale = expand(c->tasks[i].binary, &g) != 0;
		for (size_t k = 0; k < g.gl_pathc && !stale; k++) {
			size_t w = 0;

			while (w < nfiles && strcmp(files[w].path, g.gl_pathv[k]))
				w++;
			stale = w == nfiles || !same_file(&files[w]);
			if (!stale)
				seen[w] = true;
		}
		globfree(&g);
	}
	for (size_t w = 0; w < nfiles && !stale; w++)
		stale = !seen[w];
	free(seen);
	return stale;
}
