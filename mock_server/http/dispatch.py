"""Routing by path, then by method: one route per path, so a wrong method gets a 405 with ``Allow``
in the API's envelope (Starlette's own 405 is plain text)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .. import errors
from .persist import Transactions

Endpoint = Callable[[Request], Awaitable[Response]]


class Dispatcher:
    """One ASGI route per path, so a wrong method gets a 405 with ``Allow`` in the API's envelope."""

    def __init__(self, by_method: dict[str, Endpoint], transactions: Transactions | None = None):
        self.by_method = by_method
        self.transactions = transactions  # the app's: each request all or nothing (``persist.py``)
        self.allow = sorted({*by_method, *(["HEAD"] if "GET" in by_method else []), "OPTIONS"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        method = request.method
        handler = self.by_method.get("GET" if method == "HEAD" else method)
        if handler is not None:
            if self.transactions is not None:
                response = await self.transactions.run(handler, request)
            else:
                response = await handler(request)
        elif method == "OPTIONS":
            response = Response(status_code=204, headers={"Allow": ", ".join(self.allow)})
        else:
            response = errors.method_not_allowed(method, request.url.path, self.allow).response()
        await response(scope, receive, send)


def routes(table: Iterable[tuple[str, str, Endpoint]], transactions: Transactions | None = None) -> list[Route]:
    grouped: dict[str, dict[str, Endpoint]] = {}
    for method, path, handler in table:
        grouped.setdefault(path, {})[method] = handler
    return [Route(path, Dispatcher(methods, transactions)) for path, methods in grouped.items()]


def served(table: Iterable[Any]) -> list[tuple[str, str]]:
    """Every (method, path template) the routes made by ``routes`` answer, HEAD and OPTIONS included."""
    return [(method, route.path) for route in table if isinstance(getattr(route, "endpoint", None), Dispatcher)
            for method in route.endpoint.allow]


# Starlette raises these only for what the dispatcher does not see (no route at all); answered in the
# API's envelope, each with its own status: a 405 stays a 405, with its ``Allow``.
async def _not_found(request: Request, exc: Exception) -> Response:
    return errors.route_not_found(request.method, request.url.path).response()


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    allow = (getattr(exc, "headers", None) or {}).get("Allow", "")
    return errors.method_not_allowed(request.method, request.url.path,
                                     [m.strip() for m in allow.split(",") if m.strip()]).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    # Never expected; still answered in the envelope rather than as a bare 500 page.
    return errors.ApiError(500, f"Internal server error: {type(exc).__name__}").response()


EXCEPTION_HANDLERS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    404: _not_found, 405: _method_not_allowed, Exception: _server_error}
