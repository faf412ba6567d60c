"""Issue 12, item 9: a 99 MiB upload to a signed URL was buffered whole just to measure its length
(RSS peaked at 256 MB). It is now counted as it streams: memory does not grow with the body.
benchmarks/upload_memory.py measures the same as RSS of a served process."""

from __future__ import annotations

import asyncio
import tracemalloc
from typing import Any

import httpx

from mock_server import create_app
from mock_server.asgi_client import asgi_client

KEY = {"x-api-key": "sk_upload_stream"}
MIB = 1024 * 1024


def _upload_url(client: httpx.Client) -> httpx.URL:
    kb = client.post("/v3/knowledge-bases", headers=KEY, json={"name": "kb", "description": "d"}).json()
    doc = client.post(f"/v3/knowledge-bases/{kb['id']}/documents", headers=KEY,
                      json={"name": "big.bin", "description": "d", "mimeType": "application/octet-stream"})
    return httpx.URL(doc.json()["uploadUrl"])


async def _put(app: Any, url: httpx.URL, chunks: int, chunk: bytes) -> tuple[int, bytes]:
    """PUT ``chunks`` x ``chunk`` through the whole app (middleware included), one chunk at a time."""
    sent = 0
    replies: list[dict[str, Any]] = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "PUT", "scheme": "http",
             "path": url.path, "raw_path": url.raw_path.split(b"?")[0], "query_string": url.query,
             "root_path": "", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"localhost"), (b"content-length", str(chunks * len(chunk)).encode())]}

    async def receive() -> dict[str, Any]:
        nonlocal sent
        sent += 1
        return {"type": "http.request", "body": chunk, "more_body": sent < chunks}

    async def send(message: dict[str, Any]) -> None:
        replies.append(message)

    await app(scope, receive, send)
    return replies[0]["status"], b"".join(m.get("body", b"") for m in replies[1:])


def test_an_upload_is_counted_without_being_held() -> None:
    app = create_app()
    with asgi_client(app) as client:
        url = _upload_url(client)
    chunk = b"x" * MIB  # the same object every time: only what the server keeps adds up
    tracemalloc.start()
    try:
        status, body = asyncio.run(_put(app, url, 99, chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 200, body
    assert httpx.Response(200, content=body).json()["size"] == 99 * MIB
    # Buffering would need 99 MiB (twice that to join); streaming holds about a chunk or two.
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB while uploading 99 MiB"


def test_an_oversized_streamed_upload_is_still_413() -> None:
    app = create_app()
    with asgi_client(app) as client:
        url = _upload_url(client)
    status, body = asyncio.run(_put(app, url, 101, b"y" * MIB))
    assert status == 413 and b'"statusCode":413' in body
