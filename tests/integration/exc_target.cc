// SPDX-License-Identifier: MIT
// C++ workloads: exceptions through profiled frames. Without taskprof and
// with it, the output must be identical: the probes must not change unwinding.
#include <csignal>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>
#include <cstring>
#include <unistd.h>
#include <sys/wait.h>
#include <pthread.h>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <ctime>

static volatile long sink;

static bool quiet;

struct Guard {
	const char *name;
	~Guard()
	{
		if (!quiet)
			std::printf("dtor %s\n", name);
	}
};

struct Pipeline {
	__attribute__((noinline)) long risky_slow(int ms);
	__attribute__((noinline)) long slow_step(int ms);
	__attribute__((noinline)) long linger(double seconds);
	__attribute__((noinline)) long exit_step();
	__attribute__((noinline)) long risky_step(int fail);
	__attribute__((noinline)) long safe_step(int n);
};

__attribute__((noinline)) void thrower(int fail)
{
	if (fail)
		throw std::runtime_error("boom " + std::to_string(fail));
}

// throws and escapes: status unwound, 1 exception
long Pipeline::risky_step(int fail)
{
	Guard g{"risky_step"};
	thrower(fail);
	return sink + 1;
}

// throws and catches inside: status completed, 1 exception
long Pipeline::safe_step(int n)
{
	Guard g{"safe_step"};
	try {
		thrower(n);
	} catch (const std::exception &e) {
		if (!quiet)
			std::printf("caught inside: %s\n", e.what());
		return 1;
	}
	return 0;
}

// sleeps, then throws: it ends at the throw
long Pipeline::risky_slow(int ms)
{
	usleep(ms * 1000);
	thrower(ms);
	return sink;
}

// sleeps, then throws and catches itself: a later cut
long Pipeline::slow_step(int ms)
{
	usleep(ms * 1000);
	try {
		thrower(ms);
	} catch (const std::exception &) {
		return 1;
	}
	return sink;
}

// calls a task from deeper in the stack than main's own calls
__attribute__((noinline)) long via_helper(Pipeline &p, int ms)
{
	volatile char pad[256];

	pad[0] = 1;
	return p.slow_step(ms) + pad[0];
}

// sleeps, then throws: the profiler may have gone by then
long Pipeline::linger(double seconds)
{
	Guard g{"linger"};
	usleep((useconds_t)(seconds * 1e6));
	thrower(7);
	return sink;
}

// pthread_exit unwinds (forced) through the frame: destructors still run
long Pipeline::exit_step()
{
	Guard g{"exit_step"};
	pthread_exit(nullptr);
	return sink;
}

static void *exit_thread(void *)
{
	Pipeline p;
	p.exit_step();
	return nullptr;
}

__attribute__((noinline)) long recurse_throw(int depth)
{
	if (depth == 0)
		throw std::logic_error("deep");
	return recurse_throw(depth - 1) + (sink & 1);
}

static volatile std::sig_atomic_t usr2;

static void on_usr2(int)
{
	usr2 = 1;
}

// The default: exceptions caught inside and outside tasks, a forced unwind,
// a deep recursive throw.
static int mode_rounds(const char *arg)
{
	Pipeline p;

	for (int i = 0; i < 3; i++) {
		p.safe_step(i + 1);
		try {
			p.risky_step(i + 1);
		} catch (const std::exception &e) {
			std::printf("caught outside: %s\n", e.what());
		}
		p.risky_step(0);
	}
	pthread_t th;
	pthread_create(&th, nullptr, exit_thread, nullptr);
	pthread_join(th, nullptr);
	std::printf("joined\n");
	try {
		recurse_throw(5);
	} catch (const std::exception &e) {
		std::printf("caught deep: %s\n", e.what());
	}
	return 0;
}

// 4 threads throw through profiled frames at the same time
static int mode_threads(const char *arg)
{
	std::atomic<long> caught{0};
	std::vector<std::thread> ts;

	quiet = true;
	for (int t = 0; t < 4; t++)
		ts.emplace_back([&caught] {
			Pipeline q;
			for (int i = 0; i < 200; i++) {
				try {
					q.risky_step(i & 1);
				} catch (const std::exception &) {
					caught++;
				}
				q.safe_step(i % 3 == 0);
			}
		});
	for (auto &t : ts)
		t.join();
	std::printf("threads caught %ld\n", caught.load());
	return 0;
}

// ARG children that throw through a task and exit from the catch
static int mode_forks(const char *arg)
{
	Pipeline p;
	int n = std::atoi(arg), bad = 0;

	quiet = true;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			try {
				p.risky_step(i & 1);
			} catch (const std::exception &) {
				_exit(3);
			}
			_exit(0);
		}
		waitpid(pid, &st, 0);
		bad += WEXITSTATUS(st) != ((i & 1) ? 3 : 0);
	}
	std::printf("forks %d, %d bad exits\n", n, bad);
	return 0;
}

// a task left by an exception, then one called from deeper down
static int mode_deeper(const char *arg)
{
	Pipeline p;

	try {
		p.risky_slow(20);
	} catch (const std::exception &e) {
		std::printf("caught: %s\n", e.what());
	}
	via_helper(p, 50);
	return 0;
}

// throws through profiled frames for ARG seconds, or until SIGUSR2,
// whatever happens to the profiler meanwhile
static int mode_loop(const char *arg)
{
	Pipeline p;
	double end = std::atof(arg);
	long thrown = 0, caught = 0;
	timespec t0, t;

	quiet = true;
	std::signal(SIGUSR2, on_usr2);
	std::printf("ready\n");
	std::fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		try {
			thrown++;
			p.risky_step(1);
		} catch (const std::exception &) {
			caught++;
		}
		p.safe_step(1);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!usr2 && t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 < end);
	std::printf("loop %s\n", thrown == caught ? "all caught" : "lost some");
	return 0;
}

// -p tests: wait until the profiler is attached (SIGUSR1), enter a profiled
// frame, outlive the profiler, then throw through the frame
static int mode_linger(const char *arg)
{
	Pipeline p;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, nullptr);
	std::printf("ready\n");
	std::fflush(stdout);
	sigwait(&set, &sig);
	try {
		p.linger(1.0);
	} catch (const std::exception &e) {
		std::printf("survived: %s\n", e.what());
	}
	return 0;
}

static const struct {
	const char *name;
	int (*run)(const char *arg);
} modes[] = {
	{ "threads", mode_threads }, { "forks", mode_forks }, { "deeper", mode_deeper },
	{ "loop", mode_loop },       { "linger", mode_linger },
};

// usage: exc_target [MODE [ARG]]
int main(int argc, char **argv)
{
	const char *arg = argc > 2 ? argv[2] : "0";

	if (argc < 2)
		return mode_rounds(arg);
	for (const auto &m : modes)
		if (!std::strcmp(argv[1], m.name))
			return m.run(arg);
	std::fprintf(stderr, "exc_target: unknown mode %s\n", argv[1]);
	return 2;
}
