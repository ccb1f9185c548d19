// SPDX-License-Identifier: MIT
/*
 * Runtime hooks in the plan: where exceptions, forced unwinds and longjmps
 * start (cuts, bpf/cuts.bpf.h), and the malloc family for --allocs. They
 * go into every file of the target's image that defines them, and into
 * libgcc_s, which glibc opens only when a thread first exits or is
 * cancelled.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "tp.h"

static const struct {
	const char *sym;
	enum tp_prog prog;
} hooks[] = {
	{ "_Unwind_RaiseException", TP_PROG_RAISE },
	{ "_Unwind_ForcedUnwind", TP_PROG_FORCED },
	{ "longjmp", TP_PROG_JUMP },
	{ "_longjmp", TP_PROG_JUMP },
	{ "siglongjmp", TP_PROG_JUMP },
	{ "__longjmp_chk", TP_PROG_JUMP },
	{ "malloc", TP_PROG_ALLOC },
	{ "calloc", TP_PROG_ALLOC },
	{ "realloc", TP_PROG_ALLOC },
	{ "reallocarray", TP_PROG_ALLOC },
	{ "aligned_alloc", TP_PROG_ALLOC },
	{ "posix_memalign", TP_PROG_ALLOC },
	{ "memalign", TP_PROG_ALLOC },
	{ "valloc", TP_PROG_ALLOC },
	{ "pvalloc", TP_PROG_ALLOC },
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
	return err ? err : plan__add(p, prog, ef->path, off, TP_COOKIE(0, adj));
}

static int add_file(struct plan *p, const char *path, bool allocs)
{
	struct elf_file *ef = plan__elf(p, path);
	int err = 0;

	if (!ef)
		return 0; /* not ELF, or gone: it defines nothing we hook */
	for (size_t h = 0; h < ARRAY_SIZE(hooks) && !err; h++) {
		struct elf_sym **m = NULL;
		int n;

		if (hooks[h].prog == TP_PROG_ALLOC && !allocs)
			continue;
		n = elf_file__find(ef, hooks[h].sym, &m);
		for (int k = 0; k < n && !err; k++)
			err = add_hook(p, ef, m[k], hooks[h].prog);
		free(m);
	}
	return err;
}

int plan__add_runtime(struct plan *p, const char *exe, char *const *libs, size_t nlibs,
		      bool allocs)
{
	char gcc_s[PATH_MAX];
	int err = add_file(p, exe, allocs);

	for (size_t i = 0; i < nlibs && !err; i++)
		err = add_file(p, libs[i], allocs);
	if (!err && !tp_find_lib("libgcc_s.so.1", libs, nlibs, gcc_s, sizeof(gcc_s)))
		err = add_file(p, gcc_s, allocs);
	return err;
}
