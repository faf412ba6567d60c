"""Keep-alive connections to the mock must have Nagle's algorithm off (TCP_NODELAY).

Uvicorn writes a reply's headers and body separately; with Nagle on, every request on a reused
connection waited ~40 ms for a delayed ACK. asyncio sets TCP_NODELAY on accepted connections only
when the listening socket was created with proto IPPROTO_TCP (``server.listening_socket``, which
the CLI uses too). Checked on the server's own accepted socket, not by timing, so load cannot flake it.
"""

from __future__ import annotations

import socket

import httpx

from mock_server.server import MockServer


def test_accepted_connections_have_nagle_off() -> None:
    with MockServer() as mock, httpx.Client(base_url=mock.url) as client:
        assert client.get("/v3/health").status_code == 200  # the connection stays open (keep-alive)
        connections = list(mock._server.server_state.connections)
        assert connections, "the server holds no open connection"
        for protocol in connections:
            sock = protocol.transport.get_extra_info("socket")
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
