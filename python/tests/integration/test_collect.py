# SPDX-License-Identifier: MIT
"""Python tasks seen by the always-on collector (`marker = NAME`), as root:
the collector starts first, the marked program later and on its own; its
rows are checked against the ground truth measured inside the tasks, and
read back through ProfileRepo while the collector still runs."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from taskprof import ProfileRepo

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "target_tasks.py")
BIN = os.environ.get("TASKPROF_BIN")
BUILD = os.environ.get("TASKPROF_BUILD", "build")
SCRATCH = os.path.join(BUILD, "tests", "scratch")

CONFIG = """[collector]
database = {db}
env = ci

[task CpuTask]
marker = CpuTask
stage = declared

[task FlakyTask]
marker = FlakyTask

[task everything else]
marker = *
"""


@unittest.skipUnless(BIN and os.geteuid() == 0, "needs root and TASKPROF_BIN (make test)")
class CollectTest(unittest.TestCase):
    def setUp(self):
        os.makedirs(SCRATCH, exist_ok=True)
        self.dir = tempfile.TemporaryDirectory()
        os.chmod(self.dir.name, 0o700)
        self.db = os.path.join(self.dir.name, "collect.db")
        self.gt = os.path.join(self.dir.name, "gt.jsonl")
        conf = os.path.join(self.dir.name, "taskprof.conf")
        with open(conf, "w") as f:
            f.write(CONFIG.format(db=self.db))
        self.log = open(os.path.join(self.dir.name, "collect.log"), "w+")
        self.collector = subprocess.Popen([BIN, "collect", "--config", conf],
                                          stderr=self.log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = subprocess.run([BIN, "status", "--db", self.db], capture_output=True,
                               text=True)
            if r.returncode == 0 and "running" in r.stdout:
                return
            time.sleep(0.2)
        self.collector.kill()
        self.log.seek(0)
        self.fail("the collector did not start: " + self.log.read())

    def tearDown(self):
        if self.collector.poll() is None:
            self.collector.send_signal(signal.SIGTERM)
            self.collector.wait(timeout=30)
        self.log.close()
        self.dir.cleanup()

    def rows(self, want, timeout=20):
        """Rows as they land (the collector flushes on its own), read while it runs."""
        deadline = time.monotonic() + timeout
        while True:
            with ProfileRepo(self.db) as repo:
                df = repo.get_all()
            if len(df) >= want or time.monotonic() > deadline:
                return df
            time.sleep(0.3)

    def test_marked_program_started_later(self):
        env = dict(os.environ, TP_GT=self.gt)
        r = subprocess.run([sys.executable, TARGET, SCRATCH, "cpu", "exceptions", "shapes"],
                           env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        df = self.rows(3 + 1 + 2 + 1 + 4)
        with open(self.gt) as f:
            gt = [json.loads(line) for line in f]
        cpu = df[df.process_name == "CpuTask"].iloc[0]
        want = next(t for t in gt if t["task"] == "CpuTask")
        self.assertAlmostEqual(cpu.cpu_user_seconds + cpu.cpu_system_seconds, want["cpu"],
                               delta=0.02 + 0.05 * want["cpu"])
        # the task's own stage wins over the configuration's; env is the collector's
        self.assertEqual((cpu.stage, cpu.env), ("compute", "test"))
        flaky = df[df.process_name == "FlakyTask"].sort_values("id")
        self.assertEqual(list(flaky.status), ["completed", "unwound"])
        self.assertEqual(list(flaky.exceptions_raised), [5, 6])
        counts = df.process_name.value_counts().to_dict()
        self.assertEqual(counts.get("slow_coro"), 4)
        self.assertEqual(counts.get("inner"), 2)
        self.assertEqual(counts.get("ticker"), 1)


if __name__ == "__main__":
    unittest.main()
