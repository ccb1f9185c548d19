/* SPDX-License-Identifier: MIT */
/*
 * taskprof markers: make a region of code a task, in C, C++ or through
 * ctypes. A marker costs two calls of empty functions when no collector
 * runs; `taskprof record -t marker:NAME` (or `marker = NAME` in a collector's
 * configuration) puts probes on them and measures every region named NAME
 * as an invocation, like a native task.
 *
 *	uint64_t t = TASKPROF_BEGIN("parse");
 *	...
 *	TASKPROF_END(t);
 *
 * Link with -ltaskprof-marker. Regions nest, may end in any order (a
 * coroutine's region ends after regions begun later), and belong to the
 * thread that began them.
 */
#ifndef TASKPROF_MARKER_H
#define TASKPROF_MARKER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a region ended: as taskprof's `status` column says it. */
enum taskprof_marker_status {
	TASKPROF_COMPLETED = 0, /* it ran to its end */
	TASKPROF_UNWOUND = 1,   /* an exception left it */
};

#define TASKPROF_MARKER_NAME_MAX 63 /* bytes of a name, stage or env that count */

/* A new marker id, unique in the process: one per kind of region. */
uint32_t taskprof_marker_id(void);
/* A new token, unique in the process: one per region entered. */
uint64_t taskprof_marker_token(void);
/*
 * A region of kind id begins; token names it to taskprof_marker_end. The
 * name, stage and env of an id are read once, at its first region: they
 * must not change for that id. stage and env may be NULL.
 */
void taskprof_marker_begin(uint64_t token, uint32_t id, const char *name, const char *stage,
			   const char *env);
/* The region token ends, with a status from enum taskprof_marker_status. */
void taskprof_marker_end(uint64_t token, uint32_t status);

#if defined(__GNUC__)
/*
 * Begins a region named by a string literal; evaluates to its token. The
 * name is read by the probe, which cannot fault a page in: its first byte
 * is touched here so that a literal never read before is there to read.
 */
#define TASKPROF_BEGIN(name)                                                               \
	__extension__({                                                                    \
		static uint32_t taskprof_id_;                                              \
		const char *taskprof_name_ = (name);                                       \
		uint64_t taskprof_token_ = taskprof_marker_token();                        \
		if (!__atomic_load_n(&taskprof_id_, __ATOMIC_RELAXED))                     \
			__atomic_store_n(&taskprof_id_, taskprof_marker_id(),              \
					 __ATOMIC_RELAXED);                                \
		(void)*(const volatile char *)taskprof_name_;                              \
		taskprof_marker_begin(taskprof_token_, taskprof_id_, taskprof_name_, 0, 0); \
		taskprof_token_;                                                           \
	})
#define TASKPROF_END(token) taskprof_marker_end((token), TASKPROF_COMPLETED)
#endif

#ifdef __cplusplus
}
#endif

#endif /* TASKPROF_MARKER_H */
