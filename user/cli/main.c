// SPDX-License-Identifier: MIT
/* taskprof command line: the commands, their usage, what they share. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "service/exporter.h"
#include "session/guardian.h"

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return cli__usage(NULL);
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(cli_usage_text, stdout);
		return 0;
	}
	argc--;
	argv++;
	if (!strcmp(cmd, TP_GUARDIAN_CMD))
		return guardian__main(argc, argv);
	if (!strcmp(cmd, TP_EXPORTER_CMD))
		return exporter__main(argc, argv);
	if (!strcmp(cmd, "record"))
		return cli__record(argc, argv);
	if (!strcmp(cmd, "list"))
		return cli__list(argc, argv);
	if (!strcmp(cmd, "show"))
		return cli__show(argc, argv);
	if (!strcmp(cmd, "rm"))
		return cli__rm(argc, argv);
	if (!strcmp(cmd, "collect"))
		return cli__collect(argc, argv);
	if (!strcmp(cmd, "status"))
		return cli__status(argc, argv);
	if (!strcmp(cmd, "sessions"))
		return cli__sessions(argc, argv);
	if (!strcmp(cmd, "stats"))
		return cli__stats(argc, argv);
	if (!strcmp(cmd, "diff"))
		return cli__diff(argc, argv);
	if (!strcmp(cmd, "report"))
		return cli__report(argc, argv);
	if (!strcmp(cmd, "export"))
		return cli__export(argc, argv);
	tp_err("unknown command '%s'", cmd);
	return cli__usage(NULL);
}
