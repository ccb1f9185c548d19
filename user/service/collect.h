/* SPDX-License-Identifier: MIT */
/*
 * `taskprof collect`, the always-on collector, as the command line calls
 * it: run, tidy after a stop, print the status.
 */
#ifndef TP_SERVICE_COLLECT_H
#define TP_SERVICE_COLLECT_H

/* Exit status for a configuration that cannot be used (sysexits' EX_CONFIG):
 * the unit does not restart on it. */
#define TP_EXIT_CONFIG 78

int collect__run(const char *config_path);

/* `collect --after-stop`: tidies what a collector killed with its guardian left. */
int collect__after_stop(const char *config_path);

/* `taskprof status`: prints the newest collector's report. */
int status__print(const char *db);

#endif /* TP_SERVICE_COLLECT_H */
