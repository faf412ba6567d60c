"""Faults on the wire: delays, drops or replaces a reply when a fault rule (``faults.py``) matches (the
request pipeline, ``http/pipeline.py``, asks), and closes a dropped connection."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from ..auth import caller
from ..faults import FaultRule, Faults
from ..journal import CONTROL_PREFIX, FAULT_SCOPE_KEY
from ..runtime import Runtime

# A scope extension of our uvicorn protocol (http/limits.py): closes the request's connection. Without
# it (another server, in process) returning mid-response closes it as well, but uvicorn then logs
# "ASGI callable returned without completing response" at error level into the user's output.
CLOSE_CONNECTION = "equos_mock.close_connection"


class ClosingDroppedConnections:
    """The outermost layer of an app under our uvicorn protocol (server.py). Once every middleware is
    done with a dropped request (the journal has recorded it: a client that saw the drop finds it
    there), it closes the connection and returns when the server has seen it closed; a disconnect is
    never an error to log. Without the extension it leaves the closing to the server, as before."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        fault = scope.get(FAULT_SCOPE_KEY) if scope["type"] == "http" else None
        close = scope.get("extensions", {}).get(CLOSE_CONNECTION)
        if not (fault and fault["dropped"] and close):
            return
        close["close"]()
        while (await receive())["type"] != "http.disconnect":
            pass  # the rest of a request body, already received


def pick(runtime: Runtime, scope: Scope) -> FaultRule | None:
    """The fault rule that fires for this API request (counting its hit), or None; never for /_mock/."""
    faults: Faults = runtime.faults
    if faults.empty or scope["path"].startswith(CONTROL_PREFIX):
        return None
    key, org = caller(runtime, scope)
    rule = faults.pick(scope["method"], scope["path"], key, org.id if org is not None else None)
    if rule is not None:
        scope[FAULT_SCOPE_KEY] = {"id": rule.id, "dropped": rule.drop}
    return rule


async def inject(rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> bool:
    """Apply ``rule``: wait its delay, then drop the connection or answer for the app. False when the
    request goes on to the app (a pure delay)."""
    if rule.delay_ms:
        await anyio.sleep(rule.delay_ms / 1000)  # real latency, on purpose: it is what clients time out on
    if rule.drop:
        # Promise a body, then end without it: the connection is closed mid-response (by
        # ClosingDroppedConnections, or the server) and the client sees a transport error
        # (httpx.RemoteProtocolError), as with a reset connection.
        await send({"type": "http.response.start", "status": 502,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"64")]})
        return True
    if rule.status is None and rule.retry_after is None:
        return False
    await rule.response()(scope, receive, send)
    return True
