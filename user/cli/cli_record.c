// SPDX-License-Identifier: MIT
/* `taskprof record`: its options, checked, as a struct record_opts. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskprof.h"
#include "base/log.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "plan/probeplan.h"
#include "plan/spec.h"
#include "record/record.h"

#define GO_ON (-1) /* parse_option: the option is taken, go on */

static int add_spec(struct record_opts *o, const char *arg)
{
	struct task_spec *n = realloc(o->specs, (o->nspecs + 1) * sizeof(*n));

	if (!n) {
		tp_err("record: cannot take task spec '%s': %s", arg, strerror(ENOMEM));
		return 1;
	}
	o->specs = n;
	switch (task_spec__parse(arg, &o->specs[o->nspecs])) {
	case 0:
		break;
	case -ENAMETOOLONG:
		tp_err("record: bad task spec '%s': a marker name holds at most %d bytes", arg,
		       TP_MARKER_NAME - 1);
		return 2;
	default:
		tp_err("record: bad task spec '%s': expected [NAME=][BINARY:]SYMBOL or marker:NAME",
		       arg);
		return 2;
	}
	o->nspecs++;
	return GO_ON;
}

static int set_returns(struct record_opts *o, const char *arg)
{
	if (!strcmp(arg, "auto"))
		o->ret_mode = TP_RET_AUTO;
	else if (!strcmp(arg, "uretprobe"))
		o->ret_mode = TP_RET_URETPROBE;
	else if (!strcmp(arg, "insn"))
		o->ret_mode = TP_RET_INSN;
	else if (!strcmp(arg, "sites"))
		o->ret_mode = TP_RET_SITES;
	else
		return cli__usage("record: --returns takes auto, sites, uretprobe or insn");
	return GO_ON;
}

/* Takes option c; GO_ON, or the exit status to stop with. */
static int parse_option(int c, const char *arg, struct record_opts *o)
{
	int64_t n;
	char *end;

	switch (c) {
	case 'D': o->db = arg; return GO_ON;
	case 'S': o->stage = arg; return GO_ON;
	case 'E': o->env = arg; return GO_ON;
	case 'A': o->allocs = true; return GO_ON;
	case 'v': tp_verbose++; return GO_ON;
	case 'q': tp_quiet = 1; return GO_ON;
	case 't': return add_spec(o, arg);
	case 'R': return set_returns(o, arg);
	case 'd':
		o->duration = strtod(arg, &end);
		if (end == arg || *end || o->duration <= 0)
			return cli__usage("record: -d takes a positive number of seconds");
		return GO_ON;
	case 'p':
		if (cli__parse_i64(arg, &n) || n <= 0 || n > 0x7fffffff) {
			tp_err("record: bad PID '%s': give a positive process id", arg);
			return 2;
		}
		o->pid = (pid_t)n;
		return GO_ON;
	case 'B':
		/* a power of two: the kernel's ring buffer requires it */
		if (cli__parse_i64(arg, &n) || n < 1 || n > TP_RINGBUF_MAX_MB || (n & (n - 1)))
			return cli__usage("record: --ringbuf-mb takes a power of two from 1 to 1024");
		o->ringbuf_mb = (size_t)n;
		return GO_ON;
	case 'h':
		fputs(cli_usage_text, stdout);
		return 0;
	default:
		return cli__usage(NULL);
	}
}

/* What is profiled: -p PID or the command after the options. */
static int check_target(struct record_opts *o, int argc, char **argv)
{
	if (!o->nspecs)
		return cli__usage("record: no task given: declare at least one with -t SPEC, "
				  "e.g. -t compress_block");
	if (optind < argc)
		o->argv = &argv[optind];
	if (o->pid && o->argv)
		return cli__usage("record: give either -p PID or -- COMMAND, not both");
	if (!o->pid && !o->argv)
		return cli__usage("record: nothing to profile: give -p PID or -- COMMAND [ARG ...]");
	return GO_ON;
}

int cli__record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "stage", required_argument, NULL, 'S' },
		{ "env", required_argument, NULL, 'E' },
		{ "allocs", no_argument, NULL, 'A' },
		{ "duration", required_argument, NULL, 'd' },
		{ "task", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'p' },
		{ "returns", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "ringbuf-mb", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct record_opts o = { .db = cli__default_db(), .ringbuf_mb = TP_RINGBUF_MB };
	int c, rc = GO_ON;

	/* '+': the command's own options are not ours */
	while (rc == GO_ON && (c = getopt_long(argc, argv, "+d:t:p:vqh", opts, NULL)) != -1)
		rc = parse_option(c, optarg, &o);
	if (rc == GO_ON)
		rc = check_target(&o, argc, argv);
	if (rc == GO_ON)
		rc = record__run(&o);
	for (size_t i = 0; i < o.nspecs; i++)
		task_spec__free(&o.specs[i]);
	free(o.specs);
	return rc;
}
