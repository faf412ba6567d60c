"""Persistence with ``--data-dir``: a write-through SQLite copy of the in-memory store.

Memory stays the read path. Collections tell their listener of every changed record; the store tells
its listener which organizations, keys and public keys changed, and which organizations a request
used (their settings or clock may have moved). ``flush()`` writes exactly that, in one transaction,
so a request costs what it changed, not what the server holds; a read writes nothing. The app flushes
before each reply (``http/persist.py``), so an acknowledged write is on disk and a request's writes land
together or not at all; a flush that fails raises ``StorageError`` and writes nothing (the request is
then undone in memory). WAL journal, ``synchronous=FULL``.

Opening refuses a data directory another server holds (``lock.py``) and a damaged database or WAL
(``integrity.py``), with one line naming the file, instead of starting with less than was stored.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .integrity import DataDirError, check_files
from .lock import DataDirLock
from .memory import Organization

if TYPE_CHECKING:
    from ..runtime import Runtime

DB_NAME = "equos-mock.sqlite3"
FORMAT = "equos-mock-sqlite/1"  # the only format this version writes (older /1 files lack ``pinned``: added)
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS organizations (id TEXT PRIMARY KEY, name TEXT NOT NULL, settings TEXT NOT NULL,
                                          clock TEXT, pinned INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS api_keys (key TEXT PRIMARY KEY, org_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS public_keys (key TEXT PRIMARY KEY, org_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (org_id TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL,
                                    data TEXT NOT NULL, PRIMARY KEY (org_id, collection, id));
"""
Write = tuple[str, tuple[Any, ...]]
PROBE_BYTES = 64 * 1024
SQLITE_FULL = 13  # sqlite3.Error.sqlite_errorcode (its low byte) when the disk or the database is full


class StorageError(RuntimeError):
    """A flush that could not be written: nothing of it is on disk. ``full``: for want of space."""

    def __init__(self, message: str, *, full: bool):
        super().__init__(message)
        self.full = full


def _storage_error(exc: BaseException) -> StorageError:
    code = getattr(exc, "sqlite_errorcode", None)
    full = code is not None and code & 0xFF == SQLITE_FULL
    if full:
        return StorageError("the data directory is full", full=True)
    return StorageError(f"the data directory cannot be written ({type(exc).__name__}: {exc})", full=False)
Row = tuple[str, str, str | None, int]  # name, settings JSON, clock state, pinned


def _clock_state(clock: Any) -> str | None:
    if clock is None:
        return None
    return json.dumps(clock.state())


def _restore_clock(clock: Any, state: str | None) -> None:
    if state:
        clock.restore(json.loads(state))


def _dump(item: Any) -> str:
    return item.model_dump_json()


def _org_row(org: Organization) -> Row:
    return org.name, json.dumps(org.settings.to_json(), sort_keys=True), _clock_state(org.clock), int(org.pinned)


@dataclass
class _Changes:
    """What the store said changed since the last flush."""

    cleared: bool = False
    orgs: set[str] = field(default_factory=set)  # added, replaced or removed: written whole
    touched: set[str] = field(default_factory=set)  # used: its row is compared
    keys: set[str] = field(default_factory=set)
    public_keys: set[str] = field(default_factory=set)

    def merge(self, other: _Changes) -> None:
        self.cleared |= other.cleared
        self.orgs |= other.orgs
        self.touched |= other.touched
        self.keys |= other.keys
        self.public_keys |= other.public_keys


@dataclass
class SqlitePersistence:
    runtime: Runtime
    path: Path
    connection: sqlite3.Connection = field(init=False)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _pending: list[tuple[Organization, str, str, Any]] = field(default_factory=list)
    _changes: _Changes = field(default_factory=_Changes)
    _written: dict[str, tuple[Organization, Row]] = field(default_factory=dict)  # per organization
    _meta: dict[str, str] = field(default_factory=dict)
    _data_lock: DataDirLock | None = None
    problem: str | None = None  # why the last flush failed; None once one succeeds (health reads it)
    loaded: bool = False  # the data directory already held state (a seed file is then not loaded again)

    def __post_init__(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataDirError(f"{self.path.parent} cannot be created: {exc.strerror}") from None
        self._data_lock = DataDirLock(self.path.parent)
        try:
            check_files(self.path)
            # Autocommit mode: transactions are opened explicitly by flush().
            self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=FULL")
            verdict = self.connection.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise DataDirError(f"{self.path} is damaged (SQLite quick_check: {verdict}); restore it, or "
                                   "move it away to start afresh")
            self._check_format()
            self.connection.executescript(SCHEMA)
            columns = {row[1] for row in self.connection.execute("PRAGMA table_info(organizations)")}
            if "pinned" not in columns:  # a data directory of an earlier version
                self.connection.execute("ALTER TABLE organizations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")
        except sqlite3.DatabaseError as exc:
            self._data_lock.release()
            raise DataDirError(f"{self.path} cannot be opened as an equos-mock database: {exc}") from None
        except BaseException:
            self._data_lock.release()
            raise
        self.runtime.store.listener = self._on_store

    def _check_format(self) -> None:
        """Refuse, before changing anything, a database another version wrote: its tables may mean
        something else, and writing into it would break both versions."""
        tables = {row[0] for row in self.connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            if tables - {"organizations", "api_keys", "public_keys", "records"}:
                raise DataDirError(f"{self.path} is an SQLite database but not an equos-mock one (tables "
                                   f"{', '.join(sorted(tables))}); use another --data-dir")
            return
        row = self.connection.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        if row is not None and row[0] != FORMAT:
            raise DataDirError(f"{self.path} is in format {row[0]!r}, which this version of equos-mock "
                               f"({FORMAT}) does not read: start the version that wrote it, or use another "
                               "--data-dir")

    # --- loading ----------------------------------------------------------------
    def has_state(self) -> bool:
        return self.connection.execute("SELECT 1 FROM meta WHERE key='format'").fetchone() is not None

    def read(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The stored state as a state document (``state.py``'s format, without its ``format`` key; each
        organization's clock state under ``_clock``) and the meta table: four queries, not four per
        organization. The caller (``persistence.py``) puts it into the runtime, then calls ``loaded()``."""
        db = self.connection
        meta = dict(db.execute("SELECT key, value FROM meta"))
        specs: dict[str, dict[str, Any]] = {}
        for org_id, name, settings, clock, pinned in db.execute(
                "SELECT id, name, settings, clock, pinned FROM organizations ORDER BY rowid"):
            specs[org_id] = {"id": org_id, "name": name, "keys": [], "publicKeys": [], "pinned": bool(pinned),
                             "settings": json.loads(settings), "clock": None,
                             "collections": {c: [] for c in self.runtime.resources.names}, "_clock": clock}
        for org_id, collection, data in db.execute("SELECT org_id, collection, data FROM records ORDER BY rowid"):
            if org_id in specs:
                specs[org_id]["collections"][collection].append(json.loads(data))
        for table, field_name in (("api_keys", "keys"), ("public_keys", "publicKeys")):
            for key, org_id in db.execute(f"SELECT key, org_id FROM {table} ORDER BY rowid"):
                if org_id in specs:
                    specs[org_id][field_name].append(key)
        return {"organizations": list(specs.values())}, meta

    def restore(self, state: dict[str, Any], meta: dict[str, str]) -> None:
        """After the state was imported: the clocks, assumptions and configured keys stored beside it."""
        rt = self.runtime
        for spec in state["organizations"]:
            if spec["_clock"]:
                org = rt.store.organizations[spec["id"]]
                org.clock = type(rt.clock)()
                _restore_clock(org.clock, spec["_clock"])
        _restore_clock(rt.clock, meta.get("clock"))
        if "assumptions" in meta:
            rt.assumptions.update(json.loads(meta["assumptions"]))
        if "configured_keys" in meta:
            rt.configured_keys = set(json.loads(meta["configured_keys"]))
        # What was just read is what is stored: remember it instead of writing it back.
        self._changes = _Changes()
        stored_public = {spec["id"]: spec["publicKeys"] for spec in state["organizations"]}
        for org in rt.store.organizations.values():
            self._written[org.id] = (org, _org_row(org))
            self._listen(org)
            if not stored_public[org.id]:  # stored by an earlier version, which kept none
                self._changes.public_keys.update(rt.public_keys_of(org))
        self._meta = self._meta_now()

    def upload_secret(self, given: bytes | None) -> bytes:
        """The secret that signs upload URLs must outlive a restart, or issued URLs would break."""
        row = self.connection.execute("SELECT value FROM meta WHERE key='upload_secret'").fetchone()
        if given is None and row is not None:
            return bytes.fromhex(row[0])
        secret = given if given is not None else self.runtime.upload_secret
        if row is None or row[0] != secret.hex():
            self.connection.execute("INSERT OR REPLACE INTO meta VALUES ('upload_secret', ?)", (secret.hex(),))
        return secret

    # --- change tracking ----------------------------------------------------------
    def _on_store(self, what: str, subject: str | None) -> None:
        with self._lock:
            changes = self._changes
            if what == "touch":
                changes.touched.add(str(subject))
            elif what == "org":
                changes.orgs.add(str(subject))
            elif what == "key":
                changes.keys.add(str(subject))
            elif what == "public_key":
                changes.public_keys.add(str(subject))
            elif what == "clear":
                changes.cleared = True

    def _listen(self, org: Organization) -> None:
        for name, collection in org.collections.items():
            def listener(op: str, item: Any, _org: Organization = org, _name: str = name) -> None:
                with self._lock:
                    self._pending.append((_org, _name, op, item))
            collection.listener = listener

    # --- writing ----------------------------------------------------------------
    @staticmethod
    def _snapshot(org: Organization, writes: list[Write]) -> None:
        writes.append(("DELETE FROM records WHERE org_id=?", (org.id,)))
        writes.append(("INSERT INTO organizations VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                       "name=excluded.name, settings=excluded.settings, clock=excluded.clock, "
                       "pinned=excluded.pinned", (org.id, *_org_row(org))))
        for name, collection in org.collections.items():
            _, items = collection.page(0, len(collection) or 1, newest_first=False)
            writes.extend(("INSERT INTO records VALUES (?, ?, ?, ?)", (org.id, name, item.id, _dump(item)))
                          for item in items)

    def _meta_now(self) -> dict[str, str]:
        rt = self.runtime
        return {"format": FORMAT, "clock": _clock_state(rt.clock) or "",
                "assumptions": json.dumps(rt.assumptions.values(), sort_keys=True),
                "configured_keys": json.dumps(sorted(rt.configured_keys))}

    def flush(self, *, undoing: bool = False) -> int:
        """Write every change since the last flush in one transaction; returns the statements written.
        ``undoing``: it writes a refused request's undo, often nothing at all, so its success does not
        prove the disk writable again (``problem`` stays).

        What was written is remembered only once the commit succeeded: after a failure (the
        request that flushed gets a 500) every change is still pending for the next flush.
        """
        with self._lock:
            changes, self._changes = self._changes, _Changes()
            try:
                written = self._flush(changes)
            except BaseException as exc:
                changes.merge(self._changes)
                self._changes = changes
                if not isinstance(exc, Exception):
                    raise
                refused = _storage_error(exc)
                self.problem = str(refused)
                raise refused from exc
            if not undoing:
                self.problem = None
            return written

    def healthy(self) -> bool:
        """True unless the last flush failed and a probe write still fails. The probe (64 KiB in one meta
        row, overwritten by the next probe) stands for a real write, not a few bytes a full disk still has
        room for. When it lands, space came back by itself, and what is pending is written too."""
        if self.problem is None:
            return True
        with self._lock:
            try:
                self._commit([("INSERT OR REPLACE INTO meta VALUES ('probe', ?)", ("0" * PROBE_BYTES,))])
                self.flush()
            except (StorageError, sqlite3.Error, OSError):
                return False
        return True

    def _flush(self, changes: _Changes) -> int:
        store = self.runtime.store
        writes: list[Write] = []
        # What this flush changes in ``_written`` (None: forgotten), applied only once committed.
        updates: dict[str, tuple[Organization, Row] | None] = {}

        def known(org_id: str) -> tuple[Organization, Row] | None:
            if org_id in updates:
                return updates[org_id]
            return None if changes.cleared else self._written.get(org_id)

        snapshotted: list[Organization] = []
        if changes.cleared:
            writes += [(f"DELETE FROM {table}", ()) for table in
                       ("records", "organizations", "api_keys", "public_keys")]
            changes.orgs |= set(store.organizations)
            changes.keys |= set(store.keys)
            changes.public_keys |= set(store.public_keys)
        # In creation order: a restart lists organizations in the order their rows were first written.
        for org_id in sorted(changes.orgs, key=lambda i: getattr(store.organizations.get(i), "position", 0)):
            org = store.organizations.get(org_id)
            if org is None:
                if known(org_id) is not None:
                    writes.append(("DELETE FROM records WHERE org_id=?", (org_id,)))
                    writes.append(("DELETE FROM organizations WHERE id=?", (org_id,)))
                updates[org_id] = None
                continue
            self._snapshot(org, writes)
            snapshotted.append(org)
            updates[org_id] = (org, _org_row(org))
        for org_id in changes.touched - changes.orgs:
            org = store.organizations.get(org_id)
            was = known(org_id)
            if org is None or was is None or was[0] is not org:
                continue
            row = _org_row(org)
            if row != was[1]:
                writes.append(("UPDATE organizations SET name=?, settings=?, clock=?, pinned=? WHERE id=?",
                               (*row, org_id)))
                updates[org_id] = (org, row)
        consumed = len(self._pending)
        # A record changed twice (a change, then its undo) is written once, as it stands last.
        latest: dict[tuple[int, str, str], tuple[Organization, str, str, Any]] = {}
        for entry in self._pending[:consumed]:
            key = (id(entry[0]), entry[1], entry[3].id)
            latest.pop(key, None)
            latest[key] = entry
        for org, name, op, item in latest.values():
            was = known(org.id)
            if org.id in changes.orgs or was is None or was[0] is not org:
                continue  # covered by a snapshot, or the organization is gone
            if op == "put":
                writes.append(("INSERT INTO records VALUES (?, ?, ?, ?) ON CONFLICT(org_id, collection, id) "
                               "DO UPDATE SET data=excluded.data", (org.id, name, item.id, _dump(item))))
            else:  # "delete"
                writes.append(("DELETE FROM records WHERE org_id=? AND collection=? AND id=?",
                               (org.id, name, item.id)))
        for table, mapping, changed in (("api_keys", store.keys, changes.keys),
                                        ("public_keys", store.public_keys, changes.public_keys)):
            for key in changed:
                org_id = mapping.get(key)
                writes.append((f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", (key, org_id))
                              if org_id is not None else (f"DELETE FROM {table} WHERE key=?", (key,)))
        meta = self._meta_now()
        writes.extend(("INSERT OR REPLACE INTO meta VALUES (?, ?)", (k, v)) for k, v in meta.items()
                      if self._meta.get(k) != v)
        if writes:
            self._commit(writes)
        # Committed: remember it.
        del self._pending[:consumed]
        for org in snapshotted:
            self._listen(org)
        if changes.cleared:
            self._written = {}
        for org_id, entry in updates.items():
            if entry is None:
                self._written.pop(org_id, None)
            else:
                self._written[org_id] = entry
        self._meta = meta
        return len(writes)

    def _commit(self, writes: list[Write]) -> None:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in writes:
                cursor.execute(sql, params)
            cursor.execute("COMMIT")  # a full disk may refuse the commit itself
        except BaseException:
            if self.connection.in_transaction:
                try:
                    cursor.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # SQLite rolled back on its own (an I/O error can)
            raise

    def close(self) -> None:
        """Flush, fold the WAL into the database (a clean directory), and let another server have it."""
        with self._lock:
            if self._data_lock is None:
                return
            try:
                self.flush()
                self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self.connection.close()
            finally:
                self._data_lock.release()
                self._data_lock = None
                if self.runtime.store.listener == self._on_store:
                    self.runtime.store.listener = None


    def abandon(self) -> None:
        """Give the directory up without writing anything (opening it failed)."""
        with self._lock:
            self.connection.close()
            if self._data_lock is not None:
                self._data_lock.release()
                self._data_lock = None
            self.runtime.store.listener = None
