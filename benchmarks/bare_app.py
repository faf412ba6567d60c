"""The ceiling of this stack: a bare Starlette app on uvicorn that answers a fixed JSON body.

Run as ``python benchmarks/bare_app.py PORT``; uvicorn is configured as ``equos-mock serve``
configures it (``mock_server.server.uvicorn_config``), so only the app differs.
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"status":"ok","version":"1.0.0"}'


async def fixed(request: Request) -> Response:
    return Response(BODY, media_type="application/json; charset=utf-8")


def create_bare_app() -> Starlette:
    return Starlette(routes=[Route("/{path:path}", fixed, methods=["GET", "POST"])])


def main(port: int) -> None:
    import uvicorn

    from mock_server.server import listening_socket, uvicorn_config

    sock, _ = listening_socket("127.0.0.1", port)
    uvicorn.Server(uvicorn_config(create_bare_app())).run(sockets=[sock])


if __name__ == "__main__":
    main(int(sys.argv[1]))
