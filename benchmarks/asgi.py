"""Calling an ASGI app directly, with no socket and no client library in the way."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

Headers = list[tuple[bytes, bytes]]


async def call(app: Any, method: str, target: str, key: str | None = None, body: Any = None,
               chunk_times: list[float] | None = None) -> tuple[int, bytes]:
    """One request; ``chunk_times``, when given, gets when (perf_counter) each body chunk was sent."""
    path, _, query = target.partition("?")
    headers: Headers = [(b"host", b"127.0.0.1")]
    raw = b""
    if key:
        headers.append((b"x-api-key", key.encode()))
    if body is not None:
        raw = json.dumps(body).encode()
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }
    messages = [{"type": "http.request", "body": raw, "more_body": False}]
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # connected until the reply is done, as a real client is
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if chunk_times is not None:
                chunk_times.append(time.perf_counter())

    await app(scope, receive, send)
    return status, b"".join(chunks)
