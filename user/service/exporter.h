/* SPDX-License-Identifier: MIT */
/*
 * The /metrics endpoint: a child process that binds the configured
 * address, drops to an unprivileged user, and serves the latest snapshot
 * the collector gave it, with libmicrohttpd. The collector never waits on
 * it: a snapshot is a sealed memfd passed over a socket, skipped if the
 * child is not taking them. A bug in the side that faces the network is
 * a bug in a process with no privilege and nothing of the collector's.
 */
#ifndef TP_SERVICE_EXPORTER_H
#define TP_SERVICE_EXPORTER_H

#include <stddef.h>
#include <sys/types.h>

struct exporter;

/* Listening on addr ("127.0.0.1:9464", "[::1]:9464") as uid:gid when
 * it returns; NULL with one line in err (the address taken, say). */
struct exporter *exporter__start(const char *addr, uid_t uid, gid_t gid, char *err,
				 size_t errlen);
/* The text /metrics serves from now on; -EAGAIN if the child is behind. */
int exporter__publish(struct exporter *x, const char *text, size_t len);
pid_t exporter__pid(const struct exporter *x);
/* The child's hidden command: `taskprof __metrics ADDR UID GID`, its
 * socket on fd 3. */
#define TP_EXPORTER_CMD "__metrics"
int exporter__main(int argc, char **argv);
/* Stops the child and waits for it; accepts NULL. */
void exporter__stop(struct exporter *x);

#endif /* TP_SERVICE_EXPORTER_H */
