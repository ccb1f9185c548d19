// SPDX-License-Identifier: MIT
/*
 * The unwind guard: makes uretprobes safe for C++ exceptions, Rust panics
 * and forced unwinds (pthread_exit, pthread_cancel).
 *
 * A uretprobe replaces the return address with the kernel's trampoline, and
 * the unwinder cannot step through the trampoline: an exception passing the
 * frame ends in std::terminate. BPF cannot write user memory here (kernel
 * lockdown forbids bpf_probe_write_user), so when an exception starts, BPF
 * lists the hijacked return slots of the thread (the kernel's own
 * return_instances) and stops the thread with a signal. Every thread of the
 * target is ptrace-seized by this tracer, so that signal never reaches the
 * program: the tracer swaps the real return addresses back in with
 * process_vm_writev, and continues the thread. When a handler catches the
 * exception, the frames it did not unwind get their trampoline back the same
 * way, so their returns are still seen.
 *
 * Only exceptions pay (two short stops); calls that do not throw run at
 * uretprobe speed. All other signals are passed on untouched.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "tp.h"

#define SEIZE_OPTS                                                                  \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |          \
	 PTRACE_O_TRACEEXEC)

static int tids_add(struct guard *g, pid_t tid)
{
	pid_t *nv;

	for (size_t i = 0; i < g->ntids; i++)
		if (g->tids[i] == tid)
			return 0;
	nv = realloc(g->tids, (g->ntids + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[g->ntids++] = tid;
	g->tids = nv;
	return 0;
}

static void tids_del(struct guard *g, pid_t tid)
{
	for (size_t i = 0; i < g->ntids; i++) {
		if (g->tids[i] == tid) {
			g->tids[i] = g->tids[--g->ntids];
			return;
		}
	}
}

static int seize(struct guard *g, pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)SEIZE_OPTS) < 0)
		return -errno;
	return tids_add(g, tid);
}

/* Seize every thread, again until no new one appears: seized threads
 * report their clones themselves. */
static int seize_all(struct guard *g, pid_t pid)
{
	char path[64];
	bool grew = true;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	while (grew && !err) {
		struct dirent *de;
		DIR *d = opendir(path);

		if (!d)
			return -errno;
		grew = false;
		while ((de = readdir(d)) != NULL) {
			pid_t tid = atoi(de->d_name);
			bool known = false;

			if (tid <= 0)
				continue;
			for (size_t i = 0; i < g->ntids; i++)
				known |= g->tids[i] == tid;
			if (known)
				continue;
			err = seize(g, tid);
			if (err == -ESRCH)
				err = 0; /* it just exited */
			else if (!err)
				grew = true;
			if (err)
				break;
		}
		closedir(d);
	}
	return err;
}

/*
 * Applies one request: each slot must still hold what BPF saw there, or it
 * is left alone; a live stack is never written on a guess.
 */
static bool apply(struct guard *g, pid_t tid)
{
	struct tp_guard_req req;
	uint32_t key = tid;

	if (bpf_map_lookup_elem(g->req_fd, &key, &req))
		return false;
	bpf_map_delete_elem(g->req_fd, &key);
	for (uint32_t i = 0; i < req.n && i < TP_GUARD_SLOTS; i++) {
		uint64_t cur = 0;
		struct iovec local = { &cur, sizeof(cur) };
		struct iovec remote = { (void *)req.addr[i], sizeof(cur) };

		if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != sizeof(cur))
			continue;
		if (cur != req.expect[i]) {
			if (cur != req.val[i])
				g->skipped++;
			continue;
		}
		local.iov_base = &req.val[i];
		if (process_vm_writev(tid, &local, 1, &remote, 1, 0) == sizeof(cur))
			g->written++;
		else
			g->skipped++;
	}
	g->fixups++;
	return true;
}

static void handle_stop(struct guard *g, pid_t tid, int status)
{
	int sig = WSTOPSIG(status), event = status >> 16;

	if (event == PTRACE_EVENT_STOP) {
		/* group-stop keeps the thread stopped until SIGCONT */
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
			ptrace(PTRACE_LISTEN, tid, 0, 0);
		else
			ptrace(PTRACE_CONT, tid, 0, 0);
		return;
	}
	if (event) {
		unsigned long newpid = 0;

		if ((event == PTRACE_EVENT_CLONE || event == PTRACE_EVENT_FORK ||
		     event == PTRACE_EVENT_VFORK) &&
		    !ptrace(PTRACE_GETEVENTMSG, tid, 0, &newpid)) {
			tids_add(g, (pid_t)newpid);
			/* the new process starts held: probe it before it runs */
			if (event != PTRACE_EVENT_CLONE && g->on_fork)
				g->on_fork(g->ctx, (pid_t)newpid);
		}
		ptrace(PTRACE_CONT, tid, 0, 0);
		return;
	}
	if (sig == TP_GUARD_SIGNAL) {
		siginfo_t si;

		/* ours only if BPF left a request: a real SIGURG goes through */
		if (!ptrace(PTRACE_GETSIGINFO, tid, 0, &si) && si.si_code == SI_KERNEL &&
		    apply(g, tid)) {
			ptrace(PTRACE_CONT, tid, 0, 0);
			return;
		}
	}
	/* the program's own signal: deliver it as if we were not here */
	ptrace(PTRACE_CONT, tid, 0, (void *)(long)sig);
}

/* Holds every thread in a ptrace-stop, remembering signals on their way. */
static void hold_all(struct guard *g)
{
	size_t cap = 0;

	free(g->pending_sig);
	g->pending_sig = NULL;
	for (size_t i = 0; i < g->ntids; i++) {
		pid_t tid = g->tids[i];
		int status;

		if (cap < g->ntids) {
			int *nv = realloc(g->pending_sig, g->ntids * 2 * sizeof(*nv));

			if (!nv)
				break;
			memset(nv + cap, 0, (g->ntids * 2 - cap) * sizeof(*nv));
			g->pending_sig = nv;
			cap = g->ntids * 2;
		}
		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 ||
		    waitpid(tid, &status, __WALL) != tid || !WIFSTOPPED(status)) {
			/* gone: keep the arrays in step */
			g->tids[i] = g->tids[--g->ntids];
			g->pending_sig[i] = g->pending_sig[g->ntids];
			i--;
			continue;
		}
		if (!(status >> 16)) {
			if (WSTOPSIG(status) != TP_GUARD_SIGNAL || !apply(g, tid))
				g->pending_sig[i] = WSTOPSIG(status);
		} else if ((status >> 16) != PTRACE_EVENT_STOP) {
			unsigned long newpid = 0;

			/* a clone or fork in flight: its child is held too */
			if (!ptrace(PTRACE_GETEVENTMSG, tid, 0, &newpid) && newpid)
				tids_add(g, (pid_t)newpid);
		}
	}
}

static void detach_all(struct guard *g)
{
	for (size_t i = 0; i < g->ntids; i++)
		ptrace(PTRACE_DETACH, g->tids[i], 0,
		       (void *)(long)(g->pending_sig ? g->pending_sig[i] : 0));
	g->ntids = 0;
	free(g->pending_sig);
	g->pending_sig = NULL;
}

static void *tracer_main(void *arg)
{
	struct guard *g = arg;
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	sigset_t chld;
	int err;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	err = seize_all(g, g->root);
	pthread_mutex_lock(&g->lock);
	g->seize_err = err;
	g->ready = true;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
	if (err) {
		hold_all(g);
		detach_all(g);
		return NULL;
	}
	while (!g->stop) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | WNOHANG);

		if (tid == 0 || (tid < 0 && errno == EINTR)) {
			/* SIGCHLD is blocked in every thread: it wakes this wait */
			sigtimedwait(&chld, NULL, &tick);
			continue;
		}
		if (tid < 0) {
			if (errno == ECHILD && !g->ntids)
				break;
			sigtimedwait(&chld, NULL, &tick);
			continue;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			uint32_t key = tid;

			tids_del(g, tid);
			bpf_map_delete_elem(g->req_fd, &key);
			if (tid == g->root) {
				g->root_status = status;
				g->root_exited = true;
			}
			continue;
		}
		if (WIFSTOPPED(status))
			handle_stop(g, tid, status);
	}
	hold_all(g);
	if (g->before_detach)
		g->before_detach(g->ctx);
	detach_all(g);
	return NULL;
}

int guard__start(struct guard *g, pid_t root)
{
	sigset_t set;
	int err;

	g->root = root;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	/* SIGCHLD is taken synchronously by the tracer, never by a handler */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	err = pthread_create(&g->thread, NULL, tracer_main, g);
	if (err)
		return -err;
	g->started = true;
	pthread_mutex_lock(&g->lock);
	while (!g->ready)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
	if (g->seize_err) {
		pthread_join(g->thread, NULL);
		g->started = false;
		return g->seize_err;
	}
	g->active = true;
	return 0;
}

void guard__stop(struct guard *g)
{
	if (!g || !g->started)
		return;
	g->stop = true;
	pthread_join(g->thread, NULL);
	g->started = false;
	g->active = false;
	free(g->tids);
	g->tids = NULL;
}
