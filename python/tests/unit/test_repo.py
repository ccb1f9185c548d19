# SPDX-License-Identifier: MIT
"""ProfileRepo on real files, unprivileged: the specification's API, the
DataFrame's columns, bad input refused with a clear exception, reads while
another connection writes, and rows the C side reads back."""
import datetime as dt
import os
import sqlite3
import subprocess
import tempfile
import threading
import unittest

import taskprof
from taskprof import (DatabaseError, DatabaseNotFoundError, Profile, ProfileNotFoundError,
                      ProfileRepo)
from taskprof.profile import SPEC_FIELDS


def spec_profile(**over):
    """The specification's example Profile."""
    now = dt.datetime(2026, 11, 25, 10, 0, 0, 123456, tzinfo=dt.timezone.utc)
    p = dict(env="production", stage="data_cleaning", process_name="AnonymizeReviewsTask",
             task_start_time=now, task_end_time=now + dt.timedelta(seconds=10.5),
             runtime_seconds=10.5, cpu_cores=4, cpu_user_utilization=0.65,
             cpu_system_utilization=0.15, memory_usage_peak_mb=512.4, memory_allocations=1000,
             file_read_bytes=10240, file_write_bytes=20480, io_wait_time_seconds=0.5,
             network_data_sent_bytes=5000, network_data_received_bytes=12000,
             exceptions_raised=0)
    p.update(over)
    return Profile(**p)


class RepoTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "t.db")
        self.repo = ProfileRepo(self.path, create=True)

    def tearDown(self):
        self.repo.close()
        self.dir.cleanup()

    def test_add_and_get_all(self):
        p = spec_profile()
        pid = self.repo.add(p)
        self.assertEqual(p.id, pid)
        df = self.repo.get_all()
        self.assertEqual(len(df), 1)
        self.assertEqual(list(df.columns[1:18]), list(SPEC_FIELDS))
        for extra in ("id", "session_id", "cpu_user_seconds", "pid", "tid", "status"):
            self.assertIn(extra, df.columns)
        row = df.iloc[0]
        self.assertEqual(row["process_name"], "AnonymizeReviewsTask")
        self.assertAlmostEqual(row["memory_usage_peak_mb"], 512.4)
        self.assertEqual(row["task_start_time"], p.task_start_time)
        self.assertEqual(row["status"], "completed")

    def test_naive_time_is_local(self):
        local = dt.datetime(2026, 1, 2, 3, 4, 5)
        self.repo.add(spec_profile(task_start_time=local, task_end_time=local))
        got = self.repo.get_all().iloc[0]["task_start_time"]
        self.assertEqual(got.to_pydatetime(), local.astimezone(dt.timezone.utc))

    def test_get_by_process_exists_remove(self):
        a = self.repo.add(spec_profile())
        b = self.repo.add(spec_profile(process_name="Other"))
        self.assertEqual(list(self.repo.get_by_process(process_name="Other")["id"]), [b])
        self.assertTrue(self.repo.exists(profile_id=a))
        self.repo.remove(profile_id=a)
        self.assertFalse(self.repo.exists(profile_id=a))
        with self.assertRaises(ProfileNotFoundError) as cm:
            self.repo.remove(profile_id=a)
        self.assertIn(f"no profile with id {a}", str(cm.exception))
        self.assertIsInstance(cm.exception, KeyError)
        self.assertEqual(self.repo.remove_by_process(process_name="Other"), 1)
        self.assertEqual(len(self.repo.get_all()), 0)

    def test_unmeasured_is_null(self):
        p = spec_profile(memory_allocations=None, memory_usage_peak_mb=None)
        self.repo.add(p)
        raw = sqlite3.connect(self.path).execute(
            "SELECT memory_allocations, memory_usage_peak_mb FROM profiles").fetchone()
        self.assertEqual(raw, (None, None))
        got = self.repo.get(p.id)
        self.assertIsNone(got.memory_allocations)

    def test_bad_input(self):
        for bad, exc in ((dict(process_name=""), ValueError),
                         (dict(runtime_seconds=-1.0), ValueError),
                         (dict(status="crashed"), ValueError),
                         (dict(cpu_cores="four"), TypeError),
                         (dict(task_start_time="yesterday"), ValueError),
                         (dict(task_end_time=12), TypeError)):
            with self.assertRaises(exc, msg=bad):
                self.repo.add(spec_profile(**bad))
        with self.assertRaises(TypeError):
            self.repo.add({"process_name": "x"})
        self.assertEqual(len(self.repo.get_all()), 0)

    def test_bad_values_name_their_field(self):
        for bad, exc in ((dict(runtime_seconds=float("nan")), ValueError),
                         (dict(runtime_seconds=float("inf")), ValueError),
                         (dict(file_read_bytes=-1), ValueError),
                         (dict(file_read_bytes=2**63), ValueError),
                         (dict(process_name=5), TypeError),
                         (dict(process_name="a\0b"), ValueError),
                         (dict(stage="\udcff"), ValueError)):
            field = next(iter(bad))
            with self.assertRaises(exc, msg=bad) as cm:
                self.repo.add(spec_profile(**bad))
            self.assertIn(f"Profile.{field}", str(cm.exception))
        self.assertEqual(len(self.repo.get_all()), 0)

    def test_round_trip_and_ids(self):
        early = dt.datetime(999, 5, 6, 7, 8, 9, 10, tzinfo=dt.timezone.utc)
        p = spec_profile(task_start_time=early, cpu_cores=8.0)  # as a DataFrame holds it
        self.repo.add(p)
        got = self.repo.get(p.id)
        self.assertEqual(got.task_start_time, early)
        self.assertEqual(got.cpu_cores, 8)
        self.assertFalse(self.repo.exists(profile_id=2**70))
        with self.assertRaises(TypeError):
            self.repo.get(True)
        with self.assertRaises(TypeError):
            self.repo.remove(profile_id=1.5)
        with self.assertRaises(ProfileNotFoundError):
            self.repo.remove(profile_id=2**70)

    def test_one_repo_shared_by_threads(self):
        def adds(i, out):
            for k in range(100):
                p = spec_profile(process_name=f"t{i}-{k}")
                out.append((self.repo.add(p), p.process_name))
        results = [[] for _ in range(8)]
        threads = [threading.Thread(target=adds, args=(i, results[i])) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        pairs = [pair for r in results for pair in r]
        self.assertEqual(len({i for i, _ in pairs}), 800)
        for pid, name in pairs:
            self.assertEqual(self.repo.get(pid).process_name, name)

    def test_missing_corrupt_foreign(self):
        missing = os.path.join(self.dir.name, "none.db")
        with self.assertRaises(DatabaseNotFoundError) as cm:
            ProfileRepo(missing)
        self.assertIsInstance(cm.exception, FileNotFoundError)
        self.assertFalse(os.path.exists(missing))
        junk = os.path.join(self.dir.name, "junk.db")
        with open(junk, "wb") as f:
            f.write(b"not a database at all" * 100)
        with self.assertRaises(DatabaseError):
            ProfileRepo(junk)
        with open(junk, "rb") as f:
            self.assertTrue(f.read().startswith(b"not a database"))
        foreign = os.path.join(self.dir.name, "foreign.db")
        sqlite3.connect(foreign).execute("CREATE TABLE t (x)")
        with self.assertRaises(DatabaseError) as cm:
            ProfileRepo(foreign)
        self.assertIn("not a taskprof database", str(cm.exception))

    def test_default_path_from_environment(self):
        old = os.environ.get("TASKPROF_DB")
        os.environ["TASKPROF_DB"] = self.path
        try:
            with ProfileRepo() as r:
                self.assertEqual(r.path, self.path)
        finally:
            if old is None:
                del os.environ["TASKPROF_DB"]
            else:
                os.environ["TASKPROF_DB"] = old

    def test_reads_while_another_writes(self):
        self.repo.add(spec_profile())
        writer = sqlite3.connect(self.path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO profiles (process_name, task_start_time, task_end_time, "
                       "runtime_seconds, status) VALUES ('w', '2026-01-01T00:00:00.000000Z', "
                       "'2026-01-01T00:00:01.000000Z', 1, 'completed')")
        # the uncommitted row is not seen, and the read does not wait
        self.assertEqual(list(self.repo.get_all()["process_name"]), ["AnonymizeReviewsTask"])
        writer.execute("COMMIT")
        self.assertEqual(len(self.repo.get_all()), 2)

    def test_c_side_reads_python_rows(self):
        binary = os.environ.get("TASKPROF_BIN")
        if not binary:
            self.skipTest("TASKPROF_BIN not set (make test sets it)")
        self.repo.add(spec_profile())
        out = subprocess.run([binary, "list", "--db", self.path, "--format", "csv"],
                             capture_output=True, text=True, check=True).stdout
        self.assertIn("AnonymizeReviewsTask", out)
        self.assertIn("512.4", out)


if __name__ == "__main__":
    unittest.main()
