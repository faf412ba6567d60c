"""A fault-injected persistence layer: the SQLite connection of a running app, with writes that fail as a
full disk (SQLITE_FULL) or a failing disk (SQLITE_IOERR) make them fail.

``at="write"`` fails the first statement that writes; ``at="commit"`` lets every statement run and fails
the COMMIT, so what was written inside the transaction must be rolled back.
"""

from __future__ import annotations

import sqlite3
from typing import Any

CODES = {"full": (13, "SQLITE_FULL", "database or disk is full"), "io": (10, "SQLITE_IOERR", "disk I/O error")}
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class FaultyDisk:
    def __init__(self, app: Any):
        self.persistence = app.state.persistence
        self.real: sqlite3.Connection = self.persistence.connection
        self.persistence.connection = self
        self.fault: str | None = None
        self.at = "write"
        self.refused = 0  # statements refused

    def arm(self, fault: str, at: str = "write") -> None:
        self.fault, self.at = fault, at

    def disarm(self) -> None:
        self.fault = None

    def check(self, sql: str) -> None:
        if self.fault is None:
            return
        verb = sql.lstrip().split(None, 1)[0].upper()
        if (self.at == "write" and verb in WRITES) or (self.at == "commit" and verb == "COMMIT"):
            code, name, message = CODES[self.fault]
            error = sqlite3.OperationalError(message)
            error.sqlite_errorcode, error.sqlite_errorname = code, name
            self.refused += 1
            raise error

    def cursor(self) -> _Cursor:
        return _Cursor(self.real.cursor(), self)

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.check(sql)
        return self.real.execute(sql, params)

    def __getattr__(self, name: str) -> Any:  # in_transaction, close, ...
        return getattr(self.real, name)


class _Cursor:
    def __init__(self, cursor: sqlite3.Cursor, disk: FaultyDisk):
        self.cursor, self.disk = cursor, disk

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.disk.check(sql)
        return self.cursor.execute(sql, params)
