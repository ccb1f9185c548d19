# SPDX-License-Identifier: MIT
"""A small Python data pipeline with the specification's tasks, marked with
@profiler: it writes reviews, anonymizes them, scores them and saves the
result. `make demo` records it with `taskprof record -t 'marker:*'` and
prints its profiles through ProfileRepo.

usage: reviews_pipeline.py WORKDIR [BATCHES]
"""
import csv
import hashlib
import os
import random
import re
import sys

from taskprof import profiler

EMAIL = re.compile(r"[\w.]+@[\w.]+")


class Task:
    env = "local"

    def __init__(self, workdir):
        self.workdir = workdir

    def path(self, name):
        return os.path.join(self.workdir, name)


class ExtractReviewsTask(Task):
    stage = "ingest"
    process_name = "ExtractReviewsTask"

    @profiler
    def run(self, n):
        rng = random.Random(n)
        with open(self.path("reviews.csv"), "w", newline="") as f:
            w = csv.writer(f)
            for i in range(n):
                w.writerow([i, f"user{i}@example.com", rng.randint(1, 5),
                            " ".join(rng.choice(["good", "bad", "fine", "slow"])
                                     for _ in range(30))])
        return n


class AnonymizeReviewsTask(Task):
    stage = "data_cleaning"
    process_name = "AnonymizeReviewsTask"

    @profiler
    def run(self):
        out = []
        with open(self.path("reviews.csv"), newline="") as f:
            for row in csv.reader(f):
                row[1] = hashlib.sha256(EMAIL.sub("", row[1]).encode() + row[1].encode()).hexdigest()
                out.append(row)
        return out


class ScoreReviewsTask(Task):
    stage = "analysis"
    process_name = "ScoreReviewsTask"

    @profiler
    def run(self, rows):
        scores = {}
        for row in rows:
            try:
                words = row[3].split()
                scores[row[0]] = int(row[2]) + words.count("good") - words.count("bad")
            except (IndexError, ValueError):
                continue
        return scores


class SaveReviewsTask(Task):
    stage = "load"
    process_name = "SaveReviewsTask"

    @profiler
    def run(self, scores):
        with open(self.path("scores.csv"), "w") as f:
            for k, v in sorted(scores.items()):
                f.write(f"{k},{v}\n")
            f.flush()
            os.fsync(f.fileno())
        return len(scores)


def main():
    workdir = sys.argv[1] if len(sys.argv) > 1 else "."
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    os.makedirs(workdir, exist_ok=True)
    for b in range(batches):
        n = ExtractReviewsTask(workdir).run(20000)
        rows = AnonymizeReviewsTask(workdir).run()
        saved = SaveReviewsTask(workdir).run(ScoreReviewsTask(workdir).run(rows))
        print(f"batch {b}: {n} reviews, {saved} scores saved")


if __name__ == "__main__":
    main()
