// SPDX-License-Identifier: MIT
/* The other file of returns_target's chain of tail calls: into libc. */
#include <unistd.h>

int chain_b(int us)
{
	return usleep(us);
}
