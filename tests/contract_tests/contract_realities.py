"""Alternate realities: plausible real APIs the contract suite must pass, naming every difference.

Each is an app factory for ``--equos-app contract_realities:NAME``. All hide the control plane, as the
real API has none, so the suite has to find out by its probes what to expect:

- ``no_control_plane``: the mock with its defaults;
- ``assume__<assumption>__<value>``: one assumption set to one of its alternatives (PEP 562
  ``__getattr__`` makes one factory per alternative in mock_server/assumptions.py's registry);
- ``extra_fields``: every JSON object of every API response carries fields the record does not know,
  one of them secret-looking and one different in every response;
- ``everything_else``: all assumptions switched at once, with extra fields.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
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
