// SPDX-License-Identifier: MIT
/*
 * Output formats of profiles: csv and json with every column, `show`'s one
 * line per column, and the table `list` prints by default. All walk the
 * column table (repo/profile_columns.h); the table view only chooses
 * columns, with a header and a way to print each.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/format.h"

#include "profile_columns.h"
#include "profile_repo.h"
#include "analysis/json.h"
#include "base/util.h"

void format__csv_str(FILE *f, const char *s)
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

/* A number as csv, json and show print it; "" for NULL. */
static void number(char *buf, size_t len, const struct profile *p, enum profile_col c)
{
	const struct profile_column *col = &profile_columns[c];

	if (col->kind == PROFILE_REAL && !isfinite(profile__real(p, c)))
		buf[0] = 0; /* NULL, or what JSON cannot hold */
	else if (col->kind == PROFILE_REAL)
		snprintf(buf, len, "%.*f", col->prec, profile__real(p, c));
	else if (col->kind == PROFILE_I64 && profile__is_null(p, c))
		buf[0] = 0;
	else
		snprintf(buf, len, "%lld", (long long)profile__i64(p, c));
}

static bool is_text(enum profile_col c)
{
	enum profile_kind k = profile_columns[c].kind;

	return k == PROFILE_TEXT || k == PROFILE_TIME || k == PROFILE_STATUS;
}

void format__csv(FILE *f, const struct profile_list *l)
{
	char num[64];

	fputs("id", f);
	for (int c = 0; c < PROFILE_NCOLS; c++)
		fprintf(f, ",%s", profile_columns[c].name);
	fputc('\n', f);
	for (size_t i = 0; i < l->len; i++) {
		const struct profile *p = &l->items[i];

		fprintf(f, "%lld", (long long)p->id);
		for (int c = 0; c < PROFILE_NCOLS; c++) {
			fputc(',', f);
			if (is_text(c)) {
				format__csv_str(f, profile__text(p, c));
			} else {
				number(num, sizeof(num), p, c);
				fputs(num, f);
			}
		}
		fputc('\n', f);
	}
}

static void json_one(FILE *f, const struct profile *p)
{
	char num[64];

	fprintf(f, "{\"id\": %lld", (long long)p->id);
	for (int c = 0; c < PROFILE_NCOLS; c++) {
		fprintf(f, ", \"%s\": ", profile_columns[c].name);
		if (is_text(c)) {
			json__str(f, profile__text(p, c));
		} else {
			number(num, sizeof(num), p, c);
			fputs(num[0] ? num : "null", f);
		}
	}
	fputc('}', f);
}

void format__json(FILE *f, const struct profile_list *l)
{
	fputs("[", f);
	for (size_t i = 0; i < l->len; i++) {
		fputs(i ? ",\n " : "\n ", f);
		json_one(f, &l->items[i]);
	}
	fputs(l->len ? "\n]\n" : "]\n", f);
}

/* `show`: one line per column. */
void format__show(FILE *f, const struct profile *p)
{
	char num[64];

	fprintf(f, "%-28s %lld\n", "id", (long long)p->id);
	for (int c = 0; c < PROFILE_NCOLS; c++) {
		const char *v = num;

		if (is_text(c))
			v = profile__text(p, c);
		else
			number(num, sizeof(num), p, c);
		if (!v || !v[0])
			v = c == PROFILE_COL_memory_allocations ? "NULL (not counted: use --allocs)"
								: "NULL";
		fprintf(f, "%-28s %s\n", profile_columns[c].name, v);
	}
}

/* --- the table of `list` --------------------------------------------------- */

enum cell {
	CELL_TEXT,    /* as it is */
	CELL_REAL,    /* with `digits` decimals */
	CELL_PERCENT, /* a fraction, times 100 */
	CELL_COUNT,   /* an integer, "-" for NULL */
	CELL_BYTES,   /* an integer with K or M past 10 of them, "-" for NULL */
};

static const struct {
	enum profile_col col;
	const char *head;
	int width;       /* negative: left-aligned */
	enum cell cell;
	int digits;
} view[] = {
	{ PROFILE_COL_process_name, "PROCESS", 0, CELL_TEXT, 0 }, /* width: the longest */
	{ PROFILE_COL_status, "STATUS", -10, CELL_TEXT, 0 }, /* "~": approximate */
	{ PROFILE_COL_runtime_seconds, "RUNTIME_S", 10, CELL_REAL, 6 },
	{ PROFILE_COL_cpu_user_utilization, "USER%", 7, CELL_PERCENT, 2 },
	{ PROFILE_COL_cpu_system_utilization, "SYS%", 7, CELL_PERCENT, 2 },
	{ PROFILE_COL_cpu_cores, "CORES", 5, CELL_COUNT, 0 },
	{ PROFILE_COL_memory_usage_peak_mb, "PEAK_MB", 9, CELL_REAL, 1 },
	{ PROFILE_COL_memory_allocations, "ALLOCS", 7, CELL_COUNT, 0 },
	{ PROFILE_COL_file_read_bytes, "READ", 8, CELL_BYTES, 0 },
	{ PROFILE_COL_file_write_bytes, "WRITE", 8, CELL_BYTES, 0 },
	{ PROFILE_COL_io_wait_time_seconds, "IOWAIT_S", 8, CELL_REAL, 4 },
	{ PROFILE_COL_network_data_sent_bytes, "NET_TX", 8, CELL_BYTES, 0 },
	{ PROFILE_COL_network_data_received_bytes, "NET_RX", 8, CELL_BYTES, 0 },
	{ PROFILE_COL_exceptions_raised, "EXC", 4, CELL_COUNT, 0 },
};

static void cell(char *buf, size_t len, const struct profile *p, size_t v)
{
	enum profile_col c = view[v].col;
	int64_t n;

	switch (view[v].cell) {
	case CELL_TEXT:
		snprintf(buf, len, "%s%s", profile__text(p, c) ? profile__text(p, c) : "",
			 c == PROFILE_COL_status && p->approximate == 1 ? "~" : "");
		return;
	case CELL_REAL:
	case CELL_PERCENT:
		if (!isfinite(profile__real(p, c)))
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%.*f", view[v].digits,
				 (view[v].cell == CELL_PERCENT ? 100.0 : 1.0) * profile__real(p, c));
		return;
	default:
		break;
	}
	n = profile__i64(p, c);
	if (profile__is_null(p, c))
		snprintf(buf, len, "-");
	else if (view[v].cell == CELL_BYTES && n >= 10LL << 20)
		snprintf(buf, len, "%.1fM", n / 1048576.0);
	else if (view[v].cell == CELL_BYTES && n >= 10LL << 10)
		snprintf(buf, len, "%.1fK", n / 1024.0);
	else
		snprintf(buf, len, "%lld", (long long)n);
}

void format__table(FILE *f, const struct profile_list *l)
{
	int name_w = 12;
	bool approx = false;
	char buf[64];

	for (size_t i = 0; i < l->len; i++) {
		const char *name = l->items[i].process_name;
		int n = name ? (int)strlen(name) : 0;

		if (n > name_w)
			name_w = n < 40 ? n : 40;
	}
	fprintf(f, "%5s", "ID");
	for (size_t v = 0; v < ARRAY_SIZE(view); v++)
		fprintf(f, "  %*s", view[v].width ? view[v].width : -name_w, view[v].head);
	fputc('\n', f);
	for (size_t i = 0; i < l->len; i++) {
		fprintf(f, "%5lld", (long long)l->items[i].id);
		for (size_t v = 0; v < ARRAY_SIZE(view); v++) {
			int w = view[v].width ? view[v].width : -name_w;

			cell(buf, sizeof(buf), &l->items[i], v);
			fprintf(f, "  %*.*s", w, w < 0 ? -w : (int)sizeof(buf), buf);
		}
		fputc('\n', f);
		approx |= l->items[i].approximate == 1;
	}
	if (approx)
		fputs("~ approximate: no probe saw its return, so it ends when its thread was next "
		      "seen (column approximate)\n", f);
}
