"""Persistence on reply: with ``--data-dir``, the store's changes are on disk before a reply starts."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..store.sqlite import SqlitePersistence


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
