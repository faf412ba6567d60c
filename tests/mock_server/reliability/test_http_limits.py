"""Issue 12, item 9: headers had no size cap (an 8 MB header was answered 200) and connections no read
timeout (200 slow clients were held open indefinitely). With uvicorn's httptools parser, as served."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from mock_server.server import MockServer

HEAD = b"GET /v3/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def _connect(mock: MockServer) -> socket.socket:
    host, port = mock.url.removeprefix("http://").split(":")
    assert host == "127.0.0.1"
    return socket.create_connection((host, int(port)), timeout=20)


def _exchange(mock: MockServer, request: bytes) -> bytes:
    """Send (the server may close before it has all), then read until the server closes."""
    with _connect(mock) as sock:
        def send() -> None:
            try:
                sock.sendall(request)
            except OSError:
                pass  # refused mid-send: what we read tells the rest

        sender = threading.Thread(target=send)
        sender.start()
        reply = b""
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except OSError:
            pass
        sender.join(timeout=20)
        return reply


def _status(reply: bytes) -> int | None:
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else None


@pytest.fixture(scope="module")
def mock() -> MockServer:
    with MockServer() as server:
        yield server


@pytest.mark.parametrize("size", [8 * 1024 * 1024, 70 * 1024])
def test_an_oversized_header_is_431_not_200(mock: MockServer, size: int) -> None:
    reply = _exchange(mock, HEAD + b"x-big: " + b"a" * size + b"\r\nConnection: close\r\n\r\n")
    assert _status(reply) in (431, None), reply[:200]  # 431, or closed before a reply could be read
    if reply:
        assert b'"statusCode":431' in reply
    assert httpx.get(mock.url + "/v3/health").status_code == 200


def test_many_small_headers_add_up_to_the_cap(mock: MockServer) -> None:
    headers = b"".join(b"x-h%05d: %s\r\n" % (n, b"v" * 30) for n in range(2500))  # ~110 KB
    reply = _exchange(mock, HEAD + headers + b"Connection: close\r\n\r\n")
    assert _status(reply) in (431, None), reply[:200]


def test_headers_under_the_cap_still_work(mock: MockServer) -> None:
    reply = _exchange(mock, HEAD + b"x-big: " + b"a" * 60_000 + b"\r\nConnection: close\r\n\r\n")
    assert _status(reply) == 200, reply[:200]


def test_the_cap_is_configurable() -> None:
    with MockServer(max_header_bytes=2048) as small:
        assert _status(_exchange(small, HEAD + b"x-a: " + b"a" * 3000 + b"\r\nConnection: close\r\n\r\n")) == 431
        assert _status(_exchange(small, HEAD + b"x-a: " + b"a" * 1000 + b"\r\nConnection: close\r\n\r\n")) == 200


@pytest.mark.slow  # waits for real read timeouts (about 3 s)
def test_half_sent_requests_and_idle_connections_are_closed_after_the_timeout() -> None:
    with MockServer(read_timeout_seconds=0.5) as mock:
        slow = []
        for n in range(30):
            sock = _connect(mock)
            if n % 3 == 0:
                sock.sendall(HEAD)  # half a head, never finished
            elif n % 3 == 1:  # a stalled body
                sock.sendall(b"POST /v3/brains HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: k\r\n"
                             b"content-type: application/json\r\nContent-Length: 1000\r\n\r\n{\"instr")
            slow.append(sock)  # and every third sends nothing at all
        started = time.monotonic()
        for sock in slow:
            with sock:
                reply = sock.recv(65536)  # b"" once the server closes
                assert reply == b"" or _status(reply) == 400, reply[:200]
        assert time.monotonic() - started < 10
        deadline = time.monotonic() + 5
        while mock._server.server_state.connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not mock._server.server_state.connections
        # A slow app is not a slow client: a 1.5 s fault delay is answered in full.
        mock.control.add_fault(path="/v3/faces", delay_ms=1500)
        assert httpx.get(mock.url + "/v3/faces", headers={"x-api-key": "k"}, timeout=10).status_code == 200
        # A body that keeps coming, each part within the timeout, is read whole.
        with _connect(mock) as sock:
            body = b'{"instructions": "Be brief.", "greetingMessage": "Hi"}'
            sock.sendall(b"POST /v3/brains HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: k\r\nConnection: close\r\n"
                         b"content-type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
            for part in (body[:20], body[20:40], body[40:]):
                time.sleep(0.3)
                sock.sendall(part)
            assert _status(sock.recv(65536)) == 201


def test_limit_flags_and_variables() -> None:
    from mock_server.cli import build_parser, settings_from

    default = settings_from(build_parser({}).parse_args(["serve"]))
    assert (default.max_header_bytes, default.read_timeout_seconds) == (65536, 30.0)
    flags = settings_from(build_parser({}).parse_args(["serve", "--max-header-bytes", "4096", "--read-timeout", "2"]))
    assert (flags.max_header_bytes, flags.read_timeout_seconds) == (4096, 2.0)
    env = settings_from(build_parser({"EQUOS_MOCK_MAX_HEADER_BYTES": "8192", "EQUOS_MOCK_READ_TIMEOUT": "1.5"})
                        .parse_args(["serve"]))
    assert (env.max_header_bytes, env.read_timeout_seconds) == (8192, 1.5)
    for bad in (["--max-header-bytes", "0"], ["--read-timeout", "-1"], ["--read-timeout", "nan"]):
        with pytest.raises(SystemExit):
            build_parser({}).parse_args(["serve", *bad])
