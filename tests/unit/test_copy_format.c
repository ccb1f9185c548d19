// SPDX-License-Identifier: MIT
/*
 * Rows as COPY data for the central database: the binary format's fields
 * as PostgreSQL reads them (a time as microseconds from 2000-01-01 UTC, a
 * double's own bits, NULL as length -1), and the text format for a batch
 * with a time the repository did not write, which only the server parses.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profile_repo.h"
#include "sink/copy_format.h"

/* Field k of the first row (0: host, 1: spool, 2: id, 3 + c: column c);
 * its length, -1 for NULL. */
static int32_t nth_field(const struct copybuf *b, int k, const unsigned char **at)
{
	const unsigned char *p = (const unsigned char *)b->p + 19;
	uint16_t nfields;
	uint32_t len;

	memcpy(&nfields, p, 2);
	assert_int_equal(ntohs(nfields), 3 + PROFILE_NCOLS);
	p += 2;
	for (int i = 0;; i++) {
		memcpy(&len, p, 4);
		len = ntohl(len);
		p += 4;
		if (i == k) {
			*at = p;
			return (int32_t)len;
		}
		if (len != UINT32_MAX)
			p += len;
	}
}

static int64_t be64_at(const unsigned char *at)
{
	uint64_t v;

	memcpy(&v, at, 8);
	return (int64_t)be64toh(v);
}

static struct profile row(const char *start)
{
	struct profile p = { .id = 7, .process_name = "t", .status = "completed",
			     .runtime_seconds = 0.1, .memory_allocations = PROFILE_NULL_I64,
			     .memory_usage_peak_mb = NAN };

	snprintf(p.task_start_time, sizeof(p.task_start_time), "%s", start);
	snprintf(p.task_end_time, sizeof(p.task_end_time), "2000-01-01T00:00:02Z");
	return p;
}

static void test_binary_fields(void **state)
{
	struct profile p = row("2000-01-02T00:00:01.000002Z");
	struct copybuf b = {};
	const unsigned char *at;
	int64_t bits;
	double d;

	assert_true(copy_format__rows(&b, "node-a", "/var/db", &p, 1));
	assert_memory_equal(b.p, "PGCOPY\n\377\r\n\0", 11);
	assert_int_equal(nth_field(&b, 0, &at), 6);
	assert_memory_equal(at, "node-a", 6);
	assert_int_equal(nth_field(&b, 2, &at), 8);
	assert_int_equal(be64_at(at), 7);
	/* a day and a second and two microseconds after PostgreSQL's epoch */
	assert_int_equal(nth_field(&b, 3 + PROFILE_COL_task_start_time, &at), 8);
	assert_int_equal(be64_at(at), 86401000002LL);
	assert_int_equal(nth_field(&b, 3 + PROFILE_COL_task_end_time, &at), 8);
	assert_int_equal(be64_at(at), 2000000LL);
	assert_int_equal(nth_field(&b, 3 + PROFILE_COL_runtime_seconds, &at), 8);
	bits = be64_at(at);
	memcpy(&d, &bits, 8);
	assert_true(d == 0.1);
	assert_int_equal(nth_field(&b, 3 + PROFILE_COL_memory_allocations, &at), -1);
	assert_int_equal(nth_field(&b, 3 + PROFILE_COL_memory_usage_peak_mb, &at), -1);
	assert_int_equal(nth_field(&b, 3 + PROFILE_COL_status, &at), 9);
	/* the trailer: a field count of -1 */
	assert_memory_equal(b.p + b.len - 2, "\377\377", 2);
	free(b.p);
}

/* A date that does not exist, or a time in another form: text, which the
 * server parses (or refuses) itself; a real leap day stays binary. */
static void test_times_not_ours_go_as_text(void **state)
{
	static const char *const text[] = { "2026-02-29T00:00:00Z", "2026-01-01 00:00:00",
					     "2026-01-01T00:00:00+01:00", "2026-13-01T00:00:00Z",
					     "2026-01-01T24:00:00Z", "soon" };
	struct profile p;
	struct copybuf b = {};

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		p = row(text[i]);
		assert_false(copy_format__rows(&b, "h", "s", &p, 1));
		assert_non_null(memmem(b.p, b.len, text[i], strlen(text[i])));
	}
	p = row("2024-02-29T23:59:59.5Z");
	assert_true(copy_format__rows(&b, "h", "s", &p, 1));
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_fields),
		cmocka_unit_test(test_times_not_ours_go_as_text),
	};

	return cmocka_run_group_tests_name("copy_format", tests, NULL, NULL);
}
