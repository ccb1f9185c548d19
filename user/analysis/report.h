/* SPDX-License-Identifier: MIT */
/*
 * The self-contained HTML report: its data around the page.
 */
#ifndef TP_ANALYSIS_REPORT_H
#define TP_ANALYSIS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct diff;
struct diff_options;
struct profile_list;
struct session;

struct report_input {
	const char *db;
	struct session *sessions;   /* 1..n */
	struct profile_list *rows;  /* one list per session */
	int64_t *rolled_up;         /* per session */
	size_t n;
	const struct diff *diff;    /* with two sessions, else NULL */
	const struct diff_options *opts;
};
int report__write(FILE *f, const struct report_input *in);

#endif /* TP_ANALYSIS_REPORT_H */
