"""The journal's middleware: records every non-control HTTP exchange, adds near-miss hints to a 404
that hit no route. The journal itself (bounded storage, filters, masking at read time) is ``journal.py``."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..auth import caller
from ..credentials import request_credentials
from ..journal import CONTROL_PREFIX, FAULT_SCOPE_KEY, NEAR_MISS_HEADER, near_misses
from ..key_check import header_mistake, pattern_refusal
from ..masking import mask_text
from ..runtime import Runtime


class JournalMiddleware:
    """Records every non-control HTTP exchange; adds near-miss hints to a 404 that hit no route."""

    def __init__(self, app: ASGIApp, runtime: Runtime, routes: Iterable[tuple[str, str]]):
        self.app = app
        self.runtime = runtime
        self.routes = [(method, path) for method, path in routes if not path.startswith(CONTROL_PREFIX)]
        self._patterns = [compile_path(path)[0] for _, path in self.routes]

    def _routed(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self._patterns)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body_limit = self.runtime.journal.body_limit
        request_body = bytearray()
        response_body = bytearray()
        sizes = {"request": 0, "response": 0}
        status: list[int] = []
        hints: list[dict[str, Any]] | None = None

        async def receive_recorded() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                sizes["request"] += len(chunk)
                request_body.extend(chunk[: max(body_limit - len(request_body), 0)])
            return message

        async def send_recorded(message: Message) -> None:
            nonlocal hints
            if message["type"] == "http.response.start":
                status.append(message["status"])
                # Near misses only for a 404 that hit no route (not for the API's own null/404 replies).
                if message["status"] == 404 and not self._routed(scope["path"]):
                    hints = near_misses(scope["method"], scope["path"], self.routes)
                if hints:
                    hint = "; ".join(f"{h['method']} {h['path']}" for h in hints)
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (NEAR_MISS_HEADER.encode(), hint.encode())]}
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                sizes["response"] += len(chunk)
                response_body.extend(chunk[: max(body_limit - len(response_body), 0)])
            await send(message)

        error = None
        try:
            await self.app(scope, receive_recorded, send_recorded)
        except Exception as exc:
            error = type(exc).__name__  # the server error handler outside answers 500
            raise
        finally:
            self._record(scope, bytes(request_body), bytes(response_body), sizes, status, hints,
                         (time.perf_counter() - started) * 1000, error)

    def _key_warnings(self, scope: Scope) -> list[str]:
        """What looks wrong with the request's x-api-key (never the key itself)."""
        key = request_credentials(scope).api_key
        if not key:
            return []
        found = [header_mistake(key), pattern_refusal(key, self.runtime.key_pattern)]
        return [warning for warning in found if warning]

    def _record(self, scope: Scope, request_body: bytes, response_body: bytes, sizes: dict[str, int],
                status: list[int], hints: list[dict[str, Any]] | None, duration_ms: float,
                error: str | None = None) -> None:
        key, org = caller(self.runtime, scope)
        journal = self.runtime.journal
        query = scope.get("query_string", b"")
        fault = scope.get(FAULT_SCOPE_KEY)
        # Only what filters read is worked out here; the time is printed when an entry is read.
        entry: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "query": mask_text(query.decode("latin-1"), journal.secret) if query else "",
            "organization": org.id if org is not None else None,
            "key": journal.masked_key(key) if key else None,
            "status": status[0] if status and not (fault and fault["dropped"]) else None,
            "_request": (request_body, sizes["request"] > journal.body_limit),
            "_response": (response_body, sizes["response"] > journal.body_limit),
            "requestBytes": sizes["request"],
            "responseBytes": sizes["response"],
            "durationMs": round(duration_ms, 3),
            "_at_ms": self.runtime.clock_for(org).now_ms(),
        }
        if fault is not None:
            entry["fault"] = fault["id"]
            entry["dropped"] = fault["dropped"]
        if hints is not None:
            entry["nearMisses"] = hints
        warnings = self._key_warnings(scope)
        if warnings:
            entry["warnings"] = warnings
        if error is not None:
            entry["error"] = error
            entry["status"] = entry["status"] or 500
        journal.record(entry)
