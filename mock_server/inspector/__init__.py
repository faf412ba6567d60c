"""The inspector: ``/_mock/ui``, a page to watch and drive the mock (docs/inspector.md).

Three static files shipped as package data (no build step, nothing from another host). The page is a
shell with no data in it; everything it shows comes from the control plane, which asks for the
``x-mock-token`` when one is set, so the page asks for the token too (a login form, or ``?token=``).
It is served under ``/_mock/``, so the host guard's Host and Origin rules apply, and never with CORS.
The page carries the server's page token (``http/browser_guard.py``): a browser's control-plane call
must send it, so only this page, not any other script of the mock's origin, can drive the mock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from ..static_files import StaticFile

PAGE_PATH = "/_mock/ui"
FILES = {"": ("index.html", "text/html; charset=utf-8"), "app.js": ("app.js", "text/javascript; charset=utf-8"),
         "app.css": ("app.css", "text/css; charset=utf-8")}
# The page runs its own script and style only: no inline code, no other host, never in a frame.
HEADERS = {"content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                                      "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                                      "form-action 'self'; frame-ancestors 'none'",
           "x-frame-options": "DENY", "referrer-policy": "no-referrer",
           "cache-control": "no-cache", "cross-origin-resource-policy": "same-origin"}
# The page holds the page token: no copy in any cache, no handle on it for the page that opened it.
PAGE_HEADERS = {**HEADERS, "cache-control": "no-store", "cross-origin-opener-policy": "same-origin"}
TOKEN_SLOT = b'<meta name="equos-mock-page" content="">'


def _asset(name: str, media_type: str, page_token: str) -> Callable[[Request], Awaitable[Response]]:
    # Gzipped, a quarter of the size: the first load is mostly these files.
    body = resources.files(__package__).joinpath("static", name).read_bytes()
    headers = HEADERS
    if name == "index.html":
        if TOKEN_SLOT not in body:
            raise RuntimeError(f"the inspector page has no {TOKEN_SLOT.decode()}")
        body = body.replace(TOKEN_SLOT, TOKEN_SLOT.replace(b'""', f'"{page_token}"'.encode()))
        headers = PAGE_HEADERS
    file = StaticFile.of(body, media_type)

    async def serve(request: Request) -> Response:
        return file.response(request, headers)

    serve.__name__ = f"inspector_{name.replace('.', '_')}"
    return serve


ASSET_PATHS = tuple(f"{PAGE_PATH}/{suffix}" for suffix in FILES if suffix)


def routes(page_token: str) -> list[tuple[str, str, Callable[[Request], Awaitable[Response]]]]:
    """The page and its two assets, read once per app (``create_app`` adds them with the control plane)."""
    return [("GET", f"{PAGE_PATH}/{suffix}" if suffix else PAGE_PATH, _asset(name, media_type, page_token))
            for suffix, (name, media_type) in FILES.items()]
