"""POST /_mock/state is parsed in one go, so its body is capped (64 MiB, docs/reliability-and-security.md):
counted as it arrives, declared or chunked, and refused with a 413 that changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from mock_server import create_app
from mock_server.api.control_plane import STATE_BODY_LIMIT
from mock_server.asgi_client import asgi_client

from .conftest import assert_envelope
from .write_routes import memory

MIB = 1024 * 1024


def test_the_cap_is_64_mib() -> None:
    assert STATE_BODY_LIMIT == 64 * MIB


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    app = create_app()
    with asgi_client(app, "sk_cap") as client:
        client.get("/v3/brains")
        before = memory(app)
        refused = client.post("/_mock/state", content=b"{}",
                              headers={"content-type": "application/json", "content-length": str(STATE_BODY_LIMIT + 1)})
        assert str(STATE_BODY_LIMIT) in str(assert_envelope(refused, 413)["message"])
        assert memory(app) == before


async def _chunked(app: Any, chunks: int, chunk: bytes) -> tuple[int, int]:
    """A body sent in ``chunks`` pieces with no declared length; returns the status and the pieces read."""
    read = 0
    replies: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        replies.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/_mock/state", "raw_path": b"/_mock/state", "query_string": b"", "root_path": "",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"localhost"), (b"content-type", b"application/json")]}
    await app(scope, receive, send)
    return replies[0]["status"], read


def test_a_chunked_body_over_the_cap_is_cut_off_as_it_arrives() -> None:
    app = create_app()
    status, read = asyncio.run(_chunked(app, 200, b" " * MIB))  # 200 MiB offered
    assert status == 413
    assert read == 65  # it stopped reading just past the cap
