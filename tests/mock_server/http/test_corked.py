"""A reply's head and body leave in one write, the server's own protocol included; a head alone still
leaves within the loop turn."""

from __future__ import annotations

import asyncio
import socket

import httpx

from mock_server.http.corked import CorkedTransport
from mock_server.server import MockServer


class Recording:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"extra {name}"


def test_a_head_and_its_body_are_one_write() -> None:
    async def run() -> list[bytes]:
        wire = Recording()
        corked = CorkedTransport(wire, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"HTTP/1.1 200 OK\r\n\r\n")
        assert wire.writes == []  # held for the body
        corked.write(b"{}")
        await asyncio.sleep(0)  # the turn's flush finds nothing left
        return wire.writes

    assert asyncio.run(run()) == [b"HTTP/1.1 200 OK\r\n\r\n{}"]


def test_a_head_alone_leaves_at_the_end_of_the_loop_turn() -> None:
    async def run() -> list[bytes]:
        wire = Recording()
        corked = CorkedTransport(wire, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")  # a stream's head, no body yet
        await asyncio.sleep(0)
        return wire.writes

    assert asyncio.run(run()) == [b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"]


def test_close_sends_what_is_held_first_and_the_rest_is_the_connections() -> None:
    async def run() -> Recording:
        wire = Recording()
        corked = CorkedTransport(wire, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"head")
        assert corked.get_extra_info("peername") == "extra peername"
        corked.close()
        return wire

    wire = asyncio.run(run())
    assert wire.writes == [b"head"] and wire.closed


def test_over_a_socket_every_reply_arrives_whole_on_a_kept_connection() -> None:
    """Raw HTTP/1.1 on one connection: each reply's head and body, back to back, three times (a
    misplaced flush would leave a reply without its body, or a body ahead of its head)."""
    with MockServer() as mock:
        host, port = mock.url.removeprefix("http://").split(":")
        expected = httpx.get(f"{mock.url}/v3/health").content
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            for _ in range(3):
                conn.sendall(b"GET /v3/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
                data = b""
                while not data.endswith(expected):
                    chunk = conn.recv(65536)
                    assert chunk, data
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 200 OK") and body == expected


class FakeConnection(Recording):
    """What uvicorn's protocol asks of a connection's transport."""

    def get_extra_info(self, name: str, default: object = None) -> object:  # type: ignore[override]
        return ("127.0.0.1", 50000) if name in ("peername", "sockname") else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def test_the_servers_protocol_writes_each_reply_once() -> None:
    """``equos-mock serve``'s protocol (``uvicorn_config``): two requests on one connection, two writes,
    each a whole reply, head and body."""
    from uvicorn.server import ServerState

    from mock_server import create_app
    from mock_server.server import uvicorn_config

    async def run() -> list[bytes]:
        config = uvicorn_config(create_app())
        config.load()
        wire = FakeConnection()
        protocol = config.http_protocol_class(config=config, server_state=ServerState(), app_state={},
                                              _loop=asyncio.get_running_loop())
        protocol.connection_made(wire)
        for _ in range(2):
            protocol.data_received(b"GET /v3/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            for _ in range(50):  # the request's task, then the turn's flush
                await asyncio.sleep(0)
                if protocol.cycle.response_complete:
                    break
        protocol.connection_lost(None)
        return wire.writes

    writes = asyncio.run(run())
    assert len(writes) == 2, writes
    for reply in writes:
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK") and b'"status":"ok"' in body
