// SPDX-License-Identifier: MIT
// The C++ shape for `make bench`: a task an exception may leave.
#include <stdexcept>

extern "C" long bench_sink;
long bench_sink;

__attribute__((noinline)) void check_input(long x)
{
	if (x < 0)
		throw std::invalid_argument("negative");
}

extern "C" __attribute__((noinline)) long shape_cxx(long x)
{
	check_input(x);
	bench_sink += x;
	return x + 1;
}

extern "C" long shape_cxx_catching(long x)
{
	try {
		return shape_cxx(x);
	} catch (const std::exception &) {
		return -1;
	}
}

// Unprofiled: what an unrelated C++ program's exceptions cost while the
// collector's hooks are in libgcc_s.
extern "C" __attribute__((noinline)) long throw_and_catch(long x)
{
	try {
		check_input(-1 - x);
	} catch (const std::exception &) {
		return x;
	}
	return -1;
}
