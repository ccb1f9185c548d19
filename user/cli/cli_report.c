// SPDX-License-Identifier: MIT
/*
 * `taskprof report` (HTML) and `taskprof export` (Chrome trace): files
 * made from sessions. A file is written beside its destination and renamed
 * into place, so a failure never leaves half a report where the last was.
 */
#include <limits.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile_repo.h"
#include "analysis/compare.h"
#include "analysis/report.h"
#include "analysis/trace.h"
#include "base/log.h"
#include "base/util.h"
#include "cli/args.h"
#include "cli/cli.h"

#define REPORT_MAX_SESSIONS 8

struct output {
	const char *path; /* "-" is stdout */
	char *tmp;
	FILE *f;
};

/* Whether path is the database or one of its side files. */
static bool is_database(const char *path, const char *db)
{
	static const char *const side[] = { "", "-wal", "-shm", "-journal" };
	struct stat out, sb;

	if (stat(path, &out))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(side); i++) {
		char name[PATH_MAX];

		snprintf(name, sizeof(name), "%s%s", db, side[i]);
		if (!stat(name, &sb) && sb.st_dev == out.st_dev && sb.st_ino == out.st_ino)
			return true;
	}
	return false;
}

/*
 * A regular file (or none) is replaced whole, keeping its mode; anything
 * else (a symlink, a FIFO, a device) is written through, as a shell's >
 * would, never replaced.
 */
static int output__open(struct output *o, const char *cmd, const char *db)
{
	struct stat sb;
	bool exists = !lstat(o->path, &sb);

	if (!strcmp(o->path, "-")) {
		o->f = stdout;
		return 0;
	}
	if (is_database(o->path, db)) {
		tp_err("%s: -o %s is the database itself: give another file", cmd, o->path);
		return -EEXIST;
	}
	if (exists && !S_ISREG(sb.st_mode)) {
		o->f = fopen(o->path, "w");
		if (!o->f) {
			tp_err("%s: cannot write %s: %s", cmd, o->path, strerror(errno));
			return -errno;
		}
		return 0;
	}
	o->tmp = tp_strdup_printf("%s.tmp.%d", o->path, (int)getpid());
	o->f = o->tmp ? fopen(o->tmp, "w") : NULL;
	if (o->f && exists)
		fchmod(fileno(o->f), sb.st_mode & 07777);
	if (!o->f) {
		tp_err("%s: cannot write %s: %s", cmd, o->path, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		return -errno;
	}
	return 0;
}

/* Renames the file into place if ok, else removes it. */
static int output__close(struct output *o, const char *cmd, bool ok)
{
	int err = 0;

	if (o->f == stdout)
		return ok ? (fflush(stdout) ? -EIO : 0) : -EIO;
	if (!o->tmp) { /* written through */
		err = fclose(o->f) || !ok ? -EIO : 0;
		if (err && ok)
			tp_err("%s: cannot write %s: %s", cmd, o->path, strerror(EIO));
		return err;
	}
	if (fclose(o->f) || !ok)
		err = -EIO;
	if (!err && rename(o->tmp, o->path))
		err = -errno;
	if (err) {
		if (ok)
			tp_err("%s: cannot write %s: %s", cmd, o->path, strerror(-err));
		unlink(o->tmp);
	}
	free(o->tmp);
	return err;
}

/* The sessions asked for, or the newest one; their rows and rollups. */
static int load(struct profile_repo *repo, const char *cmd, const char *db, int64_t *ids,
		size_t n, struct report_input *in)
{
	int err;

	if (!n) {
		ids[0] = profile_repo__last_session(repo);
		if (ids[0] <= 0) {
			tp_err("%s: no sessions in %s: record one first", cmd, db);
			return -ENOENT;
		}
		n = 1;
		tp_info("%s: session %lld, the newest (--session picks another)", cmd,
			(long long)ids[0]);
	}
	in->sessions = calloc(n, sizeof(*in->sessions));
	in->rows = calloc(n, sizeof(*in->rows));
	in->rolled_up = calloc(n, sizeof(*in->rolled_up));
	if (!in->sessions || !in->rows || !in->rolled_up)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		err = cli__load_session(repo, cmd, db, ids[i], NULL, &in->rows[i]);
		if (!err)
			err = profile_repo__get_session(repo, ids[i], &in->sessions[i]);
		if (err)
			return err;
		in->n = i + 1;
		if (!in->rows[i].len)
			tp_warn("%s: session %lld has no profiles", cmd, (long long)ids[i]);
		in->rolled_up[i] = profile_repo__rolled_up(repo, ids[i], NULL);
		if (in->rolled_up[i] > 0)
			tp_warn("%s: session %lld: %lld invocations over a collector's rate limit are "
				"kept as rollups and are not in the report", cmd, (long long)ids[i],
				(long long)in->rolled_up[i]);
	}
	return 0;
}

static void unload(struct report_input *in)
{
	for (size_t i = 0; i < in->n; i++) {
		session__free(&in->sessions[i]);
		profile_list__free(&in->rows[i]);
	}
	free(in->sessions);
	free(in->rows);
	free(in->rolled_up);
}

int cli__report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "host", required_argument, NULL, 'H' },
		{ "session", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "threshold", required_argument, NULL, 't' },
		{ "alpha", required_argument, NULL, 'a' },
		{}
	};
	struct report_input in = {};
	struct output out = {};
	const char *host = NULL;
	struct diff_options o;
	struct diff d = {};
	struct profile_repo *repo;
	int64_t ids[REPORT_MAX_SESSIONS];
	size_t n = 0;
	int c, err;

	diff_options__default(&o);
	in.db = cli__default_db();
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c == 'D')
			in.db = optarg;
		else if (c == 'H')
			host = optarg;
		else if (c == 'o')
			out.path = optarg;
		else if (c == 'S' && (n == REPORT_MAX_SESSIONS || cli__parse_i64(optarg, &ids[n++]) ||
				      ids[n - 1] <= 0))
			return cli__usage("report: --session takes a session id, at most 8 times");
		else if (c == 't' && cli__parse_double(optarg, 0, 1e9, &o.threshold_pct))
			return cli__usage("report: --threshold takes a percentage, like 5");
		else if (c == 'a' && cli__parse_double(optarg, 1e-300, 1, &o.alpha))
			return cli__usage("report: --alpha takes a p-value in (0, 1], like 0.05");
		else if (c == '?')
			return cli__bad_option("report", argv);
	}
	if (optind < argc)
		return cli__usage("report: unexpected argument");
	if (!out.path)
		return cli__usage("report: give -o FILE.html");
	repo = cli__open_ro(&in.db, host);
	if (!repo)
		return 1;
	err = load(repo, "report", in.db, ids, n, &in);
	if (!err && in.n == 2) {
		err = diff__build(&in.rows[0], &in.rows[1], &o, &d);
		in.diff = &d;
		in.opts = &o;
	}
	if (!err)
		err = output__open(&out, "report", in.db);
	if (!err) {
		err = report__write(out.f, &in);
		err = output__close(&out, "report", !err) ?: err;
	}
	diff__free(&d);
	unload(&in);
	profile_repo__close(repo);
	return err ? 1 : 0;
}

int cli__export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "host", required_argument, NULL, 'H' },
		{ "session", required_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' },
		{}
	};
	const char *db = cli__default_db(), *format = NULL, *host = NULL;
	struct report_input in = {};
	struct output out = {};
	struct profile_repo *repo;
	int64_t id[1];
	size_t n = 0, cut = 0, bad = 0;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c == 'D')
			db = optarg;
		else if (c == 'H')
			host = optarg;
		else if (c == 'F')
			format = optarg;
		else if (c == 'o')
			out.path = optarg;
		else if (c == 'S' && (cli__parse_i64(optarg, &id[0]) || id[0] <= 0 || n++))
			return cli__usage("export: --session takes one session id");
		else if (c == '?')
			return cli__bad_option("export", argv);
	}
	if (optind < argc)
		return cli__usage("export: unexpected argument");
	if (!format || strcmp(format, "chrome-trace") || !out.path)
		return cli__usage("export: give --format chrome-trace -o FILE.json");
	repo = cli__open_ro(&db, host);
	if (!repo)
		return 1;
	err = load(repo, "export", db, id, n, &in);
	if (!err)
		err = output__open(&out, "export", db);
	if (!err) {
		err = trace__write(out.f, &in.rows[0], in.sessions, in.n, &cut, &bad);
		err = output__close(&out, "export", !err) ?: err;
	}
	if (!err && bad)
		tp_warn("export: %zu rows have a start time that is not ISO-8601 UTC; their events "
			"are at time 0", bad);
	if (!err && cut)
		tp_warn("export: %zu invocations ended after the invocation they began in, on the "
			"same thread; they were cut at its end to nest, as Perfetto requires", cut);
	unload(&in);
	profile_repo__close(repo);
	return err ? 1 : 0;
}
