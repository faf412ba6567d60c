"""The request journal: every API request and response, bounded, filterable, with secrets masked.

The middleware (``http/journal.py``) records each call (not ``/_mock/`` control calls) into this
ring buffer on the runtime. When a request hits no route, the entry carries near-miss hints (the closest
routes by method and path) and the 404 gets an ``x-mock-near-miss`` header; the 404 body
stays the API's own envelope.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import secrets
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from .clock import from_ms, iso, to_ms
from .masking import mask_secret, mask_text, mask_value

DEFAULT_CAPACITY = 10_000  # entries; the oldest fall off first
BODY_LIMIT = 16 * 1024  # bytes of each body kept in an entry
MAX_BYTES = 32 * 1024 * 1024  # bytes of all kept bodies together; the oldest entries fall off first
PAGE_SIZE = 100  # entries per journal page when the reader names no limit
MAX_PAGE = 1000
KEY_MASKS_KEPT = 4096  # keys whose fingerprint is remembered (a test suite makes one key per test)
CONTROL_PREFIX = "/_mock/"
NEAR_MISS_HEADER = "x-mock-near-miss"
FAULT_SCOPE_KEY = "equos_mock.fault"  # set by the fault middleware, read here

def _body_for_journal(raw: bytes, truncated: bool, secret: bytes) -> Any:
    if not raw:
        return None
    if not truncated:
        try:
            return mask_value(json.loads(raw), secret)
        except ValueError:
            pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(raw)}{'+' if truncated else ''} bytes>"
    return mask_text(text, secret) + ("…" if truncated else "")


# --- near misses -----------------------------------------------------------------
def _filled(template: str, path: str) -> str:
    """The template with its ``{params}`` taken from the request, so only fixed parts are compared."""
    given = path.strip("/").split("/")
    parts = template.strip("/").split("/")
    out = [given[i] if part.startswith("{") and i < len(given) else part for i, part in enumerate(parts)]
    return "/" + "/".join(out)


NEAR_MISS_PATH_LIMIT = 256  # SequenceMatcher is quadratic: a 70 KB path took seconds of CPU


def near_misses(method: str, path: str, routes: Iterable[tuple[str, str]], limit: int = 3) -> list[dict[str, Any]]:
    path = path[:NEAR_MISS_PATH_LIMIT]
    scored = []
    for r_method, r_path in routes:
        score = SequenceMatcher(None, path.rstrip("/").lower(), _filled(r_path, path).lower()).ratio()
        score = score * 0.85 + (0.15 if r_method == method else 0.0)
        scored.append((round(score, 3), r_method, r_path))
    scored.sort(key=lambda s: (-s[0], s[2], s[1]))
    return [{"method": m, "path": p, "score": s} for s, m, p in scored[:limit]]


# --- the journal itself -------------------------------------------------------------
class Entry:
    """One exchange as recorded: the raw facts, in slots. Recording is on every request's path and most
    entries are never read, so nothing is worked out here: the dict the control plane shows (time
    printed, query and bodies masked) is made when one is read (``_shown``). One object per entry, no
    strings made for it: a full journal keeps 10,000 of them."""

    __slots__ = ("at_ms", "duration_ms", "extra", "id", "key", "method", "organization", "path", "query",
                 "request", "request_bytes", "request_cut", "response", "response_bytes", "response_cut",
                 "status")

    def __init__(self, method: str, path: str, query: bytes | None, organization: str | None, key: str | None,
                 status: int | None, request: bytes, request_cut: bool, response: bytes, response_cut: bool,
                 request_bytes: int | None, response_bytes: int | None, duration_ms: float | None, at_ms: int,
                 extra: dict[str, Any] | None = None):
        self.id = 0
        self.method, self.path, self.query, self.organization, self.key = method, path, query, organization, key
        self.status, self.at_ms, self.duration_ms, self.extra = status, at_ms, duration_ms, extra
        self.request, self.request_cut, self.response, self.response_cut = request, request_cut, response, response_cut
        self.request_bytes, self.response_bytes = request_bytes, response_bytes

    @classmethod
    def of(cls, given: dict[str, Any]) -> Entry:
        """An entry from the dict form (``_query``, ``_request``, ``_at_ms``...): what tests and tools pass."""
        known = {"method", "path", "_query", "organization", "key", "status", "_request", "_response",
                 "requestBytes", "responseBytes", "_duration_ms", "_at_ms"}
        request, request_cut = given.get("_request", (b"", False))
        response, response_cut = given.get("_response", (b"", False))
        extra = {k: v for k, v in given.items() if k not in known and not k.startswith("_") and k != "id"}
        return cls(given["method"], given["path"], given.get("_query"), given.get("organization"), given.get("key"),
                   given.get("status"), request, request_cut, response, response_cut, given.get("requestBytes"),
                   given.get("responseBytes"), given.get("_duration_ms"), given.get("_at_ms", 0), extra or None)

    @property
    def size(self) -> int:
        """Bytes of kept bodies (what ``max_bytes`` bounds)."""
        return len(self.request) + len(self.response)


# What the request path notes (``Journal.note``): Entry's arguments in order, the raw key in the key's
# place. A tuple of plain values: the collector stops tracking it, so 10,000 of them cost its full
# collections nothing (a list or dict per entry would be walked every time).
Noted = tuple[Any, ...]
_REQUEST, _RESPONSE = 6, 8  # the bodies' places in a Noted


@dataclass(frozen=True)
class JournalFilter:
    method: str | None = None
    path: str | None = None  # exact, or a glob with * (``/v3/conversations/*/stop``)
    organization: str | None = None
    key_fingerprint: str | None = None
    status: str | None = None  # 404, or a class: 4xx
    since: datetime | None = None
    after: int | None = None  # entries with a larger id (incremental reads)
    before: int | None = None  # entries with a smaller id (reading back, newest first: the inspector)

    def matches(self, entry: Entry) -> bool:
        if self.method and entry.method != self.method.upper():
            return False
        if self.path and not (entry.path == self.path or ("*" in self.path and
                                                         fnmatch.fnmatchcase(entry.path, self.path))):
            return False
        if self.organization is not None or self.key_fingerprint is not None:
            by_org = self.organization is not None and entry.organization == self.organization
            by_key = self.key_fingerprint is not None and entry.key == self.key_fingerprint
            if not (by_org or by_key):
                return False
        if self.status and not _status_matches(entry.status, self.status):
            return False
        if self.since is not None and entry.at_ms < to_ms(self.since):
            return False
        if self.before is not None and entry.id >= self.before:
            return False
        return not (self.after is not None and entry.id <= self.after)


def _status_matches(status: int | None, wanted: str) -> bool:
    if wanted.lower().endswith("xx") and len(wanted) == 3:
        return status is not None and str(status)[0] == wanted[0]
    if wanted == "dropped":
        return status is None
    return str(status) == wanted


class Journal:
    """A ring buffer of entries, safe to read while the server writes.

    Bounded twice: at most ``capacity`` entries, and at most ``max_bytes`` of kept bodies (each
    body cut at ``body_limit``); whichever is reached first drops the oldest entries.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, body_limit: int = BODY_LIMIT,
                 max_bytes: int = MAX_BYTES, secret: bytes | None = None):
        self.capacity = capacity
        self.body_limit = body_limit
        self.max_bytes = max_bytes
        self.secret = secret if secret is not None else secrets.token_bytes(32)  # keys the fingerprints
        self._entries: deque[Entry] = deque()
        self._lock = threading.Lock()
        self._next_id = 1
        self.evicted = 0
        self.body_bytes = 0  # kept now, all entries together
        # An organization's entries and a key fingerprint's, oldest first: a test reading its own entries
        # reads those, not the whole journal (a shared server's journal is mostly other tests').
        self._by_org: dict[str, deque[Entry]] = {}
        self._by_key: dict[str, deque[Entry]] = {}
        self._key_masks: dict[str, str] = {}  # a key's fingerprint costs a SHA-256: once per key
        # Exchanges noted by the request path and not yet made entries (``note``), oldest first, after
        # every entry of ``_entries``: most are never read, and one that falls off first is never made.
        self._pending: deque[tuple[int, Noted]] = deque()  # (id, what was noted)

    def masked_key(self, key: str) -> str:
        mask = self._key_masks.get(key)
        if mask is None:
            if len(self._key_masks) >= KEY_MASKS_KEPT:
                self._key_masks.clear()
            mask = self._key_masks[key] = mask_secret(key, self.secret)
        return mask

    def record(self, entry: dict[str, Any] | Entry) -> Entry:
        """Keep ``entry`` (an ``Entry``, or its dict form) now; it gets the next id."""
        if not isinstance(entry, Entry):
            entry = Entry.of(entry)
        with self._lock:
            self._settle()
            entry.id = self._next_id
            self._next_id += 1
            self._keep(entry)
            self.body_bytes += entry.size
            self._bound()
        return entry

    def note(self, noted: Noted) -> None:
        """The request path's record: the exchange's raw facts (``Noted``), given the next id and kept as
        they are; the entry is made when the journal is next read (``_settle``)."""
        with self._lock:
            self._pending.append((self._next_id, noted))
            self._next_id += 1
            self.body_bytes += len(noted[_REQUEST]) + len(noted[_RESPONSE])
            if len(self._pending) + len(self._entries) > self.capacity or self.body_bytes > self.max_bytes:
                self._bound()

    def _bound(self) -> None:
        """Drop the oldest while over either bound: entries first (older), then noted exchanges, which
        go without ever being made entries."""
        while len(self._entries) + len(self._pending) > self.capacity or (
                self.body_bytes > self.max_bytes and (self._entries or self._pending)):
            if self._entries:
                self._drop_oldest()
            else:
                dropped = self._pending.popleft()[1]
                self.body_bytes -= len(dropped[_REQUEST]) + len(dropped[_RESPONSE])
                self.evicted += 1

    def _settle(self) -> None:
        """Make entries of the noted exchanges (with the lock held): every read starts here."""
        pending = self._pending
        while pending:
            entry_id, noted = pending.popleft()
            entry = Entry(*noted)
            entry.id = entry_id
            if entry.key is not None:
                entry.key = self.masked_key(entry.key)
            self._keep(entry)

    def _keep(self, entry: Entry) -> None:
        self._entries.append(entry)
        for index, name in ((self._by_org, entry.organization), (self._by_key, entry.key)):
            if name is not None:
                found = index.get(name)
                if found is None:
                    found = index[name] = deque()
                found.append(entry)

    def _drop_oldest(self) -> None:
        oldest = self._entries.popleft()
        self.body_bytes -= oldest.size
        self.evicted += 1
        # The oldest overall is the oldest of each of its scopes.
        for index, name in ((self._by_org, oldest.organization), (self._by_key, oldest.key)):
            if name is not None:
                entries = index[name]
                entries.popleft()
                if not entries:
                    del index[name]

    def _candidates(self, where: JournalFilter) -> Iterable[Entry]:
        """The entries ``where`` can match, oldest first: one organization's and one key's only when it
        names them, else all (after ``where.after`` either way)."""
        if where.organization is None and where.key_fingerprint is None:
            return self._from(where.after)
        scoped = [self._by_org.get(where.organization, ()) if where.organization is not None else (),
                  self._by_key.get(where.key_fingerprint, ()) if where.key_fingerprint is not None else ()]
        merged = {e.id: e for e in itertools.chain(*scoped)}  # an entry may be in both
        after = where.after if where.after is not None else 0
        return [merged[i] for i in sorted(merged) if i > after]

    def page(self, where: JournalFilter, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """The first ``limit`` matching entries (oldest first, after ``where.after``), and the id to
        read on from (None when no more match). Starts at ``after`` by bisection, not from the oldest."""
        found: list[Entry] = []
        more = False
        with self._lock:
            self._settle()
            for entry in self._candidates(where):
                if where.matches(entry):
                    if len(found) == limit:
                        more = True
                        break
                    found.append(entry)
        return [_shown(e, self.secret) for e in found], (found[-1].id if more and found else None)

    def _from(self, after: int | None) -> Iterable[Entry]:
        """Entries with an id above ``after``, found by bisection (ids rise; a filtered clear leaves gaps)."""
        if after is None:
            return iter(self._entries)
        return itertools.islice(self._entries, self._index_after(after), None)

    def find(self, where: JournalFilter, limit: int | None = None, *, bodies: bool = True) -> list[dict[str, Any]]:
        """The last ``limit`` matching entries (all with None), oldest first; without their bodies
        when ``bodies`` is false (a list of summaries: nothing decoded or masked)."""
        with self._lock:
            self._settle()
            candidates = self._candidates(where)
            if limit is None:
                found = [e for e in candidates if where.matches(e)]
            else:
                found = []
                newest = candidates if isinstance(candidates, list) else self._up_to(where.before)
                for entry in reversed(newest):
                    if len(found) >= limit or (where.after is not None and entry.id <= where.after):
                        break
                    if where.matches(entry):
                        found.append(entry)
                found.reverse()
        return [_shown(e, self.secret, bodies=bodies) for e in found]

    def _up_to(self, before: int | None) -> list[Entry] | deque[Entry]:
        """Entries with an id below ``before`` (all with None), found by bisection."""
        if before is None:
            return self._entries
        return list(itertools.islice(self._entries, 0, self._index_after(before - 1)))

    def _index_after(self, after: int) -> int:
        """The position of the first entry with an id above ``after`` (ids rise; a clear leaves gaps)."""
        low, high = 0, len(self._entries)
        while low < high:
            middle = (low + high) // 2
            if self._entries[middle].id <= after:
                low = middle + 1
            else:
                high = middle
        return low

    def entry(self, entry_id: int) -> dict[str, Any] | None:
        """One entry by id, with its bodies (masked), or None once it fell off or was cleared."""
        with self._lock:
            self._settle()
            position = self._index_after(entry_id - 1)
            found = self._entries[position] if position < len(self._entries) else None
            if found is None or found.id != entry_id:
                return None
        return _shown(found, self.secret)

    @property
    def last_id(self) -> int:
        """The id of the latest entry ever recorded (0: none): it grows with every API request."""
        return self._next_id - 1

    def count(self, where: JournalFilter) -> int:
        with self._lock:
            self._settle()
            return sum(1 for e in self._candidates(where) if where.matches(e))

    def clear(self, where: JournalFilter | None = None) -> int:
        with self._lock:
            self._settle()
            before = len(self._entries)
            if where is None:
                self._entries.clear()
            else:
                kept = [e for e in self._entries if not where.matches(e)]
                self._entries.clear()
                self._entries.extend(kept)
            self.body_bytes = sum(e.size for e in self._entries)
            self._by_org.clear()
            self._by_key.clear()
            for entry in self._entries:
                if entry.organization is not None:
                    self._by_org.setdefault(entry.organization, deque()).append(entry)
                if entry.key is not None:
                    self._by_key.setdefault(entry.key, deque()).append(entry)
            return before - len(self._entries)

    def __len__(self) -> int:
        return len(self._entries) + len(self._pending)


def _shown(entry: Entry, secret: bytes, *, bodies: bool = True) -> dict[str, Any]:
    """An entry as the control plane shows it: the time printed, the query and bodies decoded and masked
    now, at read time, so that recording stays cheap on the request path (most entries are never read)."""
    shown: dict[str, Any] = {"time": iso(from_ms(entry.at_ms)), "method": entry.method, "path": entry.path}
    if entry.query is not None:
        shown["query"] = mask_text(entry.query.decode("latin-1"), secret) if entry.query else ""
    shown.update(organization=entry.organization, key=entry.key, status=entry.status,
                 requestBytes=entry.request_bytes, responseBytes=entry.response_bytes)
    if entry.duration_ms is not None:
        shown["durationMs"] = round(entry.duration_ms, 3)
    if entry.extra:
        shown.update(entry.extra)
    shown["id"] = entry.id
    if not bodies:
        return shown
    shown["requestBody"] = _body_for_journal(entry.request, entry.request_cut, secret)
    shown["responseBody"] = _body_for_journal(entry.response, entry.response_cut, secret)
    return shown
