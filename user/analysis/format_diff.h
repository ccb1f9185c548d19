/* SPDX-License-Identifier: MIT */
/*
 * `diff` printed as a table, csv or json; its tasks as JSON for the report.
 */
#ifndef TP_ANALYSIS_FORMAT_DIFF_H
#define TP_ANALYSIS_FORMAT_DIFF_H

#include <stdio.h>

struct diff;
struct diff_options;

void format__diff_table(FILE *f, const struct diff *d, const struct diff_options *o);
void format__diff_csv(FILE *f, const struct diff *d);
void format__diff_json(FILE *f, const struct diff *d, const struct diff_options *o);
void format__diff_tasks_json(FILE *f, const struct diff *d);

#endif /* TP_ANALYSIS_FORMAT_DIFF_H */
