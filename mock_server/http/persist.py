"""Each request all or nothing, and (with ``--data-dir``) on disk before its reply.

The dispatcher runs every route's handler through ``Transactions.run``: the store keeps the inverse of
each change (``store/undo.py``), and

- a reply of 4xx or 5xx (or an exception) undoes them: a refused request changes nothing;
- otherwise the changes are flushed to SQLite before the reply is sent; if they cannot be (a full
  disk, an I/O error, a value SQLite cannot store), they are undone too, and a write is answered
  507 (full) or 503 in the envelope with ``Retry-After``. A read keeps its reply: reads keep working.

After an undo the flush is tried again, so the disk gets the restored values (a change another request
flushed meanwhile is put back too); if the disk still refuses, they stay pending for the next flush.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..store.memory import MemoryStore
from ..store.sqlite import SqlitePersistence, StorageError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_AFTER_SECONDS = 2  # what a refused write's Retry-After says


def storage_refusal(exc: StorageError) -> errors.ApiError:
    status = 507 if exc.full else 503
    return errors.ApiError(status, f"nothing was changed: {exc}; retry after {RETRY_AFTER_SECONDS} s",
                           headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class Transactions:
    """Runs each route of one app all or nothing (the dispatcher holds it: nothing is looked up per request)."""

    def __init__(self, store: MemoryStore, persistence: SqlitePersistence | None):
        self.undo = store.undo
        self.persistence = persistence

    def _settle(self) -> None:
        if self.persistence is not None:
            try:
                self.persistence.flush(undoing=True)
            except StorageError:
                pass  # still pending; ``persistence.problem`` says why (health shows it)

    async def run(self, handler: Callable[[Request], Awaitable[Response]], request: Request) -> Response:
        undo = self.undo
        token = undo.begin()
        try:
            response = await handler(request)
        except BaseException:
            undo.end(token, undo=True)
            self._settle()
            raise
        if response.status_code >= 400:
            undo.end(token, undo=True)
            self._settle()
            return response
        if self.persistence is not None:
            try:
                self.persistence.flush()
            except StorageError as exc:
                undo.end(token, undo=True)
                self._settle()
                return response if request.method in SAFE_METHODS else storage_refusal(exc).response()
        undo.end(token, undo=False)
        return response
