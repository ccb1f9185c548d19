// SPDX-License-Identifier: MIT
//
// A program that walks its stack from places the analysis of a task alone
// cannot see: a signal handler that throws out of a leaf task (built with
// -fnon-call-exceptions), and a SIGALRM handler that takes a backtrace
// while a leaf task runs. It prints what it saw; profiled, it must print
// the same.
//
// usage: stackwalk_target
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdexcept>

#define NOINLINE __attribute__((noinline))

static volatile long sink;
static volatile int depth = -1;

static void on_segv(int) { throw std::runtime_error("segv"); }
static void on_alrm(int)
{
	void *b[64];

	depth = backtrace(b, 64);
}

// leaves: they call nothing
extern "C" NOINLINE int leaf_read(volatile int *p)
{
	return *p + 1;
}

extern "C" NOINLINE long leaf_spin(long n)
{
	long s = 0;

	for (long i = 0; i < n && depth < 0; i++)
		s += i * sink;
	return s;
}

static int signals(void)
{
	struct sigaction sa;
	volatile int *p = NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	signal(SIGALRM, on_alrm);
	for (int i = 0; i < 3; i++) {
		try {
			sink += leaf_read(p);
			puts("no fault");
		} catch (const std::exception &e) {
			printf("caught %s\n", e.what());
		}
	}
	alarm(1);
	sink += leaf_spin(1L << 40);
	printf("backtrace from the handler: %s\n", depth >= 4 ? "whole" : "cut short");
	return 0;
}

int main(void)
{
	return signals();
}
