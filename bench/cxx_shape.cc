// SPDX-License-Identifier: MIT
// The C++ shapes for `make bench`, in an image that unwinds its stack: a
// task an exception may leave (it calls), a leaf, and a task whose last
// statement is a call into libc through the PLT. Each is called directly
// by a caller of its own, as tasks are; the bench calls the callers.
#include <cstring>
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

// A leaf: it calls nothing.
extern "C" __attribute__((noinline)) long cxx_leaf(long x)
{
	return x * 3 + bench_sink;
}

// Its last statement is a call: jmp strlen@plt.
extern "C" __attribute__((noinline)) long cxx_tail(const char *s)
{
	bench_sink++;
	return (long)strlen(s);
}

// The callers: loops that call each task directly, as a program's own code
// calls its tasks. An exception from shape_cxx would land in the catch.
extern "C" long run_cxx_shape(const char *shape, long n)
{
	static const char word[] = "taskprof";
	long acc = 0;

	try {
		if (!strcmp(shape, "cxx"))
			for (long i = 0; i < n; i++)
				acc += shape_cxx(i);
		else if (!strcmp(shape, "cxx_leaf"))
			for (long i = 0; i < n; i++)
				acc += cxx_leaf(i);
		else if (!strcmp(shape, "cxx_tail"))
			for (long i = 0; i < n; i++)
				acc += cxx_tail(word + (i & 3));
		else
			return -1;
	} catch (const std::exception &) {
		return -1;
	}
	return acc;
}
