// SPDX-License-Identifier: MIT
/*
 * From declared tasks ([NAME=][BINARY:]SYMBOL) to functions in ELF files:
 * which file, which symbols, and the message a user needs when there is
 * none. Each function found goes into the plan with its return mechanism.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/resolve.h"

#include "taskprof.h"
#include "base/log.h"
#include "base/proc.h"
#include "elf/elf_file.h"
#include "elf/elf_find.h"
#include "elf/libs.h"
#include "plan/markers.h"
#include "plan/plan.h"
#include "plan/probeplan.h"
#include "plan/spec.h"

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* BINARY may also name a program on PATH, for commands run through a shell. */
static bool which_into(const char *name, char *out, size_t len)
{
	char *p = strchr(name, '/') ? NULL : tp_which(name);

	if (!p)
		return false;
	snprintf(out, len, "%s", p);
	free(p);
	return true;
}

/* The file a spec's BINARY names; NULL (after one line) if none. */
static struct elf_file *named_file(struct plan *p, const struct task_spec *ts,
				   const struct plan_target *t)
{
	char path[PATH_MAX];
	struct elf_file *ef;

	if (!strcmp(ts->binary, t->exe) || !strcmp(ts->binary, base_name(t->exe)))
		snprintf(path, sizeof(path), "%s", t->exe);
	else if (tp_find_lib(ts->binary, t->libs, t->nlibs, path, sizeof(path)) &&
		 !which_into(ts->binary, path, sizeof(path))) {
		tp_err("record: binary '%s' of task '%s' not found in the target or its libraries: "
		       "give a path, or a library the target loads", ts->binary, ts->name);
		return NULL;
	}
	ef = plan__elf(p, path);
	if (!ef)
		tp_err("record: cannot read %s: %s", path, strerror(errno));
	return ef;
}

/* The executable, then its libraries: the first file that has the symbol. */
static struct elf_file *search_image(struct plan *p, const struct task_spec *ts,
				     const struct plan_target *t, struct elf_sym ***m, int *n)
{
	struct elf_file *first = NULL;

	for (size_t i = 0; i <= t->nlibs; i++) {
		struct elf_file *e = plan__elf(p, i == 0 ? t->exe : t->libs[i - 1]);

		if (!e)
			continue;
		if (!first)
			first = e; /* the executable: where suggestions come from */
		*n = elf_file__find(e, ts->symbol, m);
		if (*n != 0)
			return e;
		free(*m);
		*m = NULL;
	}
	if (!first)
		tp_err("record: cannot read %s: %s", t->exe, strerror(errno));
	return first;
}

/* Why ef has no symbol, and what to do: one sentence for a message. */
void resolve__explain_missing(const struct elf_file *ef, const char *symbol, char *buf, size_t len)
{
	char near[512];

	if (!ef->has_symtab) {
		snprintf(buf, len, "%s is stripped (no .symtab) and '%s' is not exported: rebuild "
			 "it without -s/strip, or install its debug symbols", ef->path, symbol);
		return;
	}
	elf_file__suggest(ef, symbol, near, sizeof(near));
	if (near[0])
		snprintf(buf, len, "unknown symbol '%s' in %s: did you mean: %s?", symbol, ef->path,
			 near);
	else
		snprintf(buf, len, "unknown symbol '%s' in %s: if another program or library holds "
			 "it, name that one (record -t BINARY:SYMBOL, or binary = in a collector's "
			 "configuration); list candidates with `nm -C %s | grep -i %s`", symbol,
			 ef->path, ef->path, symbol);
}

static int not_found(const struct elf_file *ef, const struct task_spec *ts)
{
	char why[1536];

	resolve__explain_missing(ef, ts->symbol, why, sizeof(why));
	tp_err("record: %s", why);
	return -ENOENT;
}

/*
 * AUTO: what the image allows (plan__image_mode), plan.c then choosing
 * function by function. Decided once per file: specs often share one, and
 * its image's closure takes every library's ELF to read.
 */
static enum tp_ret_mode mode_for(struct plan *p, const struct elf_file *ef,
				 const struct plan_target *t, enum tp_ret_mode mode)
{
	struct plan_image *q;

	if (mode != TP_RET_AUTO)
		return mode;
	for (size_t i = 0; i < p->nimages; i++)
		if (!strcmp(p->images[i].path, ef->path))
			return p->images[i].mode;
	q = realloc(p->images, (p->nimages + 1) * sizeof(*q));
	if (!q)
		return TP_RET_SAFE; /* the safe answer needs no memory */
	p->images = q;
	q = &p->images[p->nimages];
	q->path = ef->path; /* the plan's own ELF: it lives as long */
	if (!strcmp(ef->path, t->exe))
		q->mode = plan__image_mode(p, ef->path, t->libs, t->nlibs);
	else
		q->mode = plan__image_mode(p, ef->path, t->preload, t->npreload);
	p->nimages++;
	return q->mode;
}

static int resolve_spec(struct plan *p, const struct task_spec *ts, uint32_t idx,
			const struct plan_target *t, enum tp_ret_mode mode)
{
	struct elf_sym **m = NULL;
	struct elf_file *ef;
	int n = 0, err = 0;

	if (ts->marker)
		return markers__add_task(p, ts, idx);
	if (ts->binary) {
		ef = named_file(p, ts, t);
		if (ef)
			n = elf_file__find(ef, ts->symbol, &m);
	} else {
		ef = search_image(p, ts, t, &m, &n);
	}
	if (!ef)
		return -ENOENT;
	if (n <= 0) {
		free(m);
		return n < 0 ? n : not_found(ef, ts);
	}
	if (ef->is_go) {
		free(m);
		tp_err("record: %s is a Go program: Go moves goroutine stacks, so frames cannot be "
		       "matched by stack pointer; Go binaries are not supported", ef->path);
		return -ENOTSUP;
	}
	p->tasks[idx].binary = strdup(ef->path);
	if (n == 1)
		p->tasks[idx].symbol = strdup(m[0]->name);
	if (!p->tasks[idx].binary || (n == 1 && !p->tasks[idx].symbol))
		err = -ENOMEM;
	mode = mode_for(p, ef, t, mode);
	for (int i = 0; i < n && !err; i++)
		err = plan__add_function(p, ef, m[i], idx, mode);
	free(m);
	return err;
}

int resolve__tasks(struct plan *p, const struct task_spec *specs, size_t nspecs,
		    const struct plan_target *t, enum tp_ret_mode mode)
{
	int err = 0;

	p->tasks = calloc(nspecs, sizeof(*p->tasks));
	if (!p->tasks)
		return -ENOMEM;
	p->marker_any = TP_NO_TASK;
	p->ntasks = nspecs;
	for (size_t i = 0; i < nspecs && !err; i++) {
		p->tasks[i].name = strdup(specs[i].name);
		err = p->tasks[i].name ? resolve_spec(p, &specs[i], i, t, mode) : -ENOMEM;
	}
	return err;
}
