/* SPDX-License-Identifier: MIT */
/*
 * Profiles printed for list and show, every column from the column table.
 */
#ifndef TP_ANALYSIS_FORMAT_H
#define TP_ANALYSIS_FORMAT_H

#include <stdio.h>

struct profile;
struct profile_list;

/* A csv field, quoted when it holds a comma, a quote or a line break. */
void format__csv_str(FILE *f, const char *s);
void format__csv(FILE *f, const struct profile_list *l);
void format__json(FILE *f, const struct profile_list *l);
void format__table(FILE *f, const struct profile_list *l);
void format__show(FILE *f, const struct profile *p);

#endif /* TP_ANALYSIS_FORMAT_H */
