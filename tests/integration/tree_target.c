// SPDX-License-Identifier: MIT
/*
 * Process trees and programs that trace, for the integration tests. Every
 * scenario prints what it saw on stdout; a profiled run must print exactly
 * what an unprofiled one does, and exit the same way.
 *
 * usage: tree_target SCENARIO [N] [PROGRAM]
 *   seq N        N children one after another, each calls tree_task once
 *   live N       N children alive at once, each calls tree_task once
 *   exec N PROG  N children one after another, each execs PROG (tree_child)
 *   stop         a child stopped and continued inside tree_task, watched
 *                with waitpid(WUNTRACED | WCONTINUED)
 *   strace       tree_task runs `strace -f -o /dev/null /bin/true`
 *   gdb          tree_task runs `gdb -batch` on /bin/true
 *   traceme      a child asks to be traced (PTRACE_TRACEME) by its parent
 *   wait         prints "ready", calls tree_task on each SIGUSR1, ends on SIGTERM
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))

static volatile long sink;

/* Every hundredth call maps, touches and frees 32 MiB: its peak must show
 * it, and no other call's may. */
NOINLINE long tree_task(long x)
{
	if (x % 100 == 99) {
		size_t len = 32 << 20;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p != MAP_FAILED) {
			for (size_t i = 0; i < len; i += 4096)
				p[i] = 1;
			munmap(p, len);
		}
	}
	sink += x;
	return sink;
}

/* Sleeps inside the task: a window for a stop, a signal or a kill. */
NOINLINE long slow_task(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	return sink;
}

NOINLINE int run_task(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int seq(int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			tree_task(i);
			_exit(i & 1);
		}
		bad += reap(pid) != (i & 1);
	}
	printf("seq %d children, %d bad exits\n", n, bad);
	return 0;
}

/* Every child stays alive until all have called the task. */
static int live(int n)
{
	int go[2], bad = 0;
	pid_t *pids = calloc(n, sizeof(*pids));

	if (!pids || pipe(go))
		return 99;
	for (int i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char c;

			close(go[1]);
			tree_task(i);
			_exit(read(go[0], &c, 1) == 0 ? 0 : 1);
		}
	}
	close(go[1]); /* EOF lets them all go */
	for (int i = 0; i < n; i++)
		bad += reap(pids[i]) != 0;
	free(pids);
	printf("live %d children, %d bad exits\n", n, bad);
	return 0;
}

static int exec_children(int n, const char *prog)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl(prog, prog, (char *)NULL);
			_exit(127);
		}
		bad += reap(pid) != 0;
	}
	printf("exec %d children, %d bad exits\n", n, bad);
	return 0;
}

static void print_wait(pid_t pid, int options)
{
	int st;

	if (waitpid(pid, &st, options) != pid)
		printf("waitpid: %s\n", strerror(errno));
	else if (WIFSTOPPED(st))
		printf("stopped by signal %d\n", WSTOPSIG(st));
	else if (WIFCONTINUED(st))
		printf("continued\n");
	else if (WIFEXITED(st))
		printf("exited %d\n", WEXITSTATUS(st));
	else
		printf("killed by signal %d\n", WTERMSIG(st));
}

static int stop_cont(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		slow_task(0.3);
		_exit(3);
	}
	usleep(50 * 1000);
	kill(pid, SIGSTOP);
	print_wait(pid, WUNTRACED);
	kill(pid, SIGCONT);
	print_wait(pid, WCONTINUED);
	print_wait(pid, 0);
	return 0;
}

/* The child stops itself for its tracer, as a debugger's inferior does. */
static int traceme(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0)) {
			printf("PTRACE_TRACEME: %s\n", strerror(errno));
			_exit(1);
		}
		raise(SIGSTOP);
		tree_task(1);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) == pid && WIFSTOPPED(st))
		printf("tracee stopped by signal %d\n", WSTOPSIG(st));
	ptrace(PTRACE_CONT, pid, 0, 0);
	print_wait(pid, 0);
	return 0;
}

static volatile sig_atomic_t calls, done;

static void on_usr1(int sig)
{
	calls++;
}

static void on_term(int sig)
{
	done = 1;
}

static int wait_loop(void)
{
	struct sigaction usr1 = { .sa_handler = on_usr1 }, term = { .sa_handler = on_term };
	int made = 0;

	sigaction(SIGUSR1, &usr1, NULL);
	sigaction(SIGTERM, &term, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!done) {
		pause();
		for (; made < calls; made++)
			tree_task(made);
	}
	printf("calls %d\n", made);
	return 0;
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";
	int n = argc > 2 ? atoi(argv[2]) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(s, "seq"))
		return seq(n);
	if (!strcmp(s, "live"))
		return live(n);
	if (!strcmp(s, "exec") && argc > 3)
		return exec_children(n, argv[3]);
	if (!strcmp(s, "stop"))
		return stop_cont();
	if (!strcmp(s, "strace"))
		printf("strace exited %d\n", run_task("strace -f -o /dev/null /bin/true"));
	else if (!strcmp(s, "gdb"))
		printf("gdb exited %d\n",
		       run_task("gdb -nx -batch -ex run --args /bin/true >/dev/null 2>&1"));
	else if (!strcmp(s, "traceme"))
		return traceme();
	else if (!strcmp(s, "wait"))
		return wait_loop();
	else {
		fprintf(stderr, "tree_target: unknown scenario %s\n", s);
		return 2;
	}
	return 0;
}
