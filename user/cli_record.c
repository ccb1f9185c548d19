// SPDX-License-Identifier: MIT
/* `taskprof record`: its options, checked, as a struct record_opts. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

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
		{ "ringbuf-mb", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct record_opts o = { .db = cli__default_db(), .ringbuf_mb = TP_RINGBUF_MB };
	int c, rc = 2;
	int64_t pid = 0;

	while ((c = getopt_long(argc, argv, "+d:t:p:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o.db = optarg;
			break;
		case 'S':
			o.stage = optarg;
			break;
		case 'E':
			o.env = optarg;
			break;
		case 'A':
			o.allocs = true;
			break;
		case 'd': {
			char *end;

			o.duration = strtod(optarg, &end);
			if (end == optarg || *end || o.duration <= 0) {
				rc = cli__usage("record: -d takes a positive number of seconds");
				goto cleanup;
			}
			break;
		}
		case 't': {
			struct task_spec *n = realloc(o.specs, (o.nspecs + 1) * sizeof(*n));

			if (!n)
				goto cleanup;
			o.specs = n;
			if (task_spec__parse(optarg, &o.specs[o.nspecs])) {
				tp_err("record: bad task spec '%s': expected [NAME=][BINARY:]SYMBOL",
				       optarg);
				goto cleanup;
			}
			o.nspecs++;
			break;
		}
		case 'p':
			if (cli__parse_i64(optarg, &pid) || pid <= 0 || pid > 0x7fffffff) {
				tp_err("record: bad PID '%s': give a positive process id", optarg);
				goto cleanup;
			}
			o.pid = (pid_t)pid;
			break;
		case 'R':
			if (!strcmp(optarg, "auto"))
				o.ret_mode = TP_RET_AUTO;
			else if (!strcmp(optarg, "uretprobe"))
				o.ret_mode = TP_RET_URETPROBE;
			else if (!strcmp(optarg, "insn"))
				o.ret_mode = TP_RET_INSN;
			else {
				rc = cli__usage("record: --returns takes auto, uretprobe or insn");
				goto cleanup;
			}
			break;
		case 'v':
			tp_verbose++;
			break;
		case 'B': {
			int64_t mb;

			/* a power of two: the kernel's ring buffer requires it */
			if (cli__parse_i64(optarg, &mb) || mb < 1 || mb > 4096 || (mb & (mb - 1))) {
				rc = cli__usage("record: --ringbuf-mb takes a power of two from 1 to 4096");
				goto cleanup;
			}
			o.ringbuf_mb = (size_t)mb;
			break;
		}
		case 'h':
			fputs(cli_usage_text, stdout);
			rc = 0;
			goto cleanup;
		default:
			rc = cli__usage(NULL);
			goto cleanup;
		}
	}
	if (!o.nspecs) {
		rc = cli__usage("record: no task given: declare at least one with -t SPEC, "
			   "e.g. -t compress_block");
		goto cleanup;
	}
	if (optind < argc && !strcmp(argv[optind - 1], "--"))
		o.argv = &argv[optind];
	else if (optind < argc)
		o.argv = &argv[optind];
	if (o.pid && o.argv) {
		rc = cli__usage("record: give either -p PID or -- COMMAND, not both");
		goto cleanup;
	}
	if (!o.pid && !o.argv) {
		rc = cli__usage("record: nothing to profile: give -p PID or -- COMMAND [ARG ...]");
		goto cleanup;
	}
	rc = record__run(&o);
cleanup:
	for (size_t i = 0; i < o.nspecs; i++)
		task_spec__free(&o.specs[i]);
	free(o.specs);
	return rc;
}

