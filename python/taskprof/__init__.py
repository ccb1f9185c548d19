# SPDX-License-Identifier: MIT
"""taskprof for Python pipelines: the specification's @profiler decorator,
Profile record and ProfileRepo, measured by the kernel.

    from taskprof import profiler, Profile, ProfileRepo

@profiler marks a task; `taskprof record -t 'marker:NAME'` or a collector
with `marker = NAME` measures it (runtime, CPU, memory, IO, network,
exceptions) from the kernel. Without a collector it costs two calls of
empty native functions. ProfileRepo reads and writes the same SQLite file
record and collect write.
"""
from .decorator import profiler
from .errors import (DatabaseError, DatabaseNotFoundError, ProfileNotFoundError,
                     TaskprofError)
from .profile import Profile
from .repo import ProfileRepo

__all__ = ["profiler", "Profile", "ProfileRepo", "TaskprofError", "DatabaseError",
           "DatabaseNotFoundError", "ProfileNotFoundError"]
