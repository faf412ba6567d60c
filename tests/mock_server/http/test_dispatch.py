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
