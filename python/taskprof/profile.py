# SPDX-License-Identifier: MIT
"""Profile: one task invocation, with the specification's field names.

The first seventeen fields are the specification's, in its order; the rest
are what taskprof adds (the row id, its session, CPU in seconds, the thread,
the probed symbol and file, and how the invocation ended). A field that was
not measured is None, stored as NULL.
"""
import dataclasses
import datetime as _dt
from typing import Optional, Union

Time = Union[_dt.datetime, str]

SPEC_FIELDS = (
    "env", "stage", "process_name", "task_start_time", "task_end_time", "runtime_seconds",
    "cpu_cores", "cpu_user_utilization", "cpu_system_utilization", "memory_usage_peak_mb",
    "memory_allocations", "file_read_bytes", "file_write_bytes", "io_wait_time_seconds",
    "network_data_sent_bytes", "network_data_received_bytes", "exceptions_raised",
)
EXTRA_FIELDS = ("session_id", "cpu_user_seconds", "cpu_system_seconds", "pid", "tid",
                "symbol", "binary", "status")
STATUSES = ("completed", "unwound", "exited")
TIME_FIELDS = ("task_start_time", "task_end_time")
INT_FIELDS = ("cpu_cores", "memory_allocations", "file_read_bytes", "file_write_bytes",
              "network_data_sent_bytes", "network_data_received_bytes", "exceptions_raised",
              "session_id", "pid", "tid")
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
    id: Optional[int] = None


def iso_utc(t: Time, field: str) -> str:
    """A time as taskprof stores it: ISO-8601 UTC with microseconds and Z.
    A naive datetime is local time, as datetime.now() gives."""
    if isinstance(t, str):
        t = parse_time(t, field)
    if not isinstance(t, _dt.datetime):
        raise TypeError(f"Profile.{field}: expected a datetime or an ISO-8601 string, "
                        f"got {type(t).__name__}")
    if t.tzinfo is None:
        t = t.astimezone()
    return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(s: str, field: str = "time") -> _dt.datetime:
    try:
        t = _dt.datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
    except ValueError:
        raise ValueError(f"Profile.{field}: {s!r} is not an ISO-8601 time") from None
    return t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)


def check(p: Profile) -> None:
    """Bad input is refused before it reaches the database, naming the field."""
    if not isinstance(p, Profile):
        raise TypeError(f"ProfileRepo.add: expected a Profile, got {type(p).__name__}")
    if not isinstance(p.process_name, str) or not p.process_name:
        raise ValueError("Profile.process_name: a task name is required")
    for f in ("env", "stage", "symbol", "binary"):
        if getattr(p, f) is not None and not isinstance(getattr(p, f), str):
            raise TypeError(f"Profile.{f}: expected a string or None")
    for f in INT_FIELDS:
        v = getattr(p, f)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise TypeError(f"Profile.{f}: expected an int or None, got {v!r}")
    for f in REAL_FIELDS:
        v = getattr(p, f)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise TypeError(f"Profile.{f}: expected a number or None, got {v!r}")
    if p.runtime_seconds is None or p.runtime_seconds < 0:
        raise ValueError("Profile.runtime_seconds: a runtime of 0 or more is required")
    if p.status not in STATUSES:
        raise ValueError(f"Profile.status: {p.status!r} is not one of {', '.join(STATUSES)}")
