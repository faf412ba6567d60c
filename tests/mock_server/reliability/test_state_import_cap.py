"""POST /_mock/state is parsed in one go, so its body is capped (64 MiB, docs/reliability-and-security.md):
counted as it arrives, declared or chunked, and refused with a 413 that changes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
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


def _large_state(app: Any, organizations: int = 20, brains: int = 300) -> bytes:
    """An export of ``organizations`` copies of one organization holding ``brains`` brains (about 10 MiB)."""
    with asgi_client(app, "sk_large") as client:
        made = client.post("/v3/brains", json={"name": "b", "instructions": "x" * 1500, "greetingMessage": "hi"})
        assert made.status_code == 201, made.text
        exported = client.get("/_mock/state").json()
    (org,) = [o for o in exported["organizations"] if "sk_large" in o["keys"]]
    (brain,) = org["collections"]["brains"]
    exported["organizations"] = [
        {**org, "id": f"org-large-{n}", "keys": [f"sk_large_{n}"], "publicKeys": [],
         "collections": {**org["collections"], "brains": [{**brain, "id": str(uuid.UUID(int=n * brains + i + 1))}
                                                          for i in range(brains)]}}
        for n in range(organizations)]
    return json.dumps(exported).encode()


def test_a_large_import_leaves_the_event_loop_serving_while_it_is_parsed_and_validated() -> None:
    app = create_app()
    body = _large_state(app)
    ticks = 0

    async def scenario() -> tuple[int, int]:
        nonlocal ticks
        done = asyncio.Event()

        async def ticker() -> None:  # another coroutine of the server's loop: it runs only if the loop is free
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.002)

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        before = ticks
        status = await _post_state(app, body)
        done.set()
        await ticking
        return status, ticks - before

    status, during = asyncio.run(scenario())
    assert status == 200
    assert during >= 10, during  # blocked on the loop, it would tick once or twice (awaiting the body)
    with asgi_client(app, "sk_large_19") as client:
        listed = client.get("/v3/brains", params={"take": 50}).json()
    assert listed["total"] == 300 and len(listed["brains"]) == 50


async def _post_state(app: Any, body: bytes) -> int:
    replies: list[dict[str, Any]] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client waits for the reply (a disconnect never comes)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        replies.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/_mock/state", "raw_path": b"/_mock/state", "query_string": b"", "root_path": "",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}
    await app(scope, receive, send)
    return replies[0]["status"]
