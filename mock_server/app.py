"""create_app(): the Starlette app and its route table."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import errors, openapi, seed
from .api import control, knowledge_bases, legacy, organizations
from .api.common import catalog_operations
from .api.operation import JSON_TYPE, Operation, endpoint
from .catalog import DEFAULT
from .clock import Clock
from .credentials import CredentialGuard
from .domain.knowledge import UPLOAD_PATH
from .faults import FaultMiddleware
from .host_guard import HostGuard
from .journal import JournalMiddleware
from .resource import Catalog
from .runtime import Runtime
from .settings import Settings
from .store import MemoryStore
from .store.sqlite import PersistOnReply, open_data_dir


def v3_operations(resources: Catalog) -> tuple[Operation, ...]:
    """The route table: every v3 operation, in the order the OpenAPI document lists them."""
    return (*organizations.OPERATIONS, *catalog_operations(resources))


# The default app's v3 operations (the declared resources' and health/usage).
V3_OPERATIONS: tuple[Operation, ...] = v3_operations(DEFAULT)

Endpoint = Callable[[Request], Awaitable[Response]]
CORS_HEADERS = "x-api-key, authorization, content-type, x-mock-token"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


class _Dispatcher:
    """One ASGI route per path, so a wrong method gets a 405 with ``Allow`` in the API's envelope."""

    def __init__(self, by_method: dict[str, Endpoint]):
        self.by_method = by_method
        self.allow = sorted({*by_method, *(["HEAD"] if "GET" in by_method else []), "OPTIONS"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        method = request.method
        handler = self.by_method.get("GET" if method == "HEAD" else method)
        if handler is not None:
            response = await handler(request)
        elif method == "OPTIONS":
            response = Response(status_code=204, headers={"Allow": ", ".join(self.allow)})
        else:
            response = errors.method_not_allowed(method, request.url.path, self.allow).response()
        await response(scope, receive, send)


def _routes(table: Iterable[tuple[str, str, Endpoint]]) -> list[Route]:
    grouped: dict[str, dict[str, Endpoint]] = {}
    for method, path, handler in table:
        grouped.setdefault(path, {})[method] = handler
    return [Route(path, _Dispatcher(methods)) for path, methods in grouped.items()]


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


async def _not_found(request: Request, exc: Exception) -> Response:
    return errors.route_not_found(request.method, request.url.path).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    # Never expected; still answered in the envelope rather than as a bare 500 page.
    return errors.ApiError(500, f"Internal server error: {type(exc).__name__}").response()


def create_app(settings: Settings | None = None, clock: Clock | None = None, store: MemoryStore | None = None,
               *, resources: Catalog = DEFAULT) -> Starlette:
    """The app; ``resources`` are the declared resources it serves (``catalog.DEFAULT``, or more)."""
    settings = settings or Settings()
    runtime = Runtime(settings, clock=clock, store=store, resources=resources)
    operations = V3_OPERATIONS if resources is DEFAULT else v3_operations(resources)
    persistence = open_data_dir(runtime, settings.data_dir) if settings.data_dir else None
    if settings.seed_file and not (persistence is not None and persistence.loaded):
        try:
            seed.load(runtime, seed.read_seed(settings.seed_file))
        except BaseException:
            if persistence is not None:
                persistence.abandon()  # let a corrected start have the directory
            raise

    legacy_v3 = legacy.v3_aliases(settings)
    document = openapi.build((*operations, *legacy_v3))
    document_bytes = json.dumps(document).encode()

    async def openapi_json(request: Request) -> Response:
        return Response(document_bytes, media_type=JSON_TYPE)

    async def swagger(request: Request) -> Response:
        return HTMLResponse(openapi.SWAGGER_PAGE)

    table: list[tuple[str, str, Endpoint]] = [(op.method, op.path, endpoint(op))
                                              for op in (*operations, *legacy.V1_OPERATIONS, *legacy_v3)]
    table += legacy.docs_routes()
    table += [("GET", "/docs/v3-json", openapi_json), ("GET", "/docs/v3", swagger),
              ("PUT", UPLOAD_PATH + "/{org}/{doc}", knowledge_bases.upload)]
    if settings.control_plane:
        table += control.routes()

    app = Starlette(routes=_routes(table), exception_handlers={404: _not_found, 405: _not_found,
                                                                 Exception: _server_error})
    app.state.runtime = runtime
    app.state.openapi = document
    # Outermost last: CORS, then the journal (it sees faulted replies too), then the refusal of repeated
    # credential headers (journaled, never faulted), then faults, then routing.
    app.add_middleware(FaultMiddleware, runtime=runtime)
    app.add_middleware(CredentialGuard)
    app.add_middleware(JournalMiddleware, runtime=runtime, routes=[(m, p) for m, p, _ in table])
    app.add_middleware(Cors, runtime=runtime)
    app.add_middleware(HostGuard, allowed=(settings.host, *settings.allowed_hosts))
    app.state.persistence = persistence
    if persistence is not None:
        persistence.flush()
        app.add_middleware(PersistOnReply, persistence=persistence)
    return app
