// SPDX-License-Identifier: MIT
/*
 * What the verbs share (args.h): the usage text, option and number
 * parsing, the default database, and a database opened read-only with a
 * session's rows loaded, each failure said in one line.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"

#include "profile_repo.h"
#include "base/log.h"
#include "sink/conninfo.h"

const char cli_usage_text[] =
	"usage:\n"
	"  taskprof record [--db PATH] [--stage STAGE] [--env ENV] [--allocs] [-d SECONDS]\n"
	"                  [--returns auto|sites|uretprobe|insn] [--ringbuf-mb N] [-v | -q]\n"
	"                  -t SPEC [-t SPEC ...]  (-p PID | -- COMMAND [ARG ...])\n"
	"  taskprof list   [--db DB] [--host H] [--session ID] [--process NAME]\n"
	"                  [--format table|csv|json]\n"
	"  taskprof show   [--db PATH] ID\n"
	"  taskprof rm     [--db PATH] (ID | --process NAME)\n"
	"  taskprof collect [--config FILE] [-v]   (the always-on collector, as root)\n"
	"  taskprof collect [--config FILE] --after-stop   (tidies after a killed collector)\n"
	"  taskprof status  [--db PATH | --config FILE]\n"
	"  taskprof sessions [--db DB] [--host H]\n"
	"  taskprof stats  [--db DB] [--host H] [--session ID] [--process NAME]\n"
	"                  [--format table|csv|json]\n"
	"  taskprof diff   [--db DB] [--host H] BASE NEW [--threshold PCT] [--alpha A]\n"
	"                  [--process NAME] [--floor-time SEC] [--floor-bytes N]\n"
	"                  [--floor-memory MIB] [--format table|csv|json]   (exit 1 if a task regressed)\n"
	"  taskprof report [--db DB] [--host H] [--session ID ...] [--threshold PCT]\n"
	"                  [--alpha A] -o FILE.html\n"
	"  taskprof export [--db DB] [--host H] [--session ID] --format chrome-trace\n"
	"                  -o FILE.json\n"
	"\n"
	"SPEC is [NAME=][BINARY:]SYMBOL; --db defaults to $TASKPROF_DB or ./taskprof.db;\n"
	"collect's FILE defaults to /etc/taskprof/taskprof.conf, status reads the database\n"
	"that configuration names; BASE and NEW are session ids; report and export take\n"
	"the newest session unless told. DB is a SQLite file, or a fleet's central\n"
	"database as postgresql://USER@HOST:PORT/DBNAME (read-only; ~/.pgpass applies),\n"
	"whose sessions go by central ids and --host picks one host's\n";

/* An error gets one line; the full usage only when nothing specific is wrong. */
int cli__usage(const char *why)
{
	if (why)
		tp_err("%s (see taskprof --help)", why);
	else
		fputs(cli_usage_text, stderr);
	return 2;
}

const char *cli__default_db(void)
{
	const char *e = getenv("TASKPROF_DB");

	return e && *e ? e : "./taskprof.db";
}

int cli__bad_option(const char *cmd, char *const *argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	if (optopt && strncmp(arg, "--", 2))
		tp_err("%s: unknown option -%c, or it needs a value (see taskprof --help)", cmd, optopt);
	else
		tp_err("%s: unknown option %s, or it needs a value (see taskprof --help)", cmd, arg);
	return 2;
}

int cli__parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -EINVAL;
	*out = v;
	return 0;
}

int cli__parse_i64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

struct profile_repo *cli__open_ro(const char **db, const char *host)
{
	static char label[600];
	struct profile_repo *r = profile_repo__open(*db, PROFILE_REPO_READONLY);
	char who[512];

	if (!r) {
		tp_err("%s", profile_repo__open_error());
		return NULL;
	}
	if (host && profile_repo__set_host(r, host)) {
		tp_err("%s", profile_repo__errmsg(r));
		profile_repo__close(r);
		return NULL;
	}
	/* named from here on in messages and reports: never with a password */
	if (strstr(*db, "://")) {
		conninfo__describe(*db, who, sizeof(who));
		snprintf(label, sizeof(label), "postgresql (%s)", who);
		*db = label;
	}
	return r;
}

bool cli__format_ok(const char *f)
{
	return !strcmp(f, "table") || !strcmp(f, "csv") || !strcmp(f, "json");
}

int cli__query_args(const char *cmd, int argc, char **argv, struct query_args *q)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "host", required_argument, NULL, 'H' },
		{ "session", required_argument, NULL, 'S' },
		{ "process", required_argument, NULL, 'P' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char why[128];
	int c;

	*q = (struct query_args){ .db = cli__default_db(), .format = "table" };
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'D') {
			q->db = optarg;
		} else if (c == 'H') {
			q->host = optarg;
		} else if (c == 'P') {
			q->process = optarg;
		} else if (c == 'F') {
			q->format = optarg;
		} else if (c == 'S') {
			snprintf(why, sizeof(why), "%s: --session takes a session id, as taskprof "
						   "sessions lists them", cmd);
			if (cli__parse_i64(optarg, &q->session) || q->session <= 0)
				return cli__usage(why);
		} else if (c == 'h') {
			fputs(cli_usage_text, stdout);
			return 1;
		} else {
			return cli__bad_option(cmd, argv);
		}
	}
	snprintf(why, sizeof(why), "%s: %s", cmd, optind < argc ? "unexpected argument" :
						  "--format takes table, csv or json");
	if (optind < argc || !cli__format_ok(q->format))
		return cli__usage(why);
	return 0;
}

int cli__load_session(struct profile_repo *repo, const char *cmd, const char *db, int64_t id,
		      const char *process, struct profile_list *out)
{
	struct session s;
	int err;

	if (id) {
		err = profile_repo__get_session(repo, id, &s);
		if (err == -ENOENT) {
			tp_err("%s: no session %lld in %s: `taskprof sessions` lists them", cmd,
			       (long long)id, db);
			return err;
		}
		if (err) {
			tp_err("%s: %s", cmd, profile_repo__errmsg(repo));
			return err;
		}
		session__free(&s);
	}
	err = profile_repo__find(repo, id, process, out);
	if (err)
		tp_err("%s: %s", cmd, profile_repo__errmsg(repo));
	return err;
}
