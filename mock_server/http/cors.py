"""CORS for the API (never the control plane), per the ``cors`` assumption."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..runtime import Runtime

CORS_HEADERS = "x-api-key, authorization, content-type, x-mock-token"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


class Cors:
    """CORS per the ``cors`` assumption, read per request so it can be switched at run time.

    Any origin may call, never with credentials: the API authenticates by header, not cookie.
    """

    def __init__(self, app: ASGIApp, runtime: Runtime):
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Never for the control plane: no web page may call it (host_guard also refuses foreign Origins).
        if (scope["type"] != "http" or self.runtime.assumptions["cors"] != "open"
                or scope["path"].startswith("/_mock/")):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"origin" not in headers:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            preflight = Response(status_code=204, headers={
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": CORS_METHODS,
                "Access-Control-Allow-Headers": CORS_HEADERS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            })
            await preflight(scope, receive, send)
            return

        async def send_with_cors(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"access-control-allow-origin", b"*"), (b"vary", b"Origin")]
            await send(message)

        await self.app(scope, receive, send_with_cors)
