/* SPDX-License-Identifier: MIT */
/*
 * The probe plan: every uprobe to place (program, file, offset, cookie),
 * the files read for it, the task table BPF reports indexes of, and the
 * return mechanism each image allows. Its callers add to it: resolve.h
 * (declared tasks), hooks.h (runtime hooks), markers.h (marker regions),
 * dynsites.h (return sites found while running).
 */
#ifndef TP_PLAN_PLAN_H
#define TP_PLAN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "plan/probeplan.h"

struct callers;
struct elf_file;
struct elf_sym;

enum tp_prog {
	TP_PROG_ENTER,   /* tp_enter: a task's entry */
	TP_PROG_RET,     /* tp_ret: a ret instruction of a task */
	TP_PROG_URET,    /* tp_ret too, as a uretprobe (its cookie TP_RET_COOKIE_URET) */
	TP_PROG_SITE,    /* tp_site: where a task's caller resumes */
	TP_PROG_LANDED,  /* tp_landed: a landing pad of a task's caller */
	TP_PROG_TAIL,    /* tp_tail: a jump that may leave a task (insn returns) */
	TP_PROG_RESUME,  /* tp_resume: a task's own cleanup sends an exception on */
	TP_PROG_RAISE,   /* tp_raise: _Unwind_RaiseException */
	TP_PROG_FORCED,  /* tp_forced: _Unwind_ForcedUnwind */
	TP_PROG_JUMP,    /* tp_jump: longjmp and its aliases */
	TP_PROG_ALLOC,   /* tp_alloc: the malloc family, per process */
	TP_PROG_MARK_BEGIN, /* tp_mark_begin: taskprof_marker_begin */
	TP_PROG_MARK_END,   /* tp_mark_end: taskprof_marker_end */
	TP_PROG_PYRAISE,    /* tp_py_raise: CPython's _PyErr_SetObject */
	TP_PROG_PYFRAME,    /* tp_py_frame: CPython's PyTraceBack_Here */
	TP_PROG_NR,
};

struct uprobe_req {
	char *path;
	uint64_t offset;
	uint64_t cookie;
	enum tp_prog prog;
};

struct agg_task {
	char *name;        /* process_name */
	char *symbol;
	char *binary;
	char *stage;       /* NULL: the session's */
	uint32_t max_rows; /* per second, beyond which invocations are rolled up; 0: all */
};

struct plan {
	struct uprobe_req *v;
	size_t n;
	struct elf_file **elves;  /* every file read, opened once */
	size_t nelves;
	struct agg_task *tasks;   /* by task index, as BPF reports it */
	size_t ntasks;
	size_t nfuncs;            /* functions probed */
	size_t nuret;             /* ...of which return by uretprobe */
	size_t nsites;            /* return-site probes */
	size_t npads;             /* landing-pad probes */
	struct plan_image {       /* what the image of each file allows, decided */
		const char *path;
		enum tp_ret_mode mode;
	} *images;
	size_t nimages;
	struct plan_marker {      /* declared marker names (markers.c) */
		const char *name; /* borrowed from the spec */
		uint32_t task;
	} *markers;
	size_t nmarkers;
	uint32_t marker_any;      /* the task of marker:*, or TP_NO_TASK */
	size_t npyraise;          /* Python raise hooks placed (exceptions of markers) */
};

/* What the target runs: where unqualified symbols are searched. */
struct plan_target {
	const char *exe;
	char **libs;     /* libraries it maps (-p) or will load, LD_PRELOAD included */
	size_t nlibs;
	char **preload;  /* LD_PRELOAD, which every program it runs gets too */
	size_t npreload;
};

struct plan *plan__new(void);
void plan__free(struct plan *p);
int plan__add(struct plan *p, enum tp_prog prog, const char *path, uint64_t off, uint64_t cookie);
struct elf_file *plan__elf(struct plan *p, const char *path);
int plan__add_function(struct plan *p, struct elf_file *ef, const struct elf_sym *s,
		       uint32_t task, enum tp_ret_mode mode);
struct callers;
/* Probes at return sites and landing pads; how many sites were new. */
int plan__add_sites(struct plan *p, struct elf_file *ef, const struct callers *c);
/*
 * The returns the image of a process running exe allows (exe, the
 * libraries it loads, and extra: /proc/PID/maps for -p, LD_PRELOAD):
 * URETPROBE when nothing in it looks at its stack or loads unseen code;
 * AUTO (uretprobes on leaves) unless it walks stacks, loads code, or
 * handles signals and unwinds; SAFE otherwise, and for a library.
 */
enum tp_ret_mode plan__image_mode(struct plan *p, const char *exe, char *const *extra,
				  size_t nextra);

#endif /* TP_PLAN_PLAN_H */
