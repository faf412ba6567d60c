"""create_app(): the Starlette app and its route table."""

from __future__ import annotations

import json
import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from . import inspector, openapi, seed
from .api import control_plane, control_views, knowledge_bases, livekit_webhooks, organizations
from .api.common import catalog_operations
from .api.legacy import routes as legacy
from .api.media import UPLOAD_PATH
from .api.operation import JSON_TYPE, Operation, endpoint
from .api.swagger_ui import SwaggerUi
from .catalog import DEFAULT
from .clock import Clock
from .http.browser_guard import BrowserGuard
from .http.dispatch import EXCEPTION_HANDLERS, Endpoint, IndexedRouter, routes
from .http.persist import Transactions
from .http.pipeline import PipelinedApp
from .persistence import open_data_dir
from .resource import Catalog
from .room.registry import Rooms
from .runtime import Runtime
from .settings import Settings
from .store import MemoryStore


def v3_operations(resources: Catalog) -> tuple[Operation, ...]:
    """The route table: every v3 operation, in the order the OpenAPI document lists them."""
    return (*organizations.OPERATIONS, *catalog_operations(resources))


# The default app's v3 operations (the declared resources' and health/usage).
V3_OPERATIONS: tuple[Operation, ...] = v3_operations(DEFAULT)


def create_app(settings: Settings | None = None, clock: Clock | None = None, store: MemoryStore | None = None,
               *, resources: Catalog = DEFAULT) -> Starlette:
    """The app; ``resources`` are the declared resources it serves (``catalog.DEFAULT``, or more)."""
    settings = settings or Settings()
    runtime = Runtime(settings, clock=clock, store=store, resources=resources)
    operations = V3_OPERATIONS if resources is DEFAULT else v3_operations(resources)
    persistence = open_data_dir(runtime, settings.data_dir) if settings.data_dir else None
    if settings.seed_file and not (persistence is not None and persistence.loaded):
        try:
            seed.load_file(runtime, settings.seed_file)
        except BaseException:
            if persistence is not None:
                persistence.abandon()  # let a corrected start have the directory
            raise

    legacy_v3 = legacy.v3_aliases(settings)
    document = openapi.build((*operations, *legacy_v3))
    document_bytes = json.dumps(document).encode()

    async def openapi_json(request: Request) -> Response:
        return Response(document_bytes, media_type=JSON_TYPE)

    table: list[tuple[str, str, Endpoint]] = [(op.method, op.path, endpoint(op, runtime))
                                              for op in (*operations, *legacy.V1_OPERATIONS, *legacy_v3)]
    swagger_ui = SwaggerUi()
    table += legacy.docs_routes(swagger_ui)
    table += swagger_ui.routes()
    table += [("GET", "/docs/v3-json", openapi_json),
              ("GET", "/docs/v3", swagger_ui.page("/docs/v3-json", "equos-mock: Equos API v3")),
              ("PUT", UPLOAD_PATH + "/{org}/{doc}", knowledge_bases.upload)]
    table += livekit_webhooks.routes()
    # Written into the inspector page only: a browser's control-plane call must send it (http/browser_guard.py).
    page_token = secrets.token_urlsafe(32)
    if settings.control_plane:
        table += control_plane.routes() + control_views.routes() + inspector.routes(page_token)

    app = PipelinedApp(exception_handlers=EXCEPTION_HANDLERS)
    # Each route all or nothing, flushed to --data-dir before its reply (``http/persist.py``); the router
    # tries only the routes a path can match (``http/dispatch.py``).
    app.router = IndexedRouter(routes(table, Transactions(runtime.store, persistence)))
    app.state.runtime = runtime
    app.state.rooms = Rooms(runtime)  # the rooms and their feeds; served only by a running server
    app.state.openapi = document
    # Host and browser guards, CORS, journal, inert user content, credentials guard and faults, in one pass
    # (http/pipeline.py).
    browser_guard = (BrowserGuard(token=page_token, page=inspector.PAGE_PATH, assets=inspector.ASSET_PATHS)
                     if settings.control_plane else None)
    app.pipeline = {"runtime": runtime, "allowed_hosts": (settings.host, *settings.allowed_hosts),
                    "routes": [(m, p) for m, p, _ in table], "browser_guard": browser_guard, "router": app.router}
    app.state.persistence = persistence
    if persistence is not None:
        persistence.flush()
    return app
