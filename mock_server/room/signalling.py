"""The room's port: LiveKit's ``/rtc`` WebSocket, ``/rtc/validate``, and 404s that make clients fall back
from ``/rtc/v1`` (single peer connection, not served) to ``/rtc``. CORS as livekit-server sets it.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import logging
import socket
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from . import access
from .registry import Rooms

log = logging.getLogger("equos_mock.room")
NOT_FOUND = "404 page not found\n"  # Go's http.NotFound, as livekit-server answers unknown paths
VALIDATE_PATHS = ("/rtc/validate", "/rtc/v1/validate")
MAX_MESSAGE_BYTES = 1 << 20


def _reply(status: int, text: str, origin: str | None, path: str) -> Response:
    headers = Headers()
    headers["Content-Type"] = "text/plain; charset=utf-8"
    headers["X-Content-Type-Options"] = "nosniff"
    if path in VALIDATE_PATHS:
        headers["Access-Control-Allow-Origin"] = "*"  # livekit-server's auth middleware, on these two
    elif origin:
        headers["Access-Control-Allow-Origin"] = origin  # rs/cors with every origin allowed
        headers["Vary"] = "Origin"
    if origin:
        headers["Access-Control-Expose-Headers"] = "*"
    body = text.encode()
    headers["Content-Length"] = str(len(body))
    return Response(status, http.HTTPStatus(status).phrase, headers, body)


class Signalling:
    def __init__(self, rooms: Rooms) -> None:
        self.rooms = rooms
        self.server: Server | None = None

    def _grant(self, request: Request) -> tuple[access.Grant, Any, Any]:
        """The joining participant's grant, organization and conversation, or a Refusal."""
        query = parse_qs(urlsplit(request.path).query)
        token = access.token_from(request.headers.get("Authorization"), (query.get("access_token") or [None])[0])
        rt = self.rooms.rt

        def now_s(room: str) -> int:
            found = self.rooms.find(room)  # as the join finds it (after a --data-dir restart too)
            return rt.clock_for(found[0] if found is not None else None).now_ms() // 1000

        grant = access.check(token, rt.settings.livekit_api_key, rt.settings.livekit_api_secret, now_s)
        found = self.rooms.find(grant.room)
        if found is None:
            raise access.ROOM_NOT_FOUND
        return grant, found[0], found[1]

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        origin = request.headers.get("Origin")
        upgrade = "websocket" in request.headers.get("Upgrade", "").lower()
        try:
            if path in VALIDATE_PATHS[:1] or (path == "/rtc" and upgrade):
                grant, org, conversation = self._grant(request)
                if path == "/rtc/validate":
                    return _reply(200, "success", origin, path)
                connection.equos = (grant, org, conversation)  # type: ignore[attr-defined]
                return None  # upgrade
            if path == "/rtc":
                return _reply(404, "", origin, path)  # not a WebSocket request
            return _reply(404, NOT_FOUND, origin, path)  # /rtc/v1, /rtc/v1/validate, anything else
        except access.Refusal as refusal:
            self.rooms.refused += 1
            return _reply(refusal.status, refusal.text, origin, path)

    async def handler(self, connection: ServerConnection) -> None:
        from .session import Session  # noqa: PLC0415 - aiortc and PyAV load with the first join, not at start

        grant, org, conversation = connection.equos  # type: ignore[attr-defined]
        if self.rooms.find(grant.room) is None:  # ended between the check and now
            await connection.close(1008, "requested room does not exist")
            return
        room = self.rooms.room_for(org, conversation)

        async def send(data: bytes) -> None:
            await connection.send(data)

        async def close(code: int, reason: str) -> None:
            await connection.close(code, reason)

        session = Session(room, grant, room.new_sid("PA_"), send, close, room.role_of(grant.identity))
        why = "closed socket"
        try:
            await room.join(session)
            async for message in connection:
                if session.closed:
                    break
                if not await session.handle(message):
                    why = session.left_why or "malformed signal message"
                    break
        except ConnectionClosed:
            pass  # the client went without a leave: "closed socket"
        except Exception:  # a failure here ends this participant alone (and says so: it is a bug)
            if not session.closed:
                log.warning("room: session of %s failed", grant.identity, exc_info=True)
                why = "connection error"
        finally:
            if not session.closed:
                await room.leave(session, why)

    async def start(self, sock: socket.socket) -> None:
        self.server = await serve(
            self.handler, sock=sock, process_request=self.process_request, compression=None,
            max_size=MAX_MESSAGE_BYTES, open_timeout=10, ping_interval=20, ping_timeout=20, close_timeout=2,
            server_header=None, logger=logging.getLogger("equos_mock.room.websocket"))

    async def stop(self) -> None:
        for room in list(self.rooms.live.values()):
            with contextlib.suppress(Exception):
                await room.close("server shutdown")
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 5)
