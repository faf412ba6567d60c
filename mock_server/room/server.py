"""The room server's socket and its start beside uvicorn, on uvicorn's own event loop (no thread)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from .registry import Rooms
from .signalling import Signalling


def bind(host: str, port: int) -> tuple[socket.socket, str]:
    """The room's listening socket and its ws:// URL (the URL conversations are given)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(256)
    sock.setblocking(False)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if family == socket.AF_INET6 else bound_host
    return sock, f"ws://{shown}:{bound_port}"


class RoomServer:
    """Bound at construction (its URL is known before the loop runs), served once ``start`` runs."""

    def __init__(self, rooms: Rooms, host: str, port: int) -> None:
        self.rooms = rooms
        self.sock, self.url = bind(host, port)
        self.signalling = Signalling(rooms)

    async def start(self) -> None:
        self.rooms.serving(self.url, asyncio.get_running_loop())
        await self.signalling.start(self.sock)

    async def stop(self) -> None:
        await self.signalling.stop()
        self.sock.close()


def attach(app: Any, host: str, port: int) -> RoomServer:
    """Serve ``app``'s rooms on ``host:port``: conversations started from now on point there."""
    server = RoomServer(app.state.rooms, host, port)
    app.state.runtime.room_url = server.url
    app.state.rooms.persist = app.state.persistence
    return server
