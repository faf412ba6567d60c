"""What the journal keeps of an HTTP exchange: the entry of every non-control request, and near-miss
hints for a 404 that hit no route. The request pipeline (``http/pipeline.py``) collects the exchange;
the journal itself (bounded storage, filters, masking at read time) is ``journal.py``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.routing import compile_path
from starlette.types import Scope

from ..auth import caller
from ..credentials import request_credentials
from ..journal import CONTROL_PREFIX, FAULT_SCOPE_KEY, KEY_MASKS_KEPT, NEAR_MISS_HEADER, near_misses
from ..key_check import header_mistake, pattern_refusal
from ..runtime import Runtime

HINT_HEADER = NEAR_MISS_HEADER.encode()
KEYS_KEPT = KEY_MASKS_KEPT  # keys whose warnings are remembered (a test suite makes one key per test)


class JournalRecorder:
    """Turns one collected exchange into a journal entry; knows the routes, for near misses."""

    def __init__(self, runtime: Runtime, routes: Iterable[tuple[str, str]]):
        self.runtime = runtime
        self.routes = [(method, path) for method, path in routes if not path.startswith(CONTROL_PREFIX)]
        self._patterns = [compile_path(path)[0] for _, path in self.routes]
        self._warnings: dict[str, tuple[Any, list[str]]] = {}  # key -> (the key pattern then, its warnings)

    def _routed(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self._patterns)

    def hints(self, scope: Scope) -> list[dict[str, Any]] | None:
        """Near misses for a 404: only one that hit no route (not the API's own null/404 replies)."""
        if self._routed(scope["path"]):
            return None
        return near_misses(scope["method"], scope["path"], self.routes)

    @staticmethod
    def hint_header(hints: list[dict[str, Any]]) -> tuple[bytes, bytes]:
        return HINT_HEADER, "; ".join(f"{h['method']} {h['path']}" for h in hints).encode()

    def _key_warnings(self, scope: Scope) -> list[str]:
        """What looks wrong with the request's x-api-key (never the key itself); worked out once per key."""
        key = request_credentials(scope).api_key
        if not key:
            return []
        pattern = self.runtime.key_pattern
        found = self._warnings.get(key)
        if found is None or found[0] is not pattern:
            if len(self._warnings) >= KEYS_KEPT:
                self._warnings.clear()
            warnings = [w for w in (header_mistake(key), pattern_refusal(key, pattern)) if w]
            found = self._warnings[key] = (pattern, warnings)
        return found[1]

    def record(self, scope: Scope, request_body: bytes, response_body: bytes, sizes: tuple[int, int],
               status: int | None, hints: list[dict[str, Any]] | None, duration_ms: float,
               error: str | None = None) -> None:
        """The exchange's raw facts, noted as they are: the entry a read shows is made then (``journal.py``)."""
        key, org = caller(self.runtime, scope)
        journal = self.runtime.journal
        fault = scope.get(FAULT_SCOPE_KEY)
        extra: dict[str, Any] | None = None
        if fault is not None:
            extra = {"fault": fault["id"], "dropped": fault["dropped"]}
            if fault["dropped"]:
                status = None
        if hints is not None:
            extra = {**(extra or {}), "nearMisses": hints}
        warnings = self._key_warnings(scope) if key else None  # x-api-key's (None: caller has none either)
        if warnings:
            extra = {**(extra or {}), "warnings": warnings}
        if error is not None:
            extra = {**(extra or {}), "error": error}
            status = status or 500
        limit = journal.body_limit
        # Noted as it is (``Journal.note``): the entry, the key's fingerprint with it, is made when read.
        journal.note((scope["method"], scope["path"], scope.get("query_string", b""),
                      org.id if org is not None else None, key or None, status, request_body, sizes[0] > limit,
                      response_body, sizes[1] > limit, sizes[0], sizes[1], duration_ms,
                      self.runtime.clock_for(org).now_ms(), extra))
