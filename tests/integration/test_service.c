// SPDX-License-Identifier: MIT
/*
 * The collector as a service: SIGHUP with a broken file and then a good
 * one, rate limits against exact counts, a binary replaced by a deploy, a
 * glob that matches later, the database's modes and its unprivileged
 * readers while it is written, status, and every refusal: a symlinked
 * database, a directory others can write, a second collector, no
 * privilege, a database deleted under it, and each kind of configuration
 * mistake, as one line.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"

/* The next line of f containing needle, into line; fails at end of file. */
static void line_with(FILE *f, const char *needle, char *line, size_t len)
{
	while (fgets(line, len, f))
		if (strstr(line, needle))
			return;
	fail_msg("no line with '%s'", needle);
}

/* The 1-based line of text that starts with prefix. */
static int line_of(const char *text, const char *prefix)
{
	int n = 1;

	for (const char *p = text; *p; p++) {
		if ((p == text || p[-1] == '\n') && !strncmp(p, prefix, strlen(prefix)))
			return n;
		n += *p == '\n';
	}
	fail_msg("no line starts with '%s'", prefix);
	return 0;
}

static void expect_in(const char *hay, const char *fmt, ...)
{
	char needle[PATH_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(needle, sizeof(needle), fmt, ap);
	va_end(ap);
	if (!strstr(hay, needle))
		fail_msg("'%s' lacks '%s'", hay, needle);
}

/*
 * A broken file on SIGHUP is refused with one line naming its file and
 * line, and the running configuration keeps working; a good one then
 * adds a task and removes another.
 */
static void test_sighup_broken_then_good(void **s)
{
	char broken[4096], good[4096], line[1024];
	char *run_argv[] = { sb.pipe, "quote,sleep", sb.work, NULL };
	struct child col;

	write_base_conf();
	col = start_collector();
	snprintf(broken, sizeof(broken), base_conf, sb.db, sb.pipe, sb.pipe, sb.pipe);
	strcat(broken, "\n[task nap]\nbinary = ");
	strcat(broken, sb.pipe);
	strcat(broken, "\nsymbol = sleep_task\nmax_rows_per_second = lots\n");
	write_conf("%s", broken);
	kill(col.pid, SIGHUP);
	line_with(col.out, "reload refused", line, sizeof(line));
	expect_in(line, "config: %s:%d: max_rows_per_second", sb.conf,
		  line_of(broken, "max_rows_per_second"));
	assert_int_equal(run_user(run_argv, NULL, NOBODY), 0);

	/* nap added, quote gone */
	snprintf(good, sizeof(good),
		 "[collector]\ndatabase = %s\n[task cpu]\nbinary = %s\nsymbol = cpu_task\n"
		 "[task nap]\nbinary = %s\nsymbol = sleep_task\n", sb.db, sb.pipe, sb.pipe);
	write_conf("%s", good);
	kill(col.pid, SIGHUP);
	line_with(col.out, "reloaded", line, sizeof(line));
	assert_int_equal(run_user(run_argv, NULL, NOBODY), 0);
	assert_int_equal(stop_collector(&col, SIGINT), 0);

	/* before the good file: the old configuration, quote and no nap */
	assert_near(query("SELECT count(*) FROM profiles WHERE process_name = 'quote'"), 1, 0);
	assert_near(query("SELECT count(*) FROM profiles WHERE process_name = 'nap'"), 1, 0);
	assert_near(query("SELECT min(runtime_seconds) FROM profiles WHERE process_name = 'nap'"),
		    0.15, 0.05);
	assert_near(query("SELECT count(*) FROM sessions WHERE config LIKE '%%[task nap]%%' AND "
			  "config NOT LIKE '%%lots%%' AND status = 'completed'"), 1, 0);
}

/*
 * 100,000 calls at full speed, 200 rows a second allowed: every second
 * stores at most 200 rows, a second with a rollup stored exactly 200, and
 * rows plus rolled-up invocations are the calls the pipeline made.
 */
static void test_rate_limit_exact(void **s)
{
	char *gt = sb_path(sb.work, "gt-burst"), *argv[] = { sb.pipe, "burst", sb.work, NULL };
	struct child col;

	write_conf("[collector]\ndatabase = %s\n[task burst]\nbinary = %s\n"
		   "symbol = trivial_task\nmax_rows_per_second = 200\n", sb.db, sb.pipe);
	col = start_collector();
	assert_int_equal(run_user(argv, gt, 0), 0);
	assert_int_equal(stop_collector(&col, SIGTERM), 0);

	assert_near(query("SELECT (SELECT count(*) FROM profiles) + "
			  "(SELECT sum(invocations) FROM rollups)"), gt_get(gt, "calls"), 0);
	assert_near(query("SELECT max(n) FROM (SELECT count(*) n FROM profiles "
			  "GROUP BY substr(task_end_time, 1, 19))"), 200, 0);
	assert_near(query("SELECT count(*) FROM rollups r WHERE (SELECT count(*) FROM profiles "
			  "WHERE substr(task_end_time, 1, 19) = substr(r.second, 1, 19)) != 200"),
		    0, 0);
	assert_true(query("SELECT count(*) FROM rollups") >= 1);
	assert_near(query("SELECT sum(invocations - completed) FROM rollups"), 0, 0);
	assert_true(query("SELECT min(sum_runtime_seconds) FROM rollups") > 0);
}

static void check_mode(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 07777) != 0640 || st.st_uid != 0 || st.st_gid != READERS)
		fail_msg("%s: mode %04o uid %u gid %u, expected 0640 root:users", path,
			 st.st_mode & 07777, st.st_uid, st.st_gid);
}

/* A reader's command exited as expected and said nothing on stderr. */
static void reader_ok(int rc, int expected)
{
	if (rc != expected || err_buf[0])
		fail_msg("exit %d (expected %d), stderr: %s", rc, expected, err_buf);
}

/*
 * Each line of CSV has as many fields as the header: no partial rows. The
 * output may fill the buffer; its last line is then cut by us, not them.
 */
static void check_csv(const char *csv)
{
	bool full = strlen(csv) >= sizeof(out_buf) - 1;
	int header = -1;

	for (const char *l = csv; *l;) {
		const char *end = strchr(l, '\n');
		int fields = 1;

		if (!end && full)
			break;
		for (const char *p = l; p < (end ? end : l + strlen(l)); p++)
			fields += *p == ',';
		if (header < 0)
			header = fields;
		else if (fields != header)
			fail_msg("a row with %d fields, the header has %d", fields, header);
		if (!end)
			break;
		l = end + 1;
	}
}

/*
 * The database and its WAL files are 0640 root:users; a user of that group
 * lists, shows and asks for status while rows pour in, without a single
 * error; a user outside it reads nothing.
 */
static void test_files_and_readers(void **s)
{
	char wal[PATH_MAX + 8], shm[PATH_MAX + 8];
	char *burst[] = { sb.pipe, "burst", sb.work, NULL };
	char *waiter[] = { sb.pipe, "quote", sb.work, "--wait", NULL };
	char *list[] = { sb.bin, "list", "--db", sb.db, "--format", "csv", NULL };
	char *show[] = { sb.bin, "show", "--db", sb.db, "1", NULL };
	char *status[] = { sb.bin, "status", "--db", sb.db, NULL };
	struct child col, writer, idle;

	write_conf("[collector]\ndatabase = %s\nreaders = users\n[task burst]\nbinary = %s\n"
		   "symbol = trivial_task\n[task quote]\nbinary = %s\nsymbol = quote_task\n",
		   sb.db, sb.pipe, sb.pipe);
	col = start_collector();
	snprintf(wal, sizeof(wal), "%s-wal", sb.db);
	snprintf(shm, sizeof(shm), "%s-shm", sb.db);
	check_mode(sb.db);
	check_mode(wal);
	check_mode(shm);
	idle = spawn(waiter, false);
	assert_true(wait_for(idle.out, "ready"));
	writer = spawn(burst, false);
	for (int i = 0; i < 100 && query("SELECT count(*) FROM profiles") < 1; i++)
		sleep_ms(50); /* a row to show */
	for (int i = 0; i < 15; i++) {
		reader_ok(run_user(list, NULL, NOBODY), 0);
		check_csv(out_buf);
		reader_ok(run_user(show, NULL, NOBODY), 0);
		reader_ok(run_user(status, NULL, NOBODY), 0);
	}
	assert_int_equal(reap(writer.pid), 0);
	fclose(writer.out);
	/* a report after the waiting pipeline was seen, and after the first
	 * window of BPF statistics, 20 s after the start */
	for (int i = 0; i < 150; i++) {
		reader_ok(run_user(status, NULL, NOBODY), 0);
		if (strstr(out_buf, "% of one CPU: ") && strstr(out_buf, "BPF: "))
			break;
		sleep_ms(200);
	}
	expect_in(out_buf, "collector running");
	expect_in(out_buf, "task quote: quote_task in %s", sb.pipe);
	expect_in(out_buf, "processes %d", idle.pid);
	expect_in(out_buf, "%% of one CPU: ");
	expect_in(out_buf, "lost: 0");
	/* outside the group: nothing */
	assert_one_line_error(run_as(list, NULL, NOBODY), "repo: cannot open");
	/* a collector stopped (SIGSTOP) still holds its lock: status says its report is old */
	kill(col.pid, SIGSTOP);
	sleep_ms(12500);
	reader_ok(run_user(status, NULL, NOBODY), 0);
	expect_in(out_buf, "it is stopped (SIGSTOP) or stuck");
	kill(col.pid, SIGCONT);
	kill(idle.pid, SIGUSR1);
	assert_int_equal(reap(idle.pid), 0);
	fclose(idle.out);
	assert_int_equal(stop_collector(&col, SIGTERM), 0);
	check_mode(wal);
	check_mode(shm);
	reader_ok(run_user(status, NULL, NOBODY), 3);
	expect_in(out_buf, "collector not running");
	assert_near(query("SELECT count(*) FROM profiles WHERE process_name = 'burst'"), 100000, 0);
}

/*
 * A deploy replaces the task's binary by rename: a process still running
 * the old file keeps its probes, a new one gets the new file's. Another
 * file written beside it changes nothing.
 */
static void test_binary_replaced(void **s)
{
	char *waiter[] = { sb.pipe, "quote", sb.work, "--wait", NULL };
	char *quote[] = { sb.pipe, "quote", sb.work, NULL };
	char *status[] = { sb.bin, "status", "--db", sb.db, NULL };
	char cmd[4 * PATH_MAX];
	struct child col, old;
	FILE *f;

	write_base_conf();
	col = start_collector();
	old = spawn(waiter, false);
	assert_true(wait_for(old.out, "ready"));
	f = fopen(sb_path(sb.dir, "notes.txt"), "w");
	assert_non_null(f);
	fputs("not a task\n", f);
	fclose(f);
	sleep_ms(2500); /* settled, and a status stored */
	assert_int_equal(run_user(status, NULL, NOBODY), 0);
	expect_in(out_buf, "(0 refused), 0 replans");

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.new' && mv '%s.new' '%s'", sb.pipe, sb.pipe,
		 sb.pipe, sb.pipe);
	assert_int_equal(system(cmd), 0);
	assert_true(wait_for(col.out, "task files changed"));
	assert_int_equal(run_user(quote, NULL, NOBODY), 0);
	kill(old.pid, SIGUSR1);
	assert_int_equal(reap(old.pid), 0);
	fclose(old.out);
	assert_int_equal(stop_collector(&col, SIGTERM), 0);
	assert_near(query("SELECT count(*) FROM profiles WHERE process_name = 'quote'"), 2, 0);
	assert_near(query("SELECT count(*) FROM profiles WHERE process_name = 'quote' AND pid = %d",
			  old.pid), 1, 0);
}

/* A glob that matches nothing yet, in a directory not there yet, is no
 * error: the binary is probed when a deploy puts it there. A FIFO that
 * matches it too (anyone may make one) does not hang the collector. */
static void test_glob_matches_later(void **s)
{
	char *dir = sb_path(sb.dir, "releases"), *bin = sb_path(sb.dir, "releases/v2/pipeline");
	char *quote[] = { bin, "quote", sb.work, NULL };
	char cmd[3 * PATH_MAX];
	struct child col;

	write_conf("[collector]\ndatabase = %s\n[task quote]\nbinary = %s/*/pipeline\n"
		   "symbol = quote_task\n", sb.db, dir);
	col = start_collector();
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/v1' '%s/v2' && mkfifo '%s/v1/pipeline' && "
		 "cp '%s' '%s'", dir, dir, dir, sb.pipe, bin);
	assert_int_equal(system(cmd), 0);
	assert_true(wait_for(col.out, "task files changed: 1 file probed"));
	assert_int_equal(run_user(quote, NULL, NOBODY), 0);
	assert_int_equal(stop_collector(&col, SIGTERM), 0);
	assert_near(query("SELECT count(*) FROM profiles WHERE process_name = 'quote'"), 1, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Each refusal: one line that names the problem, a non-zero exit. */
static void test_refusals(void **s)
{
	char *collect[] = { sb.bin, "collect", "--config", sb.conf, NULL };
	char *link = sb_path(sb.dir, "db/link.db"), *open_db = sb_path(sb.work, "open.db");
	struct child first;

	write_conf("[collector]\ndatabase = %s\n[task q]\nbinary = %s\nsymbol = quote_task\n", link,
		   sb.pipe);
	mkdir(sb_path(sb.dir, "db"), 0755);
	assert_int_equal(symlink(sb_path(sb.work, "elsewhere.db"), link), 0);
	assert_int_equal(run(collect, NULL), 78); /* the configuration's fault */
	assert_one_line_error(78, "symlink");
	assert_int_equal(access(sb_path(sb.work, "elsewhere.db"), F_OK), -1);

	write_conf("[collector]\ndatabase = %s\n[task q]\nbinary = %s\nsymbol = quote_task\n",
		   open_db, sb.pipe);
	assert_int_equal(run(collect, NULL), 78);
	assert_one_line_error(78, "others can write");
	assert_int_equal(access(open_db, F_OK), -1);

	write_base_conf();
	first = start_collector();
	assert_one_line_error(run(collect, NULL), "another collector writes");
	assert_int_equal(stop_collector(&first, SIGTERM), 0);
	assert_one_line_error(run_as(collect, NULL, NOBODY), "needs root");

	/* its database deleted under it: it says so and stops, exit 1 */
	first = start_collector();
	assert_int_equal(unlink(sb.db), 0);
	assert_true(wait_for(first.out, "was deleted while in use"));
	assert_int_equal(reap(first.pid), 1);
	fclose(first.out);
}

static const struct {
	const char *conf;      /* the file, after a database line; %s: the pipeline */
	const char *at;        /* the line named starts so, or NULL: no line */
	const char *says;
} bad_confs[] = {
	{ "[collector]\ncolour = blue\n[task a]\nbinary = %s\nsymbol = quote_task\n",
	  "colour", "unknown key 'colour' in [collector]" },
	{ "[task a]\nbinary = %s\nsymbol = quote_task\nmax_rows_per_second = -3\n",
	  "max_rows", "max_rows_per_second must be a whole number" },
	{ "[task a]\nbinary = bin/%s\nsymbol = quote_task\n", "binary",
	  "must be an absolute path" },
	{ "[collector]\n\n[task a]\nbinary = %s\n", "[task a]", "has no symbol" },
	{ "[task a]\nbinary = %s\nsymbol = no_such_task\n", "symbol",
	  "unknown symbol 'no_such_task'" },
	{ "[task a]\nbinary = %s\nsymbol = quote_task\n[tasks]\nx = 1\n", "x =",
	  "unknown section [tasks]" },
	{ "[collector]\nenv = dev # %s\n", NULL, "no [task NAME] section" },
	{ "[task a]\nbinary = %s\nsymbol = quote_task\nthis is not a pair\n", "this is",
	  "cannot parse this line" },
	{ "[collector]\nreaders = no-such-group\n[task a]\nbinary = %s\nsymbol = quote_task\n",
	  "readers", "no group 'no-such-group'" },
	{ "[task a]\nbinary = %s\nsymbol = quote_task\nreturns = sometimes\n", "returns",
	  "returns must be auto, sites, uretprobe or insn" },
	{ "[task]\nbinary = %s\nsymbol = quote_task\n", "binary", "[task] needs a name" },
	{ "[collector]\nringbuf_mb = 4096\n[task a]\nbinary = %s\nsymbol = quote_task\n",
	  "ringbuf_mb", "power of two from 1 to 1024" },
	{ "[collector]\nprometheus = localhost\n[task a]\nbinary = %s\nsymbol = quote_task\n",
	  "prometheus", "prometheus must be ADDRESS:PORT" },
	{ "[collector]\npostgresql = host='x\n[task a]\nbinary = %s\nsymbol = quote_task\n",
	  "postgresql", "not a libpq connection string" },
};

/* Every mistake is one line, file and line named, exit 78, no database made. */
static void test_config_errors(void **s)
{
	char *collect[] = { sb.bin, "collect", "--config", sb.conf, NULL };
	char *missing[] = { sb.bin, "collect", "--config", sb_path(sb.dir, "none.conf"), NULL };
	char text[4096], where[PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(bad_confs) / sizeof(bad_confs[0]); i++) {
		int n = snprintf(text, sizeof(text), "[collector]\ndatabase = %s\n", sb.db);

		snprintf(text + n, sizeof(text) - n, bad_confs[i].conf, sb.pipe);
		write_conf("%s", text);
		if (bad_confs[i].at)
			snprintf(where, sizeof(where), "config: %s:%d: ", sb.conf,
				 line_of(text, bad_confs[i].at));
		else
			snprintf(where, sizeof(where), "config: %s: ", sb.conf);
		assert_int_equal(run(collect, NULL), 78);
		assert_one_line_error(78, where);
		assert_one_line_error(78, bad_confs[i].says);
	}
	assert_one_line_error(run(missing, NULL), "cannot read");
	/* a directory, and a FIFO, which would block the collector for good */
	missing[3] = sb.dir;
	assert_one_line_error(run(missing, NULL), "Is a directory");
	missing[3] = sb_path(sb.dir, "fifo.conf");
	assert_int_equal(mkfifo(missing[3], 0644), 0);
	assert_one_line_error(run(missing, NULL), "not a regular file");
	unlink(missing[3]);
	assert_int_equal(access(sb.db, F_OK), -1);
}

/*
 * Root runs what the configuration names, so only root may change it, as
 * sshd's StrictModes has it: the file or a directory above it writable by
 * others, or not root's, is refused, exit 78, one line naming it; a file
 * holding a password must not be readable by others either. Accepted, the
 * password shows nowhere: not on stderr, not in the session row.
 */
static void test_config_trusted_only_from_root(void **s)
{
	char *collect[] = { sb.bin, "collect", "--config", sb.conf, NULL };
	const char *secret = "s3cret-pw";
	struct child c;
	char line[4096], cmd[PATH_MAX + 128], *dump = sb_path(sb.work, "sessions.txt");
	FILE *f;

	write_base_conf();
	assert_int_equal(chmod(sb.conf, 0666), 0);
	assert_int_equal(run(collect, NULL), 78);
	assert_one_line_error(78, "is writable by others");
	assert_int_equal(chmod(sb.conf, 0644), 0);
	assert_int_equal(chown(sb.conf, NOBODY, 0), 0);
	assert_int_equal(run(collect, NULL), 78);
	assert_one_line_error(78, "is not owned by root");
	assert_int_equal(chown(sb.conf, 0, 0), 0);
	assert_int_equal(chmod(sb.dir, 0777), 0);
	assert_int_equal(run(collect, NULL), 78);
	assert_one_line_error(78, sb.dir);
	assert_int_equal(chmod(sb.dir, 0755), 0);
	assert_int_equal(access(sb.db, F_OK), -1);

	f = fopen(sb.conf, "a");
	assert_non_null(f);
	/* a server no one listens on: shipping fails and is retried, quietly */
	fprintf(f, "[collector]\npostgresql = postgresql://tp:%s@127.0.0.1:1/fleet\n", secret);
	fclose(f);
	assert_int_equal(run(collect, NULL), 78);
	assert_one_line_error(78, "holds a password and is readable by others");
	assert_true(strstr(err_buf, secret) == NULL);
	assert_int_equal(chmod(sb.conf, 0600), 0);
	c = start_collector();
	assert_int_equal(stop_collector(&c, SIGTERM), 0);
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' 'SELECT config FROM sessions' > '%s'", sb.db,
		 dump);
	assert_int_equal(system(cmd), 0);
	slurp(dump, line, sizeof(line));
	assert_non_null(strstr(line, "postgresql = host=127.0.0.1"));
	assert_null(strstr(line, secret));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sighup_broken_then_good, fresh),
		cmocka_unit_test_setup(test_rate_limit_exact, fresh),
		cmocka_unit_test_setup(test_files_and_readers, fresh),
		cmocka_unit_test_setup(test_binary_replaced, fresh),
		cmocka_unit_test_setup(test_glob_matches_later, fresh),
		cmocka_unit_test_setup(test_refusals, fresh),
		cmocka_unit_test_setup(test_config_errors, fresh),
		cmocka_unit_test_setup(test_config_trusted_only_from_root, fresh),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("service", tests, setup_sandbox, teardown_sandbox);
}
