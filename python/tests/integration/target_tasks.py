# SPDX-License-Identifier: MIT
"""Decorated Python tasks that measure themselves, for the root tests: each
writes its ground truth, measured inside the task with the kernel's own
per-thread accounting, as one JSON line per invocation to $TP_GT.

usage: target_tasks.py DIR SCENARIO [SCENARIO ...]
"""
import asyncio
import json
import mmap
import os
import random
import resource
import socket
import sys
import threading
import time

from taskprof import profiler

GT = open(os.environ["TP_GT"], "a") if os.environ.get("TP_GT") else None
DIR = sys.argv[1] if len(sys.argv) > 1 else "."


def put(task, **truth):
    if GT:
        GT.write(json.dumps(dict(task=task, **truth)) + "\n")
        GT.flush()


def cpu():
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return r.ru_utime, r.ru_stime


def io(field):
    with open("/proc/thread-self/io") as f:
        for line in f:
            k, v = line.split(":")
            if k == field:
                return int(v)
    return 0


def asleep():
    """Seconds this thread has spent off-CPU and not waiting for a CPU:
    wall time less its schedstat run and runqueue times. (Delay
    accounting's blkio figure, /proc/thread-self/stat field 42, is wrong on
    6.18: it jumps by whole seconds, or by the uptime.)"""
    with open("/proc/thread-self/schedstat") as f:
        run, queued = (int(x) for x in f.read().split()[:2])
    return time.monotonic() - (run + queued) / 1e9


def spin(seconds):
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        x += 1
    return x


class CpuTask:
    env, stage, process_name = "test", "compute", "CpuTask"

    @profiler
    def run(self):
        """0.2 s of CPU here and 0.1 s on a thread it starts."""
        t0, u0, s0 = time.monotonic(), *cpu()
        child = {}

        def work():
            a = cpu()
            spin(0.1)
            b = cpu()
            child["cpu"] = (b[0] - a[0]) + (b[1] - a[1])
        th = threading.Thread(target=work)
        th.start()
        spin(0.2)
        th.join()
        u1, s1 = cpu()
        return dict(cpu=(u1 - u0) + (s1 - s0) + child["cpu"], runtime=time.monotonic() - t0)


@profiler
def joined_workers():
    """Two threads do the work, 0.05 s of CPU each, and are joined at once:
    Thread.join() returns when a worker releases its lock, before its OS
    thread has exited."""
    t0, (u0, s0) = time.monotonic(), cpu()
    got = []

    def work():
        a = cpu()
        spin(0.05)
        b = cpu()
        got.append((b[0] - a[0]) + (b[1] - a[1]))
    ths = [threading.Thread(target=work) for _ in range(2)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    u1, s1 = cpu()
    return dict(cpu=(u1 - u0) + (s1 - s0) + sum(got), runtime=time.monotonic() - t0)


def direct_write(path, mib):
    """mib MiB written to a new file with O_DIRECT: block IO waits."""
    buf = mmap.mmap(-1, 1 << 20)
    buf.write(b"q" * (1 << 20))
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC | os.O_DIRECT, 0o644)
    try:
        for _ in range(mib):
            os.write(fd, buf)
    finally:
        os.close(fd)


@profiler
def thread_io(path):
    """A thread it starts waits on block IO; on 6.18 such a new thread's
    first IO wait often adds the whole clock to its blkio_delay (2 of 20
    threads, 10 of 10 after a process forked and reaped)."""
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    th = threading.Thread(target=direct_write, args=(path, 4))
    th.start()
    th.join()
    return dict(runtime=time.monotonic() - t0)


class WriteTask:
    process_name = "WriteTask"

    @profiler
    def run(self):
        w0 = io("write_bytes")
        with open(os.path.join(DIR, "py-write.bin"), "wb") as f:
            for _ in range(8):
                f.write(b"x" * (1 << 20))
            f.flush()
            os.fsync(f.fileno())
        return dict(write=io("write_bytes") - w0)


class ReadTask:
    process_name = "ReadTask"

    @profiler
    def run(self, path, reads):
        """Random O_DIRECT reads: bytes from storage, and IO wait."""
        r0, w0 = io("read_bytes"), asleep()
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        buf = mmap.mmap(-1, 4096)
        size = os.fstat(fd).st_size // 4096
        rng = random.Random(7)
        for _ in range(reads):
            os.preadv(fd, [buf], rng.randrange(size) * 4096)
        os.close(fd)
        return dict(read=io("read_bytes") - r0, iowait=asleep() - w0)


class NetTask:
    process_name = "NetTask"

    @profiler
    def run(self, addr, n):
        """n bytes to a loopback echo (a thread started before) and n back."""
        s = socket.create_connection(addr)
        s.sendall(b"n" * n)
        s.shutdown(socket.SHUT_WR)
        got = 0
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += len(d)
        s.close()
        return dict(sent=n, received=got)


def echo_server():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def echo():
        c, _ = srv.accept()
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
        c.close()
        srv.close()
    th = threading.Thread(target=echo)
    th.start()
    return srv.getsockname(), th


class MemTask:
    process_name = "MemTask"

    @profiler
    def run(self):
        """Builds a large list and frees it before returning."""
        big = list(range(3_000_000))
        with open("/proc/self/status") as f:
            rss = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS"))
        del big
        return dict(rss_at_peak=rss)


class FlakyTask:
    process_name = "FlakyTask"

    @profiler
    def run(self, escape):
        """Raises five exceptions it catches, then maybe one that escapes."""
        for i in range(5):
            try:
                raise ValueError(i)
            except ValueError:
                pass
        if escape:
            raise RuntimeError("escapes run")
        return dict(exceptions=5)


def deep(n):
    if n == 0:
        raise ValueError("deep")
    return deep(n - 1)


def raiser():
    for i in range(4):
        try:
            raise OSError(i)
        except OSError:
            pass


@profiler
def numbers():
    yield from range(10)


@profiler
def exceptions_kinds(path, thread):
    """Ten exceptions a Python program sees, four of them in a thread the
    task starts; none that C raises and clears. (The thread is made before:
    threading.Thread() itself raises and catches three AttributeErrors.)"""
    for _ in range(3):
        try:
            deep(5)                  # one exception through six frames: 1 each
        except ValueError:
            pass
    try:
        int("x")                     # raised by a call: 1
    except ValueError:
        pass
    try:
        next(iter([]))               # StopIteration: 1
    except StopIteration:
        pass
    try:
        try:
            raise KeyError(1)        # 1
        except KeyError:
            raise                    # re-raised: not again
    except KeyError:
        pass
    with open(path, "w", newline=""):  # CPython raises and clears one inside
        pass
    hasattr(object(), "nope")
    g = numbers()
    next(g)
    g.close()                        # GeneratorExit closes it: not an error, not counted
    thread.start()                   # raises and catches 4
    thread.join()
    return dict(exceptions=10)


@profiler
def inner():
    spin(0.01)


@profiler
def outer():
    inner()
    inner()


@profiler
def ticker(n):
    for i in range(n):
        time.sleep(0.02)
        yield i


@profiler
async def request(i):
    await asyncio.sleep(0.004)
    return i


# all open at once on one thread: more than a thread's frames used to hold
GATHERED = 200


async def staggered(n):
    """A request every 2 ms, each 4 ms long: two overlap at any time, and
    the older always ends while the newer is open."""
    tasks, prev = [], None
    for i in range(n):
        tasks.append(asyncio.ensure_future(request(i)))
        await asyncio.sleep(0.002)
        if prev:
            await prev
        prev = tasks[-1]
    return await asyncio.gather(*tasks)


@profiler
async def slow_coro(i):
    await asyncio.sleep(0.05)
    await asyncio.sleep(0.05)
    return i


def scenario(name):
    if name == "cpu":
        put("CpuTask", **CpuTask().run())
    elif name == "joined":
        for _ in range(12):
            put("joined_workers", **joined_workers())
    elif name == "thread_io":
        for _ in range(12):
            put("thread_io", **thread_io(os.path.join(DIR, "py-thread-io.bin")))
    elif name == "write":
        put("WriteTask", **WriteTask().run())
    elif name == "read":
        path = os.path.join(DIR, "py-read.bin")
        if not os.path.exists(path) or os.path.getsize(path) != 64 << 20:
            with open(path, "wb") as f:
                f.write(os.urandom(64 << 20))
        put("ReadTask", **ReadTask().run(path, 1500))
    elif name == "net":
        addr, th = echo_server()
        put("NetTask", **NetTask().run(addr, 300_000))
        th.join()
    elif name == "mem":
        put("MemTask", **MemTask().run())
    elif name == "exceptions":
        put("FlakyTask", **FlakyTask().run(0))
        try:
            FlakyTask().run(1)
        except RuntimeError:
            put("FlakyTask", exceptions=6)
    elif name == "pyexc":
        put("exceptions_kinds", **exceptions_kinds(os.path.join(DIR, "py-open.txt"),
                                                   threading.Thread(target=raiser)))
    elif name == "shapes":
        outer()
        t0 = time.monotonic()
        assert list(ticker(3)) == [0, 1, 2]
        put("ticker", runtime=time.monotonic() - t0)

        async def main():
            return await asyncio.gather(*(slow_coro(i) for i in range(4)))
        assert asyncio.run(main()) == [0, 1, 2, 3]
    elif name == "stagger":
        assert asyncio.run(staggered(200)) == list(range(200))
    elif name == "gather":
        async def main():
            return await asyncio.gather(*(request(i) for i in range(GATHERED)))
        assert asyncio.run(main()) == list(range(GATHERED))
    elif name == "threads":
        ts = [threading.Thread(target=outer) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    else:
        sys.exit(f"target_tasks: unknown scenario {name}")


if __name__ == "__main__":
    for s in sys.argv[2:]:
        scenario(s)
    print("target_tasks: done")
