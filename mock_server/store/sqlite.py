"""Persistence with ``--data-dir``: a write-through SQLite copy of the in-memory store.

Memory stays the read path. Every change of a collection is queued by the collection's
listener; organizations, keys, settings, clocks and assumptions are compared with what was
last written. ``flush()`` writes all of it in one transaction, and the app flushes before
the first byte of each reply (``PersistOnReply``), so an acknowledged write is on disk and
a request's writes land together or not at all. WAL journal, ``synchronous=FULL``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .memory import Organization

if TYPE_CHECKING:
    from ..runtime import Runtime

DB_NAME = "equos-mock.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, settings TEXT NOT NULL,
                                          clock TEXT);
CREATE TABLE IF NOT EXISTS api_keys (key TEXT PRIMARY KEY, org_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (org_id TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL,
                                    data TEXT NOT NULL, PRIMARY KEY (org_id, collection, id));
"""
Write = tuple[str, tuple[Any, ...]]


def _clock_state(clock: Any) -> str | None:
    if clock is None:
        return None
    return json.dumps(clock.state())


def _restore_clock(clock: Any, state: str | None) -> None:
    if state:
        clock.restore(json.loads(state))


def _dump(item: Any) -> str:
    return item.model_dump_json()


@dataclass
class _Known:
    """What was last written for one organization."""

    org: Organization
    row: tuple[str, str, str | None]  # name, settings JSON, clock state


@dataclass
class SqlitePersistence:
    runtime: Runtime
    path: Path
    connection: sqlite3.Connection = field(init=False)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _pending: list[tuple[Organization, str, str, Any]] = field(default_factory=list)
    _known: dict[str, _Known] = field(default_factory=dict)
    _keys: dict[str, str] = field(default_factory=dict)
    _meta: dict[str, str] = field(default_factory=dict)
    loaded: bool = False  # the data directory already held state (a seed file is then not loaded again)

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are opened explicitly by flush().
        self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.executescript(SCHEMA)

    # --- loading ----------------------------------------------------------------
    def has_state(self) -> bool:
        return self.connection.execute("SELECT 1 FROM meta WHERE key='format'").fetchone() is not None

    def load(self) -> None:
        """Put the stored state into the runtime's (empty) store."""
        from ..ids import IdGenerator
        from ..state import FORMAT, import_state

        rt = self.runtime
        meta = dict(self.connection.execute("SELECT key, value FROM meta"))
        specs = []
        for org_id, name, settings, clock in self.connection.execute(
                "SELECT id, name, settings, clock FROM organizations ORDER BY rowid"):
            collections: dict[str, list[Any]] = {c: [] for c in rt.resources.names}
            for collection, data in self.connection.execute(
                    "SELECT collection, data FROM records WHERE org_id=? ORDER BY rowid", (org_id,)):
                collections[collection].append(json.loads(data))
            keys = [k for (k,) in self.connection.execute(
                "SELECT key FROM api_keys WHERE org_id=? ORDER BY rowid", (org_id,))]
            specs.append({"id": org_id, "name": name, "keys": keys, "settings": json.loads(settings),
                          "clock": None, "collections": collections, "_clock": clock})
        import_state(rt, {"format": FORMAT, "organizations": specs})
        if rt.settings.seed is not None:
            # A seeded generator would repeat the ids of the first run: go on from a seed of its own.
            restored = sum(len(records) for spec in specs for records in spec["collections"].values())
            rt.ids = IdGenerator(f"{rt.settings.seed}/after/{restored}")
        for spec in specs:
            if spec["_clock"]:
                org = rt.store.organizations[spec["id"]]
                org.clock = type(rt.clock)()
                _restore_clock(org.clock, spec["_clock"])
        _restore_clock(rt.clock, meta.get("clock"))
        if "assumptions" in meta:
            rt.assumptions.update(json.loads(meta["assumptions"]))
        if "configured_keys" in meta:
            rt.configured_keys = set(json.loads(meta["configured_keys"]))

    def upload_secret(self, given: bytes | None) -> bytes:
        """The secret that signs upload URLs must outlive a restart, or issued URLs would break."""
        row = self.connection.execute("SELECT value FROM meta WHERE key='upload_secret'").fetchone()
        if given is None and row is not None:
            return bytes.fromhex(row[0])
        secret = given if given is not None else self.runtime.upload_secret
        self.connection.execute("INSERT OR REPLACE INTO meta VALUES ('upload_secret', ?)", (secret.hex(),))
        return secret

    # --- writing ----------------------------------------------------------------
    def _listen(self, org: Organization) -> None:
        for name, collection in org.collections.items():
            def listener(op: str, item: Any, _org: Organization = org, _name: str = name) -> None:
                with self._lock:
                    self._pending.append((_org, _name, op, item))
            collection.listener = listener

    def _org_row(self, org: Organization) -> tuple[str, str, str | None]:
        return org.name, json.dumps(org.settings.to_json(), sort_keys=True), _clock_state(org.clock)

    def _snapshot(self, org: Organization, writes: list[Write]) -> None:
        writes.append(("DELETE FROM records WHERE org_id=?", (org.id,)))
        writes.append(("INSERT INTO organizations VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                       "name=excluded.name, settings=excluded.settings, clock=excluded.clock",
                       (org.id, *self._org_row(org))))
        for name, collection in org.collections.items():
            _, items = collection.page(0, len(collection) or 1, newest_first=False)
            writes.extend(("INSERT INTO records VALUES (?, ?, ?, ?)", (org.id, name, item.id, _dump(item)))
                          for item in items)

    def _meta_now(self) -> dict[str, str]:
        rt = self.runtime
        return {"format": "equos-mock-sqlite/1", "clock": _clock_state(rt.clock) or "",
                "assumptions": json.dumps(rt.assumptions.values(), sort_keys=True),
                "configured_keys": json.dumps(sorted(rt.configured_keys))}

    def flush(self) -> int:
        """Write every change since the last flush in one transaction; returns the statements written.

        What was written is remembered only once the commit succeeded: after a failure (the
        request that flushed gets a 500) every change is still pending for the next flush.
        """
        with self._lock:
            writes: list[Write] = []
            store = self.runtime.store
            known_after = dict(self._known)
            rows_after: dict[str, tuple[str, str, str | None]] = {}
            snapshotted: set[str] = set()
            for org_id, org in list(store.organizations.items()):
                known = self._known.get(org_id)
                if known is None or known.org is not org:
                    self._snapshot(org, writes)
                    self._listen(org)
                    snapshotted.add(org_id)
                    known_after[org_id] = _Known(org, self._org_row(org))
                else:
                    row = self._org_row(org)
                    if row != known.row:
                        writes.append(("UPDATE organizations SET name=?, settings=?, clock=? WHERE id=?",
                                       (*row, org_id)))
                        rows_after[org_id] = row
            for org_id in [i for i in self._known if i not in store.organizations]:
                del known_after[org_id]
                writes.append(("DELETE FROM records WHERE org_id=?", (org_id,)))
                writes.append(("DELETE FROM organizations WHERE id=?", (org_id,)))
            consumed = len(self._pending)
            for org, name, op, item in self._pending[:consumed]:
                known = known_after.get(org.id)
                if org.id in snapshotted or known is None or known.org is not org:
                    continue  # covered by a snapshot, or the organization is gone
                if op == "put":
                    writes.append(("INSERT INTO records VALUES (?, ?, ?, ?) ON CONFLICT(org_id, collection, id) "
                                   "DO UPDATE SET data=excluded.data", (org.id, name, item.id, _dump(item))))
                else:  # "delete"
                    writes.append(("DELETE FROM records WHERE org_id=? AND collection=? AND id=?",
                                   (org.id, name, item.id)))
            keys = dict(store.keys)
            if keys != self._keys:
                writes.extend(("DELETE FROM api_keys WHERE key=?", (k,)) for k in self._keys if k not in keys)
                writes.extend(("INSERT OR REPLACE INTO api_keys VALUES (?, ?)", (k, v))
                              for k, v in keys.items() if self._keys.get(k) != v)
            meta = self._meta_now()
            writes.extend(("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, v)) for k, v in meta.items()
                          if self._meta.get(k) != v)
            if writes:
                self._commit(writes)
            # Committed: remember it.
            del self._pending[:consumed]
            for org_id, row in rows_after.items():
                known_after[org_id].row = row
            self._known, self._keys, self._meta = known_after, keys, meta
            return len(writes)

    def _commit(self, writes: list[Write]) -> None:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in writes:
                cursor.execute(sql, params)
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        cursor.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self.flush()
            self.connection.close()


def open_data_dir(runtime: Runtime, data_dir: str) -> SqlitePersistence:
    """Open (or create) the database in ``data_dir``; load its state if it has any."""
    persistence = SqlitePersistence(runtime, Path(data_dir) / DB_NAME)
    persistence.loaded = persistence.has_state()
    if persistence.loaded:
        persistence.load()
    runtime.upload_secret = persistence.upload_secret(
        runtime.settings.upload_secret.encode() if runtime.settings.upload_secret else None)
    return persistence


class PersistOnReply:
    """Flush the store to SQLite before a reply starts, so nothing is acknowledged before it is on disk."""

    def __init__(self, app: ASGIApp, persistence: SqlitePersistence):
        self.app = app
        self.persistence = persistence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_after_flush(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.persistence.flush()
            await send(message)

        await self.app(scope, receive, send_after_flush)
