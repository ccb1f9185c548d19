# SPDX-License-Identifier: MIT
"""ProfileRepo over a fleet's central PostgreSQL database, the one that
`taskprof collect` ships to (postgresql = ... in its configuration).

It is read-only: only collectors write there. Rows come back as the SQLite
ones do, in the same DataFrame, under their central ids; a row's
session_id is its session's central id, so ids from different hosts never
collide. The connection string is libpq's: ~/.pgpass, PGPASSFILE and
sslmode apply, and it is never shown with its password.
"""
import threading

from .errors import DatabaseError, ProfileNotFoundError
from .profile import TIME_FIELDS
from .repo import COLUMNS, ProfileRepo, _id, _name

SCHEMA_VERSION = 1  # the C side's CENTRAL_SCHEMA_VERSION
_TIME = "to_char(p.\"{}\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


def _expr(col):
    if col == "id":
        return "p.id"
    if col == "session_id":
        return "s.id"
    return _TIME.format(col) if col in TIME_FIELDS else f'p."{col}"'


_SELECT = ("SELECT " + ", ".join(_expr(c) for c in COLUMNS) + " FROM profiles p "
           "LEFT JOIN sessions s ON s.host = p.host AND s.spool = p.spool AND "
           "s.local_id = p.session_id WHERE (%(host)s::text IS NULL OR p.host = %(host)s)")


def is_uri(path):
    return isinstance(path, str) and path.startswith(("postgresql://", "postgres://"))


def _label(uri, psycopg2):
    """The server, as libpq parses it, without the password."""
    try:
        dsn = psycopg2.extensions.parse_dsn(uri)
    except psycopg2.Error:
        return "postgresql (unparsable)"
    keys = ("host", "port", "dbname", "user", "sslmode")
    return "postgresql (" + " ".join(f"{k}={dsn[k]}" for k in keys if dsn.get(k)) + ")"


class CentralRepo(ProfileRepo):
    """CentralRepo(uri, host=None): host reads only that host's rows."""

    def __init__(self, uri, create=False, host=None):
        try:
            import psycopg2
        except ImportError as e:
            raise DatabaseError("taskprof: reading a postgresql:// database needs psycopg2 "
                                "(Debian: python3-psycopg2)") from e
        self._pg = psycopg2
        self.path = _label(uri, psycopg2)
        self.host = host
        self.read_only = True
        self._lock = threading.Lock()
        try:
            self._con = psycopg2.connect(uri)
            self._con.set_session(readonly=True, autocommit=True)
        except psycopg2.Error as e:
            # libpq's messages never carry the password
            raise DatabaseError(f"taskprof: cannot connect to {self.path}: "
                                f"{str(e).strip().splitlines()[0]}") from None
        rows = self._read("SELECT max(version) FROM taskprof_schema", {})
        if rows[0][0] is None or rows[0][0] > SCHEMA_VERSION:
            raise DatabaseError(f"taskprof: {self.path} has central schema version "
                                f"{rows[0][0]}, which this package does not read: upgrade "
                                "taskprof")

    def _write(self, sql, params):
        raise DatabaseError(f"taskprof: {self.path} is a central database: only the "
                            "collectors that ship to it write there")

    def _read(self, sql, params):
        try:
            with self._lock, self._con.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()
        except self._pg.Error as e:
            raise DatabaseError(f"taskprof: cannot read {self.path}: "
                                f"{str(e).strip().splitlines()[0]}") from None

    def get_all(self):
        return self._frame(_SELECT + " ORDER BY p.id", {"host": self.host})

    def get_by_process(self, process_name):
        return self._frame(_SELECT + " AND p.process_name = %(name)s ORDER BY p.id",
                           {"host": self.host, "name": _name(process_name)})

    def _one(self, profile_id):
        pid = _id(profile_id)
        return self._read(_SELECT + " AND p.id = %(id)s",
                          {"host": self.host, "id": pid}) if pid else []

    def get(self, profile_id):
        rows = self._one(profile_id)
        if not rows:
            raise ProfileNotFoundError(f"taskprof: no profile with id {profile_id} in "
                                       f"{self.path}")
        return self._profile(rows[0])

    def exists(self, profile_id):
        return bool(self._one(profile_id))
