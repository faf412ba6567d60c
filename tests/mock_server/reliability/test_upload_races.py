"""An upload racing a delete (issue 19, item 6): the first 1,000 bytes of a document are sent, then the
document, its knowledge base or its organization is deleted, then the rest: a 409 in the envelope, nothing
stored (in memory or on disk)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.settings import Settings

from .write_routes import memory

KEY = "sk_upload_race"
H = {"x-api-key": KEY}


def _scope(method: str, url: httpx.URL, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": url.path, "raw_path": url.raw_path.split(b"?")[0], "query_string": url.query, "root_path": "",
            "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
            "headers": [(b"host", b"localhost"), *headers]}


async def _call(app: Any, scope: dict[str, Any], receive: Any) -> tuple[int, Any]:
    replies: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        replies.append(message)

    await app(scope, receive, send)
    return replies[0]["status"], json.loads(b"".join(m.get("body", b"") for m in replies[1:]) or b"null")


async def _race(app: Any, upload: httpx.URL, delete: tuple[str, str]) -> tuple[int, Any, int]:
    body = b"x" * 5000
    sent = 0
    deleted: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        sent += 1
        if sent == 1:
            return {"type": "http.request", "body": body[:1000], "more_body": True}
        # Another request, served while this one waits for the rest of its body.
        status, _ = await asyncio.create_task(_call(app, _scope(delete[0], httpx.URL(delete[1]),
                                                                [(b"x-api-key", KEY.encode())]), _no_body))
        deleted.append(status)
        return {"type": "http.request", "body": body[1000:], "more_body": False}

    status, reply = await _call(app, _scope("PUT", upload, [(b"content-length", str(len(body)).encode())]), receive)
    return status, reply, deleted[0]


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


@pytest.mark.parametrize("what", ["document", "knowledge base", "organization"])
def test_an_upload_racing_a_delete_stores_nothing(tmp_path: Path, what: str) -> None:
    app = create_app(Settings(data_dir=str(tmp_path)))
    with asgi_client(app) as client:
        kb = client.post("/v3/knowledge-bases", headers=H, json={"name": "kb", "description": "d"}).json()
        made = client.post(f"/v3/knowledge-bases/{kb['id']}/documents", headers=H,
                           json={"name": "a.txt", "description": "d", "mimeType": "text/plain"}).json()
        doc = made["document"]["id"]
        delete = {"document": ("DELETE", f"/v3/knowledge-bases/{kb['id']}/documents/{doc}"),
                  "knowledge base": ("DELETE", f"/v3/knowledge-bases/{kb['id']}"),
                  "organization": ("DELETE", f"/_mock/organizations?key={KEY}")}[what]
        status, reply, deleted = asyncio.run(_race(app, httpx.URL(made["uploadUrl"]), delete))
        assert deleted == 200
        assert status == 409, reply
        assert reply["statusCode"] == 409 and "deleted during its upload" in reply["message"]
        after = memory(app)
        orgs = after["state"]["organizations"]
        if what == "organization":
            assert orgs == []
        else:
            assert orgs[0]["collections"]["documents"] == []
            kbs = orgs[0]["collections"]["knowledge_bases"]
            assert len(kbs) == (0 if what == "knowledge base" else 1)
    app.state.persistence.close()
    again = create_app(Settings(data_dir=str(tmp_path)))
    assert memory(again) == after  # nothing of the upload reached the disk either
    again.state.persistence.close()
