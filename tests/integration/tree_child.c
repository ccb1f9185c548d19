// SPDX-License-Identifier: MIT
/* Exec'd by tree_target's exec scenario: a second binary with a task. */
#define NOINLINE __attribute__((noinline, used))

static volatile long sink;

NOINLINE long child_task(long x)
{
	sink += x;
	return sink;
}

int main(void)
{
	child_task(7);
	return 0;
}
