#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks a Chrome trace from `taskprof export` event by event against the
rows of its session, read straight from SQLite: one complete event per
row with the row's times, task, pid, tid and every column in args; a name
for every process and thread; events on a thread nested as Perfetto needs.

usage: check_trace.py TRACE.json DB SESSION
Prints "ok events N completed C unwound U exited E"; exit 1 with one line
per problem otherwise."""
import calendar
import json
import sqlite3
import sys


def micros(iso):
    """ISO-8601 UTC with microseconds to whole microseconds since the epoch."""
    day, frac = iso.rstrip("Z").split(".")
    sec = calendar.timegm(tuple(int(x) for x in day.replace("T", "-").replace(":", "-").split("-")))
    return sec * 1000000 + int(frac.ljust(6, "0")[:6])


def same(a, b):
    # numbers are written so that they read back as the row's own value
    return a == b


def check_nesting(events, problems):
    by_thread = {}
    for e in events:
        by_thread.setdefault((e["pid"], e["tid"]), []).append(e)
    for key, evs in by_thread.items():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
                stack.pop()
            if stack and e["ts"] + e["dur"] > stack[-1]["ts"] + stack[-1]["dur"]:
                problems.append(f"thread {key}: event {e['args']['id']} overlaps the end of "
                                f"{stack[-1]['args']['id']}")
            stack.append(e)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    trace = json.load(open(sys.argv[1]))
    db = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    rows = {r["id"]: r for r in db.execute("SELECT * FROM profiles WHERE session_id = ?",
                                           (int(sys.argv[3]),))}
    events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    meta = [e for e in trace["traceEvents"] if e["ph"] == "M"]
    problems = []
    if len(events) != len(rows):
        problems.append(f"{len(events)} events for {len(rows)} rows")
    seen = set()
    for e in events:
        r = rows.get(e["args"].get("id"))
        if r is None:
            problems.append(f"event {e['args'].get('id')} has no row")
            continue
        seen.add(r["id"])
        start, end = micros(r["task_start_time"]), micros(r["task_end_time"])
        want = {"name": r["process_name"], "ts": start, "dur": end - start, "pid": r["pid"],
                "tid": r["tid"]}
        for k, v in want.items():
            if e.get(k) != v:
                problems.append(f"row {r['id']}: {k} is {e.get(k)!r}, the row says {v!r}")
        for col in r.keys():
            if col != "id" and not same(e["args"].get(col, "missing"), r[col]):
                problems.append(f"row {r['id']}: args.{col} is {e['args'].get(col)!r}, "
                                f"the row says {r[col]!r}")
    names = {(m["pid"], m["tid"], m["name"]) for m in meta}
    for e in events:
        if not any(n[0] == e["pid"] and n[2] == "process_name" for n in names):
            problems.append(f"pid {e['pid']} has no process_name")
        if (e["pid"], e["tid"], "thread_name") not in names:
            problems.append(f"thread {e['pid']}/{e['tid']} has no thread_name")
    check_nesting(events, problems)
    for p in problems[:20]:
        print(p)
    if problems:
        return 1
    status = [rows[i]["status"] for i in seen]
    print(f"ok events {len(events)} completed {status.count('completed')} "
          f"unwound {status.count('unwound')} exited {status.count('exited')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
