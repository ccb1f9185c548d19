// SPDX-License-Identifier: MIT
/*
 * JSON values as every writer prints them: strings that are safe inside an
 * HTML <script> element too, and numbers whose NaN or infinity (a figure
 * with no value) is null, which JSON parsers accept where "nan" breaks them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis/json.h"

void json__str(FILE *f, const char *s)
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
		else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&')
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* The shortest of 15 to 17 digits that reads back as v itself. */
static void json__exact(FILE *f, double v)
{
	char buf[32];

	for (int digits = 15; digits < 17; digits++) {
		snprintf(buf, sizeof(buf), "%.*g", digits, v);
		if (strtod(buf, NULL) == v) {
			fputs(buf, f);
			return;
		}
	}
	fprintf(f, "%.17g", v);
}

void json__num(FILE *f, double v, int digits)
{
	if (!isfinite(v))
		fputs("null", f);
	else if (v == (double)(long long)v && fabs(v) < 1e15)
		fprintf(f, "%lld", (long long)v);
	else if (digits)
		fprintf(f, "%.*g", digits, v);
	else
		json__exact(f, v);
}
