// SPDX-License-Identifier: MIT
/*
 * Tasks that leave their frame every way a compiler makes them leave: by
 * ret, and by a tail call through the PLT, through a pointer in memory or a
 * register, into another file, into another task, through a virtual call
 * or std::function (as C++), by an exception, or never (exit, abort,
 * pthread_exit). Built as C and as C++, by gcc and clang, at -O0 to -O3
 * (tests/tests.mk). The caller reads the clocks around every call and
 * writes them to $TP_GT as "TASK.I.t0" (its start, CLOCK_REALTIME),
 * "TASK.I.rt", "TASK.I.cpu" (CLOCK_THREAD_CPUTIME_ID) and "TASK.I.unwound".
 *
 * Between calls it works outside any task (sleeps and burns CPU): a frame
 * that stayed open past its return would take that in, and show it.
 *
 * usage: returns_target SCENARIO [--wait]
 *   tails         each task three times, or $TP_CALLS times
 *   exit | abort  a task that ends the process (status 3, SIGABRT)
 *   pthread_exit  a task in a thread that ends the thread
 *   --wait        print "ready" and wait for SIGUSR1 first (attach, collect)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __cplusplus
#include <functional>
#include <stdexcept>
extern "C" int chain_b(int us);
#else
int chain_b(int us);
#endif

#define NOINLINE __attribute__((noinline))

static volatile long sink;
static FILE *gt;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Burns ms of this thread's CPU; called, never a task itself. */
NOINLINE int burn_ms(int ms)
{
	double end = thread_cpu() + ms / 1e3;

	while (thread_cpu() < end)
		sink++;
	return ms;
}

int (*volatile burner)(int) = burn_ms;

static int (*pick(int ms))(int)
{
	return ms >= 0 ? burner : NULL;
}

/* --- tasks, every caller known ------------------------------------------------ */

/* jmp usleep@plt */
NOINLINE int plt_sleep(int us)
{
	sink++;
	return usleep(us);
}

/* sleeps, then jmp fflush@plt */
NOINLINE int plt_flush(FILE *f)
{
	usleep(40000);
	return fflush(f);
}

/* jmp printf@plt, after a burn */
NOINLINE int plt_printf(int ms)
{
	burn_ms(ms);
	return printf("printf_tail %d\n", ms);
}

/* jmp *burner(%rip): a tail call through memory */
NOINLINE int mem_burn(int ms)
{
	sink++;
	return burner(ms);
}

/* jmp *%reg */
NOINLINE int reg_burn(int ms)
{
	int (*f)(int) = pick(ms);

	sink++;
	return f(ms);
}

/* into another file, which tail-calls usleep: a chain across files */
NOINLINE int chain_task(int us)
{
	sink++;
	return chain_b(us);
}

/* two tasks, one tail-calling the other: both end at the same return */
NOINLINE int inner_task(int ms)
{
	sink++;
	return burn_ms(ms);
}

NOINLINE int outer_task(int ms)
{
	sink++;
	return inner_task(ms);
}

/* plain ret, a leaf */
NOINLINE int ret_leaf(int n)
{
	long x = n;

	for (int i = 0; i < n * 1000000; i++)
		x = x * 6364136223846793005L + 1;
	sink = x;
	return (int)x;
}

#ifdef __cplusplus
struct Stage {
	virtual int run(int ms) = 0;
	virtual ~Stage() {}
};

struct Burn : Stage {
	int run(int ms) override { return burn_ms(ms); }
};

/* jmp *(%rax): a virtual call last */
NOINLINE int virt_task(Stage *s, int ms)
{
	return s->run(ms);
}

/* a std::function call last */
NOINLINE int fn_task(std::function<int(int)> &f, int ms)
{
	return f(ms);
}

/* burns, then throws through its frame: unwound at the throw */
NOINLINE int throw_task(int ms)
{
	burn_ms(ms);
	if (ms >= 0)
		throw std::runtime_error("throw_task");
	return 0;
}

/* burns in its own destructor as an exception leaves: part of its time */
struct Guard {
	int ms;
	~Guard() { burn_ms(ms); }
};

NOINLINE int guard_task(int ms)
{
	Guard g{ ms };

	burn_ms(1);
	if (ms >= 0)
		throw std::runtime_error("guard_task");
	return 0;
}

/* not a task, with nothing to clean up: no landing pad of its own, so the
 * exception lands two levels up */
NOINLINE int guard_caller(int ms)
{
	return guard_task(ms) + 1;
}
#endif

/* --- tasks whose callers cannot all be known (their address is stored) --------- */

/* a leaf */
NOINLINE int ptr_leaf(int n)
{
	long x = n;

	for (int i = 0; i < n * 1000000; i++)
		x = x * 2862933555777941757L + 3037000493L;
	sink = x;
	return (int)x;
}

/* returns by ret after calls */
NOINLINE int ptr_ret(int ms)
{
	burn_ms(ms);
	usleep(10000);
	return (int)sink;
}

/* sleeps last, through the PLT, briefly: its first call from a place can
 * return before a probe is there (approximate; the next call, from another
 * place, says so); the next end exactly, at a site found while running */
NOINLINE int ptr_tail(int us)
{
	sink++;
	return usleep(us);
}

int (*volatile ptr_leaf_p)(int) = ptr_leaf;
int (*volatile ptr_ret_p)(int) = ptr_ret;
int (*volatile ptr_tail_p)(int) = ptr_tail;

/* --- the caller ------------------------------------------------------------------ */

static void put(const char *task, int i, const char *what, double v)
{
	if (gt) {
		fprintf(gt, "%s.%d.%s %.9f\n", task, i, what, v);
		fflush(gt);
	}
}

/* Seconds this thread has waited on a run queue (sched_info): time in a
 * call's interval in which neither the caller nor the task ran. */
static double run_delay(void)
{
	unsigned long long ran, waited = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f && fscanf(f, "%llu %llu", &ran, &waited) != 2)
		waited = 0;
	if (f)
		fclose(f);
	return waited / 1e9;
}

/* What the caller read around one call, written once the clocks are read:
 * a write before the last read put the file system's time in the truth. */
static void put_call(const char *task, int i, double w0, double rt, double cpu, double delay,
		     int unwound)
{
	put(task, i, "t0", w0);
	put(task, i, "rt", rt);
	put(task, i, "cpu", cpu);
	put(task, i, "delay", delay);
	put(task, i, "unwound", unwound);
}

/* Reads the clocks around one call; between calls, work outside any task. */
#define CALL(task, i, expr)                                                          \
	do {                                                                         \
		double d0_ = run_delay(), w0_ = wall(), t0_ = mono(), c0_ = thread_cpu(); \
		double rt_, cpu_;                                                    \
		sink += (expr);                                                      \
		rt_ = mono() - t0_;                                                  \
		cpu_ = thread_cpu() - c0_;                                           \
		put_call(task, i, w0_, rt_, cpu_, run_delay() - d0_, 0);             \
		usleep(15000);                                                       \
		burn_ms(5);                                                          \
	} while (0)

static void tails(int calls)
{
#ifdef __cplusplus
	Burn burn;
	std::function<int(int)> f = [](int ms) { return burn_ms(ms); };
#endif

	for (int i = 0; i < calls; i++) {
		CALL("plt_sleep", i, plt_sleep(30000));
		CALL("plt_flush", i, plt_flush(stdout));
		CALL("plt_printf", i, plt_printf(10));
		CALL("mem_burn", i, mem_burn(20));
		CALL("reg_burn", i, reg_burn(20));
		CALL("chain_task", i, chain_task(30000));
		CALL("outer_task", i, outer_task(20));
		CALL("ret_leaf", i, ret_leaf(5));
		CALL("ptr_leaf", i, ptr_leaf_p(5));
		CALL("ptr_ret", i, ptr_ret_p(10));
		CALL("ptr_tail", i, ptr_tail_p(200));
#ifdef __cplusplus
		CALL("virt_task", i, virt_task(&burn, 20));
		CALL("fn_task", i, fn_task(f, 20));
		{
			double d0 = run_delay(), w0 = wall(), t0 = mono(), c0 = thread_cpu(), rt;

			try {
				sink += throw_task(20);
			} catch (const std::exception &) {
				sink++;
			}
			rt = mono() - t0;
			put_call("throw_task", i, w0, rt, thread_cpu() - c0, run_delay() - d0, 1);
		}
		{
			double d0 = run_delay(), w0 = wall(), t0 = mono(), c0 = thread_cpu(), rt;

			try {
				sink += guard_caller(5);
			} catch (const std::exception &) {
				sink++;
			}
			rt = mono() - t0;
			put_call("guard_task", i, w0, rt, thread_cpu() - c0, run_delay() - d0, 1);
			usleep(15000);
		}
#endif
	}
}

/* --- the ends that never return ---------------------------------------------------- */

NOINLINE void exit_task(int status)
{
	usleep(20000);
	exit(status);
}

NOINLINE void abort_task(int ms)
{
	burn_ms(ms);
	abort();
}

NOINLINE void *thread_exit_task(void *arg)
{
	burn_ms(10);
	pthread_exit(arg);
}

static int thread_exit(void)
{
	pthread_t th;

	if (pthread_create(&th, NULL, thread_exit_task, NULL))
		return 1;
	return pthread_join(th, NULL) ? 1 : 0;
}

static void wait_for_go(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
}

int main(int argc, char **argv)
{
	const char *path = getenv("TP_GT");

	if (argc < 2) {
		fprintf(stderr, "usage: returns_target tails|exit|abort|pthread_exit [--wait]\n");
		return 2;
	}
	if (argc > 2 && !strcmp(argv[2], "--wait"))
		wait_for_go();
	gt = path ? fopen(path, "w") : NULL;
#ifdef __cplusplus
	if (gt)
		fprintf(gt, "cxx 1\n");
#endif
	if (!strcmp(argv[1], "tails"))
		tails(getenv("TP_CALLS") ? atoi(getenv("TP_CALLS")) : 3);
	else if (!strcmp(argv[1], "exit"))
		exit_task(3);
	else if (!strcmp(argv[1], "abort"))
		abort_task(10);
	else if (!strcmp(argv[1], "pthread_exit"))
		return thread_exit();
	else
		return 2;
	return 0;
}
