"""CORS for the API (never the control plane), per the ``cors`` assumption: what the request pipeline
(``http/pipeline.py``) answers to a preflight and adds to every other reply to a cross-origin call."""

from __future__ import annotations

from starlette.responses import Response

CORS_HEADERS = "x-api-key, authorization, content-type, x-mock-token"
CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
# Any origin may call, never with credentials: the API authenticates by header, not cookie.
REPLY_HEADERS = ((b"access-control-allow-origin", b"*"), (b"vary", b"Origin"))


def applies(cors: str, path: str, has_origin: bool) -> bool:
    """Whether a request gets CORS: the assumption is ``open``, it names an Origin, and it is not for
    the control plane (no web page may call it; host_guard also refuses foreign Origins there)."""
    return has_origin and cors == "open" and not path.startswith("/_mock/")


def preflight() -> Response:
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": CORS_HEADERS,
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    })
