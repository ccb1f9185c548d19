# SPDX-License-Identifier: MIT
"""Python tasks under `taskprof record -t marker:...`, as root, each row
against the ground truth the task measured inside itself; and the program's
behaviour against an unprofiled run of it."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

from taskprof import ProfileRepo

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "target_tasks.py")
BIN = os.environ.get("TASKPROF_BIN")
BUILD = os.environ.get("TASKPROF_BUILD", "build")
# O_DIRECT needs a real filesystem: the build tree's scratch, as the C tests use
SCRATCH = os.path.join(BUILD, "tests", "scratch")


def run_target(db, gt, scenarios, tasks=("marker:*",)):
    cmd = [BIN, "record", "--db", db]
    for t in tasks:
        cmd += ["-t", t]
    cmd += ["--", sys.executable, TARGET, SCRATCH] + list(scenarios)
    env = dict(os.environ, TP_GT=gt)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def truths(gt):
    with open(gt) as f:
        return [json.loads(line) for line in f]


@unittest.skipUnless(BIN and os.geteuid() == 0, "needs root and TASKPROF_BIN (make test)")
class RecordTest(unittest.TestCase):
    def setUp(self):
        os.makedirs(SCRATCH, exist_ok=True)
        self.dir = tempfile.TemporaryDirectory()
        self.db = os.path.join(self.dir.name, "py.db")
        self.gt = os.path.join(self.dir.name, "gt.jsonl")

    def tearDown(self):
        self.dir.cleanup()

    def record(self, *scenarios, tasks=("marker:*",)):
        r = run_target(self.db, self.gt, scenarios, tasks)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("target_tasks: done", r.stdout)
        with ProfileRepo(self.db) as repo:
            return repo.get_all(), truths(self.gt)

    def one(self, df, task):
        rows = df[df.process_name == task]
        self.assertEqual(len(rows), 1, f"{task}: {len(rows)} rows")
        return rows.iloc[0]

    def test_cpu_runtime_threads(self):
        df, gt = self.record("cpu")
        row, want = self.one(df, "CpuTask"), gt[0]
        cpu = row.cpu_user_seconds + row.cpu_system_seconds
        self.assertAlmostEqual(cpu, want["cpu"], delta=0.02 + 0.05 * want["cpu"])
        self.assertGreaterEqual(row.runtime_seconds, want["runtime"])
        self.assertLess(row.runtime_seconds, want["runtime"] + 0.005)
        self.assertEqual((row.stage, row.env, row.status), ("compute", "test", "completed"))

    def test_cpu_of_threads_joined_at_once(self):
        df, gt = self.record("joined")
        rows = df[df.process_name == "joined_workers"].sort_values("task_start_time")
        self.assertEqual(len(rows), len(gt))
        for (_, row), want in zip(rows.iterrows(), gt):
            cpu = row.cpu_user_seconds + row.cpu_system_seconds
            # a worker missed would be 0.05 s short
            self.assertAlmostEqual(cpu, want["cpu"], delta=0.01 + 0.05 * want["cpu"])

    def test_iowait_of_threads_within_runtime(self):
        df, gt = self.record("thread_io")
        rows = df[df.process_name == "thread_io"]
        self.assertEqual(len(rows), len(gt))
        for _, row in rows.iterrows():
            # never the kernel's jump by the whole clock (uptime, seconds)
            self.assertGreater(row.io_wait_time_seconds, 0)
            self.assertLessEqual(row.io_wait_time_seconds, row.runtime_seconds)

    def test_disk_bytes_and_iowait(self):
        df, gt = self.record("write", "read")
        w, r = self.one(df, "WriteTask"), self.one(df, "ReadTask")
        want = {t["task"]: t for t in gt}
        self.assertEqual(w.file_write_bytes, want["WriteTask"]["write"])
        self.assertEqual(r.file_read_bytes, want["ReadTask"]["read"])
        self.assertGreaterEqual(r.file_read_bytes, 1500 * 4096 * 0.9)
        # the time the reads slept: off-CPU, not waiting for a CPU
        self.assertAlmostEqual(r.io_wait_time_seconds, want["ReadTask"]["iowait"],
                               delta=0.005 + 0.2 * want["ReadTask"]["iowait"])
        self.assertLessEqual(r.io_wait_time_seconds, r.runtime_seconds)

    def test_network_bytes(self):
        df, gt = self.record("net")
        row = self.one(df, "NetTask")
        self.assertEqual(row.network_data_sent_bytes, gt[0]["sent"])
        self.assertEqual(row.network_data_received_bytes, gt[0]["received"])

    def test_memory_peak_of_a_freed_list(self):
        df, gt = self.record("mem")
        row = self.one(df, "MemTask")
        peak = gt[0]["rss_at_peak"] / 2**20
        self.assertGreaterEqual(row.memory_usage_peak_mb, 0.97 * peak)
        self.assertLessEqual(row.memory_usage_peak_mb, 1.2 * peak)

    def test_exceptions_and_unwound(self):
        df, gt = self.record("exceptions")
        rows = df[df.process_name == "FlakyTask"].sort_values("id")
        self.assertEqual(list(rows.status), ["completed", "unwound"])
        self.assertEqual(list(rows.exceptions_raised), [t["exceptions"] for t in gt])

    def test_exceptions_counted_once_as_python_sees_them(self):
        df, gt = self.record("pyexc")
        self.assertEqual(self.one(df, "exceptions_kinds").exceptions_raised, gt[0]["exceptions"])
        # a decorated generator closed early: completed, and its GeneratorExit not an exception
        numbers = self.one(df, "numbers")
        self.assertEqual(numbers.exceptions_raised, 0)
        self.assertEqual(numbers.status, "completed")

    def test_nesting_generators_coroutines(self):
        df, gt = self.record("shapes")
        counts = df.process_name.value_counts().to_dict()
        self.assertEqual(counts, {"outer": 1, "inner": 2, "ticker": 1, "slow_coro": 4})
        outer, inner = self.one(df, "outer"), df[df.process_name == "inner"]
        self.assertTrue((inner.task_start_time >= outer.task_start_time).all())
        self.assertTrue((inner.task_end_time <= outer.task_end_time).all())
        ticker = self.one(df, "ticker")
        self.assertAlmostEqual(ticker.runtime_seconds, gt[0]["runtime"], delta=0.01)
        coros = df[df.process_name == "slow_coro"]
        # each spans its whole run, two awaits of 50 ms, interleaved on one thread
        self.assertTrue(((coros.runtime_seconds > 0.095) & (coros.runtime_seconds < 0.2)).all())
        self.assertEqual(coros.tid.nunique(), 1)
        self.assertTrue((coros.status == "completed").all())

    def test_staggered_coroutines_all_stored(self):
        # each ends below the top of its thread's regions: none may pile up
        df, _ = self.record("stagger")
        rows = df[df.process_name == "request"]
        self.assertEqual(len(rows), 200)
        self.assertTrue((rows.status == "completed").all())
        self.assertTrue(((rows.runtime_seconds > 0.0035) & (rows.runtime_seconds < 0.05)).all())

    def test_gathered_coroutines_all_stored(self):
        # 200 open at once on one thread, then ending oldest first: each
        # ends deep below the top, and all are held together
        df, _ = self.record("gather")
        rows = df[df.process_name == "request"]
        self.assertEqual(len(rows), 200)
        self.assertTrue((rows.status == "completed").all())
        self.assertEqual(rows.tid.nunique(), 1)
        self.assertLess(rows.task_start_time.max(), rows.task_end_time.min())
        self.assertTrue(((rows.runtime_seconds > 0.0035) & (rows.runtime_seconds < 1)).all())

    def test_threads(self):
        df, _ = self.record("threads")
        self.assertEqual(len(df[df.process_name == "outer"]), 4)
        self.assertEqual(len(df[df.process_name == "inner"]), 8)
        self.assertEqual(df[df.process_name == "outer"].tid.nunique(), 4)

    def test_one_marker_by_name(self):
        df, _ = self.record("shapes", tasks=("marker:inner",))
        self.assertEqual(set(df.process_name), {"inner"})
        self.assertEqual(len(df), 2)

    def test_behaviour_unchanged(self):
        env = dict(os.environ, TP_GT="")
        plain = subprocess.run([sys.executable, TARGET, SCRATCH, "shapes", "exceptions"],
                               env=env, capture_output=True, text=True, timeout=120)
        prof = run_target(self.db, os.devnull, ["shapes", "exceptions"])
        self.assertEqual(prof.returncode, plain.returncode)
        self.assertEqual(prof.stdout, plain.stdout)


if __name__ == "__main__":
    unittest.main()
