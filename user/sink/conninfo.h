/* SPDX-License-Identifier: MIT */
/*
 * libpq connection strings (key=value or postgresql:// URIs), parsed by
 * libpq itself: whether one names a password, and how to say which server
 * it names without the password, for logs, status and the session row.
 */
#ifndef TP_SINK_CONNINFO_H
#define TP_SINK_CONNINFO_H

#include <stddef.h>

/* 1 if s names a password, 0 if not, -EINVAL if libpq cannot parse it. */
int conninfo__has_password(const char *s);
/* "host=H port=P dbname=D user=U sslmode=M", whichever s sets, and never
 * its password; "(unparsable)" if libpq cannot parse it. */
void conninfo__describe(const char *s, char *buf, size_t len);

#endif /* TP_SINK_CONNINFO_H */
