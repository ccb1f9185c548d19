/* SPDX-License-Identifier: MIT */
/*
 * What the verbs share: the usage text, option parsing, the default
 * database, and opening a database read-only and loading a session's rows.
 */
#ifndef TP_CLI_ARGS_H
#define TP_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>

struct profile_list;
struct profile_repo;

extern const char cli_usage_text[];
/* One line for a specific mistake, the full usage otherwise; returns 2. */
int cli__usage(const char *why);
const char *cli__default_db(void);
int cli__parse_i64(const char *s, int64_t *out);
/* What list and stats take: --db, --session, --process, --format. */
struct query_args {
	const char *db;
	const char *host;     /* a central database's host; NULL: every host */
	const char *process;  /* NULL: every task */
	const char *format;   /* table, csv or json */
	int64_t session;      /* 0: every session */
};
/* table, csv or json: what list, stats and diff print. */
bool cli__format_ok(const char *f);
/* 0 to go on; 1 after --help (exit 0); else the usage error's exit status. */
int cli__query_args(const char *cmd, int argc, char **argv, struct query_args *q);
/* getopt's '?' (with opterr = 0) as one line naming the option; returns 2. */
int cli__bad_option(const char *cmd, char *const *argv);
/* A number in [lo, hi]; -EINVAL otherwise (NaN too). */
int cli__parse_double(const char *s, double lo, double hi, double *out);
/* *db (a SQLite file or a postgresql:// URI) opened read-only, reading
 * only host's rows if host is set; *db then names it without a password.
 * NULL after one line saying why. */
struct profile_repo *cli__open_ro(const char **db, const char *host);
/* A session's rows (id 0: every row), of one task if process is set; a
 * missing session or a read error is printed as cmd's one line. */
int cli__load_session(struct profile_repo *repo, const char *cmd, const char *db, int64_t id,
		      const char *process, struct profile_list *out);

#endif /* TP_CLI_ARGS_H */
