"""Issue 12, item 8: DNS rebinding reached the control plane. /_mock/ and /docs/ now answer only a Host
that is loopback, the bound host or named with --allowed-host; an Origin must be such a host too."""

from __future__ import annotations

import socket

import httpx
import pytest

from mock_server.cli import build_parser, settings_from
from mock_server.http.host_guard import split_host
from mock_server.server import MockServer

from .conftest import assert_envelope, client_for, page_token

KEY = {"x-api-key": "sk_rebind"}


def _raw(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
        return reply


def test_a_rebound_page_cannot_read_or_fault_the_mock() -> None:
    """The reproduction, at the socket: Host evil.example (no Origin) read /_mock/state with raw keys;
    Host and Origin both evil.example added a fault that made every API call a 503."""
    with MockServer() as mock:
        port = mock.url.rsplit(":", 1)[1]
        assert httpx.post(mock.url + "/v3/brains", headers=KEY,
                          json={"instructions": "x", "greetingMessage": "hi"}).status_code == 201
        read = _raw(mock.url, f"GET /_mock/state HTTP/1.1\r\nHost: evil.example:{port}\r\n"
                              "Connection: close\r\n\r\n".encode())
        assert read.startswith(b"HTTP/1.1 403 ") and b"--allowed-host" in read and b"sk_rebind" not in read
        body = b'{"status": 503}'
        fault = _raw(mock.url, f"POST /_mock/faults HTTP/1.1\r\nHost: evil.example:{port}\r\n"
                               f"Origin: http://evil.example:{port}\r\nContent-Type: application/json\r\n"
                               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        assert fault.startswith(b"HTTP/1.1 403 ")
        assert mock.runtime.faults.empty
        assert httpx.get(mock.url + "/v3/brains", headers=KEY).status_code == 200
        # Through a loopback name it works as before.
        assert httpx.get(f"http://localhost:{port}/_mock/faults").json() == []


@pytest.mark.parametrize("path", ["/_mock/reset", "/_mock/seed", "/_mock/state", "/_mock/clock/advance"])
def test_no_web_page_can_reset_or_reseed_without_a_control_token(path: str) -> None:
    """docs/reliability-and-security.md: "no web page can reset or reseed a mock", now without --control-token."""
    with client_for() as client:
        assert client.post("/v3/faces", headers=KEY, json={"identity": "tommy"}).status_code == 201
        for host, origin in (("evil.example:8787", None), ("evil.example:8787", "http://evil.example:8787"),
                             ("localhost", "http://evil.example"), ("localhost", "null"),
                             ("localhost", "http://localhost:1"), ("127.0.0.1.nip.io", None)):
            headers = {"host": host, **({"origin": origin} if origin else {})}
            reply = client.post(path, headers=headers, json={"name": "demo", "seconds": 60})
            body = assert_envelope(reply, 403)
            assert "--allowed-host" in body["message"]
            assert "access-control-allow-origin" not in reply.headers
        assert client.get("/v3/faces", headers=KEY).json()["total"] == 1


@pytest.mark.parametrize("host", ["localhost", "localhost:8787", "LOCALHOST.", "127.0.0.1:1", "127.9.8.7",
                                  "[::1]:8787", "[::1]"])
def test_loopback_hosts_reach_the_control_plane_and_docs(host: str) -> None:
    with client_for() as client:
        assert client.get("/_mock/clock", headers={"host": host}).status_code == 200
        assert client.get("/docs/v3", headers={"host": host}).status_code == 200
        assert client.get("/docs/v1-json", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("path", ["/docs/v3", "/docs/v3-json", "/docs/v1", "/docs/v1-json"])
def test_docs_refuse_foreign_hosts_but_the_api_keeps_its_cors(path: str) -> None:
    with client_for() as client:
        assert_envelope(client.get(path, headers={"host": "evil.example"}), 403)
        api = client.get("/v3/brains", headers={**KEY, "host": "evil.example", "origin": "https://evil.example"})
        assert api.status_code == 200 and api.headers["access-control-allow-origin"] == "*"
        # Through a loopback Host the public document stays readable by other pages (editors, viewers).
        docs = client.get(path, headers={"host": "localhost:8787", "origin": "https://editor.swagger.io"})
        assert docs.status_code == 200 and docs.headers["access-control-allow-origin"] == "*"


def test_allowed_hosts_and_the_bound_host() -> None:
    with client_for(allowed_hosts=("mock.ci.internal",)) as client:
        assert client.get("/_mock/clock", headers={"host": "mock.ci.internal:8787"}).status_code == 200
        page = {"host": "mock.ci.internal:8787", "origin": "http://mock.ci.internal:8787"}
        assert client.get("/_mock/clock", headers={**page, **page_token(client, host=page["host"])}).status_code == 200
        assert_envelope(client.get("/_mock/clock", headers=page), 403)  # same origin alone is not enough
        assert_envelope(client.get("/_mock/clock", headers={"host": "other.internal"}), 403)
    # The bound host is allowed by default (no traffic: the client is in process).
    with client_for(host="192.0.2.10") as client:
        assert client.get("/_mock/clock", headers={"host": "192.0.2.10:8787"}).status_code == 200
        assert_envelope(client.get("/_mock/clock", headers={"host": "192.0.2.11:8787"}), 403)


def test_same_origin_pages_of_the_mock_may_call_it() -> None:
    """With the inspector page's token (issue 19: same origin alone is not trusted, see test_browser_guard)."""
    with client_for() as client:
        for host, origin in (("localhost:8787", "http://localhost:8787"), ("127.0.0.1:8787", "http://localhost:8787"),
                             ("localhost", "http://localhost")):
            headers = {"host": host, "origin": origin}
            assert client.post("/_mock/reset", json={},
                               headers={**headers, **page_token(client, host=host)}).status_code == 200
            assert_envelope(client.post("/_mock/reset", json={}, headers=headers), 403)


def test_allowed_host_flag_and_variable() -> None:
    args = build_parser({}).parse_args(["serve", "--allowed-host", "a.test", "--allowed-host", "b.test:9"])
    assert settings_from(args).allowed_hosts == ("a.test", "b.test:9")
    env = build_parser({"EQUOS_MOCK_ALLOWED_HOSTS": "c.test, d.test"}).parse_args(["serve"])
    assert settings_from(env).allowed_hosts == ("c.test", "d.test")
    assert settings_from(build_parser({}).parse_args(["serve"])).allowed_hosts == ()


def test_split_host() -> None:
    assert split_host("LocalHost:80") == ("localhost", 80)
    assert split_host("[::1]:8787") == ("::1", 8787)
    assert split_host("[::1") is None and split_host(":80") is None and split_host("a:b") is None
