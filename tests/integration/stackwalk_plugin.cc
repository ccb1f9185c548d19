// SPDX-License-Identifier: MIT
// The plugin stackwalk_target loads with dlopen: it calls back into its
// host and catches what its own code throws through the host's frames.
#include <stdio.h>

#include <stdexcept>

extern "C" void plugin_throw(void)
{
	throw std::runtime_error("from the plugin");
}

extern "C" int plugin_run(int (*cb)(int))
{
	try {
		return cb(1);
	} catch (const std::exception &e) {
		printf("plugin caught: %s\n", e.what());
		return -1;
	}
}
