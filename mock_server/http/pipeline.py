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

The pipeline is the outermost layer (``PipelinedApp``). The route a request matches is called
directly (``IndexedRouter.respond``) and the pipeline sends its reply itself, recording status and body
as it goes: Starlette's error and exception layers and router, inside, have nothing to do for it, and
answer only a path no route matches. A crash is still a 500 in the API's envelope (``_server_error``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import credentials, errors
from ..journal import CONTROL_PREFIX
from ..runtime import Runtime
from . import cors, faults, user_content
from .browser_guard import BrowserGuard
from .dispatch import EXCEPTION_HANDLERS, Dispatcher, IndexedRouter
from .host_guard import GUARDED_PREFIXES, HostGuard
from .journal import JournalRecorder

ORIGIN = b"origin"
PREFLIGHT = b"access-control-request-method"
READ = frozenset((*credentials.SINGLE_HEADERS, ORIGIN, PREFLIGHT))  # the headers the pipeline reads


class PipelinedApp(Starlette):
    """Starlette with the request pipeline outermost: its requests skip Starlette's server-error layer,
    which still answers, inside it, whatever the pipeline hands to Starlette's stack. ``pipeline`` holds
    the pipeline's arguments (``RequestPipeline``), set before the first request."""

    pipeline: dict[str, Any]

    def build_middleware_stack(self) -> ASGIApp:
        return RequestPipeline(super().build_middleware_stack(), **self.pipeline)


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
        dispatcher = self.router.dispatcher(scope)
        if path.startswith(CONTROL_PREFIX):  # not journaled, never faulted, never CORS
            refusal = credentials.refusal(found)
            if refusal is not None:
                await refusal.response()(scope, receive, send)
            elif dispatcher is not None:
                try:
                    response = await self.router.respond(scope, receive, dispatcher)
                except Exception as exc:
                    await _server_error(scope, receive, send, exc)
                    raise
                await response(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        await self._journaled(scope, receive, send, found, with_cors, dispatcher)

    async def _journaled(self, scope: Scope, receive: Receive, send: Send, found: credentials.Credentials,
                         with_cors: bool, dispatcher: Dispatcher | None) -> None:
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
        inert = user_content.applies(scope["path"])
        inner = user_content.inert(send_recorded) if inert else send_recorded
        try:
            refusal = credentials.refusal(found)
            response: Response | None = None
            if refusal is not None:
                response = refusal.response()
            else:
                rule = faults.pick(self.runtime, scope)
                if rule is None or not await faults.inject(rule, scope, receive_recorded, inner):
                    if dispatcher is None:
                        await self.app(scope, receive_recorded, inner)
                    else:
                        response = await self.router.respond(scope, receive_recorded, dispatcher)
            if response is not None:
                if inert or response.background is not None or type(response).__call__ is not Response.__call__:
                    await response(scope, receive_recorded, inner)
                else:  # sent as ``Response.__call__`` sends it, without send_recorded (5 % of a get's instructions)
                    status, body = response.status_code, response.body
                    headers = [*response.raw_headers, *cors.REPLY_HEADERS] if with_cors else response.raw_headers
                    await send({"type": "http.response.start", "status": status, "headers": headers})
                    sizes[1] = len(body)  # one body: what send_recorded would keep of it
                    if body and limit:
                        response_kept.append(body[:limit])
                    await send({"type": "http.response.body", "body": body})
        except Exception as exc:
            error = type(exc).__name__
            if status is None:  # nothing sent yet
                await _server_error(scope, receive, send, exc)
            raise
        finally:
            self.recorder.record(scope, b"".join(request_kept), b"".join(response_kept), (sizes[0], sizes[1]),
                                 status, hints, (time.perf_counter() - started) * 1000, error)


async def _server_error(scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
    """The 500 Starlette's server-error layer would send (the pipeline is outside it); the exception is
    raised on, for the server to log."""
    await (await EXCEPTION_HANDLERS[Exception](Request(scope), exc))(scope, receive, send)
