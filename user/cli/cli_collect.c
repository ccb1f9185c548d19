// SPDX-License-Identifier: MIT
/* `taskprof collect` and `taskprof status`: their options, checked. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "service/collect.h"
#include "service/config.h"

int cli__collect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "after-stop", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *config = TP_COLLECT_CONF;
	bool after_stop = false;
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'v': tp_verbose++; break;
		case 'A': after_stop = true; break;
		case 'h': fputs(cli_usage_text, stdout); return 0;
		default: return cli__usage(NULL);
		}
	}
	if (optind < argc)
		return cli__usage("collect: takes no arguments: tasks are declared in the "
				  "configuration file (--config FILE)");
	return after_stop ? collect__after_stop(config) : collect__run(config);
}

/*
 * The database a configuration names. Without --config, a missing default
 * file means the default database; a file named but unreadable or wrong is
 * said, not replaced by someone else's database.
 */
static char *db_of(const char *config, bool named)
{
	char err[1024];
	struct collect_config *c = collect_config__load(config, NULL, err, sizeof(err));
	char *db = NULL;

	if (c)
		db = strdup(c->database);
	else if (!named && access(config, F_OK))
		db = strdup(TP_COLLECT_DB);
	else
		tp_err("status: %s (or name the database: --db PATH)", err);
	collect_config__free(c);
	return db;
}

int cli__status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *config = TP_COLLECT_CONF, *db = NULL;
	bool named = false;
	char *owned = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': db = optarg; break;
		case 'c': config = optarg; named = true; break;
		case 'h': fputs(cli_usage_text, stdout); return 0;
		default: return cli__usage(NULL);
		}
	}
	if (optind < argc)
		return cli__usage("status: takes no arguments");
	if (!db)
		db = owned = db_of(config, named);
	rc = db ? status__print(db) : 1;
	free(owned);
	return rc;
}
