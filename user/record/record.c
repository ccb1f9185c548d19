// SPDX-License-Identifier: MIT
/*
 * `taskprof record`, a thin caller of the engine (engine.c): find the
 * target, plan the probes, start the engine on the target, store what it
 * reports until the target ends, then account for everything lost.
 * record__run reads as the list of its phases.
 *
 * What the target sees: nothing. No ptrace, no signal, no write to its
 * memory; probes are on files and act only for the tracked process tree,
 * whose forks cost nothing to follow. No system setting is changed. If this
 * process is killed, the kernel drops every link with it and the guardian
 * closes the session.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"

#include "profile_repo.h"
#include "taskprof.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/util.h"
#include "engine/agg.h"
#include "engine/engine.h"
#include "engine/losses.h"
#include "plan/hooks.h"
#include "plan/markers.h"
#include "plan/plan.h"
#include "plan/probeplan.h"
#include "plan/resolve.h"
#include "plan/spec.h"
#include "record/launch.h"
#include "record/target.h"
#include "session/live_session.h"
#include "sink/sink.h"

#define POLL_MS 20
#define BATCH 4096

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct recorder {
	const struct record_opts *o;
	struct target_image img;
	char *tasks_desc;
	struct plan *plan;
	struct engine *engine;
	struct launch child;
	pid_t root;
	struct live_session ls;
	int child_status;
	bool child_done;
};

/* --- the target and the plan --------------------------------------------------- */

static char *join_specs(const struct record_opts *o)
{
	char *s = NULL, *prev;

	for (size_t i = 0; i < o->nspecs; i++) {
		const struct task_spec *t = &o->specs[i];

		prev = s;
		s = tp_strdup_printf("%s%s%s=%s%s%s", prev ? prev : "", prev ? " " : "", t->name,
				     t->binary ? t->binary : "", t->binary ? ":" : "", t->symbol);
		free(prev);
		if (!s)
			return NULL;
	}
	return s;
}

static int find_target(struct recorder *r)
{
	int err = target_image__find(&r->img, r->o->pid, r->o->argv);

	if (!err && r->img.tracer)
		tp_warn("record: note: PID %d is traced by PID %d (a debugger?): its returns are "
			"probed on ret instructions, which leave its stack as the debugger sees it",
			r->o->pid, r->img.tracer);
	r->tasks_desc = err ? NULL : join_specs(r->o);
	if (!err && !r->tasks_desc) {
		tp_err("record: cannot describe the tasks: %s", strerror(ENOMEM));
		err = -ENOMEM;
	}
	return err;
}

/* --- probes and the BPF object ----------------------------------------------- */

/* Resolves before starting anything, so bad specs cost nothing. */
static int make_plan(struct recorder *r)
{
	enum tp_ret_mode mode = r->o->ret_mode;
	int err;

	/* a debugger sees a uretprobe's trampoline in its backtraces */
	if (mode == TP_RET_AUTO && r->img.tracer)
		mode = TP_RET_SAFE;
	r->plan = plan__new();
	if (!r->plan)
		return -ENOMEM;
	err = resolve__tasks(r->plan, r->o->specs, r->o->nspecs, &r->img.plan, mode);
	if (!err)
		err = hooks__add_runtime(r->plan, r->img.exe, r->img.plan.libs, r->img.plan.nlibs,
					r->o->allocs);
	if (!err)
		err = markers__add_python(r->plan);
	if (err == -ENOMEM)
		tp_err("record: cannot plan the probes: %s", strerror(ENOMEM));
	return err;
}

/*
 * Allocation probes first (they act for tracked threads only), then the
 * root is tracked, then the rest: for a command, before it runs at all.
 */
static int attach_all(struct recorder *r)
{
	int err = 0;

	if (r->o->allocs)
		err = engine__attach_allocs(r->engine, r->plan, r->root);
	if (!err)
		err = engine__track(r->engine, r->root, r->o->allocs ? TP_PROC_ALLOCS : 0);
	return err ? err : engine__attach(r->engine, r->plan);
}

static int start_engine(struct recorder *r)
{
	struct engine_opts eo = { .allocs = r->o->allocs, .ringbuf_mb = r->o->ringbuf_mb };

	r->engine = engine__new(&eo);
	return r->engine ? 0 : -errno;
}

/* --- around the target's run --------------------------------------------------- */

/* Before anything changes: the guardian undoes it if this process is killed. */
static int protect(struct recorder *r)
{
	return live_session__protect(&r->ls, "record", r->o->db);
}

static int start_target(struct recorder *r)
{
	int err;

	if (r->o->pid) {
		r->root = r->o->pid;
		return 0;
	}
	err = launch__fork(&r->child, r->o->argv);
	if (err)
		tp_err("record: cannot start %s: %s", r->o->argv[0], strerror(-err));
	r->root = r->child.pid;
	return err;
}

static int begin_session(struct recorder *r)
{
	char now[PROFILE_TIME_LEN];
	struct sink_session ss = { .target = r->img.desc, .tasks = r->tasks_desc, .started_at = now };
	struct agg *a = &r->ls.agg;

	a->tasks = r->plan->tasks;
	a->ntasks = r->plan->ntasks;
	a->env = r->o->env;
	a->marker_exc_unknown = r->plan->nmarkers && !r->plan->npyraise;
	a->stage = r->o->stage;
	a->allocs = r->o->allocs;
	tp_iso_time(tp_now_ns(CLOCK_REALTIME), now, sizeof(now));
	return live_session__begin(&r->ls, r->engine, &ss, BATCH);
}

static int go(struct recorder *r)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (r->o->pid) {
		tp_info("recording PID %d into %s; Ctrl-C to stop", r->o->pid, r->o->db);
		return 0;
	}
	if (launch__go(&r->child)) {
		tp_err("record: cannot start %s", r->o->argv[0]);
		return -EIO;
	}
	return 0;
}

/* Until the target ends, a signal comes, or the duration is up. */
static void run(struct recorder *r)
{
	uint64_t deadline = 0;

	if (r->o->duration > 0)
		deadline = tp_now_ns(CLOCK_MONOTONIC) + (uint64_t)(r->o->duration * 1e9);
	for (;;) {
		engine__poll(r->engine, POLL_MS);
		if (stop_signal || (deadline && tp_now_ns(CLOCK_MONOTONIC) >= deadline))
			return;
		if (r->o->pid ? !tp_pid_alive(r->o->pid)
			      : (r->child_done = launch__ended(&r->child, &r->child_status)))
			return;
	}
}

/* --- the end ------------------------------------------------------------------- */

static void end_session(struct recorder *r)
{
	struct losses l;

	live_session__end(&r->ls, r->engine, &l);
	tp_info("session %lld: %llu invocations recorded into %s", (long long)r->ls.id,
		(unsigned long long)r->ls.agg.written, r->o->db);
	if (tp_verbose) {
		struct rusage ru;
		double cpu;

		getrusage(RUSAGE_SELF, &ru);
		cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		      ru.ru_stime.tv_usec / 1e6;
		tp_debug("collector CPU: %.3f s, %.0f ns per invocation", cpu,
			 r->ls.agg.seen ? cpu * 1e9 / r->ls.agg.seen : 0.0);
	}
	if (l.lost)
		tp_warn("warning: %llu lost (%s)", (unsigned long long)l.lost, l.detail);
	if (l.open)
		tp_warn("record: note: %llu invocation%s still running when recording stopped: "
			"not stored", (unsigned long long)l.open, l.open == 1 ? " was" : "s were");
	if (r->ls.agg.write_errors)
		tp_err("record: %s", sink__errmsg(r->ls.sink));
}

/* The command's own exit status; a SIGTERM for us is passed on to it. */
static int target_status(struct recorder *r)
{
	if (r->o->pid)
		return 0;
	if (!r->child_done) {
		if (stop_signal == SIGTERM)
			kill(r->child.pid, SIGTERM);
		r->child_done = !launch__wait(&r->child, &r->child_status);
	}
	r->child.pid = 0;
	return r->child_done ? tp_exit_code(r->child_status) : 1;
}

static void recorder__cleanup(struct recorder *r)
{
	engine__free(r->engine);
	if (r->child.pid > 0)
		launch__wait(&r->child, &r->child_status); /* never let go: it exits */
	live_session__close(&r->ls, "record failed before the target ran");
	plan__free(r->plan);
	target_image__fini(&r->img);
	free(r->tasks_desc);
}

int record__run(const struct record_opts *o)
{
	struct recorder r = { .o = o, .child = { .pid = 0, .go_fd = -1 } };
	int rc = 1;

	if (geteuid() != 0) {
		tp_err("record: needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN to load BPF "
		       "and place uprobes): run it with sudo");
		return 1;
	}
	if (find_target(&r) || make_plan(&r) || protect(&r) || start_engine(&r) || live_session__open(&r.ls, o->db) ||
	    start_target(&r) || attach_all(&r) || begin_session(&r) || go(&r))
		goto cleanup;
	run(&r);
	end_session(&r);
	rc = target_status(&r);
	if (r.ls.agg.write_errors && !rc)
		rc = 1;
cleanup:
	recorder__cleanup(&r);
	return rc;
}
