// SPDX-License-Identifier: MIT
/*
 * Return sites (callsites.c) and the return mechanism each function gets
 * (plan.c), on a fixture built by gcc and clang, PIE and not.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "elf/ehframe.h"
#include "elf/elf_file.h"
#include "elf/elf_find.h"
#include "plan/callsites.h"
#include "plan/plan.h"
#include "plan/probeplan.h"

static const char *fixdir = "build/tests";
static const char *const builds[] = { "fix_calls_gcc", "fix_calls_clang", "fix_calls_nopie" };

static struct elf_file *open_fix(const char *name)
{
	char path[4096];
	struct elf_file *ef;

	snprintf(path, sizeof(path), "%s/%s", fixdir, name);
	ef = elf_file__open(path);
	assert_non_null(ef);
	return ef;
}

static const struct elf_sym *find1(struct elf_file *ef, const char *q)
{
	struct elf_sym **m = NULL;
	const struct elf_sym *s;

	assert_int_equal(elf_file__find(ef, q, &m), 1);
	s = m[0];
	free(m);
	return s;
}

/* The instruction before ra is a direct call (or, for a tail-called
 * function, a call of its caller): e8 and a displacement landing on to. */
static bool call_before(struct elf_file *ef, uint64_t ra, uint64_t to)
{
	uint8_t b[5];
	int32_t rel;

	if (elf_file__read(ef, ra - 5, b, sizeof(b)) || b[0] != 0xe8)
		return false;
	memcpy(&rel, b + 1, sizeof(rel));
	return ra + (int64_t)rel == to;
}

static void sites_of(struct elf_file *ef, const char *fn, struct callers *c)
{
	assert_int_equal(callers__find(ef, find1(ef, fn), c), 0);
}

/* Each direct call has its site, the probe on the straight line after it. */
static void test_direct_calls(void **s)
{
	for (size_t b = 0; b < sizeof(builds) / sizeof(*builds); b++) {
		struct elf_file *ef = open_fix(builds[b]);
		const struct elf_sym *leaf = find1(ef, "leaf_task");
		struct callers c;

		sites_of(ef, "leaf_task", &c);
		assert_true(c.complete);
		assert_int_equal(c.n, 2);
		for (size_t i = 0; i < c.n; i++) {
			assert_true(call_before(ef, c.v[i].ra, leaf->addr));
			assert_true(c.v[i].probe >= c.v[i].ra && c.v[i].probe < c.v[i].ra + 64);
			assert_true(c.v[i].emulated || c.v[i].probe == c.v[i].ra);
		}
		callers__free(&c);
		elf_file__close(ef);
	}
}

/* A task ending in a tail call through the PLT still returns to its
 * callers' sites; a function tail-called returns to its caller's. */
static void test_tail_calls(void **s)
{
	for (size_t b = 0; b < sizeof(builds) / sizeof(*builds); b++) {
		struct elf_file *ef = open_fix(builds[b]);
		struct callers st, in, out;

		sites_of(ef, "sleep_tail", &st);
		assert_true(st.complete);
		assert_int_equal(st.n, 1);
		assert_true(call_before(ef, st.v[0].ra, find1(ef, "sleep_tail")->addr));
		sites_of(ef, "outer", &out);
		sites_of(ef, "inner", &in);
		assert_true(out.complete);
		assert_true(in.complete);
		assert_int_equal(out.n, 1);
		assert_int_equal(in.n, 1);
		assert_true(in.v[0].ra == out.v[0].ra);
		callers__free(&st);
		callers__free(&in);
		callers__free(&out);
		elf_file__close(ef);
	}
}

/* Who calls a function whose address is stored, or that is exported,
 * cannot be known from its file: said, not guessed. */
static void test_unknown_callers(void **s)
{
	struct elf_file *lib = open_fix("libfix.so");
	struct callers c;

	for (size_t b = 0; b < sizeof(builds) / sizeof(*builds); b++) {
		struct elf_file *ef = open_fix(builds[b]);

		sites_of(ef, "by_pointer", &c);
		assert_false(c.complete);
		assert_non_null(strstr(c.why, "address"));
		callers__free(&c);
		sites_of(ef, "main", &c); /* _start takes it */
		assert_false(c.complete);
		callers__free(&c);
		elf_file__close(ef);
	}
	sites_of(lib, "lib_task", &c);
	assert_false(c.complete);
	assert_non_null(strstr(c.why, "exported"));
	callers__free(&c);
	elf_file__close(lib);
}

/* The mechanism each function gets in an image that walks its stack. */
static void planned(const char *fn, size_t *nsites, size_t *nuret, size_t *nrets)
{
	char path[4096];
	struct plan *p = plan__new();
	struct elf_file *ef;

	snprintf(path, sizeof(path), "%s/fix_calls_gcc", fixdir);
	ef = plan__elf(p, path);
	assert_non_null(ef);
	assert_int_equal(plan__add_function(p, ef, find1(ef, fn), 0, TP_RET_AUTO), 0);
	*nsites = p->nsites;
	*nuret = p->nuret;
	*nrets = 0;
	for (size_t i = 0; i < p->n; i++)
		*nrets += p->v[i].prog == TP_PROG_RET;
	plan__free(p);
}

static void test_auto_mechanism(void **s)
{
	size_t nsites, nuret, nrets;

	/* every caller known: their sites, nothing else */
	planned("sleep_tail", &nsites, &nuret, &nrets);
	assert_int_equal(nsites, 1);
	assert_int_equal(nuret + nrets, 0);
	/* a leaf, whether its callers are known or not: nothing can walk
	 * past its return */
	planned("by_pointer", &nsites, &nuret, &nrets);
	assert_int_equal(nuret, 1);
	assert_int_equal(nsites + nrets, 0);
	planned("leaf_task", &nsites, &nuret, &nrets);
	assert_int_equal(nuret, 1);
	assert_int_equal(nsites + nrets, 0);
	/* callers unknown and not a leaf: its ret instructions */
	planned("main", &nsites, &nuret, &nrets);
	assert_int_equal(nsites + nuret, 0);
	assert_true(nrets >= 1);
}

/*
 * An exception from a task lands in its caller's landing pad: each caller
 * of a task has its pads among the probes, inside the caller; a function
 * without language data has none.
 */
static void test_landing_pads(void **s)
{
	struct elf_file *ef = open_fix("fix_calls_cxx");
	const struct elf_sym *main_fn = find1(ef, "main");
	uint64_t *pads = NULL;
	struct callers c;
	size_t n = 0;

	sites_of(ef, "risky", &c);
	assert_true(c.complete);
	assert_int_equal(c.n, 1);
	assert_true(c.npads >= 1);
	for (size_t i = 0; i < c.npads; i++) {
		const struct elf_sym *in = NULL;

		/* in main, or in its .cold part */
		for (size_t k = 0; k < ef->nsyms; k++)
			if (ef->syms[k].size && c.pads[i].ra >= ef->syms[k].addr &&
			    c.pads[i].ra < ef->syms[k].addr + ef->syms[k].size)
				in = &ef->syms[k];
		assert_non_null(in);
		assert_non_null(strstr(in->name, "main"));
		assert_true(c.pads[i].caller == main_fn->addr);
	}
	callers__free(&c);
	assert_int_equal(eh__landing_pads(ef, find1(ef, "scaled")->addr, &pads, &n), 0);
	assert_int_equal(n, 0);
	free(pads);
	elf_file__close(ef);
}

/* A task is found with its GCC clones, C and C++ alike, not its .cold part. */
static void test_clones_with_the_function(void **s)
{
	static const char *const fixes[] = { "fix_clone", "fix_clone_cxx" };

	for (size_t f = 0; f < 2; f++) {
		struct elf_file *ef = open_fix(fixes[f]);
		struct elf_sym **m = NULL;
		bool clone = false;
		int n = elf_file__find(ef, "printed", &m);

		assert_int_equal(n, 2);
		for (int i = 0; i < n; i++) {
			assert_null(strstr(m[i]->name, ".cold"));
			clone |= strstr(m[i]->name, ".constprop.") != NULL;
		}
		assert_true(clone);
		free(m);
		elf_file__close(ef);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_calls),
		cmocka_unit_test(test_tail_calls),
		cmocka_unit_test(test_unknown_callers),
		cmocka_unit_test(test_auto_mechanism),
		cmocka_unit_test(test_landing_pads),
		cmocka_unit_test(test_clones_with_the_function),
	};

	if (argc > 1)
		fixdir = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
