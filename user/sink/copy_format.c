// SPDX-License-Identifier: MIT
/*
 * Rows as COPY data (copy_format.h). The binary format takes numbers as
 * they are held, where the text format made every double go through
 * printf's "%.17g": a third of the shipper's CPU. The text format stays
 * for a batch with a time the repository did not write itself.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_repo.h"
#include "sink/copy_format.h"

/* PostgreSQL's binary COPY signature, flags and header extension length */
static const char binary_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
/* microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 UTC */
#define PG_EPOCH_US 946684800000000LL

static void put(struct copybuf *b, const void *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;
		char *np = realloc(b->p, cap);

		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The number in s[at, at + n), all digits; false if one is not. */
static bool digits_at(const char *s, int at, int n, unsigned *v)
{
	*v = 0;
	for (int i = at; i < at + n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z", as tp_iso_time and Python's Profile
 * write it, in microseconds since 2000-01-01 UTC; false for anything else. */
static bool parse_time(const char *s, int64_t *us)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, sec, frac = 0;
	int n = 19, digits = 0;

	/* fixed places, not sscanf: it took a tenth of the shipper's CPU */
	if (strnlen(s, 20) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || !digits_at(s, 0, 4, &y) || !digits_at(s, 5, 2, &mo) ||
	    !digits_at(s, 8, 2, &d) || !digits_at(s, 11, 2, &h) || !digits_at(s, 14, 2, &mi) ||
	    !digits_at(s, 17, 2, &sec))
		return false;
	if (s[n] == '.')
		for (n++; s[n] >= '0' && s[n] <= '9' && digits < 6; n++, digits++)
			frac = frac * 10 + (s[n] - '0');
	for (; digits < 6; digits++)
		frac *= 10;
	if (strcmp(s + n, "Z") || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))) || h > 23 || mi > 59 ||
	    sec > 59)
		return false;
	*us = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000000LL +
	       frac) - PG_EPOCH_US;
	return true;
}

static void field(struct copybuf *b, const void *v, uint32_t len)
{
	uint32_t be = htonl(len);

	put(b, &be, 4);
	put(b, v, len);
}

static void field_i64(struct copybuf *b, int64_t v)
{
	uint64_t be = htobe64((uint64_t)v);

	field(b, &be, 8);
}

static void field_null(struct copybuf *b)
{
	uint32_t be = htonl(UINT32_MAX); /* length -1 */

	put(b, &be, 4);
}

static bool binary_row(struct copybuf *b, const char *host, const char *spool,
		       const struct profile *p)
{
	uint16_t nfields = htons(3 + PROFILE_NCOLS);

	put(b, &nfields, 2);
	field(b, host, strlen(host));
	field(b, spool, strlen(spool));
	field_i64(b, p->id);
	for (int c = 0; c < PROFILE_NCOLS; c++) {
		enum profile_kind kind = profile_columns[c].kind;
		const char *t;
		uint64_t bits;
		int64_t us;
		double d;

		if (kind == PROFILE_STATUS) {
			t = p->status ? p->status : profile_status__name(PROFILE_COMPLETED);
			field(b, t, strlen(t));
		} else if (profile__is_null(p, c)) {
			field_null(b);
		} else if (kind == PROFILE_REAL) {
			d = profile__real(p, c);
			memcpy(&bits, &d, 8); /* IEEE 754, as the server holds it */
			field_i64(b, (int64_t)bits);
		} else if (kind == PROFILE_I64 || kind == PROFILE_REF) {
			field_i64(b, profile__i64(p, c));
		} else if (kind == PROFILE_TIME) {
			if (!parse_time(profile__text(p, c), &us))
				return false;
			field_i64(b, us);
		} else {
			t = profile__text(p, c);
			field(b, t, strlen(t));
		}
	}
	return true;
}

/* --- the text format, for times only the server can read ---------------- */

static void put_str(struct copybuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void copy_text(struct copybuf *f, const char *s)
{
	static const char special[] = "\\\t\n\r", *const escaped[] = { "\\\\", "\\t",
									  "\\n", "\\r" };

	while (*s) {
		size_t run = strcspn(s, special);

		put(f, s, run);
		s += run;
		if (*s)
			put_str(f, escaped[strchr(special, *s++) - special]);
	}
}

static void text_row(struct copybuf *f, const char *host, const char *spool,
		     const struct profile *p)
{
	char num[40];

	copy_text(f, host);
	put(f, "\t", 1);
	copy_text(f, spool);
	put(f, num, snprintf(num, sizeof(num), "\t%lld", (long long)p->id));
	for (int c = 0; c < PROFILE_NCOLS; c++) {
		const struct profile_column *col = &profile_columns[c];

		put(f, "\t", 1);
		if (col->kind == PROFILE_STATUS)
			copy_text(f, p->status ? p->status : profile_status__name(PROFILE_COMPLETED));
		else if (profile__is_null(p, c))
			put(f, "\\N", 2);
		else if (col->kind == PROFILE_REAL)
			put(f, num, snprintf(num, sizeof(num), "%.17g", profile__real(p, c)));
		else if (col->kind == PROFILE_I64 || col->kind == PROFILE_REF)
			put(f, num, snprintf(num, sizeof(num), "%lld", (long long)profile__i64(p, c)));
		else
			copy_text(f, profile__text(p, c));
	}
	put(f, "\n", 1);
}

bool copy_format__rows(struct copybuf *b, const char *host, const char *spool,
		       const struct profile *rows, size_t n)
{
	static const uint16_t trailer = 0xffff; /* a field count of -1 */
	bool binary = true;

	b->len = 0;
	b->failed = false;
	put(b, binary_header, sizeof(binary_header));
	for (size_t i = 0; i < n && binary; i++)
		binary = binary_row(b, host, spool, &rows[i]);
	if (binary) {
		put(b, &trailer, 2);
		return true;
	}
	b->len = 0;
	for (size_t i = 0; i < n; i++)
		text_row(b, host, spool, &rows[i]);
	return false;
}
