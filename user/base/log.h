/* SPDX-License-Identifier: MIT */
/*
 * One-line messages: "taskprof: subsystem: what failed: reason", on a
 * terminal or for the journal. Every layer may call it; it calls nothing.
 */
#ifndef TP_BASE_LOG_H
#define TP_BASE_LOG_H

/*
 * One line on stderr, "taskprof: subsystem: what: why", with its syslog
 * priority (LOG_ERR...) for the journal when stderr goes there. Errors and
 * notes look alike on a terminal; debug lines appear with -v only.
 */
void tp_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int tp_verbose;
extern int tp_quiet; /* notes (LOG_INFO) not printed: record -q */
#define tp_err(...) tp_log(3, __VA_ARGS__)   /* LOG_ERR */
#define tp_warn(...) tp_log(4, __VA_ARGS__)  /* LOG_WARNING */
#define tp_info(...) tp_log(6, __VA_ARGS__)  /* LOG_INFO */
#define tp_debug(...) do { if (tp_verbose) tp_log(7, __VA_ARGS__); } while (0)

#endif /* TP_BASE_LOG_H */
