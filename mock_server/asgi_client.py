"""A synchronous httpx client that calls an app in process: no socket, no server thread of uvicorn.

httpx's own ``ASGITransport`` is async only; this runs it on an anyio portal so plain (sync)
tests and the official SDK's sync calls can use it. Needs httpx (a test extra).
"""

from __future__ import annotations

from typing import Any

import httpx
from anyio.from_thread import start_blocking_portal


class SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app: Any):
        # App exceptions become 500s, as a server would answer; only a dropped connection raises.
        self._transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self._portal_cm = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        content = request.read()

        async def exchange() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            inner = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            try:
                response = await self._transport.handle_async_request(inner)
            except AssertionError as exc:  # the app returned without finishing its response: a dropped connection
                raise httpx.RemoteProtocolError("the mock closed the connection without a complete response",
                                                request=request) from exc
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        status, headers, body = self._portal.call(exchange)
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        self._portal_cm.__exit__(None, None, None)


def asgi_client(app: Any, api_key: str | None = None, **kwargs: Any) -> httpx.Client:
    """``with asgi_client(create_app(), "sk_test") as client: client.get("/v3/faces")``."""
    headers = {"x-api-key": api_key} if api_key else {}
    return httpx.Client(transport=SyncASGITransport(app), base_url="http://equos-mock.asgi",
                        headers=headers, **kwargs)
