/* SPDX-License-Identifier: MIT */
/*
 * The launched target: forked, held until its probes are in, let go,
 * waited for.
 */
#ifndef TP_RECORD_LAUNCH_H
#define TP_RECORD_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

struct launch {
	pid_t pid;
	int go_fd; /* write end: writing 'g' lets the child exec; closing it, exit */
};

int launch__fork(struct launch *l, char *const argv[]);
int launch__go(struct launch *l);
bool launch__ended(struct launch *l, int *status);
int launch__wait(struct launch *l, int *status);
/* The shell's convention: 128 + signal for a command a signal killed. */
int tp_exit_code(int status);

#endif /* TP_RECORD_LAUNCH_H */
