// SPDX-License-Identifier: MIT
/* SPEC parsing: [NAME=][BINARY:]SYMBOL */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "plan/spec.h"

static void check(const char *in, const char *name, const char *binary, const char *symbol)
{
	struct task_spec t;

	assert_int_equal(task_spec__parse(in, &t), 0);
	assert_string_equal(t.name, name);
	if (binary)
		assert_string_equal(t.binary, binary);
	else
		assert_null(t.binary);
	assert_string_equal(t.symbol, symbol);
	task_spec__free(&t);
}

static void test_plain(void **s)
{
	check("compress_block", "compress_block", NULL, "compress_block");
}

static void test_named(void **s)
{
	check("compress=compress_block", "compress", NULL, "compress_block");
}

static void test_binary(void **s)
{
	check("libz.so:deflate", "deflate", "libz.so", "deflate");
	check("/usr/bin/x:main", "main", "/usr/bin/x", "main");
	check("n=/opt/p/bin:step", "n", "/opt/p/bin", "step");
}

static void test_cxx_names(void **s)
{
	check("Pipeline::risky_step", "Pipeline::risky_step", NULL, "Pipeline::risky_step");
	check("etl::AnonymizeReviewsTask::run", "etl::AnonymizeReviewsTask::run", NULL,
	      "etl::AnonymizeReviewsTask::run");
	check("./pipe:Pipeline::risky_step", "Pipeline::risky_step", "./pipe",
	      "Pipeline::risky_step");
	check("risky=libp.so:ns::Pipeline::risky_step", "risky", "libp.so",
	      "ns::Pipeline::risky_step");
	check("_ZN8Pipeline10risky_stepEi", "_ZN8Pipeline10risky_stepEi", NULL,
	      "_ZN8Pipeline10risky_stepEi");
}

static void test_operator_names(void **s)
{
	check("Vec::operator==", "Vec::operator==", NULL, "Vec::operator==");
	check("eq=Vec::operator==", "eq", NULL, "Vec::operator==");
}

static void test_bad(void **s)
{
	struct task_spec t;

	assert_int_equal(task_spec__parse("", &t), -EINVAL);
	assert_int_equal(task_spec__parse("name=", &t), -EINVAL);
	assert_int_equal(task_spec__parse("lib.so:", &t), -EINVAL);
	assert_int_equal(task_spec__parse(":sym", &t), -EINVAL);
	assert_int_equal(task_spec__parse(NULL, &t), -EINVAL);
}

static void test_metacharacters_kept(void **s)
{
	check("x'); DROP TABLE profiles;--=sym", "x'); DROP TABLE profiles;--", NULL, "sym");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_cxx_names),
		cmocka_unit_test(test_operator_names),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_metacharacters_kept),
	};
	return cmocka_run_group_tests_name("spec", tests, NULL, NULL);
}
