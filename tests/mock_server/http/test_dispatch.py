"""The exception handlers of the HTTP plumbing: each status stays itself, in the API's envelope."""

from __future__ import annotations

import asyncio
import json

from starlette.exceptions import HTTPException
from starlette.requests import Request

from mock_server.http.dispatch import EXCEPTION_HANDLERS


def _request(method: str, path: str) -> Request:
    return Request({"type": "http", "method": method, "path": path, "headers": [], "query_string": b""})


def test_a_405_stays_a_405_with_its_allow_header():
    exc = HTTPException(405, headers={"Allow": "GET, OPTIONS"})
    response = asyncio.run(EXCEPTION_HANDLERS[405](_request("DELETE", "/v3/faces"), exc))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, OPTIONS"
    assert json.loads(response.body)["statusCode"] == 405


def test_a_404_is_the_api_s_not_found():
    response = asyncio.run(EXCEPTION_HANDLERS[404](_request("GET", "/nowhere"), HTTPException(404)))
    assert response.status_code == 404
    assert json.loads(response.body)["message"] == "Cannot GET /nowhere"


def test_an_http_exception_from_a_route_called_directly_is_answered_in_the_envelope(monkeypatch):
    """The pipeline calls a matched route past Starlette's exception layer (``IndexedRouter.direct``):
    an ``HTTPException`` raised there is still answered by the same handlers, never a 500."""
    from mock_server import create_app
    from mock_server.asgi_client import asgi_client
    from mock_server.http.dispatch import Dispatcher

    app = create_app()
    route = next(r for r in app.router.routes if r.path == "/v3/health")
    assert isinstance(route.endpoint, Dispatcher)
    raised: list[HTTPException] = [HTTPException(404), HTTPException(418, "short and stout")]

    async def raising(request):
        raise raised.pop(0)

    monkeypatch.setitem(route.endpoint.by_method, "GET", raising)
    with asgi_client(app, "sk_test_dispatch") as client:
        first = client.get("/v3/health")
        assert first.status_code == 404
        assert first.json()["message"] == "Cannot GET /v3/health"
        second = client.get("/v3/health")
        assert (second.status_code, second.json()["statusCode"], second.json()["message"]) == (
            418, 418, "short and stout")
