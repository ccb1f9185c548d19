# SPDX-License-Identifier: MIT
"""Profile: one task invocation, with the specification's field names.

The first seventeen fields are the specification's, in its order; the rest
are what taskprof adds (the row id, its session, CPU in seconds, the thread,
the probed symbol and file, how the invocation ended, and whether its end
was only approximated because no probe saw its return). A field that was
not measured is None, stored as NULL.
"""
import dataclasses
import datetime as _dt
import math
import numbers
from typing import Optional, Union

Time = Union[_dt.datetime, str]

SPEC_FIELDS = (
    "env", "stage", "process_name", "task_start_time", "task_end_time", "runtime_seconds",
    "cpu_cores", "cpu_user_utilization", "cpu_system_utilization", "memory_usage_peak_mb",
    "memory_allocations", "file_read_bytes", "file_write_bytes", "io_wait_time_seconds",
    "network_data_sent_bytes", "network_data_received_bytes", "exceptions_raised",
)
EXTRA_FIELDS = ("session_id", "cpu_user_seconds", "cpu_system_seconds", "pid", "tid",
                "symbol", "binary", "status", "approximate")
STATUSES = ("completed", "unwound", "exited")
TIME_FIELDS = ("task_start_time", "task_end_time")
INT_FIELDS = ("cpu_cores", "memory_allocations", "file_read_bytes", "file_write_bytes",
              "network_data_sent_bytes", "network_data_received_bytes", "exceptions_raised",
              "session_id", "pid", "tid", "approximate")
REAL_FIELDS = ("runtime_seconds", "cpu_user_utilization", "cpu_system_utilization",
               "memory_usage_peak_mb", "io_wait_time_seconds", "cpu_user_seconds",
               "cpu_system_seconds")


@dataclasses.dataclass
class Profile:
    env: Optional[str]
    stage: Optional[str]
    process_name: str
    task_start_time: Time
    task_end_time: Time
    runtime_seconds: float
    cpu_cores: Optional[int] = None
    cpu_user_utilization: Optional[float] = None
    cpu_system_utilization: Optional[float] = None
    memory_usage_peak_mb: Optional[float] = None
    memory_allocations: Optional[int] = None
    file_read_bytes: Optional[int] = None
    file_write_bytes: Optional[int] = None
    io_wait_time_seconds: Optional[float] = None
    network_data_sent_bytes: Optional[int] = None
    network_data_received_bytes: Optional[int] = None
    exceptions_raised: Optional[int] = None
    session_id: Optional[int] = None
    cpu_user_seconds: Optional[float] = None
    cpu_system_seconds: Optional[float] = None
    pid: Optional[int] = None
    tid: Optional[int] = None
    symbol: Optional[str] = None
    binary: Optional[str] = None
    status: str = "completed"
    approximate: Optional[int] = 0
    id: Optional[int] = None


def iso_utc(t: Time, field: str) -> str:
    """A time as taskprof stores it: ISO-8601 UTC with microseconds and Z.
    Naive times, datetimes and strings alike, are local time, as
    datetime.now() gives."""
    if isinstance(t, str):
        t = parse_time(t, field, naive_local=True)
    if not isinstance(t, _dt.datetime):
        raise TypeError(f"Profile.{field}: expected a datetime or an ISO-8601 string, "
                        f"got {type(t).__name__}")
    try:
        u = (t.astimezone() if t.tzinfo is None else t).astimezone(_dt.timezone.utc)
    except (ValueError, OverflowError) as e:
        raise ValueError(f"Profile.{field}: {t!r} has no UTC time: {e}") from None
    # %Y is not zero-padded below year 1000 on every libc
    return (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
            f"{u.second:02d}.{u.microsecond:06d}Z")


def parse_time(s: str, field: str = "time", naive_local: bool = False) -> _dt.datetime:
    """ISO-8601 to an aware datetime; stored times carry Z (UTC)."""
    if not isinstance(s, str):
        raise TypeError(f"Profile.{field}: expected an ISO-8601 string")
    try:
        t = _dt.datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
    except ValueError:
        raise ValueError(f"Profile.{field}: {s!r} is not an ISO-8601 time") from None
    if t.tzinfo:
        return t
    return t.astimezone() if naive_local else t.replace(tzinfo=_dt.timezone.utc)


INT64_MAX = 2**63 - 1


def value(p: "Profile", f: str):
    """A field as SQLite stores it, or ValueError/TypeError naming it: ints
    (numpy's too, and whole floats as a DataFrame holds them) from 0 to
    2^63-1, finite non-negative numbers, strings without NUL."""
    v = getattr(p, f)
    if v is None:
        return None
    if f in TIME_FIELDS:
        return iso_utc(v, f)
    if f in INT_FIELDS:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"Profile.{f}: expected an int or None, got {v!r}")
        if not 0 <= int(v) <= INT64_MAX:
            raise ValueError(f"Profile.{f}: {v} is not from 0 to 2^63-1")
        return int(v)
    if f in REAL_FIELDS:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"Profile.{f}: expected a number or None, got {v!r}")
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"Profile.{f}: {v} is not a finite number of 0 or more")
        return float(v)
    if not isinstance(v, str):
        raise TypeError(f"Profile.{f}: expected a string or None, got {type(v).__name__}")
    if "\0" in v:
        raise ValueError(f"Profile.{f}: a NUL character would cut it short")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"Profile.{f}: not encodable as UTF-8") from None
    return v


def check(p: Profile) -> list:
    """Bad input is refused before it reaches the database, naming the
    field; returns the values to store, in field order after id."""
    if not isinstance(p, Profile):
        raise TypeError(f"ProfileRepo.add: expected a Profile, got {type(p).__name__}")
    if not isinstance(p.process_name, str):
        raise TypeError(f"Profile.process_name: expected a string, got {p.process_name!r}")
    if not p.process_name:
        raise ValueError("Profile.process_name: a task name is required")
    if p.runtime_seconds is None:
        raise ValueError("Profile.runtime_seconds: a runtime of 0 or more is required")
    for f in TIME_FIELDS:
        if getattr(p, f) is None:
            raise ValueError(f"Profile.{f}: a time is required")
    if p.status not in STATUSES:
        raise ValueError(f"Profile.status: {p.status!r} is not one of {', '.join(STATUSES)}")
    return [value(p, f) for f in SPEC_FIELDS + EXTRA_FIELDS]
