// SPDX-License-Identifier: MIT
/* taskprof command line: record, list, show, rm. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

static const char usage_text[] =
	"usage:\n"
	"  taskprof record [--db PATH] [--stage STAGE] [--env ENV] [--allocs] [-d SECONDS]\n"
	"                  [--returns auto|uretprobe|insn] [--ringbuf-mb N] [-v]\n"
	"                  -t SPEC [-t SPEC ...]  (-p PID | -- COMMAND [ARG ...])\n"
	"  taskprof list   [--db PATH] [--process NAME] [--format table|csv|json]\n"
	"  taskprof show   [--db PATH] ID\n"
	"  taskprof rm     [--db PATH] (ID | --process NAME)\n"
	"\n"
	"SPEC is [NAME=][BINARY:]SYMBOL; --db defaults to $TASKPROF_DB or ./taskprof.db\n";

/* An error gets one line; the full usage only when nothing specific is wrong. */
static int usage(const char *why)
{
	if (why)
		tp_err("%s (see taskprof --help)", why);
	else
		fputs(usage_text, stderr);
	return 2;
}

static const char *default_db(void)
{
	const char *e = getenv("TASKPROF_DB");

	return e && *e ? e : "./taskprof.db";
}

static int parse_i64(const char *s, int64_t *out)
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

/* --- record ------------------------------------------------------------------ */

static int cmd_record(int argc, char **argv)
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
	struct record_opts o = { .db = default_db(), .ringbuf_mb = TP_RINGBUF_MB };
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
				rc = usage("record: -d takes a positive number of seconds");
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
			if (parse_i64(optarg, &pid) || pid <= 0 || pid > 0x7fffffff) {
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
				rc = usage("record: --returns takes auto, uretprobe or insn");
				goto cleanup;
			}
			break;
		case 'v':
			tp_verbose++;
			break;
		case 'B': {
			int64_t mb;

			/* a power of two: the kernel's ring buffer requires it */
			if (parse_i64(optarg, &mb) || mb < 1 || mb > 4096 || (mb & (mb - 1))) {
				rc = usage("record: --ringbuf-mb takes a power of two from 1 to 4096");
				goto cleanup;
			}
			o.ringbuf_mb = (size_t)mb;
			break;
		}
		case 'h':
			fputs(usage_text, stdout);
			rc = 0;
			goto cleanup;
		default:
			rc = usage(NULL);
			goto cleanup;
		}
	}
	if (!o.nspecs) {
		rc = usage("record: no task given: declare at least one with -t SPEC, "
			   "e.g. -t compress_block");
		goto cleanup;
	}
	if (optind < argc && !strcmp(argv[optind - 1], "--"))
		o.argv = &argv[optind];
	else if (optind < argc)
		o.argv = &argv[optind];
	if (o.pid && o.argv) {
		rc = usage("record: give either -p PID or -- COMMAND, not both");
		goto cleanup;
	}
	if (!o.pid && !o.argv) {
		rc = usage("record: nothing to profile: give -p PID or -- COMMAND [ARG ...]");
		goto cleanup;
	}
	rc = record__run(&o);
cleanup:
	for (size_t i = 0; i < o.nspecs; i++)
		task_spec__free(&o.specs[i]);
	free(o.specs);
	return rc;
}

/* --- list, show, rm ------------------------------------------------------------ */

static void print_i64(FILE *f, int64_t v)
{
	if (v == PROFILE_NULL_I64)
		fputs("", f);
	else
		fprintf(f, "%lld", (long long)v);
}

static void csv_str(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_i64(FILE *f, int64_t v)
{
	if (v == PROFILE_NULL_I64)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)v);
}

#define CSV_HEADER                                                                        \
	"id,session_id,env,stage,process_name,task_start_time,task_end_time,runtime_seconds," \
	"cpu_cores,cpu_user_utilization,cpu_system_utilization,cpu_user_seconds,"             \
	"cpu_system_seconds,memory_usage_peak_mb,memory_allocations,file_read_bytes,"         \
	"file_write_bytes,io_wait_time_seconds,network_data_sent_bytes,"                      \
	"network_data_received_bytes,exceptions_raised,pid,tid,symbol,binary,status"

static void print_csv(FILE *f, const struct profile_list *l)
{
	fputs(CSV_HEADER "\n", f);
	for (size_t i = 0; i < l->len; i++) {
		const struct profile *p = &l->items[i];

		fprintf(f, "%lld,%lld,", (long long)p->id, (long long)p->session_id);
		csv_str(f, p->env);
		fputc(',', f);
		csv_str(f, p->stage);
		fputc(',', f);
		csv_str(f, p->process_name);
		fprintf(f, ",%s,%s,%.6f,", p->task_start_time, p->task_end_time, p->runtime_seconds);
		print_i64(f, p->cpu_cores);
		fprintf(f, ",%.6f,%.6f,%.6f,%.6f,%.3f,", p->cpu_user_utilization,
			p->cpu_system_utilization, p->cpu_user_seconds, p->cpu_system_seconds,
			p->memory_usage_peak_mb);
		print_i64(f, p->memory_allocations);
		fputc(',', f);
		print_i64(f, p->file_read_bytes);
		fputc(',', f);
		print_i64(f, p->file_write_bytes);
		fprintf(f, ",%.6f,", p->io_wait_time_seconds);
		print_i64(f, p->network_data_sent_bytes);
		fputc(',', f);
		print_i64(f, p->network_data_received_bytes);
		fputc(',', f);
		print_i64(f, p->exceptions_raised);
		fputc(',', f);
		print_i64(f, p->pid);
		fputc(',', f);
		print_i64(f, p->tid);
		fputc(',', f);
		csv_str(f, p->symbol);
		fputc(',', f);
		csv_str(f, p->binary);
		fputc(',', f);
		csv_str(f, p->status);
		fputc('\n', f);
	}
}

static void print_json_one(FILE *f, const struct profile *p)
{
	fprintf(f, "{\"id\": %lld, \"session_id\": %lld, \"env\": ", (long long)p->id,
		(long long)p->session_id);
	json_str(f, p->env);
	fputs(", \"stage\": ", f);
	json_str(f, p->stage);
	fputs(", \"process_name\": ", f);
	json_str(f, p->process_name);
	fprintf(f, ", \"task_start_time\": \"%s\", \"task_end_time\": \"%s\", "
		"\"runtime_seconds\": %.6f, \"cpu_cores\": ",
		p->task_start_time, p->task_end_time, p->runtime_seconds);
	json_i64(f, p->cpu_cores);
	fprintf(f, ", \"cpu_user_utilization\": %.6f, \"cpu_system_utilization\": %.6f, "
		"\"cpu_user_seconds\": %.6f, \"cpu_system_seconds\": %.6f, "
		"\"memory_usage_peak_mb\": %.3f, \"memory_allocations\": ",
		p->cpu_user_utilization, p->cpu_system_utilization, p->cpu_user_seconds,
		p->cpu_system_seconds, p->memory_usage_peak_mb);
	json_i64(f, p->memory_allocations);
	fputs(", \"file_read_bytes\": ", f);
	json_i64(f, p->file_read_bytes);
	fputs(", \"file_write_bytes\": ", f);
	json_i64(f, p->file_write_bytes);
	fprintf(f, ", \"io_wait_time_seconds\": %.6f, \"network_data_sent_bytes\": ",
		p->io_wait_time_seconds);
	json_i64(f, p->network_data_sent_bytes);
	fputs(", \"network_data_received_bytes\": ", f);
	json_i64(f, p->network_data_received_bytes);
	fputs(", \"exceptions_raised\": ", f);
	json_i64(f, p->exceptions_raised);
	fputs(", \"pid\": ", f);
	json_i64(f, p->pid);
	fputs(", \"tid\": ", f);
	json_i64(f, p->tid);
	fputs(", \"symbol\": ", f);
	json_str(f, p->symbol);
	fputs(", \"binary\": ", f);
	json_str(f, p->binary);
	fputs(", \"status\": ", f);
	json_str(f, p->status);
	fputc('}', f);
}

static void print_json(FILE *f, const struct profile_list *l)
{
	fputs("[", f);
	for (size_t i = 0; i < l->len; i++) {
		fputs(i ? ",\n " : "\n ", f);
		print_json_one(f, &l->items[i]);
	}
	fputs(l->len ? "\n]\n" : "]\n", f);
}

static void fmt_bytes(char *buf, size_t len, int64_t v)
{
	if (v == PROFILE_NULL_I64)
		snprintf(buf, len, "-");
	else if (v >= 10LL << 20)
		snprintf(buf, len, "%.1fM", v / 1048576.0);
	else if (v >= 10LL << 10)
		snprintf(buf, len, "%.1fK", v / 1024.0);
	else
		snprintf(buf, len, "%lld", (long long)v);
}

static void print_table(FILE *f, const struct profile_list *l)
{
	size_t w = 12;

	for (size_t i = 0; i < l->len; i++) {
		size_t n = strlen(l->items[i].process_name ? l->items[i].process_name : "");

		if (n > w)
			w = n < 40 ? n : 40;
	}
	fprintf(f, "%5s  %-*s  %-9s  %10s  %7s  %7s  %5s  %9s  %7s  %8s  %8s  %8s  %8s  %8s  %4s\n",
		"ID", (int)w, "PROCESS", "STATUS", "RUNTIME_S", "USER%", "SYS%", "CORES",
		"PEAK_MB", "ALLOCS", "READ", "WRITE", "IOWAIT_S", "NET_TX", "NET_RX", "EXC");
	for (size_t i = 0; i < l->len; i++) {
		const struct profile *p = &l->items[i];
		char rd[24], wr[24], tx[24], rx[24], al[24];

		fmt_bytes(rd, sizeof(rd), p->file_read_bytes);
		fmt_bytes(wr, sizeof(wr), p->file_write_bytes);
		fmt_bytes(tx, sizeof(tx), p->network_data_sent_bytes);
		fmt_bytes(rx, sizeof(rx), p->network_data_received_bytes);
		if (p->memory_allocations == PROFILE_NULL_I64)
			snprintf(al, sizeof(al), "-");
		else
			snprintf(al, sizeof(al), "%lld", (long long)p->memory_allocations);
		fprintf(f, "%5lld  %-*.*s  %-9s  %10.6f  %7.2f  %7.2f  %5lld  %9.1f  %7s  %8s  %8s  "
			"%8.4f  %8s  %8s  %4lld\n",
			(long long)p->id, (int)w, (int)w, p->process_name ? p->process_name : "",
			p->status ? p->status : "", p->runtime_seconds,
			100.0 * p->cpu_user_utilization, 100.0 * p->cpu_system_utilization,
			(long long)p->cpu_cores, p->memory_usage_peak_mb, al, rd, wr,
			p->io_wait_time_seconds, tx, rx, (long long)p->exceptions_raised);
	}
}

static struct profile_repo *open_ro(const char *db)
{
	struct profile_repo *r = profile_repo__open(db, PROFILE_REPO_READONLY);

	if (!r)
		tp_err("%s", profile_repo__open_error());
	return r;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "process", required_argument, NULL, 'P' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *db = default_db(), *process = NULL, *format = "table";
	struct profile_list l = {};
	struct profile_repo *repo;
	int c, err;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			db = optarg;
			break;
		case 'P':
			process = optarg;
			break;
		case 'F':
			format = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return usage(NULL);
		}
	}
	if (optind < argc)
		return usage("list: unexpected argument");
	if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json"))
		return usage("list: --format takes table, csv or json");
	repo = open_ro(db);
	if (!repo)
		return 1;
	err = process ? profile_repo__get_by_process(repo, process, &l)
		      : profile_repo__get_all(repo, &l);
	if (err) {
		tp_err("list: %s", profile_repo__errmsg(repo));
		profile_repo__close(repo);
		return 1;
	}
	if (!strcmp(format, "csv"))
		print_csv(stdout, &l);
	else if (!strcmp(format, "json"))
		print_json(stdout, &l);
	else
		print_table(stdout, &l);
	profile_list__free(&l);
	profile_repo__close(repo);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{}
	};
	const char *db = default_db();
	struct profile_repo *repo;
	struct profile p;
	int64_t id;
	int c, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'D')
			db = optarg;
		else
			return usage(NULL);
	}
	if (optind != argc - 1 || parse_i64(argv[optind], &id))
		return usage("show: give one profile ID");
	repo = open_ro(db);
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
	printf("id                           %lld\n", (long long)p.id);
	printf("session_id                   %lld\n", (long long)p.session_id);
	printf("env                          %s\n", p.env ? p.env : "");
	printf("stage                        %s\n", p.stage ? p.stage : "");
	printf("process_name                 %s\n", p.process_name);
	printf("status                       %s\n", p.status);
	printf("task_start_time              %s\n", p.task_start_time);
	printf("task_end_time                %s\n", p.task_end_time);
	printf("runtime_seconds              %.6f\n", p.runtime_seconds);
	printf("cpu_cores                    %lld\n", (long long)p.cpu_cores);
	printf("cpu_user_utilization         %.6f  (%.6f s)\n", p.cpu_user_utilization,
	       p.cpu_user_seconds);
	printf("cpu_system_utilization       %.6f  (%.6f s)\n", p.cpu_system_utilization,
	       p.cpu_system_seconds);
	printf("memory_usage_peak_mb         %.3f\n", p.memory_usage_peak_mb);
	printf("memory_allocations           ");
	print_i64(stdout, p.memory_allocations);
	printf("%s\n", p.memory_allocations == PROFILE_NULL_I64 ? "(not counted: use --allocs)" : "");
	printf("file_read_bytes              %lld\n", (long long)p.file_read_bytes);
	printf("file_write_bytes             %lld\n", (long long)p.file_write_bytes);
	printf("io_wait_time_seconds         %.6f\n", p.io_wait_time_seconds);
	printf("network_data_sent_bytes      %lld\n", (long long)p.network_data_sent_bytes);
	printf("network_data_received_bytes  %lld\n", (long long)p.network_data_received_bytes);
	printf("exceptions_raised            %lld\n", (long long)p.exceptions_raised);
	printf("pid                          %lld\n", (long long)p.pid);
	printf("tid                          %lld\n", (long long)p.tid);
	printf("symbol                       %s\n", p.symbol ? p.symbol : "");
	printf("binary                       %s\n", p.binary ? p.binary : "");
	profile__free(&p);
	profile_repo__close(repo);
	return 0;
}

static int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "process", required_argument, NULL, 'P' },
		{}
	};
	const char *db = default_db(), *process = NULL;
	struct profile_repo *repo;
	int64_t id = 0;
	int c, n;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'D')
			db = optarg;
		else if (c == 'P')
			process = optarg;
		else
			return usage(NULL);
	}
	if (process ? optind != argc : (optind != argc - 1 || parse_i64(argv[optind], &id)))
		return usage("rm: give one profile ID, or --process NAME");
	/* rm never creates a database: open read-only first to check it exists */
	repo = open_ro(db);
	if (!repo)
		return 1;
	profile_repo__close(repo);
	repo = profile_repo__open(db, 0);
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

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return usage(NULL);
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	argc--;
	argv++;
	if (!strcmp(cmd, TP_GUARDIAN_CMD))
		return guardian__main(argc, argv);
	if (!strcmp(cmd, "record"))
		return cmd_record(argc, argv);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc, argv);
	if (!strcmp(cmd, "show"))
		return cmd_show(argc, argv);
	if (!strcmp(cmd, "rm"))
		return cmd_rm(argc, argv);
	tp_err("unknown command '%s'", cmd);
	return usage(NULL);
}
