"""The legacy API assembled: /v1 operations, their deprecated /v3 aliases, /docs/v1-json and its page, avatar images.

/v1/knowledge-bases are the v3 knowledge-base operations under /v1 (see ``knowledge_bases_v1``); they get
no /v3 alias, as /v3/knowledge-bases is the current API itself.

The v1 operations get their own OpenAPI document at /docs/v1-json, as the real API publishes one there;
the /v3 aliases (on by default, ``Settings.legacy_v3_routes``) join the v3 document marked deprecated,
as they were in the real v3 document (December 2025).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from ... import openapi
from ...settings import Settings
from ..media import THUMBNAIL_PATH
from ..operation import JSON_TYPE, Operation
from ..swagger_ui import SwaggerUi
from . import agents, avatars, knowledge_bases_v1, limits, sessions

V1_OPERATIONS: tuple[Operation, ...] = (
    *sessions.OPERATIONS,
    *agents.OPERATIONS,
    *avatars.OPERATIONS,
    *knowledge_bases_v1.OPERATIONS,
    limits.LIMITS,
    limits.HEALTH,
)


def _v3_alias(op: Operation) -> Operation:
    return replace(op, path="/v3" + op.path.removeprefix("/v1"),
                   operation_id=op.operation_id.removesuffix("_v1") + "_v3", deprecated=True)


# /v3/health and /v3/knowledge-bases already exist; every other legacy route had a deprecated /v3 twin.
V3_ALIASES: tuple[Operation, ...] = tuple(_v3_alias(op) for op in V1_OPERATIONS
                                          if op is not limits.HEALTH and op not in knowledge_bases_v1.OPERATIONS)


def v3_aliases(settings: Settings) -> tuple[Operation, ...]:
    return V3_ALIASES if settings.legacy_v3_routes else ()


def docs_routes(swagger_ui: SwaggerUi) -> list[tuple[str, str, Callable[[Request], Awaitable[Response]]]]:
    # Built on first request, not in create_app(): a third of an app's start-up, for a page few open.
    built: list[bytes] = []

    async def v1_json(request: Request) -> Response:
        if not built:
            document = openapi.build(V1_OPERATIONS, title="Equos API v1 (equos-mock, legacy)")
            built.append(json.dumps(document).encode())
        return Response(built[0], media_type=JSON_TYPE)

    return [("GET", "/docs/v1-json", v1_json),
            ("GET", "/docs/v1", swagger_ui.page("/docs/v1-json", "equos-mock: Equos API v1 (legacy)")),
            ("GET", THUMBNAIL_PATH + "/{org}/{avatar}", avatars.thumbnail)]
