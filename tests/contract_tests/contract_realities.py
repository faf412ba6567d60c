"""Alternate realities: plausible real APIs the contract suite must pass, naming every difference.

Each is an app factory for ``--equos-app contract_realities:NAME``. All hide the control plane, as the
real API has none, so the suite has to find out by its probes what to expect:

- ``no_control_plane``: the mock with its defaults;
- ``assume__<assumption>__<value>``: one assumption set to one of its alternatives (PEP 562
  ``__getattr__`` makes one factory per alternative in mock_server/assumptions.py's registry);
- ``extra_fields``: every JSON object of every API response carries fields the record does not know,
  one of them secret-looking and one different in every response;
- ``everything_else``: all assumptions switched at once, with extra fields;
- ``BENIGN`` (issue 23): what a real deployment may do that changes nothing the record says:
  timestamps in another offset or with microseconds, gzip, latency, a rare 429 with Retry-After,
  ``Connection: close``, pretty-printed JSON, gateway headers, optional fields left out instead of
  null, and ``take`` clamped above 50 but refused below 1.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from contract_mutants import ResponseRewriter  # type: ignore[import-not-found]
from starlette.types import Scope

from mock_server import create_app
from mock_server.assumptions import REGISTRY, lookup
from mock_server.settings import Settings

ADDED_SECRET = "sk_live_added_by_the_target_0123456789"
USER_MAPS = {"promptTemplateVars"}  # the caller's own map echoed back: not an object of the API
ADDED = {"deletedAt": None, "metadata": {"source": "reality"}, "internalApiSecret": ADDED_SECRET}


def _hidden(**assumptions: str) -> Any:
    return create_app(Settings(control_plane=False, assumptions=assumptions))


def no_control_plane() -> Any:
    return _hidden()


def extra_fields(app: Any = None) -> Any:
    serial = itertools.count(1)

    def add(value: Any) -> Any:
        if isinstance(value, list):
            return [add(v) for v in value]
        if not isinstance(value, dict):
            return value
        # requestSerial differs in every response: a suite that compared it would fail
        return {**{k: v if k in USER_MAPS else add(v) for k, v in value.items()}, **json.loads(json.dumps(ADDED)),
                "requestSerial": next(serial)}

    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if (scope["path"].startswith("/docs") or not body
                or not headers.get("content-type", "").startswith("application/json")):
            return status, headers, body
        return status, headers, json.dumps(add(json.loads(body))).encode()

    return ResponseRewriter(app or _hidden(), rewrite)


def everything_else() -> Any:
    """Every assumption on its last alternative at once, and extra fields everywhere."""
    return extra_fields(_hidden(**{a.name: a.alternatives[-1] for a in REGISTRY if a.observable}))


def _assumption_factory(name: str, value: str) -> Callable[[], Any]:
    def factory() -> Any:
        return _hidden(**{name: value})

    return factory


def __getattr__(attr: str) -> Callable[[], Any]:
    prefix, _, rest = attr.partition("__")
    name, _, value = rest.partition("__")
    if prefix == "assume" and name and value:
        if value in lookup(name).alternatives:
            return _assumption_factory(name, value)
    raise AttributeError(attr)


# An assumption no REST client can observe has no reality here: its probe reports "cannot know".
ALTERNATIVES = [(a.name, value) for a in REGISTRY if a.observable for value in a.alternatives]
REALITIES = ["no_control_plane", "extra_fields", "everything_else", *(f"assume__{n}__{v}" for n, v in ALTERNATIVES)]


# --- benign variants (issue 23): each must pass, and name no difference in the report ------------------
_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z$")


def _strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {k: _strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v, fn) for v in value]
    return fn(value) if isinstance(value, str) else value


def _json_bodies(fn: Callable[[Any], Any], app: Any = None) -> Any:
    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if (scope["path"].startswith("/docs") or not body
                or not headers.get("content-type", "").startswith("application/json")):
            return status, headers, body
        return status, headers, json.dumps(fn(json.loads(body))).encode()

    return ResponseRewriter(app or _hidden(), rewrite)


def _offset(text: str) -> str:
    match = _STAMP.match(text)
    if not match:
        return text
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=2)))
    return moment.isoformat(timespec="milliseconds")  # the same instant, written at +02:00


def offset_timestamps() -> Any:
    return _json_bodies(lambda body: _strings(body, _offset))


def microseconds() -> Any:
    def micro(text: str) -> str:
        match = _STAMP.match(text)
        return f"{match.group(1)}{(match.group(2) or '.000').ljust(7, '0')}Z" if match else text

    return _json_bodies(lambda body: _strings(body, micro))


def _headers(change: Callable[[Scope, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]) -> Any:
    return ResponseRewriter(_hidden(), change)


def gzip_bodies() -> Any:
    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        accepted = dict(scope["headers"]).get(b"accept-encoding", b"").decode()
        if body and "gzip" in accepted and not scope["path"].startswith("/_uploads"):
            headers["content-encoding"] = "gzip"
            headers["vary"] = "accept-encoding"
            return status, headers, gzip.compress(body)
        return status, headers, body

    return _headers(rewrite)


def latency() -> Any:
    serial = itertools.count()

    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        time.sleep(0.005 + 0.02 * (next(serial) % 3 == 0))  # 5 to 25 ms a request: a far-away region
        return status, headers, body

    return _headers(rewrite)


def rare_429() -> Any:
    serial = itertools.count(1)

    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        # Every 40th reply is a rate-limit answer instead (the request is not acted on: only GETs).
        if scope["method"] == "GET" and next(serial) % 40 == 0:
            return 429, {"content-type": "application/json; charset=utf-8", "retry-after": "0"}, json.dumps(
                {"statusCode": 429, "message": "ThrottlerException: Too Many Requests"}).encode()
        return status, headers, body

    return _headers(rewrite)


def connection_close() -> Any:
    return _headers(lambda scope, status, headers, body: (status, {**headers, "connection": "close"}, body))


def pretty_json() -> Any:
    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if body and headers.get("content-type", "").startswith("application/json"):
            return status, headers, json.dumps(json.loads(body), indent=2).encode() + b"\n"
        return status, headers, body

    return _headers(rewrite)


def gateway_headers() -> Any:
    serial = itertools.count(1)
    added = {"via": "1.1 google", "server": "cloudflare", "x-envoy-upstream-service-time": "12",
             "strict-transport-security": "max-age=31536000", "cache-control": "no-store"}
    return _headers(lambda scope, status, headers, body: (
        status, {**headers, **added, "x-request-id": f"req_{next(serial):08d}", "cf-ray": "8c1f0e-FRA"}, body))


def _drop_nulls(value: Any) -> Any:
    """Optional fields left out instead of null (a serializer that skips None), in every object."""
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def absent_not_null() -> Any:
    from contract_tests import oracle  # the record says which fields may be absent

    def rewrite(scope: Scope, status: int, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        if not body or not headers.get("content-type", "").startswith("application/json") \
                or scope["path"].startswith("/docs"):
            return status, headers, body
        op = oracle.find_operation(scope["method"], scope["path"])
        schema = oracle.response_schema(op, status) if op else None
        value = json.loads(body)
        return status, headers, json.dumps(oracle.without_optional_nulls(value, schema)).encode()

    return _headers(rewrite)


def clamp_above_reject_below() -> Any:
    """take above 50 is lowered to 50; take below 1 and skip below 0 are still a 400."""
    app = _hidden()

    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].count("/") == 2:
            query = scope.get("query_string", b"").decode()
            fixed = re.sub(r"(^|&)take=(\d+)(\.0+)?(?=&|$)",
                           lambda m: f"{m.group(1)}take={min(int(m.group(2)), 50)}", query)
            scope = {**scope, "query_string": fixed.encode()}
        await app(scope, receive, send)

    wrapped.state = app.state  # type: ignore[attr-defined]
    return wrapped


BENIGN = ["offset_timestamps", "microseconds", "gzip_bodies", "latency", "rare_429", "connection_close",
          "pretty_json", "gateway_headers", "absent_not_null", "clamp_above_reject_below",
          "assume__id_style__prefixed"]
REALITIES += [name for name in BENIGN if name not in REALITIES]
