# SPDX-License-Identifier: MIT
"""Cost per call of @profiler, for `make bench`: prints the ns per call of a
task that does nothing, undecorated, with taskprof's decorator, and with
the specification's psutil decorator (its runtime, CPU, memory and IO
readings, as written there, without the database write).

usage: python_cost.py plain|taskprof|psutil [CALLS]
"""
import functools
import sys
import time

MODE = sys.argv[1]
CALLS = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000


def spec_profiler(func):
    """The specification's decorator, its measurements only."""
    import psutil

    @functools.wraps(func)
    def wrapper(self, *args, **kwargs):
        proc = psutil.Process()
        t0 = time.time()
        cpu0, io0 = proc.cpu_times(), proc.io_counters()
        net0 = psutil.net_io_counters()
        result = func(self, *args, **kwargs)
        cpu1, io1 = proc.cpu_times(), proc.io_counters()
        net1 = psutil.net_io_counters()
        _ = (time.time() - t0, cpu1.user - cpu0.user, cpu1.system - cpu0.system,
             proc.memory_info().rss, io1.read_bytes - io0.read_bytes,
             net1.bytes_sent - net0.bytes_sent, psutil.cpu_count())
        return result
    return wrapper


if MODE == "taskprof":
    from taskprof import profiler as deco
elif MODE == "psutil":
    deco = spec_profiler
    CALLS = min(CALLS, 20_000)
else:
    def deco(f):
        return f


class Task:
    process_name, stage, env = "BenchTask", "bench", "bench"

    @deco
    def run(self):
        return None


t = Task()
for _ in range(1000):
    t.run()
start = time.perf_counter_ns()
for _ in range(CALLS):
    t.run()
print(f"{(time.perf_counter_ns() - start) / CALLS:.0f}")
