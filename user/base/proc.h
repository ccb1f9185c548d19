/* SPDX-License-Identifier: MIT */
/*
 * Other processes and programs, as /proc and PATH show them.
 */
#ifndef TP_BASE_PROC_H
#define TP_BASE_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* The path of cmd as execvp would find it, or NULL; caller frees. */
char *tp_which(const char *cmd);
/* Whether pid runs; a zombie has ended (its parent has not reaped it yet). */
bool tp_pid_alive(pid_t pid);
/* Start time in clock ticks since boot (/proc/PID/stat field 22), 0 if gone. */
unsigned long long tp_proc_start_time(pid_t pid);

#endif /* TP_BASE_PROC_H */
