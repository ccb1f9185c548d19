/* SPDX-License-Identifier: MIT */
/* Internal interfaces of the taskprof collector. */
#ifndef TP_USER_H
#define TP_USER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <sys/types.h>

#include "taskprof.h"
#include "profile_repo.h"

/* --- util.c ------------------------------------------------------------- */
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
/* ISO-8601 UTC with microseconds, from CLOCK_REALTIME nanoseconds. */
void tp_iso_time(uint64_t realtime_ns, char *buf, size_t len);
/* ...and back, to microseconds since the epoch; -EINVAL if s is not one. */
int tp_parse_iso_us(const char *s, int64_t *us);
uint64_t tp_now_ns(int clock);
char *tp_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool tp_ends_with(const char *s, const char *suffix);
/* Appends x to *v unless it holds it already; 0 or -ENOMEM. */
int tp_u64_push(uint64_t **v, size_t *n, uint64_t x);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The kernel's ABI that Debian's libbpf 1.1 headers predate (6.6+). */
#define TP_TRACE_UPROBE_MULTI 48  /* enum bpf_attach_type BPF_TRACE_UPROBE_MULTI */
#define TP_UPROBE_MULTI_RETURN 1  /* BPF_F_UPROBE_MULTI_RETURN */

/* The guardian's hidden command: `taskprof __guardian PID DB` */
#define TP_GUARDIAN_CMD "__guardian"

/* --- spec.c: [NAME=][BINARY:]SYMBOL ------------------------------------- */
struct task_spec {
	char *name;   /* process_name; defaults to symbol as written */
	char *binary; /* NULL: search the executable, then its libraries */
	char *symbol; /* or, for a marker, its name ("*": every marker) */
	bool marker;  /* marker:NAME, a region libtaskprof-marker names */
};

int task_spec__parse(const char *s, struct task_spec *out);
void task_spec__free(struct task_spec *t);

/* --- elfsym.c ------------------------------------------------------------ */
struct elf_sym {
	char *name;      /* as in the symbol table */
	char *plain;     /* demangled without parameters, or NULL for C names */
	uint64_t addr;
	uint64_t size;
	bool exported;   /* defined in .dynsym: other files may call it */
};

/* Ways a file's code can leave frames without returning (elfsym.c). */
enum elf_cuts {
	ELF_CUT_THROW = 0x1,   /* C++ exceptions, Rust panics */
	ELF_CUT_FORCED = 0x2,  /* pthread_exit, pthread_cancel */
	ELF_CUT_JUMP = 0x4,    /* longjmp */
};

struct elf_file {
	char *path;
	int fd;
	void *elf;          /* Elf * */
	bool has_symtab;    /* not stripped */
	bool is_go;
	bool walks_stack;   /* unwinds, walks or records its own stack (elfsym.c) */
	bool walker;        /* ...walks or records it, not only unwinds it */
	bool handles_signals; /* installs signal handlers */
	bool loads_code;    /* dlopen: code the analysis of its image cannot see */
	unsigned int cuts;  /* enum elf_cuts it can cause */
	bool is_dyn;        /* ET_DYN (PIE or shared library) */
	bool is_exec;       /* an executable, PIE or not */
	struct elf_sym *syms;
	size_t nsyms;
	char **needed;      /* DT_NEEDED */
	size_t nneeded;
	char *runpath;      /* DT_RUNPATH or DT_RPATH */
};

struct elf_file *elf_file__open(const char *path);
void elf_file__close(struct elf_file *ef);
/* Symbols matching a C name, a mangled name or a demangled name without
 * parameters; one per address. Returns the count, or a negative errno. */
int elf_file__find(const struct elf_file *ef, const char *query, struct elf_sym ***out);
/* Up to max near matches for an unknown symbol, comma separated. */
void elf_file__suggest(const struct elf_file *ef, const char *query, char *buf, size_t len);
const struct elf_sym *elf_file__sym_at(const struct elf_file *ef, uint64_t addr);
int elf_file__offset(const struct elf_file *ef, uint64_t vaddr, uint64_t *off);
/* The address a file offset is loaded at; -ENOENT if no segment holds it. */
int elf_file__vaddr(const struct elf_file *ef, uint64_t off, uint64_t *vaddr);
int elf_file__read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);
/* --- demangle.c ---------------------------------------------------------- */
/* Strips parameters and qualifiers off a demangled name; caller frees. */
char *tp_strip_params(const char *demangled);
/* The plain name of a mangled C++ symbol, or NULL for a C name; caller frees. */
char *tp_demangle_plain(const char *name);

/* --- libs.c ---------------------------------------------------------------- */

/* Paths of the libraries a process has mapped, or that a new process from
 * exe would load (DT_NEEDED closure). Caller frees with tp_strv_free. */
int tp_libs_of_pid(pid_t pid, char ***out, size_t *n);
int tp_libs_of_exe(const char *exe, char ***out, size_t *n);
int tp_find_lib(const char *name, char *const *libs, size_t nlibs, char *out, size_t len);
void tp_strv_free(char **v, size_t n);
/* Appends a copy of s unless v holds it already; 0 or -ENOMEM. */
int tp_strv_add(char ***v, size_t *n, const char *s);

/* --- probeplan.c --------------------------------------------------------- */
enum tp_ret_mode {
	TP_RET_AUTO = 0,  /* the cheapest that is safe and exact (plan.c) */
	TP_RET_URETPROBE, /* kernel return probe: cheapest, but not unwinder safe */
	TP_RET_INSN,      /* uprobes on the ret instructions: always safe */
	TP_RET_SITES,     /* uprobes where the callers resume: safe, sees tail calls */
	TP_RET_SAFE,      /* AUTO without uretprobes (a debugger is attached) */
};

struct probe_plan {
	uint64_t entry_vaddr;  /* where the entry uprobe goes */
	uint32_t sp_adj;       /* add to SP there to get SP at function entry */
	enum tp_ret_mode mode; /* resolved: URETPROBE or INSN */
	uint64_t *rets;        /* vaddrs of ret instructions (INSN mode) */
	size_t nrets;
	uint64_t *tails;       /* direct tail-call targets outside the function */
	size_t ntails;
	uint64_t *tail_jmps;   /* jumps that may leave it: out of it, or indirect */
	size_t ntail_jmps;
	bool indirect_jmp;     /* has jmp *reg/mem: a switch or a tail call */
	bool has_call;
	bool entry_emulated;   /* the kernel emulates the probed instruction */
};

int probe_plan__build(const struct elf_file *ef, const struct elf_sym *sym,
		      enum tp_ret_mode want, struct probe_plan *out);
void probe_plan__free(struct probe_plan *p);

/* --- plan.c, resolve.c, hooks.c: every uprobe to place ------------------- */
enum tp_prog {
	TP_PROG_ENTER,   /* tp_enter: a task's entry */
	TP_PROG_RET,     /* tp_ret: a ret instruction of a task */
	TP_PROG_URET,    /* tp_uret: a task's return, as a uretprobe */
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
/* Why ef has no such symbol, and what to do (resolve.c). */
void plan__explain_missing(const struct elf_file *ef, const char *symbol, char *buf, size_t len);
/* Resolves every declared task (resolve.c). */
int plan__add_tasks(struct plan *p, const struct task_spec *specs, size_t nspecs,
		    const struct plan_target *t, enum tp_ret_mode mode);
/* --- markers.c: marker tasks and what their ids name --------------------- */
/* The marker libraries that exist, distinct files; returns how many. */
size_t markers__libraries(char paths[][PATH_MAX], size_t max);
/* A marker spec's task idx: probes on the libraries, once; its name for BPF. */
int plan__add_marker(struct plan *p, const struct task_spec *ts, uint32_t idx);
/* The begin and end probes on one marker library, once per plan. */
int markers__add_library(struct plan *p, const char *path);
/* Regions named name ("*": any not declared) count for task idx. */
int markers__declare(struct plan *p, const char *name, uint32_t idx);
/* With markers: the runtime hooks of the system's python3 too, which a
 * marked program may run under a launcher (env, a shell script). */
int markers__add_python(struct plan *p);
struct taskprof_bpf;
/* The plan's marker names into BPF; ids seen so far are read again. */
int markers__set(struct taskprof_bpf *skel, const struct plan *p);
struct marker_table;
struct marker_table *marker_table__new(void);
void marker_table__free(struct marker_table *t);
int marker_table__put(struct marker_table *t, const struct tp_marker_rec *r);
/* What (pid, id) names; stage and env NULL when the region gave none. */
bool marker_table__get(const struct marker_table *t, uint32_t pid, uint32_t id, const char **name,
		       const char **stage, const char **env);

/* Exceptions, longjmp and, with allocs, the malloc family (hooks.c). */
/* The same for one file and the libraries it needs, without allocs. */
int plan__add_runtime_of(struct plan *p, const char *exe);
int plan__add_runtime(struct plan *p, const char *exe, char *const *libs, size_t nlibs,
		      bool allocs);

/* --- uprobe_multi.c, attach.c: the plan as links ------------------------- */
int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t n, unsigned int flags, pid_t pid);

struct taskprof_bpf;
struct attacher;
/* Before load: the multi-uprobe programs' attach type. */
void attacher__prepare(struct taskprof_bpf *skel);
struct attacher *attacher__new(struct taskprof_bpf *skel);
/* What a sync may keep, and whom it tells about a task losing probes. */
struct attacher_sync {
	void *ctx;
	/* a group the plan no longer has, on this file, stays while true */
	bool (*keep)(void *ctx, dev_t dev, ino_t ino, uint32_t task);
	/* task's entry probes are going: its open frames cannot be trusted */
	void (*retire)(void *ctx, uint32_t task);
};
/* Task probes and runtime hooks, on the files, for every process: the
 * links made to match the plan, only what changed touched. s may be NULL. */
int attacher__sync(struct attacher *a, const struct plan *p, const struct attacher_sync *s);
/* Every link on one file, gone now (its bytes are being rewritten). */
int attacher__drop_file(struct attacher *a, dev_t dev, ino_t ino, const struct attacher_sync *s);
/* The plan's allocation probes, for one process. */
int attacher__attach_allocs(struct attacher *a, const struct plan *p, pid_t pid);
size_t attacher__count(const struct attacher *a);
/* Detaches everything, the links' teardowns in parallel. Accepts NULL. */
void attacher__free(struct attacher *a);

/* --- ratelimit.c: rows up to a rate, rollups beyond it ------------------- */
struct ratelimit;
struct ratelimit *ratelimit__new(size_t ntasks);
void ratelimit__free(struct ratelimit *r);
bool ratelimit__admit(struct ratelimit *r, uint32_t task, int64_t sec, uint32_t max);
int ratelimit__roll(struct ratelimit *r, const struct profile *p);
const struct rollup *ratelimit__pending(const struct ratelimit *r, size_t *n);
uint64_t ratelimit__clear(struct ratelimit *r);
uint64_t ratelimit__rolled(const struct ratelimit *r);

/* --- agg.c: ring-buffer records to profiles ------------------------------ */
struct agg {
	struct profile_repo *repo;
	const struct agg_task *tasks;
	size_t ntasks;
	const char *env;
	const char *stage;
	int64_t session_id;
	bool allocs;
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct marker_table *markers; /* what marker ids name (markers.c) */
	bool marker_exc_unknown;      /* no Python raise hook: markers' exceptions NULL */
	struct ratelimit *limits; /* NULL: every invocation is a row */
	struct profile *pending;
	size_t npending;
	size_t cap;
	uint64_t seen;
	uint64_t written;
	uint64_t write_errors;
	uint64_t no_allocs;      /* rows whose allocations could not be counted */
	int last_err;
};

int agg__init(struct agg *a, size_t batch);
void agg__fini(struct agg *a);
/* ring_buffer_sample_fn: ctx is the struct agg. */
int agg__handle(void *ctx, void *data, size_t len);
int agg__flush(struct agg *a);
/* Fills p; its strings are borrowed from a and must not be freed. */
void agg__event_to_profile(const struct agg *a, const struct tp_event *e, struct profile *p);

/* --- sink.c: ring buffer to aggregator ----------------------------------- */
struct sink;
struct sink *sink__new(int ringbuf_fd, struct agg *agg);
/* Requests for return sites go to fn (dynsites.h). */
void sink__on_site(struct sink *s, void (*fn)(void *ctx, const struct tp_site_req *r), void *ctx);
void sink__poll(struct sink *s, int timeout_ms);
void sink__drain(struct sink *s);
void sink__free(struct sink *s);

/* --- losses.c ---------------------------------------------------------------- */
struct losses {
	uint64_t lost;       /* sessions.events_lost */
	uint64_t open;       /* invocations still running at the stop: not stored */
	char detail[512];    /* sessions.loss_detail: every reason, with its count */
};

void losses__collect(struct losses *l, int stats_fd, const struct agg *agg, uint64_t open);

/* --- launch.c: the target ------------------------------------------------ */
struct launch {
	pid_t pid;
	int go_fd; /* write end: writing 'g' lets the child exec; closing it, exit */
};

int launch__fork(struct launch *l, char *const argv[]);
int launch__go(struct launch *l);
bool launch__ended(struct launch *l, int *status);
int launch__wait(struct launch *l, int *status);
char *tp_which(const char *cmd);
bool tp_pid_alive(pid_t pid);
int tp_exit_code(int status);
unsigned long long tp_proc_start_time(pid_t pid);

/* --- target.c: what the target runs ------------------------------------- */
struct target_image {
	char *exe;
	struct plan_target plan;  /* exe, libraries, LD_PRELOAD */
	char *desc;               /* sessions.target */
	pid_t tracer;             /* -p: who already traces it (a debugger), or 0 */
};

/* pid for -p, else argv; prints one line and fails on a bad target. */
int target_image__find(struct target_image *t, pid_t pid, char **argv);
void target_image__fini(struct target_image *t);

/* --- guardian.c: who closes the session of a collector that was killed ----- */

struct guardian;
/* Before a run opens its session: its guardian started; NULL and errno,
 * said as who's, if none could start. */
struct guardian *guardian__protect(const char *who, const char *db);
void guardian__tell_session(struct guardian *g, int64_t session);
void guardian__dismiss(struct guardian *g);
int guardian__main(int argc, char **argv);

/* --- main.c, cli_*.c: the command line ------------------------------------ */
extern const char cli_usage_text[];
/* One line for a specific mistake, the full usage otherwise; returns 2. */
int cli__usage(const char *why);
const char *cli__default_db(void);
int cli__parse_i64(const char *s, int64_t *out);
/* What list and stats take: --db, --session, --process, --format. */
struct query_args {
	const char *db;
	const char *process;  /* NULL: every task */
	const char *format;   /* table, csv or json */
	int64_t session;      /* 0: every session */
};
/* table, csv or json: what list, stats and diff print. */
bool cli__format_ok(const char *f);
/* 0 to go on; 1 after --help (exit 0); else the usage error's exit status. */
int cli__query_args(const char *cmd, int argc, char **argv, struct query_args *q);
/* getopt's '?' (with opterr = 0) as one line naming the option; returns 2. */
int cli__bad_option(const char *cmd, char *const *argv);
/* A number in [lo, hi]; -EINVAL otherwise (NaN too). */
int cli__parse_double(const char *s, double lo, double hi, double *out);
/* A session's rows (id 0: every row), of one task if process is set; a
 * missing session or a read error is printed as cmd's one line. */
int cli__load_session(struct profile_repo *repo, const char *cmd, const char *db, int64_t id,
		      const char *process, struct profile_list *out);
int cli__record(int argc, char **argv);
int cli__list(int argc, char **argv);
int cli__show(int argc, char **argv);
int cli__rm(int argc, char **argv);
int cli__collect(int argc, char **argv);
int cli__status(int argc, char **argv);
int cli__sessions(int argc, char **argv);
int cli__stats(int argc, char **argv);
int cli__diff(int argc, char **argv);
int cli__report(int argc, char **argv);
int cli__export(int argc, char **argv);

/* --- format.c: profiles printed, every column from the column table ------ */
/* A csv field, quoted when it holds a comma, a quote or a line break. */
void format__csv_str(FILE *f, const char *s);
void format__csv(FILE *f, const struct profile_list *l);
void format__json(FILE *f, const struct profile_list *l);
void format__table(FILE *f, const struct profile_list *l);
void format__show(FILE *f, const struct profile *p);

/* --- engine.c: BPF, probes, tracked processes, records, losses ------------ */
struct engine_opts {
	bool allocs;        /* malloc-family probes */
	bool track_all;     /* any process entering a task is tracked (collect) */
	bool lazy_rss;      /* rss_stat only while a tracked process lives (collect) */
	size_t ringbuf_mb;  /* 0: TP_RINGBUF_MB */
};

/* A file, as stat(2) names it. */
struct file_id {
	dev_t dev;
	ino_t ino;
};

struct engine;
struct engine *engine__new(const struct engine_opts *opts);
/* Tracks pid and, from then on, the processes it forks. */
int engine__track(struct engine *e, pid_t pid, uint32_t flags);
/* Forgets tracked processes that are gone without an exit BPF saw. */
void engine__prune_dead(struct engine *e);
/* The plan's allocation probes for pid (before tracking it). */
int engine__attach_allocs(struct engine *e, const struct plan *p, pid_t pid);
/* Tracepoints and the plan's probes on files. */
/* Keeps p: return sites found while running are added to it (dynsites.h). */
int engine__attach(struct engine *e, struct plan *p);
/* The plan's file probes, changed from the last (collect); see attacher__sync. */
int engine__sync(struct engine *e, struct plan *p, const struct attacher_sync *s);
void engine__retire(struct engine *e, uint32_t task);
int engine__drop_file(struct engine *e, dev_t dev, ino_t ino, const struct attacher_sync *s);
/* Takes every record so far and writes it (before the task table changes). */
void engine__flush(struct engine *e);
/* lazy_rss: attaches rss_stat once a frame asked for it (after each poll) or
 * the caller needs it (it tracked running processes)... */
int engine__check_rss(struct engine *e, bool needed);
/* ...and detaches it when no tracked process is left (every few seconds). */
void engine__idle_rss(struct engine *e);
/* The files holding tasks, by device and inode: an exec of one attaches
 * rss_stat before the program's first call (lazy_rss). */
int engine__set_task_files(struct engine *e, const struct file_id *ids, size_t n);
void engine__losses(struct engine *e, const struct agg *agg, struct losses *l);
void engine__prog_stats(struct engine *e, uint64_t *run_ns, uint64_t *runs);
/* Records go to agg from now on. */
int engine__sink(struct engine *e, struct agg *agg);
void engine__poll(struct engine *e, int timeout_ms);
/* Takes every record, detaches, counts what was lost. */
void engine__stop(struct engine *e, const struct agg *agg, struct losses *l);
void engine__free(struct engine *e);

/* --- record.c ----------------------------------------------------------- */
struct record_opts {
	const char *db;
	const char *stage;
	const char *env;
	bool allocs;
	double duration;         /* seconds, 0 = until the target ends */
	pid_t pid;               /* -p */
	char **argv;             /* -- COMMAND */
	struct task_spec *specs;
	size_t nspecs;
	enum tp_ret_mode ret_mode;
	size_t ringbuf_mb;
};

/* Returns the exit status for the process. */
int record__run(const struct record_opts *o);

#endif /* TP_USER_H */
