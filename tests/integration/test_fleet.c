// SPDX-License-Identifier: MIT
/*
 * A collector in a fleet: /metrics as Debian's Prometheus 2.42 scrapes it,
 * against the rows the collector stored; the endpoint's rules (404, 405,
 * run as nobody, promtool's checks); rows shipped to Debian's PostgreSQL
 * 15 exactly once, through an outage of the server and a SIGKILL of the
 * collector, compared row by row with the local database.
 *
 * usage: test_fleet BUILD_DIR
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"

#define PG_BIN "/usr/lib/postgresql/15/bin"
/* over TCP the server asks for it (scram-sha-256): it must work, unseen */
#define PG_SECRET "pw-9d1e"

static int metrics_port, prom_port;
static pid_t prom_pid;

/* A TCP port on loopback no one listens on now. */
static int free_port(void)
{
	static int next;
	char cmd[128];

	if (!next)
		next = 20000 + getpid() % 20000;
	for (int p = next++;; p = next++) {
		snprintf(cmd, sizeof(cmd), "ss -Htln 'sport = :%d' | grep -q .", p);
		if (system(cmd) != 0)
			return p;
	}
}

/* stdout of a shell command, whole */
static char *sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh(const char *fmt, ...)
{
	static char out[1 << 20];
	char cmd[4096];
	size_t n = 0, k;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((k = fread(out + n, 1, sizeof(out) - 1 - n, p)) > 0)
		n += k;
	out[n] = 0;
	pclose(p);
	return out;
}

/* The value of the first sample line starting with series, or -1. */
static double sample(const char *text, const char *series)
{
	const char *p = text;

	while ((p = strstr(p, series))) {
		if (p == text || p[-1] == '\n')
			return atof(p + strlen(series));
		p += strlen(series);
	}
	return -1;
}

/* Prometheus 2.42 in a scratch directory, scraping the collector each second. */
static void start_prometheus(void)
{
	char *dir = sb_path(sb.dir, "prom"), *conf = sb_path(sb.dir, "prom/prometheus.yml");
	char web[32], *argv[8];
	FILE *f;

	assert_int_equal(mkdir(dir, 0755), 0);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: taskprof\n"
		   "    static_configs:\n      - targets: ['127.0.0.1:%d']\n", metrics_port);
	fclose(f);
	prom_port = free_port();
	snprintf(web, sizeof(web), "127.0.0.1:%d", prom_port);
	prom_pid = fork();
	if (prom_pid == 0) {
		char a1[PATH_MAX + 32], a2[PATH_MAX + 32], a3[64];

		snprintf(a1, sizeof(a1), "--config.file=%s", conf);
		snprintf(a2, sizeof(a2), "--storage.tsdb.path=%s/data", dir);
		snprintf(a3, sizeof(a3), "--web.listen-address=%s", web);
		argv[0] = "prometheus", argv[1] = a1, argv[2] = a2, argv[3] = a3, argv[4] = NULL;
		freopen("/dev/null", "w", stderr);
		execvp("prometheus", argv);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (strstr(sh("curl -s http://%s/-/ready", web), "Ready"))
			return;
		sleep_ms(200);
	}
	fail_msg("Prometheus never became ready on %s", web);
}

static void stop_prometheus(void)
{
	if (prom_pid > 0) {
		kill(prom_pid, SIGTERM);
		reap(prom_pid);
		prom_pid = 0;
	}
}

/* One number from Prometheus's query API: the sum of an expression, once
 * a scrape has it (up to 20 s). */
static double prom_query(const char *expr)
{
	const char *out = "", *v = NULL;

	for (int i = 0; i < 100 && !v; i++) {
		if (i)
			sleep_ms(200);
		out = sh("curl -s -G http://127.0.0.1:%d/api/v1/query "
			 "--data-urlencode 'query=sum(%s)'", prom_port, expr);
		v = strstr(out, "\"value\":[");
	}
	if (!v)
		fail_msg("Prometheus has no %s: %s", expr, out);
	v = strchr(v, ',');
	return v ? atof(v + 2) : -1; /* ,"12" */
}

static void test_metrics_match_rows_as_prometheus_sees_them(void **s)
{
	char *pipe_cpu[] = { sb.pipe, "cpu", sb.work, NULL };
	char *pipe_quote[] = { sb.pipe, "quote", sb.work, NULL };
	char url[64], *text;
	struct child c;
	double rows, cpu, want_cpu, runtime;

	metrics_port = free_port();
	write_conf("[collector]\ndatabase = %s\nenv = production\nprometheus = 127.0.0.1:%d\n"
		   "[task cpu]\nbinary = %s\nsymbol = cpu_task\nstage = ingest\n"
		   "[task quote]\nbinary = %s\nsymbol = quote_task\n",
		   sb.db, metrics_port, sb.pipe, sb.pipe);
	c = start_collector();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", metrics_port);
	/* the side facing the network runs as nobody */
	assert_string_equal(sh("ps -eo user=,args= | grep -- ' __metrics 127.0.0.1:%d' | "
			       "grep -v grep | cut -d' ' -f1", metrics_port), "nobody\n");
	for (int i = 0; i < 2; i++)
		assert_int_equal(run_user(pipe_cpu, NULL, 0), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(run_user(pipe_quote, NULL, 0), 0);
	start_prometheus();
	/* a tick publishes all series at once: once this one has every row, all do,
	 * both here and in a scrape Prometheus made after it */
	for (int i = 0; i < 150; i++) {
		rows = query("SELECT count(*) FROM profiles");
		text = sh("curl -s %s/metrics", url);
		if (rows == 2 + 5 && sample(text, "taskprof_collector_rows_stored_total") == rows &&
		    prom_query("taskprof_collector_rows_stored_total") == rows)
			break;
		sleep_ms(200);
	}
	text = sh("curl -s %s/metrics", url);
	assert_int_equal(rows, 2 + 5);
	assert_int_equal(sample(text, "taskprof_task_invocations_total{task=\"cpu\",stage=\"ingest\","
				      "env=\"production\",status=\"completed\"}"), 2);
	assert_int_equal(sample(text, "taskprof_task_runtime_seconds_count{task=\"quote\",stage=\"\","
				      "env=\"production\"}"), 5);
	assert_int_equal(sample(text, "taskprof_collector_rows_stored_total"), rows);
	/* every column sum, as stored, is what the counters say */
	want_cpu = query("SELECT sum(cpu_user_seconds + cpu_system_seconds) FROM profiles");
	cpu = prom_query("taskprof_task_cpu_seconds_total");
	assert_true(want_cpu > 0.5); /* two cpu_task calls of 0.3 s */
	if (fabs(cpu - want_cpu) > 1e-6 * want_cpu + 1e-9)
		fail_msg("Prometheus has %.9f s of CPU, the rows %.9f s", cpu, want_cpu);
	runtime = query("SELECT sum(runtime_seconds) FROM profiles");
	if (fabs(prom_query("taskprof_task_runtime_seconds_sum") - runtime) > 1e-6 * runtime)
		fail_msg("runtime sum differs from the rows'");
	assert_int_equal(prom_query("taskprof_task_invocations_total"), rows);
	assert_int_equal(prom_query("taskprof_collector_info"), 1);

	/* the endpoint's rules, and the format promtool checks */
	assert_string_equal(sh("curl -s -o /dev/null -w %%{http_code} %s/other", url), "404");
	assert_string_equal(sh("curl -s -o /dev/null -w %%{http_code} -X POST %s/metrics", url),
			    "405");
	assert_string_equal(sh("curl -s %s/metrics | promtool check metrics >/dev/null 2>&1 "
			       "&& echo ok", url), "ok\n");
	stop_prometheus();
	assert_int_equal(stop_collector(&c, SIGTERM), 0);
	/* gone with the collector */
	assert_string_equal(sh("curl -s -o /dev/null -w %%{http_code} %s/metrics", url), "000");
}

/* An address in use: one line, a non-zero exit, nothing else started. */
static void test_metrics_address_taken(void **s)
{
	char *collect[] = { sb.bin, "collect", "--config", sb.conf, NULL };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* a port the kernel picks, held here */
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	write_conf("[collector]\ndatabase = %s\nprometheus = 127.0.0.1:%d\n"
		   "[task quote]\nbinary = %s\nsymbol = quote_task\n", sb.db, ntohs(sa.sin_port),
		   sb.pipe);
	assert_int_not_equal(run(collect, NULL), 0);
	assert_one_line_error(1, "cannot listen on 127.0.0.1");
	assert_int_equal(access(sb.db, F_OK), -1);
	close(fd);
}

/* --- PostgreSQL 15, as the postgres user, in the sandbox ------------------- */

static int pg_port;

static void pg_ctl(const char *what)
{
	char *dir = sb_path(sb.dir, "pg");
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "cd / && su postgres -s /bin/sh -c \"%s/pg_ctl -D %s/data "
		 "-o '-p %d -k %s -c listen_addresses=127.0.0.1' -l %s/log %s -w -m fast\" "
		 ">/dev/null", PG_BIN, dir, pg_port, dir, dir, what);
	assert_int_equal(system(cmd), 0);
}

static void start_postgres(void)
{
	char *dir = sb_path(sb.dir, "pg");
	char cmd[3 * PATH_MAX];

	pg_port = free_port();
	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s && echo %s >%s/pw && "
		 "chown -R postgres %s && cd / && su postgres -s /bin/sh -c '%s/initdb -D %s/data -U postgres "
		 "--auth-local=trust --auth-host=scram-sha-256 --pwfile=%s/pw' >/dev/null", dir, dir,
		 PG_SECRET, dir, dir, PG_BIN, dir, dir);
	assert_int_equal(system(cmd), 0);
	pg_ctl("start");
	snprintf(cmd, sizeof(cmd), "PGPASSWORD=%s psql -h 127.0.0.1 -p %d -U postgres -qc "
		 "'CREATE DATABASE fleet' >/dev/null", PG_SECRET, pg_port);
	assert_int_equal(system(cmd), 0);
}

static const char *psql(const char *sql)
{
	return sh("PGPASSWORD=%s psql -h 127.0.0.1 -p %d -U postgres -At fleet -c \"%s\" 2>&1",
		  PG_SECRET, pg_port, sql);
}

/* The rows of the local database and of the central one, as the same text. */
static void dump_both(char **local, char **central)
{
	static char l[1 << 18], c[1 << 18];
	const char *nums[] = { "runtime_seconds", "cpu_user_seconds", "cpu_system_seconds",
			       "memory_usage_peak_mb" };
	char lq[2048] = "SELECT id, process_name, task_start_time, task_end_time",
	     cq[2048] = "SELECT local_id, process_name, to_char(task_start_time AT TIME ZONE "
			"'UTC', 'YYYY-MM-DD\\\"T\\\"HH24:MI:SS.US\\\"Z\\\"'), to_char(task_end_time "
			"AT TIME ZONE 'UTC', 'YYYY-MM-DD\\\"T\\\"HH24:MI:SS.US\\\"Z\\\"')";

	/* reals to 9 places alike; NULL as -1 */
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		snprintf(lq + strlen(lq), sizeof(lq) - strlen(lq),
			 ", printf('%%.9f', coalesce(%s, -1))", nums[i]);
		snprintf(cq + strlen(cq), sizeof(cq) - strlen(cq),
			 ", round(coalesce(%s, -1)::numeric, 9)", nums[i]);
	}
	strcat(lq, ", file_read_bytes, exceptions_raised, status, pid, tid, session_id, env "
		   "FROM profiles ORDER BY id");
	strcat(cq, ", file_read_bytes, exceptions_raised, status, pid, tid, session_id, env "
		   "FROM profiles ORDER BY local_id");
	snprintf(l, sizeof(l), "%s", sh("sqlite3 -separator '|' '%s' \"%s\"", sb.db, lq));
	snprintf(c, sizeof(c), "%s", psql(cq));
	*local = l;
	*central = c;
}

/* Waits until the central database holds n invocations of task, as rows
 * and rollups; fails after 30 s. */
static void wait_central(const char *task, int n)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM profiles WHERE process_name = "
		 "'%s') + (SELECT coalesce(sum(invocations), 0) FROM rollups WHERE "
		 "process_name = '%s')", task, task);
	for (int i = 0; i < 150; i++) {
		if (atoi(psql(sql)) == n)
			return;
		sleep_ms(200);
	}
	fail_msg("the central database has %s invocations of %s, not %d", psql(sql), task, n);
}

static void run_quotes(int n)
{
	char *pipe_quote[] = { sb.pipe, "quote", sb.work, NULL };

	for (int i = 0; i < n; i++)
		assert_int_equal(run_user(pipe_quote, NULL, 0), 0);
}

/* 100,000 calls: beyond 200 rows a second they are rolled up. */
static void run_burst(void)
{
	char *gt = sb_path(sb.work, "gt-burst"), *burst[] = { sb.pipe, "burst", sb.work, NULL };

	assert_int_equal(run_user(burst, gt, 0), 0);
	assert_int_equal(gt_get(gt, "calls"), 100000);
}

/* The rollups of both databases as the same text: each (session, task,
 * second) with its counts and runtime sums. */
static void rollups_both(char **local, char **central)
{
	static char l[1 << 16], c[1 << 16];

	snprintf(l, sizeof(l), "%s", sh("sqlite3 -separator '|' '%s' \"SELECT session_id, "
					"process_name, second, invocations, completed, unwound, "
					"exited, printf('%%.9f', sum_runtime_seconds), "
					"printf('%%.9f', max_runtime_seconds) FROM rollups ORDER BY "
					"session_id, process_name, second\"", sb.db));
	snprintf(c, sizeof(c), "%s", psql("SELECT session_id, process_name, to_char(second AT "
					  "TIME ZONE 'UTC', 'YYYY-MM-DD\\\"T\\\"HH24:MI:SS.US"
					  "\\\"Z\\\"'), invocations, completed, unwound, exited, "
					  "round(sum_runtime_seconds::numeric, 9), "
					  "round(max_runtime_seconds::numeric, 9) FROM rollups ORDER BY "
					  "session_id, process_name, second"));
	*local = l;
	*central = c;
}

/* Runs taskprof with argv; its status, and fails if the password shows. */
static int run_unseen(char *const argv[])
{
	int rc = run(argv, NULL);

	if (strstr(out_buf, PG_SECRET) || strstr(err_buf, PG_SECRET))
		fail_msg("%s %s showed the password: %s%s", argv[1], argv[3], out_buf, err_buf);
	return rc;
}

/* The rows again through `list`, less the ids, which are central there. */
static char *rows_of(const char *db, const char *host)
{
	return sh("'%s' list --db '%s' %s%s --format csv | cut -d, -f3-", sb.bin, db,
		  host ? "--host " : "", host ? host : "");
}

/* The same DataFrame from Python over either database, but for the ids. */
static const char py_same[] =
	"import sys\n"
	"from taskprof import ProfileRepo\n"
	"l = ProfileRepo(sys.argv[1]).get_all()\n"
	"c = ProfileRepo(sys.argv[2], host='node-a').get_all()\n"
	"cols = [x for x in l.columns if x not in ('id', 'session_id')]\n"
	"print(len(l), l[cols].equals(c[cols]), c.session_id.isna().sum())\n";

/* The fleet read back through the CLI and Python: what the local file
 * gives, with the password never shown; ~/.pgpass's file works too. */
static void check_read_back(void)
{
	static char local[1 << 20];
	char uri[256], bare[256], s2[32], cwd[PATH_MAX];
	char html[PATH_MAX], trace[PATH_MAX];
	char *pgpass = sb_path(sb.dir, "pgpass");
	char *stats_l[] = { sb.bin, "stats", "--db", sb.db, "--format", "csv", NULL };
	char *stats_c[] = { sb.bin, "stats", "--db", uri, "--host", "node-a", "--format", "csv", NULL };
	char *sessions[] = { sb.bin, "sessions", "--db", uri, NULL };
	char *nobody[] = { sb.bin, "list", "--db", uri, "--host", "node-b", "--format", "csv", NULL };
	char *diff[] = { sb.bin, "diff", "--db", uri, "1", s2, NULL };
	char *report[] = { sb.bin, "report", "--db", uri, "--session", s2, "-o", html, NULL };
	char *export[] = { sb.bin, "export", "--db", bare, "--session", s2, "--format",
			   "chrome-trace", "-o", trace, NULL };
	char *host_of_file[] = { sb.bin, "list", "--db", sb.db, "--host", "node-a", NULL };
	char *rm[] = { sb.bin, "rm", "--db", uri, "1", NULL };

	snprintf(uri, sizeof(uri), "postgresql://postgres:%s@127.0.0.1:%d/fleet", PG_SECRET,
		 pg_port);
	snprintf(bare, sizeof(bare), "postgresql://postgres@127.0.0.1:%d/fleet", pg_port);
	snprintf(html, sizeof(html), "%s/fleet.html", sb.dir);
	snprintf(trace, sizeof(trace), "%s/fleet.json", sb.dir);
	assert_int_equal(run_unseen(stats_l), 0);
	snprintf(local, sizeof(local), "%s", out_buf);
	assert_int_equal(run_unseen(stats_c), 0);
	assert_string_equal(out_buf, local);
	snprintf(local, sizeof(local), "%s", rows_of(sb.db, NULL));
	assert_int_equal(count_lines(local), 1 + query("SELECT count(*) FROM profiles"));
	assert_string_equal(rows_of(uri, NULL), local);
	assert_string_equal(rows_of(uri, "node-a"), local);
	assert_int_equal(run_unseen(nobody), 0);
	assert_int_equal(count_lines(out_buf), 1); /* the header alone */

	/* sessions under central ids, each saying its host's own */
	assert_int_equal(run_unseen(sessions), 0);
	assert_non_null(strstr(out_buf, " node-a:1 "));
	snprintf(s2, sizeof(s2), "%s", psql("SELECT max(id) FROM sessions"));
	s2[strcspn(s2, "\n")] = 0;
	assert_in_range(run_unseen(diff), 0, 1);
	assert_non_null(strstr(out_buf, "quote"));
	assert_int_equal(run_unseen(report), 0);
	assert_string_equal(sh("grep -c %s '%s'", PG_SECRET, html), "0\n");
	assert_string_equal(sh("grep -c quote '%s'", html), "1\n");

	/* no password in the URI: none to give, then a PGPASSFILE that has it */
	assert_int_not_equal(run_unseen(export), 0);
	assert_one_line_error(1, "cannot connect to the central database");
	sh("echo '127.0.0.1:%d:fleet:postgres:%s' >'%s' && chmod 600 '%s'", pg_port, PG_SECRET, pgpass,
	   pgpass);
	setenv("PGPASSFILE", pgpass, 1);
	assert_int_equal(run_unseen(export), 0);
	unsetenv("PGPASSFILE");
	assert_non_null(strstr(sh("cat '%s'", trace), "quote"));

	/* only collectors write there: rm is one line, and opens no file named
	 * after the server */
	assert_int_not_equal(run_unseen(rm), 0);
	assert_one_line_error(1, "a central database is written only by the collectors");
	assert_string_equal(sh("ls | grep -c '^postgresql'"), "0\n");
	assert_int_equal(atoi(psql("SELECT count(*) FROM profiles WHERE id = 1")), 1);

	/* --host is for a fleet's database: a SQLite file is one host's */
	assert_int_not_equal(run_unseen(host_of_file), 0);
	assert_one_line_error(1, "--host reads a central postgresql:// database");

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(local, sizeof(local), "%lld True 0\n",
		 (long long)query("SELECT count(*) FROM profiles"));
	assert_string_equal(sh("PYTHONPATH='%s/python' /usr/bin/python3 -c \"%s\" '%s' '%s' 2>&1",
			       cwd, py_same, sb.db, uri), local);
}

static void test_rows_shipped_exactly_once(void **s)
{
	const char *secret = PG_SECRET;
	char *local, *central, *status_cmd[] = { sb.bin, "status", "--db", sb.db, NULL };
	struct child c;

	start_postgres();
	metrics_port = free_port();
	write_conf("[collector]\ndatabase = %s\nhost = node-a\nprometheus = 127.0.0.1:%d\n"
		   "postgresql = host=127.0.0.1 port=%d dbname=fleet user=postgres password=%s\n"
		   "[task quote]\nbinary = %s\nsymbol = quote_task\n"
		   "[task burst]\nbinary = %s\nsymbol = trivial_task\nmax_rows_per_second = 200\n",
		   sb.db, metrics_port, pg_port, secret, sb.pipe, sb.pipe);
	assert_int_equal(chmod(sb.conf, 0600), 0);
	c = start_collector();
	run_quotes(5);
	run_burst();
	wait_central("quote", 5);
	wait_central("burst", 100000);

	/* the server away: rows wait, said in status; then they all arrive */
	pg_ctl("stop");
	run_quotes(4);
	/* the shipper notices within a second, status is written every two */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(run(status_cmd, NULL), 0);
		if (strstr(out_buf, "last error"))
			break;
		sleep_ms(200);
	}
	assert_non_null(strstr(out_buf, "shipping to postgresql"));
	assert_non_null(strstr(out_buf, "last error"));
	assert_null(strstr(out_buf, secret));
	/* the backlog metric has them; the password is nowhere in /metrics */
	assert_true(sample(sh("curl -s 127.0.0.1:%d/metrics", metrics_port),
			   "taskprof_collector_ship_backlog_rows") >= 4);
	assert_null(strstr(sh("curl -s 127.0.0.1:%d/metrics", metrics_port), secret));
	pg_ctl("start");
	wait_central("quote", 9);

	/* killed at any moment, and started again: nothing twice, nothing lost */
	kill(c.pid, SIGKILL);
	reap(c.pid);
	fclose(c.out);
	c = start_collector();
	run_quotes(3);
	run_burst();
	wait_central("quote", 12);
	wait_central("burst", 200000);
	assert_int_equal(stop_collector(&c, SIGTERM), 0);
	dump_both(&local, &central);
	assert_int_equal(count_lines(local), query("SELECT count(*) FROM profiles"));
	assert_string_equal(central, local);
	assert_int_equal(atoi(psql("SELECT count(DISTINCT (host, spool, local_id)) FROM profiles")),
			 query("SELECT count(*) FROM profiles"));
	rollups_both(&local, &central);
	assert_true(count_lines(local) >= 2); /* one burst a session, at least */
	assert_string_equal(central, local);
	/* every session, each under a global id; the last one ended there too */
	assert_int_equal(atoi(psql("SELECT count(*) FROM sessions WHERE host = 'node-a'")),
			 (int)query("SELECT count(*) FROM sessions"));
	assert_string_equal(psql("SELECT status FROM sessions ORDER BY local_id DESC LIMIT 1"),
			    "completed\n");
	assert_non_null(strstr(psql("SELECT global_id FROM sessions ORDER BY local_id LIMIT 1"),
			       "node-a:"));
	check_read_back();
	pg_ctl("stop");
}

/*
 * The server away for good and a spool bound of 3: the oldest unshipped
 * rows go, said on stderr and counted with the session as spool_full;
 * once a server is there, what is left ships.
 */
static void test_spool_bound(void **s)
{
	char said[8192] = "";
	struct child c;
	size_t n;

	start_postgres();
	pg_ctl("stop");
	write_conf("[collector]\ndatabase = %s\nhost = node-b\nspool_max_rows = 3\n"
		   "postgresql = host=127.0.0.1 port=%d dbname=fleet user=postgres password=%s\n"
		   "[task quote]\nbinary = %s\nsymbol = quote_task\n", sb.db, pg_port, PG_SECRET,
		   sb.pipe);
	assert_int_equal(chmod(sb.conf, 0600), 0);
	c = start_collector();
	run_quotes(6);
	/* a failed round trims: backoff reaches 30 s */
	for (int i = 0; i < 300 && query("SELECT max(id) - min(id) FROM profiles") != 2; i++)
		sleep_ms(200);
	assert_int_equal(query("SELECT count(*) FROM profiles"), 3);
	assert_int_equal(query("SELECT min(id) FROM profiles"), 4); /* the newest stay */
	kill(c.pid, SIGTERM);
	reap(c.pid);
	n = fread(said, 1, sizeof(said) - 1, c.out);
	said[n] = 0;
	fclose(c.out);
	if (!strstr(said, "more than spool_max_rows = 3: deleted the oldest 3"))
		fail_msg("the collector did not say what it dropped: %s", said);
	assert_null(strstr(said, PG_SECRET));
	assert_true(query("SELECT instr(loss_detail, 'spool_full=3') FROM sessions") > 0);
	assert_true(query("SELECT events_lost FROM sessions") >= 3);

	pg_ctl("start");
	c = start_collector();
	wait_central("quote", 3);
	assert_int_equal(stop_collector(&c, SIGTERM), 0);
	assert_string_equal(psql("SELECT string_agg(local_id::text, ',' ORDER BY local_id) FROM "
				 "profiles"), "4,5,6\n");

	/* the database deleted and made again at the same path: its ids start
	 * over, and it is another spool, not one the server already holds */
	sh("rm -f '%s' '%s-wal' '%s-shm'", sb.db, sb.db, sb.db);
	c = start_collector();
	run_quotes(2);
	wait_central("quote", 5);
	assert_int_equal(stop_collector(&c, SIGTERM), 0);
	assert_string_equal(psql("SELECT string_agg(local_id::text, ',' ORDER BY spool <> "
				 "(SELECT spool FROM profiles WHERE local_id = 4), local_id) FROM "
				 "profiles"), "4,5,6,1,2\n");
	pg_ctl("stop");
}

/* sslmode is libpq's to honour: require, of a server without TLS, is a
 * refusal, said in status, not a connection in the clear. */
static void test_sslmode_honoured(void **s)
{
	char *status_cmd[] = { sb.bin, "status", "--db", sb.db, NULL };
	struct child c;

	start_postgres();
	write_conf("[collector]\ndatabase = %s\npostgresql = postgresql://postgres:%s@127.0.0.1:"
		   "%d/fleet?sslmode=require\n[task quote]\nbinary = %s\nsymbol = quote_task\n",
		   sb.db, PG_SECRET, pg_port, sb.pipe);
	assert_int_equal(chmod(sb.conf, 0600), 0);
	c = start_collector();
	run_quotes(1);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(run(status_cmd, NULL), 0);
		if (strstr(out_buf, "last error"))
			break;
		sleep_ms(200);
	}
	if (!strstr(out_buf, "SSL"))
		fail_msg("status does not say the server refused TLS: %s", out_buf);
	assert_null(strstr(out_buf, PG_SECRET));
	assert_int_equal(stop_collector(&c, SIGTERM), 0);
	/* never in the clear: nothing reached the server */
	assert_string_equal(psql("SELECT count(*) FROM pg_tables WHERE tablename = 'profiles'"),
			    "0\n");
	pg_ctl("stop");
}

static int teardown_all(void **state)
{
	char cmd[2 * PATH_MAX];

	stop_prometheus();
	/* a test that failed half-way leaves its server running */
	snprintf(cmd, sizeof(cmd), "cd / && su postgres -s /bin/sh -c '%s/pg_ctl -D %s/data stop "
		 "-m immediate' >/dev/null 2>&1", PG_BIN, sb_path(sb.dir, "pg"));
	if (system(cmd) < 0)
		return -1;
	return teardown_sandbox(state);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_metrics_match_rows_as_prometheus_sees_them, fresh),
		cmocka_unit_test_setup(test_metrics_address_taken, fresh),
		cmocka_unit_test_setup(test_rows_shipped_exactly_once, fresh),
		cmocka_unit_test_setup(test_spool_bound, fresh),
		cmocka_unit_test_setup(test_sslmode_honoured, fresh),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("fleet", tests, setup_sandbox, teardown_all);
}
