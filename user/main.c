// SPDX-License-Identifier: MIT
/* taskprof command line: the commands, their usage, what they share. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

const char cli_usage_text[] =
	"usage:\n"
	"  taskprof record [--db PATH] [--stage STAGE] [--env ENV] [--allocs] [-d SECONDS]\n"
	"                  [--returns auto|sites|uretprobe|insn] [--ringbuf-mb N] [-v | -q]\n"
	"                  -t SPEC [-t SPEC ...]  (-p PID | -- COMMAND [ARG ...])\n"
	"  taskprof list   [--db PATH] [--session ID] [--process NAME] [--format table|csv|json]\n"
	"  taskprof show   [--db PATH] ID\n"
	"  taskprof rm     [--db PATH] (ID | --process NAME)\n"
	"  taskprof collect [--config FILE] [-v]   (the always-on collector, as root)\n"
	"  taskprof collect [--config FILE] --after-stop   (tidies after a killed collector)\n"
	"  taskprof status  [--db PATH | --config FILE]\n"
	"  taskprof sessions [--db PATH]\n"
	"  taskprof stats  [--db PATH] [--session ID] [--process NAME] [--format table|csv|json]\n"
	"  taskprof diff   [--db PATH] BASE NEW [--threshold PCT] [--alpha A] [--process NAME]\n"
	"                  [--floor-time SEC] [--floor-bytes N] [--floor-memory MIB]\n"
	"                  [--format table|csv|json]   (exit 1 if a task regressed)\n"
	"  taskprof report [--db PATH] [--session ID ...] [--threshold PCT] [--alpha A] -o FILE.html\n"
	"  taskprof export [--db PATH] [--session ID] --format chrome-trace -o FILE.json\n"
	"\n"
	"SPEC is [NAME=][BINARY:]SYMBOL; --db defaults to $TASKPROF_DB or ./taskprof.db;\n"
	"collect's FILE defaults to /etc/taskprof/taskprof.conf, status reads the database\n"
	"that configuration names; BASE and NEW are session ids; report and export take\n"
	"the newest session unless told\n";

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
