// SPDX-License-Identifier: MIT
/*
 * A small data pipeline for the analysis tests: batches of extract,
 * transform, load, publish and nap, with validate on a second thread.
 * Work is counted in iterations and bytes, not time, so two runs do the
 * same work and a planted slowdown is exactly the one asked for.
 *
 * usage: pipeline BATCHES DIR [--slow TASK[:N]] [--nest] [--unwind] [--exit]
 *   --slow TASK  doubles that task's work; with :N, multiplies it by N
 *                (validate waits instead: see there)
 *   --nest       wraps each batch in a task `batch` (nested invocations)
 *   --unwind     the last batch's transform leaves by longjmp (unwound)
 *   --exit       the process exits inside the last batch's nap (exited)
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))
#define IN_BYTES (256 << 10)
#define OUT_BYTES (128 << 10)
#define NET_BYTES (64 << 10)

static char slow[64];
static int slow_factor = 2;
static char path_in[4096], path_out[4096];
static int sock_tx, sock_rx;
static jmp_buf unwind_to;
static volatile uint64_t sink;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int factor(const char *task)
{
	return strcmp(slow, task) ? 1 : slow_factor;
}

static uint64_t spin(uint64_t n)
{
	uint64_t x = 88172645463325252ULL;

	for (uint64_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

NOINLINE void extract(void)
{
	static char buf[IN_BYTES];
	int fd = open(path_in, O_RDONLY);

	if (fd < 0 || pread(fd, buf, sizeof(buf), 0) != sizeof(buf))
		die("extract");
	close(fd);
	for (int r = 0; r < factor("extract"); r++)
		for (size_t i = 0; i < sizeof(buf); i += 64)
			sink += buf[i];
	sink += spin(300000 * factor("extract"));
}

NOINLINE void transform(bool leave)
{
	sink += spin(1500000 * factor("transform"));
	if (leave)
		longjmp(unwind_to, 1);
}

NOINLINE void load(void)
{
	static char buf[OUT_BYTES];
	int fd = open(path_out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	memset(buf, 'x', sizeof(buf));
	for (int r = 0; r < factor("load"); r++)
		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
			die("load");
	close(fd);
}

NOINLINE void publish(void)
{
	static char buf[NET_BYTES];

	for (int r = 0; r < factor("publish"); r++)
		for (size_t off = 0; off < sizeof(buf);) {
			ssize_t n = send(sock_tx, buf + off, sizeof(buf) - off, 0);

			if (n <= 0)
				die("publish");
			off += n;
		}
}

NOINLINE void nap(bool leave)
{
	struct timespec ts = { 0, 3000000L * factor("nap") };

	nanosleep(&ts, NULL);
	if (leave)
		_exit(0);
}

/*
 * A slower validate waits (2 ms per step of its factor) rather than
 * spinning: it runs beside the others, and on 2 CPUs its CPU would slow
 * them too, a change of theirs that is real.
 */
NOINLINE void validate(void)
{
	struct timespec ts = { 0, 2000000L * (factor("validate") - 1) };

	sink += spin(400000);
	/* not even a sleep of 0 unslowed: its wakeup can wait out the other
	 * thread's slice on the same CPU, 0.7 to 3.6 ms of runtime */
	if (ts.tv_nsec)
		nanosleep(&ts, NULL);
}

static int validator_up;

static void *validator(void *arg)
{
	(void)arg;
	__atomic_store_n(&validator_up, 1, __ATOMIC_RELEASE);
	validate();
	return NULL;
}

static void steps(bool last, bool unwind, bool quit)
{
	pthread_t t;

	if (pthread_create(&t, NULL, validator, NULL))
		die("pthread_create");
	/*
	 * validate begins before extract, as on an idle machine: a worker
	 * the scheduler starts late, inside transform, would be taken as
	 * transform's (nesting.c) and move CPU between batch and it.
	 */
	while (!__atomic_load_n(&validator_up, __ATOMIC_ACQUIRE))
		sched_yield();
	__atomic_store_n(&validator_up, 0, __ATOMIC_RELAXED);
	extract();
	if (!setjmp(unwind_to))
		transform(last && unwind);
	load();
	publish();
	nap(last && quit);
	pthread_join(t, NULL);
}

NOINLINE void batch(bool last, bool unwind, bool quit)
{
	steps(last, unwind, quit);
}

/* The other end of publish's connection, draining it. */
static void *drain(void *arg)
{
	char buf[65536];

	(void)arg;
	while (recv(sock_rx, buf, sizeof(buf), 0) > 0)
		;
	return NULL;
}

static void setup(const char *dir)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	static char buf[IN_BYTES];
	pthread_t t;
	int l, fd;

	snprintf(path_in, sizeof(path_in), "%s/pipeline.in", dir);
	snprintf(path_out, sizeof(path_out), "%s/pipeline.out", dir);
	fd = open(path_in, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf) || close(fd))
		die("setup input");
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &len))
		die("listen");
	sock_tx = socket(AF_INET, SOCK_STREAM, 0);
	if (sock_tx < 0 || connect(sock_tx, (void *)&a, sizeof(a)))
		die("connect");
	sock_rx = accept(l, NULL, NULL);
	if (sock_rx < 0 || pthread_create(&t, NULL, drain, NULL))
		die("accept");
	pthread_detach(t);
	close(l);
}

int main(int argc, char **argv)
{
	bool nest = false, unwind = false, quit = false;
	int batches;

	if (argc < 3) {
		fprintf(stderr, "usage: pipeline BATCHES DIR [--slow TASK[:N]] [--nest] [--unwind] "
				"[--exit]\n");
		return 2;
	}
	batches = atoi(argv[1]);
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--slow") && i + 1 < argc) {
			char *n;

			snprintf(slow, sizeof(slow), "%s", argv[++i]);
			n = strchr(slow, ':');
			if (n) {
				*n = 0;
				slow_factor = atoi(n + 1) > 0 ? atoi(n + 1) : 2;
			}
		}
		else if (!strcmp(argv[i], "--nest"))
			nest = true;
		else if (!strcmp(argv[i], "--unwind"))
			unwind = true;
		else if (!strcmp(argv[i], "--exit"))
			quit = true;
	}
	setup(argv[2]);
	for (int b = 0; b < batches; b++) {
		bool last = b == batches - 1;

		if (nest)
			batch(last, unwind, quit);
		else
			steps(last, unwind, quit);
	}
	return 0;
}
