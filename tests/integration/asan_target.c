// SPDX-License-Identifier: MIT
/*
 * Built with -fsanitize=address: a task that leaks. LeakSanitizer stops the
 * world with ptrace at exit and prints where each leak was allocated; under
 * taskprof it must print the same report and exit the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline, used))

static void *keep;

NOINLINE char *leaky_task(size_t n)
{
	char *p = malloc(n);

	memset(p, 'x', n);
	keep = malloc(2 * n); /* still reachable: not reported */
	return p;
}

int main(void)
{
	char *p = leaky_task(100);

	printf("leaked %c\n", p[0]);
	p = NULL;
	return 0;
}
