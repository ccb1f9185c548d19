/* SPDX-License-Identifier: MIT */
/*
 * The guardian: a process started before a session opens, in a session
 * of its own and last in the OOM killer's order, which marks the session
 * aborted through the sink if its collector is killed.
 */
#ifndef TP_SESSION_GUARDIAN_H
#define TP_SESSION_GUARDIAN_H

#include <stdint.h>

struct guardian;

/* The guardian's hidden command: `taskprof __guardian PID DB` */
#define TP_GUARDIAN_CMD "__guardian"

/* Before a run opens its session: its guardian started; NULL and errno,
 * said as who's, if none could start. */
struct guardian *guardian__protect(const char *who, const char *db);
void guardian__tell_session(struct guardian *g, int64_t session);
void guardian__dismiss(struct guardian *g);
int guardian__main(int argc, char **argv);

#endif /* TP_SESSION_GUARDIAN_H */
