// SPDX-License-Identifier: MIT
/*
 * Runtime hooks in the plan: where exceptions, forced unwinds and longjmps
 * start (cuts, bpf/cuts.bpf.h), and the malloc family for --allocs. A hook
 * goes in only if some file of the target's image can make that cut (it
 * imports longjmp, throws...: elfsym.c), into every file of the image that
 * defines the function, and for forced unwinds into libgcc_s, which glibc
 * opens only when a thread first exits or is cancelled. These hooks are on
 * shared libraries, for every process: a hook no task can reach would cost
 * unrelated programs a trap per throw or longjmp for nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "plan/hooks.h"

#include "taskprof.h"
#include "base/util.h"
#include "elf/elf_file.h"
#include "elf/elf_find.h"
#include "elf/libs.h"
#include "plan/plan.h"
#include "plan/probeplan.h"

/* ALLOCS: with --allocs; PYTHON: with marker tasks (a Python program's raises
 * are its exceptions); else the cut (enum elf_cuts) the image must make */
#define ALLOCS 0
#define PYTHON 0x100

static const struct {
	const char *sym;
	enum tp_prog prog;
	unsigned int needs;
} hooks[] = {
	{ "_Unwind_RaiseException", TP_PROG_RAISE, ELF_CUT_THROW },
	{ "_Unwind_ForcedUnwind", TP_PROG_FORCED, ELF_CUT_FORCED },
	{ "longjmp", TP_PROG_JUMP, ELF_CUT_JUMP },
	{ "_longjmp", TP_PROG_JUMP, ELF_CUT_JUMP },
	{ "siglongjmp", TP_PROG_JUMP, ELF_CUT_JUMP },
	{ "__longjmp_chk", TP_PROG_JUMP, ELF_CUT_JUMP },
	{ "malloc", TP_PROG_ALLOC, ALLOCS },
	{ "calloc", TP_PROG_ALLOC, ALLOCS },
	{ "realloc", TP_PROG_ALLOC, ALLOCS },
	{ "reallocarray", TP_PROG_ALLOC, ALLOCS },
	{ "aligned_alloc", TP_PROG_ALLOC, ALLOCS },
	{ "posix_memalign", TP_PROG_ALLOC, ALLOCS },
	{ "memalign", TP_PROG_ALLOC, ALLOCS },
	{ "valloc", TP_PROG_ALLOC, ALLOCS },
	{ "pvalloc", TP_PROG_ALLOC, ALLOCS },
	{ "_PyErr_SetObject", TP_PROG_PYRAISE, PYTHON },
	{ "PyTraceBack_Here", TP_PROG_PYFRAME, PYTHON },
};

/* Entry-only probe: any once-per-call instruction will do, the cheapest. */
static int add_hook(struct plan *p, struct elf_file *ef, const struct elf_sym *s,
		    enum tp_prog prog)
{
	uint64_t off, vaddr = s->addr, adj = 0;
	struct probe_plan pp;
	int err;

	if (!probe_plan__build(ef, s, TP_RET_INSN, &pp)) {
		vaddr = pp.entry_vaddr;
		adj = pp.sp_adj;
		probe_plan__free(&pp);
	}
	err = elf_file__offset(ef, vaddr, &off);
	if (!err && prog == TP_PROG_PYFRAME)
		p->npyraise++; /* the counting half; _PyErr_SetObject is older still */
	return err ? err : plan__add(p, prog, ef->path, off, TP_COOKIE(0, adj));
}

static int add_file(struct plan *p, const char *path, bool allocs, unsigned int cuts)
{
	struct elf_file *ef = plan__elf(p, path);
	int err = 0;

	if (!ef)
		return 0; /* not ELF, or gone: it defines nothing we hook */
	for (size_t h = 0; h < ARRAY_SIZE(hooks) && !err; h++) {
		struct elf_sym **m = NULL;
		int n;

		if (hooks[h].prog == TP_PROG_ALLOC	 ? !allocs :
		    hooks[h].needs == PYTHON	     ? !p->nmarkers :
						       !(hooks[h].needs & cuts))
			continue;
		n = elf_file__find(ef, hooks[h].sym, &m);
		for (int k = 0; k < n && !err; k++)
			err = add_hook(p, ef, m[k], hooks[h].prog);
		free(m);
	}
	return err;
}

/* The cuts any file of the image can make. */
static unsigned int image_cuts(struct plan *p, const char *exe, char *const *libs, size_t nlibs)
{
	struct elf_file *ef = plan__elf(p, exe);
	unsigned int cuts = ef ? ef->cuts : 0;

	for (size_t i = 0; i < nlibs; i++) {
		ef = plan__elf(p, libs[i]);
		cuts |= ef ? ef->cuts : 0;
	}
	return cuts;
}

int hooks__add_runtime_of(struct plan *p, const char *exe)
{
	char **libs = NULL;
	size_t nlibs = 0;
	int err;

	if (tp_libs_of_exe(exe, &libs, &nlibs))
		nlibs = 0; /* its own hooks still count */
	err = hooks__add_runtime(p, exe, libs, nlibs, false);
	tp_strv_free(libs, nlibs);
	return err;
}

int hooks__add_runtime(struct plan *p, const char *exe, char *const *libs, size_t nlibs,
		      bool allocs)
{
	unsigned int cuts = image_cuts(p, exe, libs, nlibs);
	char gcc_s[PATH_MAX];
	int err = add_file(p, exe, allocs, cuts);

	for (size_t i = 0; i < nlibs && !err; i++)
		err = add_file(p, libs[i], allocs, cuts);
	/* glibc opens it itself for pthread_exit and pthread_cancel */
	if (!err && (cuts & ELF_CUT_FORCED) &&
	    !tp_find_lib("libgcc_s.so.1", libs, nlibs, gcc_s, sizeof(gcc_s)))
		err = add_file(p, gcc_s, allocs, cuts);
	return err;
}
