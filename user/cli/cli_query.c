// SPDX-License-Identifier: MIT
/* `taskprof list`, `show` and `rm`: reading and removing stored profiles. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_repo.h"
#include "analysis/format.h"
#include "analysis/format_analysis.h"
#include "base/log.h"
#include "cli/args.h"
#include "cli/cli.h"

int cli__list(int argc, char **argv)
{
	struct profile_list l = {};
	struct profile_repo *repo;
	struct query_args q;
	int rc = cli__query_args("list", argc, argv, &q);

	if (rc)
		return rc == 1 ? 0 : rc;
	repo = cli__open_ro(&q.db, q.host);
	if (!repo)
		return 1;
	if (cli__load_session(repo, "list", q.db, q.session, q.process, &l)) {
		profile_repo__close(repo);
		return 1;
	}
	if (!strcmp(q.format, "csv"))
		format__csv(stdout, &l);
	else if (!strcmp(q.format, "json"))
		format__json(stdout, &l);
	else
		format__table(stdout, &l);
	profile_list__free(&l);
	profile_repo__close(repo);
	return 0;
}

int cli__sessions(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "host", required_argument, NULL, 'H' },
		{}
	};
	const char *db = cli__default_db(), *host = NULL;
	struct profile_repo *repo;
	struct session *s;
	size_t n;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'D')
			db = optarg;
		else if (c == 'H')
			host = optarg;
		else
			return cli__usage(NULL);
	}
	if (optind < argc)
		return cli__usage("sessions: unexpected argument");
	repo = cli__open_ro(&db, host);
	if (!repo)
		return 1;
	if (profile_repo__list_sessions(repo, &s, &n)) {
		tp_err("sessions: %s", profile_repo__errmsg(repo));
		profile_repo__close(repo);
		return 1;
	}
	/* a central database's sessions say where they came from: HOST:ID */
	printf("%6s %s%-9s %-27s %-27s %9s %7s  %s\n", "ID", n && s[0].origin ? "ORIGIN " : "",
	       "STATUS", "STARTED", "ENDED", "PROFILES", "LOST", "TARGET");
	for (size_t i = 0; i < n; i++) {
		char target[512], origin[256];

		printf("%6lld %s%s%-9s %-27s %-27s %9lld %7lld  %s\n", (long long)s[i].id,
		       s[i].origin ? format__safe(origin, sizeof(origin), s[i].origin) : "",
		       s[i].origin ? " " : "", s[i].status, s[i].started_at,
		       s[i].ended_at[0] ? s[i].ended_at : "-", (long long)s[i].profiles,
		       (long long)s[i].events_lost, format__safe(target, sizeof(target), s[i].target));
		session__free(&s[i]);
	}
	free(s);
	profile_repo__close(repo);
	return 0;
}

int cli__show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{}
	};
	const char *db = cli__default_db();
	struct profile_repo *repo;
	struct profile p;
	int64_t id;
	int c, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'D')
			db = optarg;
		else
			return cli__usage(NULL);
	}
	if (optind != argc - 1 || cli__parse_i64(argv[optind], &id))
		return cli__usage("show: give one profile ID");
	repo = cli__open_ro(&db, NULL);
	if (!repo)
		return 1;
	err = profile_repo__get(repo, id, &p);
	if (err) {
		if (err == -ENOENT)
			tp_err("show: no profile with id %lld in %s: see `taskprof list`",
			       (long long)id, db);
		else
			tp_err("show: %s", profile_repo__errmsg(repo));
		profile_repo__close(repo);
		return 1;
	}
	format__show(stdout, &p);
	profile__free(&p);
	profile_repo__close(repo);
	return 0;
}

int cli__rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "process", required_argument, NULL, 'P' },
		{}
	};
	const char *db = cli__default_db(), *process = NULL, *path;
	struct profile_repo *repo;
	int64_t id = 0;
	int c, n;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'D')
			db = optarg;
		else if (c == 'P')
			process = optarg;
		else
			return cli__usage(NULL);
	}
	if (process ? optind != argc : (optind != argc - 1 || cli__parse_i64(argv[optind], &id)))
		return cli__usage("rm: give one profile ID, or --process NAME");
	/* rm never creates a database: open read-only first to check it exists
	 * (which makes db a name to print, so the path is kept to open again) */
	path = db;
	repo = cli__open_ro(&db, NULL);
	if (!repo)
		return 1;
	profile_repo__close(repo);
	repo = profile_repo__open(path, 0);
	if (!repo) {
		tp_err("%s", profile_repo__open_error());
		return 1;
	}
	if (process) {
		n = profile_repo__remove_by_process(repo, process);
		if (n < 0) {
			tp_err("rm: %s", profile_repo__errmsg(repo));
			profile_repo__close(repo);
			return 1;
		}
		printf("removed %d profile%s of %s\n", n, n == 1 ? "" : "s", process);
	} else {
		n = profile_repo__remove(repo, id);
		if (n == -ENOENT) {
			tp_err("rm: no profile with id %lld in %s: see `taskprof list`", (long long)id,
			       db);
			profile_repo__close(repo);
			return 1;
		}
		if (n < 0) {
			tp_err("rm: %s", profile_repo__errmsg(repo));
			profile_repo__close(repo);
			return 1;
		}
		printf("removed profile %lld\n", (long long)id);
	}
	profile_repo__close(repo);
	return 0;
}

