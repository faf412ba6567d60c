"""A synchronous httpx client that calls an app in process: no socket, no server thread of uvicorn.

httpx's own ``ASGITransport`` is async only; this runs it on an event loop in a daemon thread so
plain (sync) tests and the official SDK's sync calls can use it (a client never closed cannot keep
the interpreter from exiting). Needs httpx: the 'pytest' extra.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from . import extras

try:
    import httpx
except ModuleNotFoundError as missing:  # the same error, naming the extra that installs it
    if missing.name != "httpx":
        raise
    raise ModuleNotFoundError(extras.needs("mock_server.asgi_client", "pytest", "httpx"), name="httpx") from None


class SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app: Any, *, raise_app_exceptions: bool = False):
        # By default app exceptions become 500s, as a server would answer; only a dropped connection
        # raises. Tests of the mock itself raise them instead, to see the traceback.
        self._transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="equos-mock-asgi", daemon=True)
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def exchange() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            try:
                response = await self._transport.handle_async_request(inner)
            except AssertionError as exc:  # the app returned without finishing its response: a dropped connection
                raise httpx.RemoteProtocolError("the mock closed the connection without a complete response",
                                                request=request) from exc
            # Raw: the outer Response below decodes a Content-Encoding itself (decoding twice fails).
            body = b"".join([chunk async for chunk in response.aiter_raw()])
            return response.status_code, response.headers.raw, body

        status, headers, body = asyncio.run_coroutine_threadsafe(exchange(), self._loop).result()
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


# A loopback name: the control plane and docs answer only loopback or allowed hosts (host_guard).
BASE_URL = "http://localhost"


def asgi_client(app: Any, api_key: str | None = None, *, raise_app_exceptions: bool = False,
                **kwargs: Any) -> httpx.Client:
    """``with asgi_client(create_app(), "sk_test") as client: client.get("/v3/faces")``."""
    headers = {"x-api-key": api_key} if api_key else {}
    kwargs.setdefault("base_url", BASE_URL)
    return httpx.Client(transport=SyncASGITransport(app, raise_app_exceptions=raise_app_exceptions),
                        headers=headers, **kwargs)
