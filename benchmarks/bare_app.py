"""The ceiling of this stack: a bare Starlette app on uvicorn that answers a fixed JSON body.

Run as ``python benchmarks/bare_app.py PORT [LIST_JSON]``; uvicorn is configured as ``equos-mock serve``
configures it (``mock_server.server.uvicorn_config``), so only the app differs. With ``LIST_JSON`` (a
file holding the mock's own reply to ``GET /v3/characters?take=50``), ``GET /v3/characters`` answers
that document, serialized on every request as a plain Starlette endpoint would (``JSONResponse``): the
ceiling a list of the mock is compared with.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BODY = b'{"status":"ok","version":"1.0.0"}'


async def fixed(request: Request) -> Response:
    return Response(BODY, media_type="application/json; charset=utf-8")


def create_bare_app(listed: Any = None) -> Starlette:
    routes = [Route("/{path:path}", fixed, methods=["GET", "POST"])]
    if listed is not None:
        async def same_json(request: Request) -> Response:
            return JSONResponse(listed)

        routes.insert(0, Route("/v3/characters", same_json, methods=["GET"]))
    return Starlette(routes=routes)


def main(port: int, listed: Path | None = None) -> None:
    import uvicorn

    from mock_server.server import listening_socket, uvicorn_config

    data = json.loads(listed.read_text()) if listed is not None else None
    sock, _ = listening_socket("127.0.0.1", port)
    uvicorn.Server(uvicorn_config(create_bare_app(data))).run(sockets=[sock])


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
