// SPDX-License-Identifier: MIT
/* Symbol resolution and probe placement on fixture binaries. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/util.h"
#include "elf/demangle.h"
#include "elf/elf_file.h"
#include "elf/elf_find.h"
#include "elf/libs.h"
#include "plan/plan.h"
#include "plan/probeplan.h"
#include "plan/resolve.h"
#include "plan/spec.h"

static const char *fixdir = "build/tests";

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

/* The symbol's bytes must be a real function: its file offset holds code
 * that starts where the symbol says. */
static void check_c(const char *fix, bool pie)
{
	struct elf_file *ef = open_fix(fix);
	const struct elf_sym *s = find1(ef, "extract_records");
	uint64_t off;

	assert_int_equal(ef->is_dyn, pie);
	assert_true(ef->has_symtab);
	assert_false(ef->walks_stack);
	assert_false(ef->is_go);
	assert_true(s->size > 0);
	assert_int_equal(elf_file__offset(ef, s->addr, &off), 0);
	if (pie)
		assert_true(off == s->addr); /* first PT_LOAD maps at 0 in a PIE */
	else
		assert_true(off == s->addr - 0x400000);
	find1(ef, "compress_block");
	find1(ef, "local_helper"); /* static functions come from .symtab */
	elf_file__close(ef);
}

static void test_c_pie(void **s)
{
	check_c("fix_c_pie", true);
}

static void test_c_nopie(void **s)
{
	check_c("fix_c_nopie", false);
}

static void test_cxx_demangled(void **s)
{
	struct elf_file *ef = open_fix("fix_cxx");
	struct elf_sym **m = NULL;

	assert_true(ef->walks_stack); /* links the C++ unwinder */
	/* overloads: both */
	assert_int_equal(elf_file__find(ef, "etl::AnonymizeReviewsTask::run", &m), 2);
	free(m);
	/* const method, mangled and demangled */
	assert_int_equal(find1(ef, "Pipeline::risky_step")->addr,
			 find1(ef, "_ZNK8Pipeline10risky_stepEi")->addr);
	/* template instance: return type stripped */
	find1(ef, "twice<int>");
	assert_int_equal(elf_file__find(ef, "Pipeline::risky", &m), 0);
	free(m);
	elf_file__close(ef);
}

static void test_shared_library(void **s)
{
	struct elf_file *ef = open_fix("libfix.so");

	assert_true(ef->is_dyn);
	find1(ef, "lib_task");
	elf_file__close(ef);
}

static void test_stripped(void **s)
{
	struct elf_file *ef = open_fix("fix_stripped");
	struct elf_sym **m = NULL;

	assert_false(ef->has_symtab);
	assert_int_equal(elf_file__find(ef, "extract_records", &m), 0);
	free(m);
	elf_file__close(ef);
}

static void test_suggest(void **s)
{
	struct elf_file *ef = open_fix("fix_c_pie");
	char buf[256];

	elf_file__suggest(ef, "extract_record", buf, sizeof(buf));
	assert_non_null(strstr(buf, "extract_records"));
	elf_file__suggest(ef, "compress", buf, sizeof(buf));
	assert_non_null(strstr(buf, "compress_block"));
	elf_file__close(ef);
}

static void test_strip_params(void **s)
{
	static const char *const cases[][2] = {
		{ "Pipeline::risky_step(int)", "Pipeline::risky_step" },
		{ "Pipeline::risky_step(int) const", "Pipeline::risky_step" },
		{ "ns::Foo::operator()(int, char)", "ns::Foo::operator()" },
		{ "int twice<int>(int)", "twice<int>" },
		{ "std::vector<int, std::allocator<int> >::size() const",
		  "std::vector<int, std::allocator<int> >::size" },
		{ "(anonymous namespace)::helper(long)", "(anonymous namespace)::helper" },
		{ "foo[abi:cxx11](int)", "foo" },
		{ "plain", "plain" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = tp_strip_params(cases[i][0]);

		assert_string_equal(r, cases[i][1]);
		free(r);
	}
}

static void plan(struct elf_file *ef, const char *sym, enum tp_ret_mode want,
		 struct probe_plan *p)
{
	assert_int_equal(probe_plan__build(ef, find1(ef, sym), want, p), 0);
}

static void test_plan_shapes(void **s)
{
	struct elf_file *ef = open_fix("fix_shapes");
	struct probe_plan p;
	uint64_t base;

	/* push first: the kernel emulates it, probe right at entry */
	base = find1(ef, "shape_push")->addr;
	plan(ef, "shape_push", TP_RET_AUTO, &p);
	assert_int_equal(p.entry_vaddr, base);
	assert_true(p.entry_emulated);
	assert_int_equal(p.mode, TP_RET_INSN); /* AUTO leaves the stack alone */
	assert_int_equal(p.nrets, 1);
	probe_plan__free(&p);
	plan(ef, "shape_push", TP_RET_URETPROBE, &p);
	assert_int_equal(p.mode, TP_RET_URETPROBE);
	assert_int_equal(p.entry_vaddr, base);
	probe_plan__free(&p);

	/* endbr64 is single-stepped; the push after it is not */
	base = find1(ef, "shape_endbr")->addr;
	plan(ef, "shape_endbr", TP_RET_AUTO, &p);
	assert_int_equal(p.entry_vaddr, base + 4);
	assert_int_equal(p.sp_adj, 0);
	probe_plan__free(&p);

	/* lea does not touch SP: skip it */
	base = find1(ef, "shape_lea_push")->addr;
	plan(ef, "shape_lea_push", TP_RET_AUTO, &p);
	assert_int_equal(p.entry_vaddr, base + 4);
	assert_true(p.entry_emulated);
	probe_plan__free(&p);

	/* a leaf with nothing emulated stays at its entry */
	base = find1(ef, "shape_leaf")->addr;
	plan(ef, "shape_leaf", TP_RET_INSN, &p);
	assert_int_equal(p.entry_vaddr, base);
	assert_false(p.entry_emulated);
	assert_int_equal(p.rets[0], base + 4);
	probe_plan__free(&p);

	/* sub rsp moves SP: with ret-insn probes the call after it is fine, with
	 * a shift the BPF side undoes; a uretprobe must stay at the entry */
	base = find1(ef, "shape_sub_call")->addr;
	plan(ef, "shape_sub_call", TP_RET_INSN, &p);
	assert_int_equal(p.entry_vaddr, base + 4);
	assert_int_equal(p.sp_adj, 24);
	assert_true(p.has_call);
	probe_plan__free(&p);
	plan(ef, "shape_sub_call", TP_RET_URETPROBE, &p);
	assert_int_equal(p.entry_vaddr, base);
	assert_int_equal(p.sp_adj, 0);
	probe_plan__free(&p);

	/* the push is a loop head: probing it would count every iteration */
	base = find1(ef, "shape_loop")->addr;
	plan(ef, "shape_loop", TP_RET_INSN, &p);
	assert_int_equal(p.entry_vaddr, base);
	probe_plan__free(&p);
	elf_file__close(ef);
}

/* Plans one spec against fixture exe; returns how many functions got a uretprobe. */
static size_t urets_for(const char *exe, const char *spec_text)
{
	char path[4096], **libs = NULL;
	struct plan_target t = { .exe = path };
	struct task_spec spec;
	struct plan *p = plan__new();
	size_t n = 0, nuret;

	snprintf(path, sizeof(path), "%s/%s", fixdir, exe);
	assert_int_equal(tp_libs_of_exe(path, &libs, &n), 0);
	t.libs = libs;
	t.nlibs = n;
	assert_int_equal(task_spec__parse(spec_text, &spec), 0);
	assert_int_equal(resolve__tasks(p, &spec, 1, &t, TP_RET_AUTO), 0);
	assert_true(p->nfuncs >= 1);
	nuret = p->nuret;
	task_spec__free(&spec);
	plan__free(p);
	tp_strv_free(libs, n);
	return nuret;
}

/*
 * A uretprobe's trampoline shows on the stack: AUTO uses one in an
 * executable whose whole image never looks at its stack, and elsewhere
 * only on a leaf, which nothing can walk past.
 */
static void test_auto_returns_where_stack_is_quiet(void **s)
{
	char lib[4096];

	/* plain C: nothing unwinds, walks or records the stack */
	assert_int_equal(urets_for("fix_c_pie", "extract_records"), 1);
	assert_int_equal(urets_for("fix_c_nopie", "extract_records"), 1);
	/* C++ unwinds through frames */
	assert_int_equal(urets_for("fix_cxx", "main"), 0);
	/* backtrace() walks them */
	assert_int_equal(urets_for("fix_backtrace", "extract_records"), 0);
	/* a library may be mapped by anything */
	snprintf(lib, sizeof(lib), "%s/libfix.so:lib_task", fixdir);
	assert_int_equal(urets_for("fix_c_pie", lib), 0);
}

/*
 * What an image allows: every return by uretprobe where nothing looks at
 * the stack; only leaves' in C++ that neither walks stacks nor handles
 * signals; none where code is loaded unseen (dlopen) or stacks walked.
 */
static void test_image_modes(void **s)
{
	static const struct {
		const char *exe;
		enum tp_ret_mode mode;
	} want[] = {
		{ "fix_c_pie", TP_RET_URETPROBE }, { "fix_cxx", TP_RET_AUTO },
		{ "fix_signals", TP_RET_SAFE },    { "fix_dlopen", TP_RET_SAFE },
		{ "fix_backtrace", TP_RET_SAFE },  { "libfix.so", TP_RET_SAFE },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		char path[4096];
		struct plan *p = plan__new();

		snprintf(path, sizeof(path), "%s/%s", fixdir, want[i].exe);
		if (plan__image_mode(p, path, NULL, 0) != want[i].mode)
			fail_msg("%s: mode %d, not %d", want[i].exe,
				 plan__image_mode(p, path, NULL, 0), want[i].mode);
		plan__free(p);
	}
}

static void test_stack_walkers_and_executables(void **s)
{
	struct elf_file *ef = open_fix("fix_backtrace");

	assert_true(ef->walks_stack); /* imports backtrace */
	assert_true(ef->is_exec);
	elf_file__close(ef);
	ef = open_fix("fix_c_pie");
	assert_false(ef->walks_stack);
	assert_true(ef->is_exec); /* ET_DYN, but it names an interpreter */
	elf_file__close(ef);
	ef = open_fix("libfix.so");
	assert_false(ef->is_exec);
	elf_file__close(ef);
}

static void test_libs_of_exe(void **s)
{
	char path[4096], **libs = NULL, out[4096];
	size_t n = 0;
	bool libc = false;

	snprintf(path, sizeof(path), "%s/fix_cxx", fixdir);
	assert_int_equal(tp_libs_of_exe(path, &libs, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (strstr(libs[i], "libc.so.6"))
			libc = true;
	assert_true(libc);
	assert_int_equal(tp_find_lib("libstdc++.so", libs, n, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "libstdc++.so.6"));
	assert_int_equal(tp_find_lib("libnonexistent.so", libs, n, out, sizeof(out)), -ENOENT);
	tp_strv_free(libs, n);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c_pie),
		cmocka_unit_test(test_c_nopie),
		cmocka_unit_test(test_cxx_demangled),
		cmocka_unit_test(test_shared_library),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_strip_params),
		cmocka_unit_test(test_plan_shapes),
		cmocka_unit_test(test_auto_returns_where_stack_is_quiet),
		cmocka_unit_test(test_image_modes),
		cmocka_unit_test(test_stack_walkers_and_executables),
		cmocka_unit_test(test_libs_of_exe),
	};

	if (argc > 1)
		fixdir = argv[1];
	return cmocka_run_group_tests_name("symbols", tests, NULL, NULL);
}
