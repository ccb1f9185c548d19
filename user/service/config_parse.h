/* SPDX-License-Identifier: MIT */
/*
 * The configuration's parse state, private to config.c (the file read
 * and checked whole) and config_keys.c (the keys each section takes).
 */
#ifndef TP_SERVICE_CONFIG_PARSE_H
#define TP_SERVICE_CONFIG_PARSE_H

#include <stdbool.h>
#include <stdio.h>

#include "service/config.h"

#define TASK_PREFIX "task "

struct parse {
	struct collect_config *c;
	FILE *f;
	int line;          /* of the line inih handles now */
	bool line_ended;   /* the last chunk read ended its line */
	bool failed;
	int err_line;      /* 0: the mistake is in no one line */
	char err[512];
	int section_line;  /* of the last [section] header seen */
	int readers_line;
};

/* The first mistake, said once: "problem", with the line inih is on. */
void config_parse__fail(struct parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A key of [collector], or of [task NAME]; 0 after a mistake (inih stops). */
int config_parse__collector_key(struct parse *ps, const char *key, const char *v);
int config_parse__task_key(struct parse *ps, const char *section, const char *key,
			   const char *v);

#endif /* TP_SERVICE_CONFIG_PARSE_H */
