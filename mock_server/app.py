"""create_app(): the Starlette app and its route table."""

from __future__ import annotations

import json
import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from . import inspector, openapi, seed
from .api import control_plane, control_views, knowledge_bases, organizations
from .api.common import catalog_operations
from .api.legacy import routes as legacy
from .api.media import UPLOAD_PATH
from .api.operation import JSON_TYPE, Operation, endpoint
from .api.swagger_ui import SwaggerUi
from .catalog import DEFAULT
from .clock import Clock
from .credentials import CredentialGuard
from .http.browser_guard import BrowserGuard
from .http.cors import Cors
from .http.dispatch import EXCEPTION_HANDLERS, Endpoint, routes
from .http.faults import FaultMiddleware
from .http.host_guard import HostGuard
from .http.journal import JournalMiddleware
from .http.persist import Transactions
from .http.user_content import InertUserContent
from .persistence import open_data_dir
from .resource import Catalog
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

    table: list[tuple[str, str, Endpoint]] = [(op.method, op.path, endpoint(op))
                                              for op in (*operations, *legacy.V1_OPERATIONS, *legacy_v3)]
    swagger_ui = SwaggerUi()
    table += legacy.docs_routes(swagger_ui)
    table += swagger_ui.routes()
    table += [("GET", "/docs/v3-json", openapi_json),
              ("GET", "/docs/v3", swagger_ui.page("/docs/v3-json", "equos-mock: Equos API v3")),
              ("PUT", UPLOAD_PATH + "/{org}/{doc}", knowledge_bases.upload)]
    # Written into the inspector page only: a browser's control-plane call must send it (http/browser_guard.py).
    page_token = secrets.token_urlsafe(32)
    if settings.control_plane:
        table += control_plane.routes() + control_views.routes() + inspector.routes(page_token)

    # Each route all or nothing, flushed to --data-dir before its reply (``http/persist.py``).
    app = Starlette(routes=routes(table, Transactions(runtime.store, persistence)),
                    exception_handlers=EXCEPTION_HANDLERS)
    app.state.runtime = runtime
    app.state.openapi = document
    # Outermost last: CORS, then the journal (it sees faulted replies too), then user bytes made inert
    # (faulted replies too), then the refusal of repeated credential headers (journaled, never faulted),
    # then faults, then routing.
    app.add_middleware(FaultMiddleware, runtime=runtime)
    app.add_middleware(CredentialGuard)
    app.add_middleware(InertUserContent)
    app.add_middleware(JournalMiddleware, runtime=runtime, routes=[(m, p) for m, p, _ in table])
    app.add_middleware(Cors, runtime=runtime)
    if settings.control_plane:
        app.add_middleware(BrowserGuard, token=page_token, page=inspector.PAGE_PATH, assets=inspector.ASSET_PATHS)
    app.add_middleware(HostGuard, allowed=(settings.host, *settings.allowed_hosts))
    app.state.persistence = persistence
    if persistence is not None:
        persistence.flush()
    return app
