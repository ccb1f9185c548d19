// SPDX-License-Identifier: MIT
/* `taskprof stats` and `taskprof diff`: summaries and comparisons of sessions. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_repo.h"
#include "analysis/compare.h"
#include "analysis/format_analysis.h"
#include "analysis/format_diff.h"
#include "analysis/summary.h"
#include "base/log.h"
#include "cli/args.h"
#include "cli/cli.h"

/* Rows left out of the figures must not pass unnoticed. */
static void note_rollups(struct profile_repo *repo, int64_t session, const char *process)
{
	int64_t n = profile_repo__rolled_up(repo, session, process);

	if (n > 0)
		tp_warn("stats: %lld more invocations were over a collector's rate limit and are "
			"kept as per-second rollups, not in these figures: see the rollups table",
			(long long)n);
}

int cli__stats(int argc, char **argv)
{
	struct profile_list l = {};
	struct summary s = {};
	struct profile_repo *repo;
	struct query_args q;
	int rc = cli__query_args("stats", argc, argv, &q);

	if (rc)
		return rc == 1 ? 0 : rc;
	rc = 1;
	repo = cli__open_ro(&q.db, q.host);
	if (!repo)
		return 1;
	if (cli__load_session(repo, "stats", q.db, q.session, q.process, &l))
		goto cleanup;
	if (summary__build(&l, &s)) {
		tp_err("stats: cannot summarize: %s", strerror(ENOMEM));
		goto cleanup;
	}
	if (!strcmp(q.format, "csv"))
		format__stats_csv(stdout, &s);
	else if (!strcmp(q.format, "json"))
		format__stats_json(stdout, &s);
	else
		format__stats_table(stdout, &s);
	note_rollups(repo, q.session, q.process);
	rc = 0;
cleanup:
	summary__free(&s);
	profile_list__free(&l);
	profile_repo__close(repo);
	return rc;
}

/* diff's options; a usage error returns 2 (as diff(1) does for trouble). */
static int diff_args(int argc, char **argv, const char **db, const char **host,
		     const char **format, const char **process, struct diff_options *o,
		     int64_t id[2])
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "host", required_argument, NULL, 'H' },
		{ "format", required_argument, NULL, 'F' },
		{ "process", required_argument, NULL, 'P' },
		{ "threshold", required_argument, NULL, 't' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "floor-time", required_argument, NULL, 'T' },
		{ "floor-bytes", required_argument, NULL, 'B' },
		{ "floor-memory", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': *db = optarg; break;
		case 'H': *host = optarg; break;
		case 'F': *format = optarg; break;
		case 'P': *process = optarg; break;
		case 't':
			if (cli__parse_double(optarg, 0, 1e9, &o->threshold_pct))
				return cli__usage("diff: --threshold takes a percentage, like 5");
			break;
		case 'a':
			if (cli__parse_double(optarg, 1e-300, 1, &o->alpha))
				return cli__usage("diff: --alpha takes a p-value in (0, 1], like 0.05");
			break;
		case 'T':
			if (cli__parse_double(optarg, 0, 1e9, &o->floor_time))
				return cli__usage("diff: --floor-time takes seconds, like 0.001");
			break;
		case 'B':
			if (cli__parse_double(optarg, 0, 1e18, &o->floor_bytes))
				return cli__usage("diff: --floor-bytes takes bytes, like 65536");
			break;
		case 'M':
			if (cli__parse_double(optarg, 0, 1e12, &o->floor_mem_mb))
				return cli__usage("diff: --floor-memory takes MiB, like 1");
			break;
		case 'h':
			fputs(cli_usage_text, stdout);
			return 1;
		default:
			return cli__bad_option("diff", argv);
		}
	}
	if (argc - optind != 2 || cli__parse_i64(argv[optind], &id[0]) || id[0] <= 0 ||
	    cli__parse_i64(argv[optind + 1], &id[1]) || id[1] <= 0)
		return cli__usage("diff: give two session ids, BASE and NEW, as taskprof sessions "
				  "lists them");
	if (!cli__format_ok(*format))
		return cli__usage("diff: --format takes table, csv or json");
	return 0;
}

static void warn_few(const struct diff *d, const int64_t id[2])
{
	for (size_t i = 0; i < d->n; i++) {
		const struct task_diff *t = &d->tasks[i];
		char name[256];

		if (t->few)
			tp_warn("diff: %s has %zu invocations in session %lld and %zu in %lld: with "
				"fewer than %d on a side the test can miss a real change",
				format__safe(name, sizeof(name), t->task), t->m[DM_RUNTIME].n_base,
				(long long)id[0],
				t->m[DM_RUNTIME].n_new, (long long)id[1], DIFF_FEW);
	}
}

/* A gate that passes on nothing must say so: no rows, or rows kept out. */
static void warn_empty(struct profile_repo *repo, const struct profile_list *l, int64_t id,
		       const char *process)
{
	int64_t rolled = profile_repo__rolled_up(repo, id, process);

	if (!l->len)
		tp_warn("diff: session %lld has no profiles%s%s: nothing of it is compared",
			(long long)id, process ? " of " : "", process ? process : "");
	if (rolled > 0)
		tp_warn("diff: session %lld has %lld invocations over a collector's rate limit, "
			"kept as rollups: they are not compared", (long long)id, (long long)rolled);
}

int cli__diff(int argc, char **argv)
{
	const char *db = cli__default_db(), *format = "table", *process = NULL, *host = NULL;
	struct profile_list base = {}, cur = {};
	struct profile_repo *repo = NULL;
	struct diff_options o;
	struct diff d = {};
	int64_t id[2];
	int rc;

	diff_options__default(&o);
	rc = diff_args(argc, argv, &db, &host, &format, &process, &o, id);
	if (rc)
		return rc == 1 ? 0 : rc;
	rc = 2;
	repo = cli__open_ro(&db, host);
	if (!repo)
		return rc;
	if (cli__load_session(repo, "diff", db, id[0], process, &base) ||
	    cli__load_session(repo, "diff", db, id[1], process, &cur))
		goto cleanup;
	if (diff__build(&base, &cur, &o, &d)) {
		tp_err("diff: cannot compare: %s", strerror(ENOMEM));
		goto cleanup;
	}
	warn_empty(repo, &base, id[0], process);
	warn_empty(repo, &cur, id[1], process);
	warn_few(&d, id);
	if (!strcmp(format, "csv"))
		format__diff_csv(stdout, &d);
	else if (!strcmp(format, "json"))
		format__diff_json(stdout, &d, &o);
	else
		format__diff_table(stdout, &d, &o);
	rc = d.regressed ? 1 : 0;
cleanup:
	diff__free(&d);
	profile_list__free(&base);
	profile_list__free(&cur);
	profile_repo__close(repo);
	return rc;
}
