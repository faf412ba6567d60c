"""Run the mock in a background thread on a free loopback port (tests, notebooks, the plugin)."""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
import time
from dataclasses import replace
from typing import Any

import uvicorn

from . import app as application  # looked up at start(): tests hand MockServer a wrapped create_app
from .collector import Collector
from .control_client import MockControl
from .http.faults import ClosingDroppedConnections
from .http.limits import limited_protocol
from .masking import mask_logs
from .settings import Settings


class BindError(OSError):
    """The server cannot listen where it was told to; the message names the address and why."""

    def __init__(self, host: str, port: int, cause: OSError):
        self.host, self.port, self.in_use = host, port, cause.errno == errno.EADDRINUSE
        why = "the port is already in use" if self.in_use else (cause.strerror or str(cause))
        shown = f"[{host}]" if ":" in host else host
        super().__init__(cause.errno, f"cannot listen on {shown}:{port}: {why}")

    def __str__(self) -> str:
        return str(self.strerror)


def listening_socket(host: str, port: int) -> tuple[socket.socket, str]:
    """A bound TCP socket for uvicorn, and the base URL it serves (``BindError`` if it cannot bind)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: only then does asyncio set TCP_NODELAY on accepted connections; without it
    # every keep-alive request stalls ~40 ms on Nagle's algorithm and delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:  # in use, a privileged port, an address this machine does not have
        sock.close()
        raise BindError(host, port, exc) from None
    # Listen now, not when uvicorn starts: a client that read the banner can connect at once (its
    # connection waits in the backlog until the server accepts it).
    sock.listen(2048)
    bound_host, bound_port = sock.getsockname()[:2]
    url = f"http://[{bound_host}]:{bound_port}" if family == socket.AF_INET6 else f"http://{bound_host}:{bound_port}"
    return sock, url


def uvicorn_config(app: Any, log_level: str = "warning", *, http: str = "httptools", loop: str = "asyncio",
                   settings: Settings | None = None) -> Any:
    """How every equos-mock server runs: one worker, no access log, no lifespan, the HTTP limits of
    ``settings`` (request head cap, read timeout: ``http/limits.py``), dropped connections closed
    without an error in the log (``http/faults.py``), and secrets masked in uvicorn's log lines at
    every level (``masking.mask_logs``).

    httptools parses HTTP about twice as fast as h11 (benchmarks/RESULTS.md); the plain asyncio loop
    is kept even when uvloop is installed, because uvloop served some connections late under load
    (p99 several times higher at 32 connections). ``benchmarks/http_stack.py`` measures all three.
    """
    limits = settings or Settings()
    protocol: Any = (limited_protocol(limits.max_header_bytes, limits.read_timeout_seconds)
                     if http == "httptools" else http)
    config = uvicorn.Config(ClosingDroppedConnections(app), http=protocol, loop=loop, log_level=log_level,
                            access_log=False, lifespan="off", h11_max_incomplete_event_size=limits.max_header_bytes)
    mask_logs()  # after Config, which sets logging up: trace prints every query string (?key=, signature=)
    return config


class _Serving(uvicorn.Server):
    """uvicorn's server, with the room's signalling started and stopped on the same loop."""

    def __init__(self, config: Any, room: Any = None, collector: Collector | None = None) -> None:
        super().__init__(config)
        self.room = room
        self.collector = collector  # ``equos-mock serve``'s only (collector.py)
        self._collecting: asyncio.Task[None] | None = None

    async def startup(self, sockets: Any = None) -> None:
        if self.room is not None:
            await self.room.start()
        if self.collector is not None:
            self._collecting = asyncio.get_running_loop().create_task(self.collector.run())
        await super().startup(sockets=sockets)

    async def shutdown(self, sockets: Any = None) -> None:
        await super().shutdown(sockets=sockets)
        if self._collecting is not None:
            self._collecting.cancel()
        if self.room is not None:
            await self.room.stop()


def server_for(app: Any, settings: Settings, log_level: str = "warning", collector: Collector | None = None) -> Any:
    """The uvicorn server of ``app``; with ``settings.room``, the room beside it (its URL on the runtime);
    with ``collector``, its ticks on the server's loop."""
    room = None
    if settings.room:
        from .room.server import attach  # noqa: PLC0415 - the room stack loads only when a room is served

        port = settings.room_port if settings.room_port is not None else (settings.port + 1 if settings.port else 0)
        try:
            room = attach(app, settings.host, port)
        except OSError as exc:
            if settings.room_port is not None or exc.errno != errno.EADDRINUSE:
                raise BindError(settings.host, port, exc) from None
            room = attach(app, settings.host, 0)  # the default's port is taken: any free one (the banner says)
    return _Serving(uvicorn_config(app, log_level, settings=settings), room, collector)


class MockServer:
    """``with MockServer() as mock: EquosClient(key, EquosOptions(endpoint=mock.url))``."""

    def __init__(self, settings: Settings | None = None, **overrides: Any):
        base = settings or Settings(port=0)
        self.settings = replace(base, **overrides) if overrides else base
        self._thread: threading.Thread | None = None
        self._server: Any = None
        self.app: Any = None
        self.url = ""

    @property
    def runtime(self) -> Any:
        return self.app.state.runtime

    @property
    def room_url(self) -> str | None:
        """The embedded room's ``ws://`` URL (conversations' serverUrl), None when the room is off."""
        return self.runtime.room_url if self.app is not None else None

    @property
    def control(self) -> Any:
        return MockControl(self.url, token=self.settings.control_token)

    def start(self, timeout: float = 10.0) -> MockServer:
        self.app = application.create_app(self.settings)
        sock, self.url = listening_socket(self.settings.host, self.settings.port)
        try:
            self._server = server_for(self.app, self.settings)
        except BindError:
            sock.close()
            raise
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="equos-mock", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("equos-mock did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.app is not None and self.app.state.persistence is not None:
            self.app.state.persistence.close()  # releases the data directory for the next server
        self._thread = self._server = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
