"""Every reply under the user-content paths (``api/media.USER_CONTENT_PREFIXES``) is inert, whoever made it.

``api/media.user_bytes`` is how a route serves stored bytes; this middleware holds every reply under
those paths to the same rule (the API's JSON envelope keeps its type), so a route added later that
builds its own reply still cannot serve a user's SVG or HTML as a document of the mock's origin.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from ..api.media import INERT_HEADERS, USER_CONTENT_PREFIXES, inert_headers

_JSON = "application/json"  # the mock's own replies there: the error envelope, an upload's record
_REPLACED = {b"content-type", b"content-disposition", *(name.lower().encode() for name in INERT_HEADERS)}


class InertUserContent:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(USER_CONTENT_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_inert(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                declared = next((v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), "")
                if declared.split(";")[0].strip().lower() == _JSON:
                    wanted = {**INERT_HEADERS, "Content-Type": declared}
                else:
                    wanted = inert_headers(declared)
                message["headers"] = [*((k, v) for k, v in headers if k.lower() not in _REPLACED),
                                      *((k.lower().encode(), v.encode("latin-1")) for k, v in wanted.items())]
            await send(message)

        await self.app(scope, receive, send_inert)
