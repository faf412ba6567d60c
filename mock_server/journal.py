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

    def matches(self, entry: dict[str, Any]) -> bool:
        if self.method and entry["method"] != self.method.upper():
            return False
        if self.path and not (entry["path"] == self.path or ("*" in self.path and
                                                            fnmatch.fnmatchcase(entry["path"], self.path))):
            return False
        if self.organization is not None or self.key_fingerprint is not None:
            by_org = self.organization is not None and entry["organization"] == self.organization
            by_key = self.key_fingerprint is not None and entry["key"] == self.key_fingerprint
            if not (by_org or by_key):
                return False
        if self.status and not _status_matches(entry["status"], self.status):
            return False
        if self.since is not None and entry["_at_ms"] < to_ms(self.since):
            return False
        if self.before is not None and entry["id"] >= self.before:
            return False
        return not (self.after is not None and entry["id"] <= self.after)


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
        self._entries: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._next_id = 1
        self.evicted = 0
        self.body_bytes = 0  # kept now, all entries together
        # "org:<id>" / "key:<fingerprint>" -> that scope's entries, oldest first: a test reading its own
        # entries reads those, not the whole journal (a shared server's journal is mostly other tests').
        self._scopes: dict[str, deque[dict[str, Any]]] = {}
        self._key_masks: dict[str, str] = {}  # a key's fingerprint costs a SHA-256: once per key

    def masked_key(self, key: str) -> str:
        mask = self._key_masks.get(key)
        if mask is None:
            if len(self._key_masks) >= KEY_MASKS_KEPT:
                self._key_masks.clear()
            mask = self._key_masks[key] = mask_secret(key, self.secret)
        return mask

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        # Worked out once: dropping the entry later needs them again.
        size = entry["_size"] = _body_bytes(entry)
        scopes = entry["_scopes"] = _scopes_of(entry)
        with self._lock:
            entry["id"] = self._next_id
            self._next_id += 1
            self._entries.append(entry)
            for scope in scopes:
                found = self._scopes.get(scope)
                if found is None:
                    found = self._scopes[scope] = deque()
                found.append(entry)
            self.body_bytes += size
            while self._entries and (len(self._entries) > self.capacity or self.body_bytes > self.max_bytes):
                self._drop_oldest()
        return entry

    def _drop_oldest(self) -> None:
        oldest = self._entries.popleft()
        self.body_bytes -= oldest["_size"]
        self.evicted += 1
        for scope in oldest["_scopes"]:
            entries = self._scopes[scope]
            entries.popleft()  # the oldest overall is the oldest of each of its scopes
            if not entries:
                del self._scopes[scope]

    def _candidates(self, where: JournalFilter) -> Iterable[dict[str, Any]]:
        """The entries ``where`` can match, oldest first: one organization's and one key's only when it
        names them, else all (after ``where.after`` either way)."""
        if where.organization is None and where.key_fingerprint is None:
            return self._from(where.after)
        scoped = [self._scopes.get(f"org:{where.organization}", ()) if where.organization is not None else (),
                  self._scopes.get(f"key:{where.key_fingerprint}", ()) if where.key_fingerprint is not None else ()]
        merged = {e["id"]: e for e in itertools.chain(*scoped)}  # an entry may be in both
        after = where.after if where.after is not None else 0
        return [merged[i] for i in sorted(merged) if i > after]

    def page(self, where: JournalFilter, limit: int) -> tuple[list[dict[str, Any]], int | None]:
        """The first ``limit`` matching entries (oldest first, after ``where.after``), and the id to
        read on from (None when no more match). Starts at ``after`` by bisection, not from the oldest."""
        found: list[dict[str, Any]] = []
        more = False
        with self._lock:
            for entry in self._candidates(where):
                if where.matches(entry):
                    if len(found) == limit:
                        more = True
                        break
                    found.append(entry)
        return [_shown(e, self.secret) for e in found], (found[-1]["id"] if more and found else None)

    def _from(self, after: int | None) -> Iterable[dict[str, Any]]:
        """Entries with an id above ``after``, found by bisection (ids rise; a filtered clear leaves gaps)."""
        if after is None:
            return iter(self._entries)
        return itertools.islice(self._entries, self._index_after(after), None)

    def find(self, where: JournalFilter, limit: int | None = None, *, bodies: bool = True) -> list[dict[str, Any]]:
        """The last ``limit`` matching entries (all with None), oldest first; without their bodies
        when ``bodies`` is false (a list of summaries: nothing decoded or masked)."""
        with self._lock:
            candidates = self._candidates(where)
            if limit is None:
                found = [e for e in candidates if where.matches(e)]
            else:
                found = []
                newest = candidates if isinstance(candidates, list) else self._up_to(where.before)
                for entry in reversed(newest):
                    if len(found) >= limit or (where.after is not None and entry["id"] <= where.after):
                        break
                    if where.matches(entry):
                        found.append(entry)
                found.reverse()
        return [_shown(e, self.secret, bodies=bodies) for e in found]

    def _up_to(self, before: int | None) -> list[dict[str, Any]] | deque[dict[str, Any]]:
        """Entries with an id below ``before`` (all with None), found by bisection."""
        if before is None:
            return self._entries
        return list(itertools.islice(self._entries, 0, self._index_after(before - 1)))

    def _index_after(self, after: int) -> int:
        """The position of the first entry with an id above ``after`` (ids rise; a clear leaves gaps)."""
        low, high = 0, len(self._entries)
        while low < high:
            middle = (low + high) // 2
            if self._entries[middle]["id"] <= after:
                low = middle + 1
            else:
                high = middle
        return low

    def entry(self, entry_id: int) -> dict[str, Any] | None:
        """One entry by id, with its bodies (masked), or None once it fell off or was cleared."""
        with self._lock:
            position = self._index_after(entry_id - 1)
            found = self._entries[position] if position < len(self._entries) else None
            if found is None or found["id"] != entry_id:
                return None
        return _shown(found, self.secret)

    @property
    def last_id(self) -> int:
        """The id of the latest entry ever recorded (0: none): it grows with every API request."""
        return self._next_id - 1

    def count(self, where: JournalFilter) -> int:
        with self._lock:
            return sum(1 for e in self._candidates(where) if where.matches(e))

    def clear(self, where: JournalFilter | None = None) -> int:
        with self._lock:
            before = len(self._entries)
            if where is None:
                self._entries.clear()
            else:
                kept = [e for e in self._entries if not where.matches(e)]
                self._entries.clear()
                self._entries.extend(kept)
            self.body_bytes = sum(e["_size"] for e in self._entries)
            self._scopes.clear()
            for entry in self._entries:
                for scope in entry["_scopes"]:
                    self._scopes.setdefault(scope, deque()).append(entry)
            return before - len(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def _scopes_of(entry: dict[str, Any]) -> list[str]:
    scopes = []
    if entry.get("organization") is not None:
        scopes.append(f"org:{entry['organization']}")
    if entry.get("key") is not None:
        scopes.append(f"key:{entry['key']}")
    return scopes


def _body_bytes(entry: dict[str, Any]) -> int:
    return len(entry.get("_request", (b"",))[0]) + len(entry.get("_response", (b"",))[0])


def _shown(entry: dict[str, Any], secret: bytes, *, bodies: bool = True) -> dict[str, Any]:
    """An entry as the control plane shows it: bodies decoded and masked now, at read time, so that
    recording stays cheap on the request path (most entries are never read)."""
    shown = {"time": iso(from_ms(entry["_at_ms"]))}
    for k, v in entry.items():
        if k == "_query":
            shown["query"] = mask_text(v.decode("latin-1"), secret) if v else ""
        elif k == "_duration_ms":
            shown["durationMs"] = round(v, 3)
        elif not k.startswith("_"):
            shown[k] = v
    if not bodies:
        return shown
    shown["requestBody"] = _body_for_journal(*entry.get("_request", (b"", False)), secret)
    shown["responseBody"] = _body_for_journal(*entry.get("_response", (b"", False)), secret)
    return shown
