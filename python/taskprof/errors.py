# SPDX-License-Identifier: MIT
"""The exceptions taskprof raises: one base class, and the standard ones
each case also is, so `except FileNotFoundError` or `except KeyError`
still catch them."""


class TaskprofError(Exception):
    """Anything taskprof refuses or cannot do."""


class DatabaseNotFoundError(TaskprofError, FileNotFoundError):
    """No database at the path given."""


class DatabaseError(TaskprofError):
    """The file is corrupt, not a taskprof database, or cannot be written."""


class ProfileNotFoundError(TaskprofError, KeyError):
    """No profile with that id."""

    def __str__(self):
        return str(self.args[0]) if self.args else "no such profile"
