"""Issue 12, item 6: two x-api-key headers (A, then B) ran the request as A while the journal and the
fault rules saw B. A repeated credential header is now a 400 everywhere, and auth, journal and faults
read the key from one place (mock_server.credentials)."""

from __future__ import annotations

import socket

import httpx
import pytest

from mock_server.server import MockServer

from .conftest import assert_envelope, client_for

A, B = "sk_dup_a", "sk_dup_b"
ROUTES = [("GET", "/v3/brains"), ("POST", "/v3/brains"), ("GET", "/v1/agents"), ("GET", "/v3/health"),
          ("GET", "/_mock/clock"), ("POST", "/_mock/reset"), ("GET", "/_mock/journal"), ("GET", "/docs/v3-json")]
REPEATS = [[("x-api-key", A), ("x-api-key", B)],
           [("x-api-key", A), ("X-Api-Key", A)],  # the same value twice is still two headers
           [("authorization", "Bearer pk_a"), ("authorization", "Bearer pk_b")],
           [("x-mock-token", "t"), ("x-mock-token", "u")]]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("headers", REPEATS, ids=["two keys", "same key twice", "two bearers", "two tokens"])
def test_repeated_credentials_are_400_everywhere(method: str, path: str, headers: list[tuple[str, str]]) -> None:
    with client_for() as client:
        reply = client.request(method, path, headers=[*headers, ("content-type", "application/json")],
                               content=b'{"instructions": "x", "greetingMessage": "y"}' if method == "POST" else None)
        body = assert_envelope(reply, 400)
        assert body["error"] == "Bad Request"
        assert any("must be sent once" in m for m in body["message"]), body


def test_journal_and_faults_no_longer_see_the_second_key() -> None:
    with client_for() as client:
        assert client.post("/_mock/faults", json={"key": B, "path": "/v3/brains", "status": 503}).status_code == 201
        reply = client.post("/v3/brains", headers=[("x-api-key", A), ("x-api-key", B)],
                            json={"instructions": "secret of A", "greetingMessage": "hi"})
        assert_envelope(reply, 400)  # not B's 503, and not A's 201
        assert client.get("/_mock/faults").json()[0]["hits"] == 0
        entries = client.get("/_mock/journal").json()["entries"]
        assert len(entries) == 1 and entries[0]["status"] == 400 and entries[0]["key"] is None
        assert client.get("/_mock/journal", params={"key": B}).json()["entries"] == []
        assert client.get("/_mock/organizations", params={"key": A}).json() == []  # nothing ran as A
        # With one key, auth, journal and fault scope agree on it.
        single = client.post("/v3/brains", headers={"x-api-key": B},
                             json={"instructions": "x", "greetingMessage": "hi"})
        assert single.status_code == 503
        assert client.get("/_mock/journal", params={"key": B}).json()["entries"][0]["status"] == 503


def test_repeated_keys_through_uvicorn() -> None:
    """The same at the socket: uvicorn (httptools) hands both headers to the app."""
    with MockServer() as mock:
        host, port = mock.url.removeprefix("http://").split(":")
        request = (f"GET /v3/brains HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-api-key: {A}\r\nx-api-key: {B}\r\n"
                   "Connection: close\r\n\r\n").encode()
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(request)
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 400 "), reply[:200]
        assert httpx.get(mock.url + "/v3/brains", headers={"x-api-key": A}).status_code == 200
