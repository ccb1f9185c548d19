// SPDX-License-Identifier: MIT
/*
 * A C program, nothing in whose image unwinds a stack, that loads a C++
 * plugin with dlopen and hands it a task as a callback; the plugin's
 * exception passes through the task on its way to the plugin's catch.
 * Profiled, it must print what it prints unprofiled.
 *
 * usage: plugin_host LIBRARY
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void (*plugin_throw)(void);

/* a task the plugin calls back */
NOINLINE int plugin_cb(int x)
{
	usleep(1000);
	plugin_throw();
	return x;
}

int main(int argc, char **argv)
{
	void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
	int (*run)(int (*)(int));

	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	run = (int (*)(int (*)(int)))dlsym(h, "plugin_run");
	plugin_throw = (void (*)(void))dlsym(h, "plugin_throw");
	for (int i = 0; i < 2; i++)
		printf("run -> %d\n", run(plugin_cb));
	return 0;
}
