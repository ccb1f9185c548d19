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
import urllib.parse

from . import _native
from .errors import DatabaseError, DatabaseNotFoundError, ProfileNotFoundError
from .profile import EXTRA_FIELDS, SPEC_FIELDS, TIME_FIELDS, Profile, check, iso_utc

COLUMNS = ("id",) + SPEC_FIELDS + EXTRA_FIELDS
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM profiles"
_INSERT = ("INSERT INTO profiles (" + ", ".join(COLUMNS[1:]) + ") VALUES (" +
           ", ".join("?" * (len(COLUMNS) - 1)) + ")")
BUSY_TIMEOUT_S = 5.0


def _default_path():
    return os.environ.get("TASKPROF_DB") or "./taskprof.db"


class ProfileRepo:
    """ProfileRepo(path=None, create=False): path defaults to $TASKPROF_DB,
    else ./taskprof.db. A missing database raises DatabaseNotFoundError
    unless create is true."""

    def __init__(self, path=None, create=False):
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
        self._con, self.read_only = self._connect()
        self._check_schema()

    def _connect(self):
        uri = "file:" + urllib.parse.quote(os.path.abspath(self.path))
        for mode in ("rw", "ro"):
            try:
                con = sqlite3.connect(f"{uri}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_S,
                                      isolation_level=None, check_same_thread=False)
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
                return con, mode == "ro"
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
        if version > 3:
            raise DatabaseError(f"taskprof: {self.path} has schema version {version}, newer "
                                "than this package's: upgrade taskprof")

    def close(self):
        self._con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _write(self, sql, params):
        if self.read_only:
            raise DatabaseError(f"taskprof: {self.path} is open read-only: ask its owner "
                                "for write access")
        try:
            return self._con.execute(sql, params)
        except sqlite3.Error as e:
            raise DatabaseError(f"taskprof: cannot write {self.path}: {e}") from e

    # --- the specification's API -------------------------------------------
    def add(self, profile: Profile) -> int:
        """Stores profile; returns its id and sets profile.id."""
        check(profile)
        values = []
        for col in COLUMNS[1:]:
            v = getattr(profile, col)
            values.append(iso_utc(v, col) if col in TIME_FIELDS else v)
        profile.id = self._write(_INSERT, values).lastrowid
        return profile.id

    def get_all(self):
        """Every profile, oldest first, as a pandas DataFrame."""
        return self._frame(_SELECT + " ORDER BY id", ())

    def get_by_process(self, process_name):
        """The profiles of one task, as a pandas DataFrame."""
        return self._frame(_SELECT + " WHERE process_name = ? ORDER BY id", (process_name,))

    def get(self, profile_id) -> Profile:
        """One profile as a Profile; ProfileNotFoundError if there is none."""
        row = self._read(_SELECT + " WHERE id = ?", (int(profile_id),))
        if not row:
            raise ProfileNotFoundError(f"taskprof: no profile with id {profile_id} in "
                                       f"{self.path}")
        return Profile(**dict(zip(COLUMNS, row[0])))

    def exists(self, profile_id) -> bool:
        return bool(self._read("SELECT 1 FROM profiles WHERE id = ?", (int(profile_id),)))

    def remove(self, profile_id) -> None:
        """Removes one profile; ProfileNotFoundError if there is none."""
        if not self._write("DELETE FROM profiles WHERE id = ?", (int(profile_id),)).rowcount:
            raise ProfileNotFoundError(f"taskprof: no profile with id {profile_id} in "
                                       f"{self.path}")

    def remove_by_process(self, process_name) -> int:
        """Removes every profile of a task; returns how many."""
        return self._write("DELETE FROM profiles WHERE process_name = ?",
                           (process_name,)).rowcount

    # --- reading -------------------------------------------------------------
    def _read(self, sql, params):
        try:
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
