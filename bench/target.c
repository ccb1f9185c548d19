// SPDX-License-Identifier: MIT
/*
 * bench target: calls one task shape N times and prints the mean cost of a
 * call in ns. Also times the in-process alternatives a decorator would use.
 *
 * usage: bench_target SHAPE N [THREADS [RATE]]   RATE: calls/s per thread, 0 = flat out
 *        bench_target idle SECONDS
 *        bench_target pingpong N     context switches, never profiled
 *        bench_target forks N        N children, one after another, one task call each
 *        bench_target faults N       N fresh pages touched (memory counters change)
 *        bench_target_cxx throw N    N exceptions thrown and caught, never profiled
 *
 * bench_target is plain C, so taskprof gives its tasks uretprobes;
 * bench_target_cxx links the C++ runtime, so its tasks get ret probes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

long shape_push(long), shape_endbr(long), shape_lea(long), shape_mov_leaf(long);
#ifdef BENCH_CXX
long shape_cxx_catching(long), throw_and_catch(long), run_cxx_shape(const char *, long);
#endif

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long call_getrusage(long x)
{
	struct rusage a, b;

	getrusage(RUSAGE_THREAD, &a);
	x = shape_push(x);
	getrusage(RUSAGE_THREAD, &b);
	return x + b.ru_utime.tv_usec - a.ru_utime.tv_usec;
}

static long read_io(void)
{
	char buf[512];
	int fd = open("/proc/thread-self/io", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n;
}

static long call_procio(long x)
{
	long a = read_io();

	x = shape_push(x);
	return x + read_io() - a;
}

static const struct {
	const char *name;
	long (*fn)(long);
} shapes[] = {
	{ "push", shape_push },
	{ "endbr64", shape_endbr },
	{ "lea", shape_lea },
	{ "mov_leaf", shape_mov_leaf },
#ifdef BENCH_CXX
	{ "cxx_catching", shape_cxx_catching },
	{ "throw", throw_and_catch },
#endif
	{ "getrusage", call_getrusage },
	{ "procio", call_procio },
};

/* A process tree: each child calls a task once and exits. Writes when it
 * ended (CLOCK_REALTIME) to $BENCH_END_FILE, for the collector's exit time. */
static int forks(long n)
{
	const char *end_file = getenv("BENCH_END_FILE");
	double t0 = now_ns(), t1;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(shape_push(i) == i + 1 ? 0 : 1);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	t1 = now_ns();
	printf("%.1f\n", (t1 - t0) / n);
	if (end_file) {
		struct timespec ts;
		FILE *f = fopen(end_file, "w");

		clock_gettime(CLOCK_REALTIME, &ts);
		if (f) {
			fprintf(f, "%ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
			fclose(f);
		}
	}
	return 0;
}

/* Page faults on fresh memory: every one changes the mm's RSS counters. */
static int faults(long pages)
{
	const long chunk = 4096;
	double t0 = now_ns();

	for (long done = 0; done < pages; done += chunk) {
		char *p = mmap(NULL, chunk * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		for (long i = 0; i < chunk; i++)
			p[i * 4096] = 1;
		munmap(p, chunk * 4096);
	}
	printf("%.1f\n", (now_ns() - t0) / pages);
	return 0;
}

static long (*fn)(long);
static long calls;
static double rate;
static volatile long sink;

static void *loop(void *arg)
{
	double start = now_ns(), period = rate > 0 ? 1e9 / rate : 0;
	long acc = 0;

	for (long i = 0; i < calls; i++) {
		acc += fn(i);
		/* a steady rate: spin until this call's slot is over */
		while (period && now_ns() < start + (i + 1) * period)
			;
	}
	sink = acc;
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 3 ? atoi(argv[3]) : 1;
	pthread_t th[64];
	double t0, t1;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_target SHAPE N [THREADS [RATE]]\n");
		return 2;
	}
	if (!strcmp(argv[1], "pingpong")) {
		/* context-switch and syscall heavy, and never profiled */
		int ab[2], ba[2];
		long n = atol(argv[2]);
		char c = 0;
		pid_t pid;

		cpu_set_t one;

		/* one CPU: every round trip is two real context switches, and
		 * no cross-CPU wakeup latency drowns them */
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		sched_setaffinity(0, sizeof(one), &one);
		if (pipe(ab) || pipe(ba))
			return 1;
		pid = fork();
		if (pid == 0) {
			for (long i = 0; i < n; i++)
				if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
					_exit(1);
			_exit(0);
		}
		t0 = now_ns();
		for (long i = 0; i < n; i++) {
			if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
				return 1;
			getppid();
		}
		t1 = now_ns();
		waitpid(pid, NULL, 0);
		printf("%.1f\n", (t1 - t0) / n);
		return 0;
	}
	if (!strcmp(argv[1], "forks"))
		return forks(atol(argv[2]));
	if (!strcmp(argv[1], "faults"))
		return faults(atol(argv[2]));
	if (!strcmp(argv[1], "idle")) {
		/* a process for the collector to attach to while it is measured */
		printf("ready\n");
		fflush(stdout);
		usleep((useconds_t)(atof(argv[2]) * 1e6));
		return shape_push(0) == 1 ? 0 : 1;
	}
#ifdef BENCH_CXX
	/* C++ tasks, each called in a loop of its own that calls it directly */
	if (!strncmp(argv[1], "cxx", 3) && strcmp(argv[1], "cxx_catching")) {
		long n = atol(argv[2]);

		t0 = now_ns();
		if (run_cxx_shape(argv[1], n) < 0) {
			fprintf(stderr, "bench_target: unknown shape %s\n", argv[1]);
			return 2;
		}
		printf("%.1f\n", (now_ns() - t0) / n);
		return 0;
	}
#endif
	rate = argc > 4 ? atof(argv[4]) : 0;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		if (!strcmp(argv[1], shapes[i].name))
			fn = shapes[i].fn;
	if (!fn) {
		fprintf(stderr, "bench_target: unknown shape %s\n", argv[1]);
		return 2;
	}
	calls = atol(argv[2]);
	if (threads < 1 || threads > 64)
		threads = 1;
	t0 = now_ns();
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, loop, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	t1 = now_ns();
	printf("%.1f\n", (t1 - t0) / calls);
	return 0;
}
