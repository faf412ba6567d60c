"""One API operation: its route, its models, and the wrapper that runs it.

The ``Operation`` table feeds the router and the OpenAPI document alike, so a
route cannot drift from its documented schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from .. import auth, decoding, errors
from ..credentials import request_credentials
from ..models.common import PAGE_MAX, js_number
from ..runtime import Runtime
from ..store import Organization

JSON_TYPE = errors.JSON_TYPE
TEXT_TYPE = "text/html; charset=utf-8"


@dataclass
class Call:
    """What a handler gets: the runtime, the caller's organization and the validated input."""

    runtime: Runtime
    org: Organization
    request: Request
    params: dict[str, str]
    body: Any = None
    query: Any = None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    handler: Callable[[Call], Any]
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None  # a model class, or a JSON-schema dict for non-model replies
    nullable: bool = False
    auth: bool = True
    bearer: bool = False  # legacy session passes: Authorization: Bearer <public key> instead of x-api-key
    deprecated: bool = False
    max_body_bytes: int | None = None  # when larger than the app's default (inline avatar images)
    extra_query: tuple[dict[str, Any], ...] = field(default_factory=tuple)


async def read_body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    await _each_chunk(request, limit, chunks.append)
    return b"".join(chunks)


async def count_body(request: Request, limit: int) -> int:
    """The body's size, read to the end without holding it (uploads of up to 100 MiB)."""
    return await _each_chunk(request, limit, lambda chunk: None)


async def _each_chunk(request: Request, limit: int, keep: Callable[[bytes], None]) -> int:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise errors.payload_too_large(limit)
    # The ASGI messages read as ``Request.stream`` reads them, without its async generator (a body is
    # read once, here: nothing reads it again).
    receive = request.receive
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise errors.payload_too_large(limit)
                keep(chunk)
            if not message.get("more_body", False):
                return size
        elif message["type"] == "http.disconnect":
            # Nobody will read the reply; answering keeps the server log free of a spurious traceback.
            raise errors.bad_request(["the client disconnected before sending the whole body"])


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object, or the API's 400: too deep, not JSON (NaN and overflowing numbers included), a lone
    surrogate anywhere (named), or not an object. One strict decoder for every body: ``decoding``."""
    try:
        data = decoding.loads(raw)
    except decoding.DecodeError as exc:
        raise errors.bad_request([str(exc)]) from None
    except (ValueError, RecursionError) as exc:
        raise errors.bad_request([f"Body is not valid JSON: {exc}"]) from None
    if not isinstance(data, dict):
        raise errors.bad_request(["Body must be a JSON object"])
    return data


def parse_json_body(raw: bytes, content_type: str, model: type[BaseModel]) -> BaseModel:
    if raw.strip() and content_type.split(";")[0].strip().lower() not in ("application/json", ""):
        raise errors.unsupported_media_type(content_type)
    if not raw.strip():
        raw = b"{}"  # NestJS validates an absent body as an empty object
    if not decoding.depth_ok(raw):
        raise errors.bad_request([f"JSON body is nested deeper than {decoding.MAX_JSON_DEPTH} levels"])
    try:
        return model.model_validate_json(raw)  # one parse for the usual body (it refuses lone surrogates too)
    except ValidationError as exc:
        parse_json_object(raw)  # not JSON, or not an object: that error first, in its own words
        raise errors.from_validation(exc) from None


def parse_query(request: Request, model: type[BaseModel], runtime: Runtime) -> BaseModel:
    items = request.query_params.multi_items()
    seen: set[str] = set()
    repeated = sorted({k for k, _ in items if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
    if repeated:
        raise errors.bad_request([f"{name} must be given once, not repeated" for name in repeated])
    data: dict[str, Any] = dict(items)
    if runtime.assumptions["page_limit"] == "clamp":
        data = _clamped(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.from_validation(exc) from None


def _clamped(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for name, low, high in (("take", 1, PAGE_MAX), ("skip", 0, None)):
        try:
            value = float(out[name])
        except (KeyError, ValueError):
            continue
        value = max(value, low)
        out[name] = str(min(value, high) if high is not None else value)
    return out


def null_reply(runtime: Runtime, status: int) -> Response:
    style = runtime.assumptions["null_result"]
    if style == "404":
        return errors.not_found("Not Found").response()
    if style == "json-null":
        return Response(b"null", status, media_type=JSON_TYPE)
    return Response(b"", status)


class JsonReply(Response):
    """JSON bytes as Starlette's ``Response(body, status, media_type=JSON_TYPE)`` sends them, its two
    headers written once here (``init_headers`` works them out again for every reply)."""

    media_type = JSON_TYPE
    _TYPE = (b"content-type", JSON_TYPE.encode("latin-1"))

    def __init__(self, body: bytes, status_code: int = 200):
        if status_code < 200 or status_code in (204, 304):  # no content-length on these: Starlette's way
            super().__init__(body, status_code)
            return
        self.status_code, self.body, self.background = status_code, body, None
        self.raw_headers = [(b"content-length", b"%d" % len(body)), self._TYPE]


def reply(runtime: Runtime, operation: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return null_reply(runtime, operation.status)
    if isinstance(result, bytes):  # JSON made by the models already (api/encoded.py)
        return JsonReply(result, operation.status)
    if isinstance(result, BaseModel):
        return Response(result.model_dump_json(), operation.status, media_type=JSON_TYPE)
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        if runtime.assumptions["freemium_usage_type"] == "json":
            return Response(json.dumps(result), operation.status, media_type=JSON_TYPE)
        return Response(_number(result), operation.status, media_type=TEXT_TYPE)
    return Response(json.dumps(result), operation.status, media_type=JSON_TYPE)


def _number(value: float) -> str:
    # JavaScript's String(n): 42 not 42.0.
    return str(js_number(value))


def endpoint(operation: Operation, bound: Runtime | None = None) -> Callable[[Request], Any]:
    """The route's handler; ``bound``: the app's runtime, known when the route table is built (else
    read from the app on each request)."""

    async def run(request: Request) -> Response:
        runtime: Runtime = bound if bound is not None else request.app.state.runtime
        try:
            credentials = request_credentials(request.scope)
            if operation.bearer:
                org = auth.organization_for_public_key(runtime, credentials.authorization)
            else:
                org = auth.organization_for_key(runtime, credentials.api_key) if operation.auth else None
            call = Call(runtime, org, request, request.path_params)  # type: ignore[arg-type]
            if operation.query is not None:
                call.query = parse_query(request, operation.query, runtime)
            if operation.body is not None:
                limit = max(operation.max_body_bytes or 0, runtime.settings.max_body_bytes)
                raw = await read_body(request, limit)
                call.body = parse_json_body(raw, request.headers.get("content-type", ""), operation.body)
            return reply(runtime, operation, operation.handler(call))
        except errors.ApiError as exc:
            return exc.response()

    run.__name__ = operation.operation_id
    return run
