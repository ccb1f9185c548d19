# SPDX-License-Identifier: MIT
"""@profiler's transparency, with no collector: what a decorated callable
returns, raises (with its traceback), yields and awaits is what it would
unprofiled, for methods, functions, generators and coroutines, on many
threads and nested; and the marker calls it makes are the ones the probes
expect."""
import asyncio
import threading
import traceback
import unittest
from unittest import mock

from taskprof import _native, decorator, profiler


class AnonymizeReviewsTask:
    env = "production"
    stage = "data_cleaning"
    process_name = "AnonymizeReviewsTask"

    def __init__(self, rows):
        self.rows = rows

    @profiler
    def run(self):
        """Anonymizes the rows."""
        return [r.upper() for r in self.rows]

    @profiler
    def fail(self):
        raise ValueError("bad row 3")


@profiler
def add(a, b=2, *, c=3):
    return a + b + c


@profiler
def countdown(n):
    while n:
        got = yield n
        n = got if got is not None else n - 1
    return "liftoff"


@profiler
async def fetch(x):
    await asyncio.sleep(0.01)
    return x * 2


@profiler
async def broken():
    await asyncio.sleep(0)
    raise KeyError("gone")


def undecorated_fail():
    raise ValueError("bad row 3")


class Calls:
    """Records the marker calls, as the probes would see them."""

    def __init__(self):
        self.log = []
        self.lock = threading.Lock()
        real = _native.marker
        self.patch = mock.patch.object(_native, "marker", self)
        self.ids = real.taskprof_marker_id

    def taskprof_marker_id(self):
        return self.ids()

    def taskprof_marker_begin(self, token, mid, name, stage, env):
        with self.lock:
            self.log.append(("begin", token, name, stage, env, threading.get_ident()))

    def taskprof_marker_end(self, token, status):
        with self.lock:
            self.log.append(("end", token, status, threading.get_ident()))


@unittest.skipIf(_native.marker is None, "libtaskprof-marker not found")
class DecoratorTest(unittest.TestCase):
    def test_returns_what_it_returns(self):
        t = AnonymizeReviewsTask(["a", "b"])
        self.assertEqual(t.run(), ["A", "B"])
        self.assertEqual(add(1), 6)
        self.assertEqual(add(1, 1, c=1), 3)
        self.assertEqual(AnonymizeReviewsTask.run.__doc__, "Anonymizes the rows.")
        self.assertEqual(add.__name__, "add")

    def test_raises_what_it_raises_with_its_traceback(self):
        # assertRaises drops the traceback: catch it by hand
        try:
            AnonymizeReviewsTask([]).fail()
        except ValueError as e:
            got = e
        try:
            undecorated_fail()
        except ValueError as e:
            want = e
        self.assertEqual(str(got), str(want))
        frames = traceback.extract_tb(got.__traceback__)
        self.assertEqual(sum(f.filename.endswith("taskprof/decorator.py") for f in frames), 1)
        frames = [f for f in frames if not f.filename.endswith("taskprof/decorator.py")]
        self.assertEqual(frames[-1].line, 'raise ValueError("bad row 3")')
        self.assertEqual(frames[-1].name, "fail")

    def test_generator(self):
        self.assertEqual(list(countdown(3)), [3, 2, 1])
        g = countdown(5)
        self.assertEqual(next(g), 5)
        self.assertEqual(g.send(2), 2)
        with self.assertRaises(StopIteration) as stop:
            g.send(0)
        self.assertEqual(stop.exception.value, "liftoff")
        g = countdown(9)
        next(g)
        g.close()

    def test_coroutine(self):
        async def main():
            return await asyncio.gather(fetch(1), fetch(2), fetch(3))
        self.assertEqual(asyncio.run(main()), [2, 4, 6])
        with self.assertRaises(KeyError):
            asyncio.run(broken())

    def test_marker_calls(self):
        calls = Calls()
        with calls.patch:
            AnonymizeReviewsTask(["x"]).run()
            with self.assertRaises(ValueError):
                AnonymizeReviewsTask([]).fail()
            add(1)
            list(countdown(2))
        begins = [c for c in calls.log if c[0] == "begin"]
        ends = {c[1]: c[2] for c in calls.log if c[0] == "end"}
        self.assertEqual([b[2] for b in begins],
                         [b"AnonymizeReviewsTask", b"AnonymizeReviewsTask", b"add", b"countdown"])
        self.assertEqual(begins[0][3:5], (b"data_cleaning", b"production"))
        self.assertEqual(begins[2][3:5], (None, None))
        self.assertEqual([ends[b[1]] for b in begins], [0, 1, 0, 0])  # fail is unwound

    def test_coroutines_interleave_and_end_on_their_thread(self):
        calls = Calls()

        async def main():
            return await asyncio.gather(*(fetch(i) for i in range(5)))
        with calls.patch:
            self.assertEqual(asyncio.run(main()), [0, 2, 4, 6, 8])
        begun = {c[1]: c[5] for c in calls.log if c[0] == "begin"}
        ended = {c[1]: c[3] for c in calls.log if c[0] == "end"}
        self.assertEqual(begun, ended)  # every region ends, on the thread it began on
        order = [c[0] for c in calls.log]
        self.assertEqual(order[:5], ["begin"] * 5)  # all began before any ended

    def test_threads_and_nesting(self):
        calls = Calls()

        @profiler
        def outer(n):
            return add(n) + add(n)

        results = [None] * 16
        with calls.patch:
            threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, outer(i)))
                       for i in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        self.assertEqual(results, [2 * (i + 5) for i in range(16)])
        tokens = [c[1] for c in calls.log if c[0] == "begin"]
        self.assertEqual(len(tokens), 48)
        self.assertEqual(len(set(tokens)), 48)  # unique across threads

    def test_same_name_same_id(self):
        a = decorator._marker_id("T", "s", "e")
        self.assertEqual(a, decorator._marker_id("T", "s", "e"))
        self.assertNotEqual(a[0], decorator._marker_id("T", "other", "e")[0])
        long = decorator._marker_id("é" * 40, None, None)
        self.assertLessEqual(len(long[1]), 63)
        long[1].decode("utf-8")  # cut on a character boundary

    def test_odd_callables_and_names(self):
        import functools as ft
        import math

        class Adder:
            def __call__(self, x):
                return x + 1

        class Broken:
            @property
            def process_name(self):
                raise RuntimeError("no name")

            @profiler
            def run(self):
                return "ran"

        class Static:
            @profiler
            @staticmethod
            def twice(x):
                return 2 * x

        self.assertEqual(profiler(ft.partial(add, 1))(2), 6)
        self.assertEqual(profiler(Adder())(3), 4)
        self.assertEqual(profiler(math.log)(1.0), 0.0)
        self.assertEqual(Broken().run(), "ran")  # naming never stops the call
        self.assertEqual(Static().twice(4), 8)
        self.assertEqual(Static.twice(5), 10)

    def test_errors_keep_their_type(self):
        @profiler
        def down(n):
            return down(n - 1) if n else 0
        with self.assertRaises(RecursionError):
            down(100000)
        with self.assertRaises(TypeError):
            countdown()  # a generator's bad call raises at the call

    def test_without_the_library_it_is_the_function(self):
        with mock.patch.object(_native, "marker", None):
            def f(x):
                return x
            self.assertIs(profiler(f), f)


if __name__ == "__main__":
    unittest.main()
