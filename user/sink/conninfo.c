// SPDX-License-Identifier: MIT
/*
 * Connection strings read by libpq's own parser (conninfo.h), so that a
 * URI's user:password@ and a key=value password are found alike.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "sink/conninfo.h"

int conninfo__has_password(const char *s)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(s, &err), *o;
	int has = 0;

	PQfreemem(err); /* it may quote the string: never printed */
	if (!opts)
		return -EINVAL;
	for (o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && o->val[0])
			has = 1;
	PQconninfoFree(opts);
	return has;
}

void conninfo__describe(const char *s, char *buf, size_t len)
{
	static const char *const shown[] = { "host", "hostaddr", "port", "dbname", "user",
					     "sslmode" };
	PQconninfoOption *opts = PQconninfoParse(s, NULL), *o;
	size_t used = 0;

	buf[0] = 0;
	if (!opts) {
		snprintf(buf, len, "(unparsable)");
		return;
	}
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		for (o = opts; o->keyword; o++)
			if (!strcmp(o->keyword, shown[i]) && o->val && o->val[0] && used < len)
				used += snprintf(buf + used, len - used, "%s%s=%s", used ? " " : "",
						 o->keyword, o->val);
	PQconninfoFree(opts);
}
