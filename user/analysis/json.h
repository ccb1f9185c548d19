/* SPDX-License-Identifier: MIT */
/*
 * JSON values, safe inside an HTML <script> too.
 */
#ifndef TP_ANALYSIS_JSON_H
#define TP_ANALYSIS_JSON_H

#include <stdio.h>

/* A JSON string; <, > and & escaped too, so it can sit in an HTML <script>. */
void json__str(FILE *f, const char *s);
/* A number with up to digits significant digits, or with 0 exactly (the
 * shortest that reads back); NAN and infinities are null. */
void json__num(FILE *f, double v, int digits);

#endif /* TP_ANALYSIS_JSON_H */
