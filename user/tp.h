/* SPDX-License-Identifier: MIT */
/* Internal interfaces of the taskprof collector. */
#ifndef TP_USER_H
#define TP_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include "taskprof.h"
#include "profile_repo.h"

/* --- util.c ------------------------------------------------------------- */
void tp_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int tp_verbose;
#define tp_debug(...) do { if (tp_verbose) tp_warn(__VA_ARGS__); } while (0)
/* ISO-8601 UTC with microseconds, from CLOCK_REALTIME nanoseconds. */
void tp_iso_time(uint64_t realtime_ns, char *buf, size_t len);
uint64_t tp_now_ns(int clock);
char *tp_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- spec.c: [NAME=][BINARY:]SYMBOL ------------------------------------- */
struct task_spec {
	char *name;   /* process_name; defaults to symbol as written */
	char *binary; /* NULL: search the executable, then its libraries */
	char *symbol;
};

int task_spec__parse(const char *s, struct task_spec *out);
void task_spec__free(struct task_spec *t);

/* --- elfsym.c ------------------------------------------------------------ */
struct elf_sym {
	char *name;      /* as in the symbol table */
	char *plain;     /* demangled without parameters, or NULL for C names */
	uint64_t addr;
	uint64_t size;
};

struct elf_file {
	char *path;
	int fd;
	void *elf;          /* Elf * */
	bool has_symtab;    /* not stripped */
	bool is_go;
	bool throws;        /* uses the C++/Rust unwinder: exceptions may pass frames */
	bool is_dyn;        /* ET_DYN (PIE or shared library) */
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
int elf_file__read(const struct elf_file *ef, uint64_t vaddr, void *buf, size_t len);
/* Strips parameters and qualifiers off a demangled name; caller frees. */
char *tp_strip_params(const char *demangled);

/* Paths of the libraries a process has mapped, or that a new process from
 * exe would load (DT_NEEDED closure). Caller frees with tp_strv_free. */
int tp_libs_of_pid(pid_t pid, char ***out, size_t *n);
int tp_libs_of_exe(const char *exe, char ***out, size_t *n);
int tp_find_lib(const char *name, char *const *libs, size_t nlibs, char *out, size_t len);
void tp_strv_free(char **v, size_t n);

/* --- probeplan.c --------------------------------------------------------- */
enum tp_ret_mode {
	TP_RET_AUTO = 0,
	TP_RET_URETPROBE, /* kernel return probe: cheapest, but not unwinder safe */
	TP_RET_INSN,      /* uprobes on the ret instructions: always safe */
};

struct probe_plan {
	uint64_t entry_vaddr;  /* where the entry uprobe goes */
	uint32_t sp_adj;       /* add to SP there to get SP at function entry */
	enum tp_ret_mode mode; /* resolved: URETPROBE or INSN */
	uint64_t *rets;        /* vaddrs of ret instructions (INSN mode) */
	size_t nrets;
	uint64_t *tails;       /* direct tail-call targets outside the function */
	size_t ntails;
	bool indirect_jmp;     /* has jmp *reg/mem: a switch or a tail call */
	bool has_call;
	bool entry_emulated;   /* the kernel emulates the probed instruction */
};

int probe_plan__build(const struct elf_file *ef, const struct elf_sym *sym,
		      enum tp_ret_mode want, struct probe_plan *out);
void probe_plan__free(struct probe_plan *p);

/* --- agg.c: ring-buffer records to profiles ------------------------------ */
struct agg_task {
	char *name;    /* process_name */
	char *symbol;
	char *binary;
};

struct agg {
	struct profile_repo *repo;
	const struct agg_task *tasks;
	size_t ntasks;
	const char *env;
	const char *stage;
	int64_t session_id;
	bool allocs;
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	struct profile *pending;
	size_t npending;
	size_t cap;
	uint64_t seen;
	uint64_t written;
	uint64_t write_errors;
	int last_err;
};

int agg__init(struct agg *a, size_t batch);
void agg__fini(struct agg *a);
/* ring_buffer_sample_fn: ctx is the struct agg. */
int agg__handle(void *ctx, void *data, size_t len);
int agg__flush(struct agg *a);
/* Fills p; its strings are borrowed from a and must not be freed. */
void agg__event_to_profile(const struct agg *a, const struct tp_event *e, struct profile *p);

/* --- launch.c ------------------------------------------------------------ */
struct launch {
	pid_t pid;
	int go_fd; /* write end: closing it lets the child exec */
};

int launch__fork(struct launch *l, char *const argv[]);
int launch__go(struct launch *l);
void launch__abort(struct launch *l);
char *tp_which(const char *cmd);

/* --- guard.c: the unwind guard (ptrace tracer) ---------------------------- */
struct guard {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pid_t root;
	int req_fd;               /* guard_reqs map; set once the BPF object is loaded */
	pid_t *tids;              /* seized threads */
	int *pending_sig;         /* per tid, while held for detaching */
	size_t ntids;
	/* called in the tracer thread for each new process, before it runs */
	void (*on_fork)(void *ctx, pid_t pid);
	/* called with every thread held, before letting go */
	void (*before_detach)(void *ctx);
	void *ctx;
	int seize_err;
	int root_status;
	volatile bool root_exited;
	volatile bool stop;
	bool ready;
	bool started;
	bool active;
	uint64_t fixups;          /* requests applied */
	uint64_t written;         /* slots rewritten */
	uint64_t skipped;         /* slots that no longer held what BPF saw */
};

/* Seizes every thread of root (and follows its clones and forks). */
int guard__start(struct guard *g, pid_t root);
/* Holds every thread, calls before_detach, lets go. Accepts NULL. */
void guard__stop(struct guard *g);

/* --- collector.c --------------------------------------------------------- */
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
	bool no_guard;           /* --no-unwind-guard */
	size_t ringbuf_mb;
};

/* Returns the exit status for the process. */
int record__run(const struct record_opts *o);

#endif /* TP_USER_H */
