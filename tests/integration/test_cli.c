// SPDX-License-Identifier: MIT
/*
 * The command line: exit statuses passed through, names stored verbatim,
 * and bad input (one line on stderr, a non-zero exit, nothing harmed).
 *
 * usage: test_cli BUILD_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* The command exits 37 on its own: neither taskprof's usage error (2) nor
 * any failure of its own is 37. */
static void test_exit_status_passed_through(void **s)
{
	const char *tasks[] = { "cpu_task", NULL };

	assert_int_equal(record(fresh_db("st.db"), target, "exit37", NULL, tasks, NULL), 37);
}

static void test_metacharacter_name_verbatim(void **s)
{
	static const char name[] = "x'); DROP TABLE profiles;-- \"q\"";
	char spec[256], *db = fresh_db("meta.db");
	const char *tasks[] = { spec, NULL };
	struct profile_list l;

	snprintf(spec, sizeof(spec), "%s=quote_task", name);
	assert_int_equal(record(db, target, "quote", NULL, tasks, NULL), 0);
	rows(db, name, &l);
	assert_int_equal(l.len, 1);
	assert_string_equal(l.items[0].process_name, name);
	profile_list__free(&l);
}

/* With -q the launched command's stdout, stderr and status are its own. */
static void test_quiet_output_is_the_targets(void **s)
{
	char spec[PATH_MAX], script[PATH_MAX + 64], out[256], err[256];
	char *plain[] = { "/bin/sh", "-c", script, NULL };
	char *quiet[] = { tp_bin, "record", "-q", "--db", fresh_db("quiet.db"), "-t", spec, "--",
			  "/bin/sh", "-c", script, NULL };

	snprintf(spec, sizeof(spec), "%s:cpu_task", target);
	snprintf(script, sizeof(script), "echo out; echo err >&2; exec '%s' exit37", target);
	assert_int_equal(run(plain, NULL), 37);
	snprintf(out, sizeof(out), "%s", out_buf);
	snprintf(err, sizeof(err), "%s", err_buf);
	assert_string_equal(err, "err\n");
	assert_int_equal(run(quiet, NULL), 37);
	assert_string_equal(out_buf, out);
	assert_string_equal(err_buf, err);
}

/* --- bad input: one line, a non-zero exit, nothing harmed ---------------------------- */

static void test_bad_missing_pid(void **s)
{
	char *argv[] = { tp_bin, "record", "--db", fresh_db("bad.db"), "-t", "x", "-p", "999999",
			 NULL };

	assert_one_line_error(run(argv, NULL), "no process with PID 999999");
	assert_int_equal(access(path_in("bad.db"), F_OK), -1);
}

static void test_bad_unknown_symbol(void **s)
{
	const char *tasks[] = { "cpu_tsk", NULL };

	assert_one_line_error(record(fresh_db("bad.db"), target, "cpu", NULL, tasks, NULL),
			      "unknown symbol 'cpu_tsk'");
	assert_non_null(strstr(err_buf, "cpu_task"));
}

static void test_bad_stripped(void **s)
{
	char cmd[3 * PATH_MAX];
	const char *tasks[] = { "cpu_task", NULL };

	/* quoted: the checkout's path may hold a space */
	snprintf(cmd, sizeof(cmd), "strip -s -o '%s' '%s'", path_in("stripped"), target);
	assert_int_equal(system(cmd), 0);
	assert_one_line_error(record(fresh_db("bad.db"), path_in("stripped"), "cpu", NULL, tasks,
				     NULL),
			      "stripped");
}

static void test_bad_go_binary(void **s)
{
	char cmd[4 * PATH_MAX];
	const char *tasks[] = { "cpu_task", NULL };

	snprintf(cmd, sizeof(cmd),
		 "printf x > '%s' && objcopy --add-section .go.buildinfo='%s' '%s' '%s'",
		 path_in("empty"), path_in("empty"), target, path_in("gofake"));
	assert_int_equal(system(cmd), 0);
	assert_one_line_error(record(fresh_db("bad.db"), path_in("gofake"), "cpu", NULL, tasks,
				     NULL),
			      "Go");
}

/*
 * Run as nobody from a copy in a directory nobody may enter: the checkout
 * itself may sit under a 0700 home or mktemp -d directory.
 */
static void test_bad_no_privilege(void **s)
{
	char dir[] = "/tmp/taskprof-nopriv.XXXXXX", bin[64], db[64], cmd[PATH_MAX + 64];
	char *argv[] = { bin, "record", "--db", db, "-t", "main", "--", "/bin/true", NULL };

	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(bin, sizeof(bin), "%s/taskprof", dir);
	snprintf(db, sizeof(db), "%s/nopriv.db", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", tp_bin, bin);
	assert_int_equal(system(cmd), 0);
	assert_one_line_error(run_as(argv, NULL, 65534), "needs root");
	assert_int_equal(access(db, F_OK), -1);
	unlink(bin);
	rmdir(dir);
}

static void test_bad_corrupt_db_untouched(void **s)
{
	char *db = fresh_db("corrupt.db"), before[8192], after[8192];
	const char *tasks[] = { "cpu_task", NULL };
	FILE *f = fopen(db, "w");

	for (size_t i = 0; i < sizeof(before); i++)
		before[i] = (char)(i * 31 + 7);
	fwrite(before, 1, sizeof(before), f);
	fclose(f);
	assert_one_line_error(record(db, target, "sleep", NULL, tasks, NULL), "untouched");
	slurp(db, after, sizeof(after)); /* reads at most sizeof-1 */
	assert_memory_equal(before, after, sizeof(after) - 1);
	{
		struct stat sb;

		assert_int_equal(stat(db, &sb), 0);
		assert_int_equal(sb.st_size, sizeof(before));
	}
}

static void test_bad_unwritable_db(void **s)
{
	const char *tasks[] = { "cpu_task", NULL };

	assert_one_line_error(record("/nonexistent-dir/taskprof.db", target, "sleep", NULL, tasks,
				     NULL),
			      "cannot open");
}

static void test_bad_no_task(void **s)
{
	char *argv[] = { tp_bin, "record", "--db", fresh_db("bad.db"), "--", "/bin/true", NULL };

	assert_one_line_error(run(argv, NULL), "no task given");
}

static void test_bad_rm_missing_id(void **s)
{
	const char *tasks[] = { "quote_task", NULL };
	char *db = fresh_db("rm.db");
	char *argv[] = { tp_bin, "rm", "--db", db, "12345", NULL };
	char *argv2[] = { tp_bin, "rm", "--db", db, "1", NULL };

	assert_int_equal(record(db, target, "quote", NULL, tasks, NULL), 0);
	assert_one_line_error(run(argv, NULL), "no profile with id 12345");
	assert_int_equal(run(argv2, NULL), 0);
	assert_one_line_error(run(argv2, NULL), "no profile with id 1");
}

static void test_list_missing_db_creates_nothing(void **s)
{
	char *db = fresh_db("never.db");
	char *argv[] = { tp_bin, "list", "--db", db, NULL };

	assert_one_line_error(run(argv, NULL), "no database");
	assert_int_equal(access(db, F_OK), -1);
}

static void test_list_formats(void **s)
{
	const char *tasks[] = { "quote_task", NULL };
	char *db = fresh_db("fmt.db");
	char *csv[] = { tp_bin, "list", "--db", db, "--format", "csv", NULL };
	char *json[] = { tp_bin, "list", "--db", db, "--format", "json", NULL };
	char *show[] = { tp_bin, "show", "--db", db, "1", NULL };

	assert_int_equal(record(db, target, "quote", NULL, tasks, NULL), 0);
	assert_int_equal(run(csv, NULL), 0);
	assert_non_null(strstr(out_buf, "id,session_id,env,stage,process_name"));
	assert_int_equal(count_lines(out_buf), 2);
	assert_int_equal(run(json, NULL), 0);
	assert_non_null(strstr(out_buf, "\"process_name\": \"quote_task\""));
	assert_int_equal(run(show, NULL), 0);
	assert_non_null(strstr(out_buf, "completed"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status_passed_through),
		cmocka_unit_test(test_metacharacter_name_verbatim),
		cmocka_unit_test(test_quiet_output_is_the_targets),
		cmocka_unit_test(test_bad_missing_pid),
		cmocka_unit_test(test_bad_unknown_symbol),
		cmocka_unit_test(test_bad_stripped),
		cmocka_unit_test(test_bad_go_binary),
		cmocka_unit_test(test_bad_no_privilege),
		cmocka_unit_test(test_bad_corrupt_db_untouched),
		cmocka_unit_test(test_bad_unwritable_db),
		cmocka_unit_test(test_bad_no_task),
		cmocka_unit_test(test_bad_rm_missing_id),
		cmocka_unit_test(test_list_missing_db_creates_nothing),
		cmocka_unit_test(test_list_formats),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
