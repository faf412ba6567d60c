"""The request pipeline: host and browser guards, CORS, journal, inert user content, credentials guard
and faults in one pass.

Each was its own middleware once, and each read the scope again and wrapped ``send`` again: together
they cost more than routing and the operation of a get. Here the headers are read once, ``send`` is
wrapped once (and not at all for the control plane), and each concern is a call into its own module,
in the order the middlewares had, outermost first:

1. host guard (``host_guard.py``): ``/_mock/`` and ``/docs/`` answer loopback or allowed hosts (403);
2. browser guard (``browser_guard.py``, with the control plane on): a browser reaches ``/_mock/`` only
   through the inspector page (403);
3. CORS (``cors.py``): a preflight is answered here, unjournaled; other replies get the CORS headers;
4. journal (``journal.py``): every non-control exchange is recorded, the replies below included, with
   near-miss hints on a 404 that hit no route;
5. inert user content (``user_content.py``): every reply under the user-content paths, faulted ones too;
6. credentials guard (``credentials.py``): a repeated credential header is a 400, never faulted;
7. faults (``faults.py``): a matching rule delays, drops or answers instead of the app.

Then the route the request matches is called directly (``IndexedRouter.direct``): Starlette's
exception layer and router below have nothing to do for it, and answer only a path no route matches.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import credentials, errors
from ..journal import CONTROL_PREFIX
from ..runtime import Runtime
from . import cors, faults, user_content
from .browser_guard import BrowserGuard
from .dispatch import IndexedRouter
from .host_guard import GUARDED_PREFIXES, HostGuard
from .journal import JournalRecorder

ORIGIN = b"origin"
PREFLIGHT = b"access-control-request-method"
READ = frozenset((*credentials.SINGLE_HEADERS, ORIGIN, PREFLIGHT))  # the headers the pipeline reads


class RequestPipeline:
    def __init__(self, app: ASGIApp, runtime: Runtime, allowed_hosts: Iterable[str],
                 routes: Iterable[tuple[str, str]], router: IndexedRouter,
                 browser_guard: BrowserGuard | None = None):
        self.app = app
        self.router = router  # the app's: a request's route is called without Starlette's layers between
        self.runtime = runtime
        self.guards: list[tuple[HostGuard | BrowserGuard, str | tuple[str, ...]]] = [
            (HostGuard(allowed_hosts), GUARDED_PREFIXES)]
        if browser_guard is not None:  # None: no control plane
            self.guards.append((browser_guard, CONTROL_PREFIX))
        self.recorder = JournalRecorder(runtime, routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        for guard, prefixes in self.guards:  # 403, and why, for a path a guard keeps and this request may not reach
            if path.startswith(prefixes) and (reason := guard.refusal(scope)) is not None:
                await errors.ApiError(403, reason).response()(scope, receive, send)
                return
        values: dict[bytes, list[bytes]] = {}
        for name, value in scope["headers"]:
            if name not in READ:  # servers send names in lower case (ASGI); an in-process caller may not
                name = name.lower()
                if name not in READ:
                    continue
            found_values = values.get(name)
            if found_values is None:
                values[name] = [value]
            else:
                found_values.append(value)
        found = credentials.keep(scope, values)
        with_cors = cors.applies(self.runtime.assumptions["cors"], path, ORIGIN in values)
        if with_cors and scope["method"] == "OPTIONS" and PREFLIGHT in values:
            await cors.preflight()(scope, receive, send)
            return
        if path.startswith(CONTROL_PREFIX):  # not journaled, never faulted, never CORS
            refusal = credentials.refusal(found)
            if refusal is not None:
                await refusal.response()(scope, receive, send)
            else:
                await self._below(scope, receive, send)
            return
        await self._journaled(scope, receive, send, found, with_cors)

    async def _below(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.router.direct(scope, receive, send, self.app)

    async def _journaled(self, scope: Scope, receive: Receive, send: Send, found: credentials.Credentials,
                         with_cors: bool) -> None:
        started = time.perf_counter()
        limit = self.runtime.journal.body_limit
        request_kept: list[bytes] = []
        response_kept: list[bytes] = []
        # request bytes, response bytes, bytes kept of each; the reply's status; near-miss hints
        sizes = [0, 0, 0, 0]
        status: int | None = None
        hints: list[dict[str, Any]] | None = None

        async def receive_recorded() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                sizes[0] += len(chunk)
                if sizes[2] < limit and chunk:
                    request_kept.append(chunk[: limit - sizes[2]])
                    sizes[2] += len(request_kept[-1])
            return message

        async def send_recorded(message: Message) -> None:
            nonlocal status, hints
            if message["type"] == "http.response.start":
                if status is None:
                    status = message["status"]
                extra: list[tuple[bytes, bytes]] = []
                if message["status"] == 404 and hints is None:
                    hints = self.recorder.hints(scope)
                if hints:
                    extra.append(self.recorder.hint_header(hints))
                if with_cors:
                    extra += cors.REPLY_HEADERS
                if extra:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                sizes[1] += len(chunk)
                if sizes[3] < limit and chunk:
                    response_kept.append(chunk[: limit - sizes[3]])
                    sizes[3] += len(response_kept[-1])
            await send(message)

        error = None
        inner = user_content.inert(send_recorded) if user_content.applies(scope["path"]) else send_recorded
        try:
            refusal = credentials.refusal(found)
            if refusal is not None:
                await refusal.response()(scope, receive_recorded, inner)
            else:
                rule = faults.pick(self.runtime, scope)
                if rule is None or not await faults.inject(rule, scope, receive_recorded, inner):
                    await self._below(scope, receive_recorded, inner)
        except Exception as exc:
            error = type(exc).__name__  # the server error handler outside answers 500
            raise
        finally:
            self.recorder.record(scope, b"".join(request_kept), b"".join(response_kept), (sizes[0], sizes[1]),
                                 status, hints, (time.perf_counter() - started) * 1000, error)
