"""The Swagger UI pages (/docs/v3, /docs/v1) and the few files they load, served from the swagger-ui-py
package's copy of Swagger UI: no CDN, so the pages work offline and no request leaves the machine.

Only the files named in ``ASSETS`` are served, looked up by name (never by path), so nothing else in the
package directory, nor outside it, can be reached. Each file is read, hashed and gzipped once per app,
on the first request that needs it. The pages name each file with ``?v=<its hash>``: such a request may be
cached for a year (the hash changes when the package does); any other is revalidated through its ETag.
"""

from __future__ import annotations

import html
import importlib.util
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .. import errors
from ..static_files import StaticFile

Endpoint = Callable[[Request], Awaitable[Response]]

ASSETS_PATH = "/docs/assets"
PACKAGE = "swagger_ui"  # the import name of swagger-ui-py (a core dependency)
# name -> content type; only these files exist under ASSETS_PATH.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{favicon}">
<link rel="stylesheet" href="{css}"></head>
<body><div id="swagger-ui"><p>Swagger UI did not start ({reason}). The OpenAPI document is at
<a href="{document}">{document}</a>.</p></div>
<script src="{js}"></script>
<script>
window.ui = SwaggerUIBundle({{url: "{document}", dom_id: "#swagger-ui", deepLinking: true,
                             validatorUrl: null, displayRequestDuration: true}});
</script>
</body></html>
"""


def package_directory() -> Path | None:
    """Where swagger-ui-py keeps Swagger UI, found without importing it (its __init__ imports Jinja2)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "static"


class SwaggerUi:
    """One app's Swagger UI: its pages and its assets, read on first use and kept for the app's life."""

    def __init__(self, directory: Path | None = None):
        self.directory = directory  # None: swagger-ui-py's, looked up on first use (not at app start-up)
        self._assets: dict[str, StaticFile] = {}

    def _load(self) -> dict[str, StaticFile]:
        directory = self.directory or package_directory()
        if directory is None:
            raise FileNotFoundError(f"the {PACKAGE} package (swagger-ui-py) is not installed")
        return {name: StaticFile.read(directory / name, media_type) for name, media_type in ASSETS.items()}

    async def assets(self) -> dict[str, StaticFile]:
        """The files, read on first use; OSError when swagger-ui-py is missing or broken."""
        if not self._assets:
            # Reading and gzipping 1.6 MB takes about 0.1 s: off the event loop, once.
            self._assets.update(await run_in_threadpool(self._load))
        return self._assets

    async def _link(self, name: str) -> str:
        try:
            return f"{ASSETS_PATH}/{name}?v={(await self.assets())[name].version}"
        except OSError:
            return f"{ASSETS_PATH}/{name}"  # the page still loads and shows its fallback sentence

    def page(self, document_url: str, title: str) -> Endpoint:
        """The endpoint of a page that shows the OpenAPI document at ``document_url``."""

        async def endpoint(request: Request) -> Response:
            text = PAGE.format(title=html.escape(title), document=html.escape(document_url),
                               js=await self._link("swagger-ui-bundle.js"), css=await self._link("swagger-ui.css"),
                               favicon=await self._link("favicon-32x32.png"),
                               reason=f"its script did not load from {ASSETS_PATH}/ or scripts are off")
            return HTMLResponse(text, headers={"Cache-Control": REVALIDATE})

        return endpoint

    async def asset(self, request: Request) -> Response:
        """GET {ASSETS_PATH}/{name}: one of ``ASSETS``, by name; anything else is a 404 in the envelope."""
        name = request.path_params["name"]
        if name not in ASSETS:
            return errors.route_not_found(request.method, request.url.path).response()
        try:
            asset = (await self.assets())[name]
        except OSError as exc:  # strerror, not the file's path: the reply says what, not where
            return errors.ApiError(404, f"Swagger UI's {name} cannot be read ({exc.strerror or exc}): "
                                        "pip install swagger-ui-py").response()
        fingerprinted = request.query_params.get("v") == asset.version
        return asset.response(request, {"Cache-Control": IMMUTABLE if fingerprinted else REVALIDATE})

    def routes(self) -> list[tuple[str, str, Endpoint]]:
        return [("GET", ASSETS_PATH + "/{name}", self.asset)]
