// SPDX-License-Identifier: MIT
/*
 * The installed unit, dist/taskprof.service, under a real systemd: PID 1 of
 * a PID and mount namespace of the test's own, with /proc, /run, /tmp and /var/log
 * private to it, and nothing started but journald and the collector. (A
 * boot of the host's own targets would run systemd-tmpfiles, which empties
 * the host's /tmp: its units are masked besides.) The unit's one change is
 * a drop-in, as an operator would write: the sandbox's database directory
 * writable, a 1 s restart delay, no default dependencies.
 *
 * Shown: Type=notify readiness; the hardening leaves the collector what it
 * needs (a pipeline run by nobody profiled, the readers' group); a broken
 * file on reload refused in the journal at priority err; a SIGKILL of the
 * collector alone restarted by Restart=on-failure, its session aborted by
 * the guardian; a stop with exit status 0, delay accounting as it was.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

#define SYSTEMD "/lib/systemd/systemd"
#define UNIT_DIR "/run/systemd/system"
#define STATE_DIR "/var/lib/taskprof" /* StateDirectory=, on the host's disk */

static pid_t init_pid; /* the namespace's PID 1, as the host sees it */
static pid_t mid_pid;  /* its parent, which waits for it */
static bool state_dir_existed;
static int delayacct_before;

static const char *const masked[] = {
	"systemd-tmpfiles-setup.service", "systemd-tmpfiles-setup-dev.service",
	"systemd-tmpfiles-clean.service", "systemd-tmpfiles-clean.timer",
	"systemd-sysctl.service", "systemd-remount-fs.service", "systemd-logind.service",
	"sysinit.target", "basic.target", "getty.target", "cron.service",
};

static void put(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	va_list ap;

	if (!f)
		_exit(126);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/*
 * dist/taskprof.service as make install writes it, pointed at the sandbox;
 * read before the namespace's /tmp hides a checkout that lives there.
 */
static char unit_text[16384];

static int read_unit(void)
{
	static const char bindir[] = "@BINDIR@/taskprof", conf[] = "/etc/taskprof/taskprof.conf";
	char src[PATH_MAX], line[1024];
	FILE *in, *out;

	snprintf(src, sizeof(src), "%s/dist/taskprof.service", TP_SRCDIR);
	in = fopen(src, "r");
	out = fmemopen(unit_text, sizeof(unit_text), "w");
	if (!in || !out)
		return -1;
	while (fgets(line, sizeof(line), in)) {
		for (const char *p = line; *p;) {
			if (!strncmp(p, bindir, strlen(bindir))) {
				fputs(sb.bin, out);
				p += strlen(bindir);
			} else if (!strncmp(p, conf, strlen(conf))) {
				fputs(sb.conf, out);
				p += strlen(conf);
			} else {
				fputc(*p++, out);
			}
		}
	}
	fclose(in);
	return fclose(out) ? -1 : 0;
}

/* PID 1 of the new namespaces: its own /run, /tmp and /var/log, then systemd. */
static void become_init(void)
{
	char path[PATH_MAX];

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/run", "tmpfs", 0, "mode=755") ||
	    mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777") ||
	    mount("tmpfs", "/var/log", "tmpfs", 0, "mode=755") ||
	    /* PIDs as systemd knows its children: else it takes them for strangers */
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		_exit(124);
	mkdir("/run/systemd", 0755);
	mkdir(UNIT_DIR, 0755);
	mkdir(UNIT_DIR "/taskprof.service.d", 0755);
	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
		snprintf(path, sizeof(path), UNIT_DIR "/%s", masked[i]);
		if (symlink("/dev/null", path))
			_exit(123);
	}
	put(UNIT_DIR "/tp-test.target",
	    "[Unit]\nDescription=taskprof test: journald alone\nDefaultDependencies=no\n"
	    "Wants=systemd-journald.service\n");
	put(UNIT_DIR "/taskprof.service.d/test.conf",
	    "[Unit]\nDefaultDependencies=no\nAfter=systemd-journald.service\n"
	    "[Service]\nReadWritePaths=%s/db\nRestartSec=1s\n", sb.dir);
	put(UNIT_DIR "/taskprof.service", "%s", unit_text);
	setenv("container", "taskprof-test", 1);
	execl(SYSTEMD, "systemd", "--system", "--unit=tp-test.target", "--log-level=warning",
	      (char *)NULL);
	_exit(127);
}

static pid_t boot(void)
{
	int p[2];
	pid_t mid, pid = 0;

	assert_int_equal(pipe(p), 0);
	mid = mid_pid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		int status;
		pid_t init;

		if (unshare(CLONE_NEWNS | CLONE_NEWPID))
			_exit(1);
		init = fork();
		if (init == 0) {
			close(p[0]);
			close(p[1]);
			become_init();
		}
		/* the middle process tells its host PID, then waits with it */
		if (write(p[1], &init, sizeof(init)) != sizeof(init))
			_exit(1);
		/* ...and passes on how it ended: 123-127 are become_init's own */
		if (waitpid(init, &status, 0) != init)
			_exit(1);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	close(p[1]);
	if (read(p[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = 0;
	close(p[0]);
	return pid;
}

/* argv run inside the namespaces (nsenter), its output in out_buf. */
static int in_ns(const char *cmd, ...)
{
	char *argv[24] = { "/usr/bin/nsenter", "-t", pid_str(init_pid), "-m", "-p" };
	int n = 5;
	va_list ap;

	argv[n++] = (char *)cmd;
	va_start(ap, cmd);
	while (n < 23 && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	return run(argv, NULL);
}

static void wait_until(const char *what, const char *value)
{
	for (int i = 0; i < 200; i++) {
		in_ns("/bin/systemctl", "show", "-p", what, "--value", "taskprof", NULL);
		if (!strncmp(out_buf, value, strlen(value)))
			return;
		sleep_ms(50);
	}
	fail_msg("taskprof.service: %s stayed %s, not %s", what, out_buf, value);
}

/* The collector stores each second: the quote rows, once there are n. */
static void expect_quotes(int n)
{
	for (int i = 0; i < 100 && query("SELECT count(*) FROM profiles WHERE process_name = "
					 "'quote'") < n; i++)
		sleep_ms(50);
	assert_near(query("SELECT count(*) FROM profiles WHERE process_name = 'quote'"), n, 0);
}

static int setup(void **s)
{
	struct stat st;

	if (access(SYSTEMD, X_OK) || access("/usr/bin/nsenter", X_OK)) {
		fprintf(stderr, "tests: no systemd to run the unit under: skipped\n");
		return 0;
	}
	if (setup_sandbox(s))
		return -1;
	delayacct_before = delayacct_get();
	state_dir_existed = !stat(STATE_DIR, &st);
	mkdir(sb_path(sb.dir, "db"), 0755);
	write_base_conf();
	if (read_unit())
		return -1;
	init_pid = boot();
	if (init_pid <= 0)
		return -1;
	for (int i = 0; i < 200; i++) { /* the manager's socket is up */
		int status;

		if (!in_ns("/bin/systemctl", "is-system-running", NULL) ||
		    strstr(out_buf, "degraded") || strstr(out_buf, "running"))
			return 0;
		/*
		 * systemd that cannot boot in this machine (no cgroup hierarchy it
		 * accepts, say) is the machine's limit, as a block device is for
		 * O_DIRECT: said and skipped. The test's own setup failing is not.
		 */
		if (waitpid(mid_pid, &status, WNOHANG) == mid_pid) {
			init_pid = 0;
			if (WIFEXITED(status) && WEXITSTATUS(status) >= 123 &&
			    WEXITSTATUS(status) <= 127) {
				fprintf(stderr, "tests: the namespace's setup failed (%d)\n",
					WEXITSTATUS(status));
				return -1;
			}
			fprintf(stderr, "tests: systemd cannot boot as PID 1 of a namespace here "
				"(status %d): the unit's test is skipped\n", status);
			return 0;
		}
		sleep_ms(50);
	}
	fprintf(stderr, "tests: systemd did not come up: %s%s\n", out_buf, err_buf);
	return -1;
}

static int teardown(void **s)
{
	if (init_pid > 0) {
		kill(init_pid, SIGKILL); /* the whole namespace goes with it */
		waitpid(mid_pid, NULL, 0);
	}
	if (!state_dir_existed)
		rmdir(STATE_DIR);
	if (delayacct_before >= 0)
		delayacct_set(delayacct_before);
	return sb.dir[0] ? teardown_sandbox(s) : 0;
}

static void test_unit_life(void **s)
{
	char *quote[] = { sb.pipe, "quote", sb.work, NULL };
	char *status[] = { sb.bin, "status", "--db", sb.db, NULL };

	if (init_pid <= 0)
		skip();
	/* Type=notify: start returns once the collector said READY=1 */
	assert_int_equal(in_ns("/bin/systemctl", "start", "taskprof", NULL), 0);
	wait_until("ActiveState", "active");
	in_ns("/bin/systemctl", "show", "-p", "StatusText", "--value", "taskprof", NULL);
	assert_non_null(strstr(out_buf, "rows/s"));

	for (int i = 0; i < 3; i++)
		assert_int_equal(run_user(quote, NULL, NOBODY), 0);
	expect_quotes(3);
	assert_int_equal(run_user(status, NULL, NOBODY), 0); /* readers = users */

	/* a broken file on reload: refused, at priority err in the journal */
	write_conf("[collector]\ndatabase = %s\n[task quote]\nbinary = %s\n", sb.db, sb.pipe);
	assert_int_equal(in_ns("/bin/systemctl", "reload", "taskprof", NULL), 0);
	for (int i = 0; i < 100; i++) {
		in_ns("/bin/journalctl", "-u", "taskprof", "-p", "err", "-o", "cat", "--no-pager",
		      NULL);
		if (strstr(out_buf, "reload refused"))
			break;
		sleep_ms(50);
	}
	assert_non_null(strstr(out_buf, "reload refused"));
	assert_non_null(strstr(out_buf, sb.conf));
	write_base_conf();

	/* the collector alone killed: its guardian aborts the session, systemd restarts it */
	assert_int_equal(in_ns("/bin/systemctl", "kill", "--kill-whom=main", "-s", "KILL",
			       "taskprof", NULL), 0);
	for (int i = 0; i < 200 && query("SELECT count(*) FROM sessions WHERE id = 2 AND status = "
					 "'running'") < 1; i++)
		sleep_ms(50); /* RestartSec=1s, then the new collector's session */
	wait_until("ActiveState", "active");
	assert_near(query("SELECT count(*) FROM sessions WHERE status = 'aborted'"), 1, 0);
	assert_near(query("SELECT count(*) FROM sessions WHERE status = 'running'"), 1, 0);
	assert_int_equal(run_user(quote, NULL, NOBODY), 0);
	expect_quotes(4);

	assert_int_equal(in_ns("/bin/systemctl", "stop", "taskprof", NULL), 0);
	in_ns("/bin/systemctl", "show", "-p", "ExecMainStatus", "--value", "taskprof", NULL);
	if (strcmp(out_buf, "0\n")) {
		in_ns("/bin/journalctl", "-u", "taskprof", "-o", "cat", "--no-pager", NULL);
		fail_msg("the collector's exit status was %s; its journal:\n%s", out_buf, out_buf);
	}
	assert_near(query("SELECT count(*) FROM sessions WHERE status = 'completed'"), 1, 0);
	assert_int_equal(delayacct_get(), delayacct_before);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_life),
	};

	if (harness_init(argc, argv))
		return 1;
	return cmocka_run_group_tests_name("systemd", tests, setup, teardown);
}
