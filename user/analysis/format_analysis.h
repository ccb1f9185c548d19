/* SPDX-License-Identifier: MIT */
/*
 * `stats` printed as a table, csv or json; one task's figures as JSON;
 * human units and terminal-safe text, which the diff printer shares.
 */
#ifndef TP_ANALYSIS_FORMAT_ANALYSIS_H
#define TP_ANALYSIS_FORMAT_ANALYSIS_H

#include <stddef.h>
#include <stdio.h>

struct summary;
struct task_summary;

void format__stats_table(FILE *f, const struct summary *s);
void format__stats_csv(FILE *f, const struct summary *s);
void format__stats_json(FILE *f, const struct summary *s);
/* One task's figures as JSON object members (the report shares it). */
void format__summary_members(FILE *f, const struct task_summary *t);
/* s with control characters (a newline, an escape) as '?': for terminals. */
const char *format__safe(char *buf, size_t len, const char *s);
/* Human units: "12.3 ms", "4.0 MiB". */
void format__seconds(char *buf, size_t len, double s);
void format__bytes(char *buf, size_t len, double b);

#endif /* TP_ANALYSIS_FORMAT_ANALYSIS_H */
