"""Routing by path, then by method: one route per path, so a wrong method gets a 405 with ``Allow``
in the API's envelope (Starlette's own 405 is plain text)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette._utils import get_route_path
from starlette.convertors import StringConvertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route, Router
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

    async def respond(self, scope: Scope, receive: Receive) -> Response:
        """The reply to an http request of this path (the request pipeline sends it itself)."""
        request = Request(scope, receive)
        method = scope["method"]
        handler = self.by_method.get("GET" if method == "HEAD" else method)
        if handler is not None:
            if self.transactions is not None:
                return await self.transactions.run(handler, request)
            return await handler(request)
        if method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": ", ".join(self.allow)})
        return errors.method_not_allowed(method, request.url.path, self.allow).response()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await (await self.respond(scope, receive))(scope, receive, send)


def routes(table: Iterable[tuple[str, str, Endpoint]], transactions: Transactions | None = None) -> list[Route]:
    grouped: dict[str, dict[str, Endpoint]] = {}
    for method, path, handler in table:
        grouped.setdefault(path, {})[method] = handler
    return [Route(path, Dispatcher(methods, transactions)) for path, methods in grouped.items()]


Bucket = tuple[int, tuple[str, ...] | None]  # (slashes in the path, its first two segments)


def _prefix(path: str) -> tuple[str, ...]:
    return tuple(path.split("/", 3)[1:3])


class IndexedRouter(Router):
    """Starlette's router, but a request tries only the routes that can match it, not all of them.

    Every route's parameters match within one segment, so a path can only match a template with as
    many slashes; among those, only templates with the same first two segments (or a parameter in
    them). Each bucket keeps the table's order, so the route found is the one the full scan would
    find first; a request no route matches goes through Starlette's own scan (redirects, 404).
    """

    def __init__(self, routes: list[BaseRoute]):
        super().__init__(routes=routes)
        self._buckets = _buckets(self.routes)

    def find(self, scope: Scope) -> Route | None:
        """The route an http request matches, its path parameters put in ``scope`` as Starlette's router
        puts them; None when none does (Starlette's scan answers: a redirect, a 405 of a route with its
        own methods, or a 404)."""
        if self._buckets is None:
            return None
        path = get_route_path(scope)
        count = path.count("/")
        for route in self._buckets.get((count, _prefix(path))) or self._buckets.get((count, None), ()):
            if route.methods is not None:  # a route of its own methods: Starlette's matching (405s)
                match, child_scope = route.matches(scope)
                if match is not Match.FULL:
                    continue
                scope.update(child_scope)
            else:  # a Dispatcher's: any method, string parameters, as ``Route.matches`` would put them
                found = route.path_regex.match(path)
                if found is None:
                    continue
                scope["endpoint"] = route.endpoint
                scope["path_params"] = {**scope.get("path_params", {}), **found.groupdict()}
            scope.setdefault("router", self)
            scope["route"] = route
            return route
        return None

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.find(scope) if scope["type"] == "http" else None
        if route is not None:
            await route.handle(scope, receive, send)
        else:
            await super().app(scope, receive, send)

    def dispatcher(self, scope: Scope) -> Dispatcher | None:
        """The ``Dispatcher`` of the route an http request matches (its path parameters put in ``scope``);
        None for a path no route matches or a route of another kind: Starlette's layers answer those."""
        route = self.find(scope)
        return route.endpoint if route is not None and isinstance(route.endpoint, Dispatcher) else None

    @staticmethod
    async def respond(scope: Scope, receive: Receive, dispatcher: Dispatcher) -> Response:
        """The reply of ``dispatcher``, called past Starlette's exception layer and router, which have
        nothing to do for it: its handlers answer in the envelope and a wrong method is its own 405 (an
        ``HTTPException``, should one be raised, gets the same handlers here)."""
        try:
            return await dispatcher.respond(scope, receive)
        except HTTPException as exc:  # none is raised today; answered as the exception layer would
            handler = EXCEPTION_HANDLERS.get(exc.status_code, _http_error)
            return await handler(Request(scope, receive), exc)


def _buckets(table: list[BaseRoute]) -> dict[Bucket, list[Route]] | None:
    """Routes by bucket, in table order; None (scan them all) when one could span segments."""
    entries: dict[int, list[tuple[int, tuple[str, ...] | None, Route]]] = {}
    for position, route in enumerate(table):
        if not isinstance(route, Route) or not all(isinstance(c, StringConvertor)
                                                   for c in route.param_convertors.values()):
            return None  # a mount, or a parameter that may hold a slash: Starlette's scan for everything
        prefix = _prefix(route.path)
        entries.setdefault(route.path.count("/"), []).append(
            (position, None if any("{" in part for part in prefix) else prefix, route))
    buckets: dict[Bucket, list[Route]] = {}
    for count, found in entries.items():
        wild = [(i, r) for i, p, r in found if p is None]  # a parameter among the first two segments
        buckets[(count, None)] = [r for _, r in wild]
        for prefix in {p for _, p, _ in found if p is not None}:
            own = [(i, r) for i, p, r in found if p == prefix]
            buckets[(count, prefix)] = [r for _, r in sorted(own + wild, key=lambda e: e[0])]
    return buckets


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


async def _http_error(request: Request, exc: Exception) -> Response:
    return errors.ApiError(getattr(exc, "status_code", 500), str(getattr(exc, "detail", exc))).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    # Never expected; still answered in the envelope rather than as a bare 500 page.
    return errors.ApiError(500, f"Internal server error: {type(exc).__name__}").response()


EXCEPTION_HANDLERS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    404: _not_found, 405: _method_not_allowed, Exception: _server_error}
