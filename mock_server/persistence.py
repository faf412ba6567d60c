"""Persistence wiring (``--data-dir``): open the SQLite copy, load what it holds into the runtime.

``store/sqlite.py`` knows tables and rows; this module knows the runtime: the state format, the ids.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .ids import IdGenerator
from .runtime import Runtime
from .state import FORMAT, import_state
from .store.integrity import DataDirError
from .store.sqlite import DB_NAME, SqlitePersistence


def _load(runtime: Runtime, persistence: SqlitePersistence) -> None:
    state, meta = persistence.read()
    import_state(runtime, {"format": FORMAT, **state})
    if runtime.settings.seed is not None:
        # A seeded generator would repeat the ids of the first run: go on from a seed of its own.
        restored = sum(len(records) for spec in state["organizations"] for records in spec["collections"].values())
        runtime.ids = IdGenerator(f"{runtime.settings.seed}/after/{restored}")
    persistence.restore(state, meta)


def open_data_dir(runtime: Runtime, data_dir: str) -> SqlitePersistence:
    """Open (or create) the database in ``data_dir``; load its state if it has any.

    Raises DataDirError (one line naming the file) when another server holds the directory or the
    database or its WAL is damaged.
    """
    persistence = SqlitePersistence(runtime, Path(data_dir) / DB_NAME)
    try:
        persistence.loaded = persistence.has_state()
        if persistence.loaded:
            _load(runtime, persistence)
        runtime.upload_secret = persistence.upload_secret(
            runtime.settings.upload_secret.encode() if runtime.settings.upload_secret else None)
    except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as exc:
        persistence.abandon()
        raise DataDirError(f"{persistence.path} cannot be read as an equos-mock database: "
                           f"{type(exc).__name__}: {exc}") from None
    return persistence
