// SPDX-License-Identifier: MIT
/*
 * Purpose-built workloads for the integration tests. Each scenario runs its
 * task functions and writes the ground truth it measured itself, with the
 * kernel's own per-thread accounting, to $TP_GT as "key value" lines.
 *
 * usage: target SCENARIO [DIR]   (DIR holds scratch files; O_DIRECT needs a
 *                                 real filesystem, not tmpfs)
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, used))

static FILE *gt;
static const char *dir = ".";

static void gt_put(const char *key, double v)
{
	if (gt) {
		fprintf(gt, "%s %.9f\n", key, v);
		fflush(gt);
	}
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct cpu {
	double user, sys;
};

static struct cpu thread_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (struct cpu){ ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			     ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6 };
}

/* ns this thread has spent on a CPU, from /proc/thread-self/schedstat */
static double thread_oncpu(void)
{
	unsigned long long run = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu", &run) != 1)
			run = 0;
		fclose(f);
	}
	return run / 1e9;
}

/* Time this thread waited on a runqueue, ready but not running (schedstat's
 * second field): off-CPU time that is no wait of its own. */
static double thread_rundelay(void)
{
	unsigned long long run = 0, delay = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu %llu", &run, &delay) != 2)
			delay = 0;
		fclose(f);
	}
	return delay / 1e9;
}

static long long io_field(const char *name)
{
	char line[128];
	long long v = -1;
	FILE *f = fopen("/proc/thread-self/io", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ':')
			v = atoll(line + strlen(name) + 1);
	fclose(f);
	return v;
}

static long vmrss_bytes(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb * 1024;
}

static void die(const char *what)
{
	fprintf(stderr, "target: %s: %s\n", what, strerror(errno));
	exit(99);
}

/* --- CPU: the task burns CPU itself and in 3 threads it spawns ------------- */

static volatile uint64_t sink;

NOINLINE void spin_for(double seconds)
{
	double end = mono() + seconds;
	uint64_t x = 1;

	while (mono() < end)
		for (int i = 0; i < 10000; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	sink = x;
}

struct worker {
	pthread_t th;
	double seconds;
	struct cpu used;
};

static void *cpu_worker(void *arg)
{
	struct worker *w = arg;
	struct cpu a = thread_cpu(), b;

	spin_for(w->seconds);
	/* some kernel time too, so the split has something to split */
	for (int i = 0; i < 20000; i++)
		getppid();
	b = thread_cpu();
	w->used = (struct cpu){ b.user - a.user, b.sys - a.sys };
	return NULL;
}

static struct cpu cpu_gt;

NOINLINE void cpu_task(double seconds)
{
	struct worker w[3];
	struct cpu a = thread_cpu(), b;

	for (int i = 0; i < 3; i++) {
		w[i].seconds = seconds;
		if (pthread_create(&w[i].th, NULL, cpu_worker, &w[i]))
			die("pthread_create");
	}
	spin_for(seconds);
	for (int i = 0; i < 3; i++)
		pthread_join(w[i].th, NULL);
	b = thread_cpu();
	cpu_gt.user = b.user - a.user;
	cpu_gt.sys = b.sys - a.sys;
	for (int i = 0; i < 3; i++) {
		cpu_gt.user += w[i].used.user;
		cpu_gt.sys += w[i].used.sys;
	}
}

/* --- memory ----------------------------------------------------------------- */

static long mem_peak_seen;

NOINLINE void mem_task(size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 0x5a, bytes);
	mem_peak_seen = vmrss_bytes();
	munmap(p, bytes);
}

/* --- allocations --------------------------------------------------------------- */

static void *volatile keep[2048];

NOINLINE long alloc_task(void)
{
	long n = 0;

	for (int i = 0; i < 1000; i++, n++)
		keep[i] = malloc(32 + i);
	for (int i = 1000; i < 1200; i++, n++)
		keep[i] = calloc(4, 16);
	for (int i = 0; i < 100; i++, n++)
		keep[i] = realloc(keep[i], 4096);
	for (int i = 0; i < 1200; i++)
		free(keep[i]);
	return n;
}

/* --- storage ------------------------------------------------------------------------ */

static char *scratch(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void make_file(const char *path, size_t bytes)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	char *buf = malloc(1 << 20);

	if (fd < 0 || !buf)
		die("create scratch file");
	memset(buf, 0x33, 1 << 20);
	for (size_t done = 0; done < bytes; done += 1 << 20)
		if (write(fd, buf, 1 << 20) != 1 << 20)
			die("write scratch file");
	fsync(fd);
	close(fd);
	free(buf);
}

NOINLINE long dio_read_task(const char *path, size_t bytes)
{
	int fd = open(path, O_RDONLY | O_DIRECT);
	void *buf;
	long total = 0;

	if (fd < 0)
		die("open O_DIRECT");
	if (posix_memalign(&buf, 4096, 1 << 20))
		die("posix_memalign");
	while ((size_t)total < bytes) {
		ssize_t n = read(fd, buf, 1 << 20);

		if (n <= 0)
			die("read");
		total += n;
	}
	close(fd);
	free(buf);
	return total;
}

NOINLINE void write_task(const char *path, size_t bytes)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	static char buf[1 << 16];

	if (fd < 0)
		die("open for write");
	memset(buf, 0x77, sizeof(buf));
	for (size_t done = 0; done < bytes; done += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
	fsync(fd);
	close(fd);
}

NOINLINE void iowait_task(const char *path, size_t file_bytes, int reads)
{
	int fd = open(path, O_RDONLY | O_DIRECT);
	unsigned int seed = 12345;
	void *buf;

	if (fd < 0)
		die("open O_DIRECT");
	if (posix_memalign(&buf, 4096, 4096))
		die("posix_memalign");
	for (int i = 0; i < reads; i++) {
		off_t off = (off_t)(rand_r(&seed) % (file_bytes / 4096)) * 4096;

		if (pread(fd, buf, 4096, off) != 4096)
			die("pread");
	}
	close(fd);
	free(buf);
}

NOINLINE void sleep_task(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* --- network ---------------------------------------------------------------------------- */

struct server {
	int lfd;
	size_t expect, reply;
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	char *buf = malloc(1 << 16);
	int fd = accept(s->lfd, NULL, NULL);
	size_t got = 0;

	if (fd < 0 || !buf)
		die("accept");
	while (got < s->expect) {
		ssize_t n = recv(fd, buf, 1 << 16, 0);

		if (n <= 0)
			die("server recv");
		got += n;
	}
	memset(buf, 0x11, 1 << 16);
	for (size_t sent = 0; sent < s->reply;) {
		size_t chunk = s->reply - sent < (1 << 16) ? s->reply - sent : (1 << 16);
		ssize_t n = send(fd, buf, chunk, 0);

		if (n <= 0)
			die("server send");
		sent += n;
	}
	close(fd);
	free(buf);
	return NULL;
}

NOINLINE void net_task(int port, size_t send_bytes, size_t recv_bytes)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char *buf = malloc(1 << 16);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t done = 0;

	if (fd < 0 || !buf || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	memset(buf, 0x42, 1 << 16);
	while (done < send_bytes) {
		size_t chunk = send_bytes - done < (1 << 16) ? send_bytes - done : (1 << 16);
		ssize_t n = send(fd, buf, chunk, 0);

		if (n <= 0)
			die("send");
		done += n;
	}
	for (done = 0; done < recv_bytes;) {
		ssize_t n = recv(fd, buf, 1 << 16, 0);

		if (n <= 0)
			die("recv");
		done += n;
	}
	close(fd);
	free(buf);
}

/* --- frames: recursion, threads, longjmp, tail calls, exits --------------------------------- */

NOINLINE long trivial_task(long x)
{
	return x * 3 + 1;
}

NOINLINE long recurse_task(int depth)
{
	if (depth <= 0)
		return 1;
	return recurse_task(depth - 1) + 1 + (sink & 1);
}

static pthread_mutex_t sum_lock = PTHREAD_MUTEX_INITIALIZER;
static double runtime_sum;

static void *thread_main(void *arg)
{
	long n = (long)arg;
	double mine = 0;

	for (long i = 0; i < n; i++) {
		double t0 = mono();

		spin_for(0.0005);
		mine += mono() - t0;
		trivial_task(i);
	}
	pthread_mutex_lock(&sum_lock);
	runtime_sum += mine;
	pthread_mutex_unlock(&sum_lock);
	return NULL;
}

static jmp_buf jb;

NOINLINE void jump_inner(int v)
{
	spin_for(0.01);
	longjmp(jb, v);
}

NOINLINE void jump_task(int v)
{
	spin_for(0.01);
	jump_inner(v);
	sink++;
}

NOINLINE long tail_helper(long x)
{
	sleep_task(0.05);
	return x + (long)sink;
}

NOINLINE long tail_task(long x)
{
	sink += x;
	return tail_helper(x * 2);
}

NOINLINE void pthread_exit_task(void)
{
	spin_for(0.01);
	pthread_exit(NULL);
}

static void *exit_thread(void *arg)
{
	pthread_exit_task();
	return NULL;
}

static volatile int cleanup_ran;

static void cancel_cleanup(void *arg)
{
	cleanup_ran = 1;
}

NOINLINE void cancel_task(void)
{
	pthread_cleanup_push(cancel_cleanup, NULL);
	for (;;)
		sleep_task(1);
	pthread_cleanup_pop(0);
}

static void *cancel_thread(void *arg)
{
	cancel_task();
	return NULL;
}

NOINLINE void process_exit_task(void)
{
	spin_for(0.01);
	exit(0);
}

/* a task that starts a process: its CPU belongs to the task too */
static struct cpu fork_gt;

NOINLINE void fork_task(double seconds)
{
	struct rusage a, b;
	struct cpu me0 = thread_cpu(), me1;
	pid_t pid;

	getrusage(RUSAGE_CHILDREN, &a);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* 128 MiB touched: the exit that unmaps it takes CPU too */
		size_t len = 128 << 20;
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		for (size_t i = 0; m != MAP_FAILED && i < len; i += 4096)
			m[i] = 1;
		spin_for(seconds);
		sink = trivial_task(1);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	getrusage(RUSAGE_CHILDREN, &b);
	me1 = thread_cpu();
	fork_gt.user = (me1.user - me0.user) + (b.ru_utime.tv_sec - a.ru_utime.tv_sec) +
		       (b.ru_utime.tv_usec - a.ru_utime.tv_usec) / 1e6;
	fork_gt.sys = (me1.sys - me0.sys) + (b.ru_stime.tv_sec - a.ru_stime.tv_sec) +
		      (b.ru_stime.tv_usec - a.ru_stime.tv_usec) / 1e6;
}

/* a name that needs quoting everywhere: it is stored verbatim */
NOINLINE long quote_task(long x)
{
	return x + 7;
}

/* --- the scenarios, by name ---------------------------------------------------------------------------------- */

static void sc_cpu(void)
{
	double t0, t1;
	cpu_set_t set;

	t0 = mono();
	cpu_task(0.3);
	t1 = mono();
	gt_put("runtime", t1 - t0);
	gt_put("user", cpu_gt.user);
	gt_put("sys", cpu_gt.sys);
	sched_getaffinity(0, sizeof(set), &set);
	gt_put("cores", CPU_COUNT(&set));
}

/* CPU time of this thread, exact: the scheduler's sum brought up to now,
 * which getrusage and schedstat are not (they lag by up to a tick). */
static double thread_cputime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE void short_cpu_task(void)
{
	spin_for(0.0015);
}

/* Spins shorter than a tick, each after a sleep: the scheduler's figure
 * is fresh at the start and up to a tick old at the end. */
static void sc_shortcpu(void)
{
	struct timespec nap = { 0, 1000000 };
	char key[32];

	for (int i = 0; i < 20; i++) {
		double a, b;

		nanosleep(&nap, NULL);
		a = thread_cputime();
		short_cpu_task();
		b = thread_cputime();
		snprintf(key, sizeof(key), "cpu_%d", i);
		gt_put(key, b - a);
	}
}

static void sc_mem(void)
{
	mem_task(192UL << 20);
	gt_put("peak", mem_peak_seen);
}

static void sc_allocs(void)
{
	gt_put("allocs", alloc_task());
}

static void sc_dio(void)
{
	long long a, b;

	make_file(scratch("dio.dat"), 16 << 20);
	a = io_field("read_bytes");
	dio_read_task(scratch("dio.dat"), 16 << 20);
	b = io_field("read_bytes");
	gt_put("read_bytes", b - a);
	unlink(scratch("dio.dat"));
}

static void sc_write(void)
{
	long long a, b;

	a = io_field("write_bytes");
	write_task(scratch("write.dat"), 8 << 20);
	b = io_field("write_bytes");
	gt_put("write_bytes", b - a);
	unlink(scratch("write.dat"));
}

static void sc_iowait(void)
{
	double t0, t1;
	double c0, c1, d0, d1;

	make_file(scratch("rand.dat"), 64 << 20);
	t0 = mono();
	c0 = thread_oncpu();
	d0 = thread_rundelay();
	iowait_task(scratch("rand.dat"), 64 << 20, 1500);
	d1 = thread_rundelay();
	c1 = thread_oncpu();
	t1 = mono();
	gt_put("offcpu", (t1 - t0) - (c1 - c0));
	gt_put("rundelay", d1 - d0);
	gt_put("oncpu", c1 - c0);
	gt_put("wall", t1 - t0);
	unlink(scratch("rand.dat"));
}

static void sc_sleep(void)
{
	sleep_task(0.15);
}

static void sc_net(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct server srv = { .expect = 2500000, .reply = 100000 };
	pthread_t th;

	srv.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(srv.lfd, 1) || getsockname(srv.lfd, (struct sockaddr *)&a, &len))
		die("listen");
	pthread_create(&th, NULL, server_main, &srv);
	net_task(ntohs(a.sin_port), srv.expect, srv.reply);
	pthread_join(th, NULL);
	close(srv.lfd);
	gt_put("sent", 2500000);
	gt_put("received", 100000);
}

static void sc_burst(void)
{
	double t0, t1;
	long acc = 0;

	t0 = mono();
	for (long i = 0; i < 100000; i++)
		acc += trivial_task(i);
	t1 = mono();
	sink = acc;
	gt_put("calls", 100000);
}

static void sc_recurse(void)
{
	sink = recurse_task(9);
	gt_put("calls", 10);
}

/* Deeper than a thread's frames hold (TP_MAX_FRAMES, 256): the rest are lost, counted. */
static void sc_recurse_deep(void)
{
	sink = recurse_task(299);
	gt_put("calls", 300);
}

static void sc_threads(void)
{
	pthread_t th[8];

	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, thread_main, (void *)50L);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	gt_put("calls", 8 * 50);
	gt_put("runtime_sum", runtime_sum);
}

static void sc_longjmp(void)
{
	if (!setjmp(jb))
		jump_task(1);
	gt_put("jumped", 1);
}

static void sc_tail(void)
{
	double t0, t1;

	t0 = mono();
	sink = tail_task(3);
	t1 = mono();
	gt_put("runtime", t1 - t0);
}

static void sc_pthread_exit(void)
{
	pthread_t th;

	pthread_create(&th, NULL, exit_thread, NULL);
	pthread_join(th, NULL);
	gt_put("exited", 1);
}

static void sc_cancel(void)
{
	pthread_t th;
	void *ret = NULL;

	pthread_create(&th, NULL, cancel_thread, NULL);
	sleep_task(0.05);
	pthread_cancel(th);
	pthread_join(th, &ret);
	gt_put("cancelled", ret == PTHREAD_CANCELED);
	gt_put("cleanup_ran", cleanup_ran);
}

static void sc_exit(void)
{
	gt_put("exited", 1);
	process_exit_task();
}

static void sc_fork(void)
{
	fork_task(0.2);
	gt_put("user", fork_gt.user);
	gt_put("sys", fork_gt.sys);
}

/* A child process runs the task, and says what it wrote and who it was. */
static void sc_child(void)
{
	pid_t pid = fork();
	long long a;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		a = io_field("write_bytes");
		write_task(scratch("child.dat"), 4 << 20);
		gt_put("child_write_bytes", io_field("write_bytes") - a);
		gt_put("child_pid", getpid());
		unlink(scratch("child.dat"));
		_exit(0);
	}
	if (waitpid(pid, NULL, 0) != pid)
		die("waitpid");
}

static void sc_quote(void)
{
	sink = quote_task(1);
	gt_put("calls", 1);
}

/* A command that exits on its own with a code no one else uses. */
static void sc_exit37(void)
{
	exit(37);
}

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{ "cpu", sc_cpu },
	{ "shortcpu", sc_shortcpu },
	{ "mem", sc_mem },
	{ "allocs", sc_allocs },
	{ "dio", sc_dio },
	{ "write", sc_write },
	{ "iowait", sc_iowait },
	{ "sleep", sc_sleep },
	{ "net", sc_net },
	{ "burst", sc_burst },
	{ "recurse", sc_recurse },
	{ "recurse_deep", sc_recurse_deep },
	{ "threads", sc_threads },
	{ "longjmp", sc_longjmp },
	{ "tail", sc_tail },
	{ "pthread_exit", sc_pthread_exit },
	{ "cancel", sc_cancel },
	{ "exit", sc_exit },
	{ "fork", sc_fork },
	{ "child", sc_child },
	{ "quote", sc_quote },
	{ "exit37", sc_exit37 },
};

static void run(const char *s)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (!strcmp(s, scenarios[i].name)) {
			scenarios[i].run();
			return;
		}
	}
	fprintf(stderr, "target: unknown scenario %s\n", s);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *path = getenv("TP_GT");

	if (argc < 2) {
		fprintf(stderr, "usage: target SCENARIO[,SCENARIO...] [DIR] [--wait]\n");
		return 2;
	}
	if (argc > 2)
		dir = argv[2];
	if (path && !(gt = fopen(path, "w")))
		die("open $TP_GT");
	/* -p mode: the test attaches, then sends SIGUSR1 */
	if (argc > 3 && !strcmp(argv[3], "--wait")) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		fprintf(stdout, "ready\n");
		fflush(stdout);
		sigwait(&set, &sig);
	}
	for (char *save = NULL, *s = strtok_r(strdup(argv[1]), ",", &save); s;
	     s = strtok_r(NULL, ",", &save))
		run(s);
	if (gt)
		fclose(gt);
	return 0;
}
