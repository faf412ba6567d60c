"""The fault middleware: delays, drops or replaces a reply when a fault rule (``faults.py``) matches."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from ..auth import caller
from ..faults import Faults
from ..journal import CONTROL_PREFIX, FAULT_SCOPE_KEY
from ..runtime import Runtime


class FaultMiddleware:
    def __init__(self, app: ASGIApp, runtime: Runtime):
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        faults: Faults = self.runtime.faults
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX) or faults.empty:
            await self.app(scope, receive, send)
            return
        key, org = caller(self.runtime, scope)
        rule = faults.pick(scope["method"], scope["path"], key, org.id if org is not None else None)
        if rule is None:
            await self.app(scope, receive, send)
            return
        scope[FAULT_SCOPE_KEY] = {"id": rule.id, "dropped": rule.drop}
        if rule.delay_ms:
            await anyio.sleep(rule.delay_ms / 1000)  # real latency, on purpose: it is what clients time out on
        if rule.drop:
            # Promise a body, then return without it: the server closes the connection mid-response and
            # the client sees a transport error (httpx.RemoteProtocolError), as with a reset connection.
            await send({"type": "http.response.start", "status": 502,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")]})
            return
        if rule.status is None and rule.retry_after is None:
            await self.app(scope, receive, send)  # a pure delay
            return
        await rule.response()(scope, receive, send)
