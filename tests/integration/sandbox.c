// SPDX-License-Identifier: MIT
/*
 * What the collector tests share: a sandbox under /var/tmp that every user
 * can reach (the checkout may sit in a 0700 directory) holding copies of
 * taskprof and of the test targets, so the probes touch nothing else; a
 * configuration, a collector started and stopped, pipelines run as any
 * user, and the database read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sandbox.h"

struct sandbox sb;

char *sb_path(const char *dir, const char *name)
{
	static char bufs[8][PATH_MAX];
	static int k;
	char *b = bufs[k++ & 7];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

static void copy(const char *from, const char *to)
{
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 755 '%s'", from, to, to);
	assert_int_equal(system(cmd), 0);
}

/* Whatever a failed test left running from the sandbox goes. */
static void kill_leftovers(void)
{
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "pkill -KILL -f '^%s/' ; sleep 0.2", sb.dir);
	if (system(cmd) < 0)
		return;
}

int setup_sandbox(void **state)
{
	snprintf(sb.dir, sizeof(sb.dir), "/var/tmp/tp-collect.XXXXXX");
	if (!mkdtemp(sb.dir) || chmod(sb.dir, 0755))
		return -1;
	snprintf(sb.bin, sizeof(sb.bin), "%s", sb_path(sb.dir, "taskprof"));
	snprintf(sb.pipe, sizeof(sb.pipe), "%s", sb_path(sb.dir, "pipeline"));
	snprintf(sb.exc, sizeof(sb.exc), "%s", sb_path(sb.dir, "cxxpipeline"));
	snprintf(sb.work, sizeof(sb.work), "%s", sb_path(sb.dir, "work"));
	snprintf(sb.db, sizeof(sb.db), "%s", sb_path(sb.dir, "db/profiles.db"));
	snprintf(sb.conf, sizeof(sb.conf), "%s", sb_path(sb.dir, "taskprof.conf"));
	copy(tp_bin, sb.bin);
	copy(target, sb.pipe);
	copy(exc_target, sb.exc);
	if (mkdir(sb.work, 0777) || chmod(sb.work, 01777))
		return -1;
	return 0;
}

int teardown_sandbox(void **state)
{
	char cmd[PATH_MAX + 16];

	kill_leftovers();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sb.dir);
	return system(cmd) ? -1 : 0;
}

/* A fresh database directory for each test, nothing left running. */
int fresh(void **state)
{
	char cmd[PATH_MAX + 32];

	kill_leftovers();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/db'", sb.dir);
	return system(cmd) ? -1 : 0;
}

void write_conf(const char *fmt, ...)
{
	FILE *f = fopen(sb.conf, "w");
	va_list ap;

	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* The collector, its stderr on a pipe; returns once it said it is ready. */
struct child start_collector(void)
{
	char *argv[] = { sb.bin, "collect", "--config", sb.conf, NULL };
	struct child c = spawn(argv, true);

	if (!wait_for(c.out, "ready"))
		fail_msg("the collector never said ready");
	return c;
}

int stop_collector(struct child *c, int sig)
{
	int rc;

	kill(c->pid, sig);
	rc = reap(c->pid);
	fclose(c->out);
	return rc;
}

int run_user(char *const argv[], const char *gt, uid_t uid)
{
	static const gid_t readers[] = { READERS };

	return run_in_groups(argv, gt, uid, readers, 1);
}

static sqlite3 *open_db(void)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(sb.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

double query(const char *fmt, ...)
{
	char sql[1024];
	sqlite3_stmt *st;
	double v = -1;
	sqlite3 *db = open_db();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2 : sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The row of process_name task in pid; asserts there is exactly one. */
void row_of(const char *task, pid_t pid, struct profile *out)
{
	struct profile_repo *r = profile_repo__open(sb.db, PROFILE_REPO_READONLY);
	struct profile_list l;
	size_t found = 0;

	assert_non_null(r);
	assert_int_equal(profile_repo__get_by_process(r, task, &l), 0);
	for (size_t i = 0; i < l.len; i++)
		if (l.items[i].pid == pid) {
			found++;
			*out = l.items[i];
			memset(&l.items[i], 0, sizeof(l.items[i]));
		}
	profile_list__free(&l);
	profile_repo__close(r);
	if (found != 1)
		fail_msg("%zu rows of %s in PID %d, expected 1", found, task, pid);
}

const char base_conf[] =
	"[collector]\n"
	"database = %s\n"
	"env = production ; fills the env column\n"
	"readers = users\n"
	"\n"
	"[task cpu]\n"
	"binary = %s\n"
	"symbol = cpu_task\n"
	"stage = ingest\n"
	"\n"
	"[task write]\n"
	"binary = %s\n"
	"symbol = write_task\n"
	"\n"
	"[task quote]\n"
	"binary = %s\n"
	"symbol = quote_task\n";

void write_base_conf(void)
{
	write_conf(base_conf, sb.db, sb.pipe, sb.pipe, sb.pipe);
}
