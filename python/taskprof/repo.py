# SPDX-License-Identifier: MIT
"""ProfileRepo: the specification's repository over the SQLite file that
`taskprof record` and `taskprof collect` write.

Every statement binds its parameters. The file is in WAL mode, so reads
never wait for a collector writing, and each read is one statement: one
consistent snapshot. A write waits up to five seconds for the collector's
transaction to end. The schema is the C one: a new database is created
through libtaskprof, never by a second copy of its DDL here.
"""
import os
import sqlite3
import threading
import urllib.parse

from . import _native
from .errors import DatabaseError, DatabaseNotFoundError, ProfileNotFoundError
from .profile import EXTRA_FIELDS, SPEC_FIELDS, TIME_FIELDS, Profile, check, parse_time

COLUMNS = ("id",) + SPEC_FIELDS + EXTRA_FIELDS
SCHEMA_VERSION = 5
# the schema version that added a column: an older file read as it is has it NULL
SINCE = {"approximate": 4}


def _select(version):
    return "SELECT " + ", ".join(c if SINCE.get(c, 1) <= version else "NULL AS " + c
                                 for c in COLUMNS) + " FROM profiles"


_INSERT = ("INSERT INTO profiles (" + ", ".join(COLUMNS[1:]) + ") VALUES (" +
           ", ".join("?" * (len(COLUMNS) - 1)) + ")")
BUSY_TIMEOUT_S = 5.0
INT64_MAX = 2**63 - 1


def _id(profile_id):
    """A profile id: an int; one no row can have is None."""
    if isinstance(profile_id, bool) or not isinstance(profile_id, int):
        if hasattr(profile_id, "__index__") and not isinstance(profile_id, bool):
            profile_id = profile_id.__index__()  # numpy integers
        else:
            raise TypeError(f"taskprof: a profile id is an int, not {profile_id!r}")
    return profile_id if 0 < profile_id <= INT64_MAX else None


def _name(process_name):
    if not isinstance(process_name, str):
        raise TypeError(f"taskprof: a process_name is a str, not {process_name!r}")
    return process_name


def _default_path():
    return os.environ.get("TASKPROF_DB") or "./taskprof.db"


class ProfileRepo:
    """ProfileRepo(path=None, create=False, host=None): path defaults to
    $TASKPROF_DB, else ./taskprof.db. A missing database raises
    DatabaseNotFoundError unless create is true. A postgresql:// URI reads
    a fleet's central database instead (central.py), host= only that
    host's rows."""

    def __new__(cls, path=None, create=False, host=None):
        from . import central

        if cls is ProfileRepo and central.is_uri(path):
            return super().__new__(central.CentralRepo)
        return super().__new__(cls)

    def __init__(self, path=None, create=False, host=None):
        if host is not None:
            raise DatabaseError("taskprof: host= reads a central postgresql:// database; a "
                                "SQLite file holds one host's rows")
        self.path = os.fspath(path) if path is not None else _default_path()
        if not os.path.exists(self.path):
            if not create:
                raise DatabaseNotFoundError(
                    f"taskprof: no database at {self.path}: record a session first, pass the "
                    "path of one, or ProfileRepo(path, create=True)")
            why = _native.create_database(self.path)
            if why:
                raise DatabaseError(f"taskprof: cannot create {self.path}: {why}")
        elif os.path.isdir(self.path):
            raise DatabaseError(f"taskprof: {self.path} is a directory, not a database")
        # one connection, shared: a statement and what is read after it
        # (lastrowid, rowcount) must not interleave with another thread's
        self._lock = threading.Lock()
        self._con, self.read_only = self._connect()
        self._check_schema()

    def _connect(self):
        """Read-write if we may write it; else read-only; else, for a reader
        who may not create the -shm beside a WAL database (a collector's
        readers group once it stopped), immutable, as the C side does."""
        uri = "file:" + urllib.parse.quote(os.path.abspath(self.path))
        modes = ["rw", "ro", "ro&immutable=1"]
        if not os.access(self.path, os.W_OK):
            modes.remove("rw")
        for mode in modes:
            try:
                con = sqlite3.connect(f"{uri}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_S,
                                      isolation_level=None, check_same_thread=False)
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return con, mode != "rw"
            except sqlite3.DatabaseError as e:
                last = e
        raise DatabaseError(f"taskprof: {self.path} is not a usable SQLite database ({last}); "
                            "it was left untouched")

    def _check_schema(self):
        version = self._con.execute("PRAGMA user_version").fetchone()[0]
        has = self._con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = 'profiles'").fetchone()[0]
        if not has or version < 1:
            raise DatabaseError(f"taskprof: {self.path} is not a taskprof database (no profiles "
                                "table); it was left untouched")
        if version > SCHEMA_VERSION:
            raise DatabaseError(f"taskprof: {self.path} has schema version {version}, newer "
                                "than this package's: upgrade taskprof")
        if version < SCHEMA_VERSION and not self.read_only:
            # older files are upgraded by the C repository, the one schema
            why = _native.create_database(self.path)
            if why:
                raise DatabaseError(f"taskprof: cannot upgrade {self.path}: {why}")
            version = SCHEMA_VERSION
        self._select = _select(version)

    def close(self):
        self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _write(self, sql, params):
        """Runs a write; returns (lastrowid, rowcount), read under the lock."""
        if self.read_only:
            raise DatabaseError(f"taskprof: {self.path} is open read-only: ask its owner "
                                "for write access")
        try:
            with self._lock:
                cur = self._con.execute(sql, params)
                return cur.lastrowid, cur.rowcount
        except sqlite3.Error as e:
            raise DatabaseError(f"taskprof: cannot write {self.path}: {e}") from e

    # --- the specification's API -------------------------------------------
    def add(self, profile: Profile) -> int:
        """Stores profile; returns its id and sets profile.id."""
        values = check(profile)
        profile.id = self._write(_INSERT, values)[0]
        return profile.id

    def get_all(self):
        """Every profile, oldest first, as a pandas DataFrame."""
        return self._frame(self._select + " ORDER BY id", ())

    def get_by_process(self, process_name):
        """The profiles of one task, as a pandas DataFrame."""
        return self._frame(self._select + " WHERE process_name = ? ORDER BY id",
                           (_name(process_name),))

    def get(self, profile_id) -> Profile:
        """One profile as a Profile (times as UTC datetimes);
        ProfileNotFoundError if there is none."""
        pid = _id(profile_id)
        row = self._read(self._select + " WHERE id = ?", (pid,)) if pid else None
        if not row:
            raise ProfileNotFoundError(f"taskprof: no profile with id {profile_id} in "
                                       f"{self.path}")
        return self._profile(row[0])

    @staticmethod
    def _profile(row):
        p = Profile(**dict(zip(COLUMNS, row)))
        for col in TIME_FIELDS:
            try:
                setattr(p, col, parse_time(getattr(p, col), col))
            except (TypeError, ValueError):
                pass  # a row written by hand with a time that is not one
        return p

    def exists(self, profile_id) -> bool:
        pid = _id(profile_id)
        return bool(pid and self._read("SELECT 1 FROM profiles WHERE id = ?", (pid,)))

    def remove(self, profile_id) -> None:
        """Removes one profile; ProfileNotFoundError if there is none."""
        pid = _id(profile_id)
        if not pid or not self._write("DELETE FROM profiles WHERE id = ?", (pid,))[1]:
            raise ProfileNotFoundError(f"taskprof: no profile with id {profile_id} in "
                                       f"{self.path}")

    def remove_by_process(self, process_name) -> int:
        """Removes every profile of a task; returns how many."""
        return self._write("DELETE FROM profiles WHERE process_name = ?",
                           (_name(process_name),))[1]

    # --- reading -------------------------------------------------------------
    def _read(self, sql, params):
        try:
            with self._lock:
                return self._con.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise DatabaseError(f"taskprof: cannot read {self.path}: {e}") from e

    def _frame(self, sql, params):
        import pandas as pd  # only the DataFrame readers need it

        df = pd.DataFrame.from_records(self._read(sql, params), columns=list(COLUMNS))
        for col in TIME_FIELDS:
            # a time a hand-written row got wrong is NaT, not an error
            df[col] = pd.to_datetime(df[col], utc=True, errors="coerce")
        return df
