"""One strict decoder (issue 19, item 4): a lone surrogate in any string field is a 400 naming the field, and
changes nothing; a NUL is stored and read back exactly (also after a restart); no query value breaks
anything. The fields come from the operations' pydantic models and the control plane's own source."""

from __future__ import annotations

import copy
import itertools
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import create_app
from mock_server.api import control_plane
from mock_server.api.legacy import routes as legacy
from mock_server.app import V3_OPERATIONS
from mock_server.asgi_client import asgi_client
from mock_server.settings import Settings

from .conftest import assert_envelope
from .write_routes import KEY, Step, after, memory, start, steps

H = {"x-api-key": KEY}
Path_ = tuple[str | int, ...]


def _operations() -> dict[tuple[str, str], Any]:
    return {(op.method, op.path): op for op in (*V3_OPERATIONS, *legacy.V1_OPERATIONS,
                                                  *legacy.v3_aliases(Settings()))}


def _strings(schema: dict[str, Any], defs: dict[str, Any], at: Path_ = ()) -> list[Path_]:
    """Every place a string may stand in a JSON schema (objects' properties, arrays' first item)."""
    if "$ref" in schema:
        return _strings(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, at)
    found: list[Path_] = []
    for option in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        found += [p for p in _strings(option, defs, at) if p not in found]
    if schema.get("type") == "string" or "enum" in schema:
        found.append(at)
    for name, sub in schema.get("properties", {}).items():
        found += [p for p in _strings(sub, defs, (*at, name)) if p not in found]
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        found += [p for p in _strings(schema["items"], defs, (*at, 0)) if p not in found]
    return found


def _leaves(value: Any, at: Path_ = ()) -> list[Path_]:
    """The places of the strings of a body the control plane takes (it has no models for most)."""
    if isinstance(value, str):
        return [at]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*at, k))]
    if isinstance(value, list) and value:  # the first item stands for the others, as in a schema
        return _leaves(value[0], (*at, 0))
    return []


def string_fields(step: Step, body: dict[str, Any]) -> list[Path_]:
    op = _operations().get((step.method, step.route))
    if op is not None and op.body is not None:
        schema = op.body.model_json_schema()
        return [p for p in _strings(schema, schema.get("$defs", {})) if p]
    return _leaves(body)


def _set(body: dict[str, Any], at: Path_, value: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target: Any = changed
    for part, following in itertools.pairwise(at):
        if isinstance(target, list):
            while len(target) <= int(part):
                target.append({})
            target = target[int(part)]
            continue
        if not isinstance(target.get(part), (dict, list)):
            target[part] = [] if isinstance(following, int) else {}
        target = target[part]
    if isinstance(target, list):
        target[:] = [value]
    else:
        target[at[-1]] = value
    return changed


def _named(at: Path_) -> str:
    return "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in at)


def test_a_lone_surrogate_in_a_control_body_is_refused_and_the_server_stays_up(tmp_path: Path) -> None:
    """The issue's case: one organization name made every later request a 500 (with --data-dir)."""
    app = create_app(Settings(data_dir=str(tmp_path)))
    with asgi_client(app) as client:
        refused = client.post("/_mock/organizations", content=b'{"name":"\\ud800","keys":["k"]}',
                              headers={"content-type": "application/json"})
        assert "body.name" in str(assert_envelope(refused, 400)["message"])
        assert client.get("/v3/health").json()["status"] == "ok"
        assert client.post("/v3/brains", json={"instructions": "a", "greetingMessage": "b"}, headers=H
                           ).status_code == 201
        assert client.get("/_mock/organizations", params={"key": "k"}).json() == []
    app.state.persistence.close()


@pytest.mark.slow  # some 250 fields, four requests each, with --data-dir
def test_every_string_field_of_every_body(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=str(tmp_path)))
    client = asgi_client(app, raise_app_exceptions=True)
    ctx = start(client)
    surrogates = nuls = 0
    for step in steps():
        url, kwargs = step.request(ctx)
        body = kwargs.get("json")
        response = step.send(client, ctx)
        assert response.status_code < 300, (step.route, response.text)
        after(step, client, ctx, response)
        if step.route == "/_mock/reset":
            break  # what the NULs stored, kept for the restart below
        if not isinstance(body, dict):
            continue
        headers = {**kwargs.get("headers", H), "content-type": "application/json"}
        # After the valid request, so what a NUL creates cannot stand in its way (unique names).
        for at in string_fields(step, body):
            before = memory(app)
            sent = json.dumps(_set(body, at, "a\ud800b"))  # ensure_ascii: the escape \ud800
            refused = client.request(step.method, url, content=sent.encode(), headers=headers)
            message = str(assert_envelope(refused, 400)["message"])
            assert _named(at) in message and "lone surrogate" in message, (step.route, at, message)
            assert memory(app) == before
            raw = sent.replace("\\ud800", "\udfff").encode("utf-8", "surrogatepass")  # its bytes, unescaped
            assert_envelope(client.request(step.method, url, content=raw, headers=headers), 400)
            surrogates += 1
            nul = client.request(step.method, url, content=json.dumps(_set(body, at, "a\x00b")).encode(),
                                 headers=headers)
            assert nul.status_code != 500, (step.route, at, nul.text)
            if nul.status_code >= 400:
                assert_envelope(nul)
            else:
                nuls += 1
        if step.route == "/_mock/state":
            assert step.send(client, ctx).status_code == 200  # the organization later steps name, as it was
    assert surrogates >= 120 and nuls >= 30, (surrogates, nuls)
    stored = memory(app)
    client.close()
    app.state.persistence.abandon()  # as a crash would: what was acknowledged is on disk
    again = create_app(Settings(data_dir=str(tmp_path)))
    assert memory(again) == stored  # every NUL read back exactly
    again.state.persistence.close()


def _query_names() -> dict[str, set[str]]:
    """Query parameters: the operations' query models, and what the control plane's handlers read."""
    names: dict[str, set[str]] = {}
    for op in _operations().values():
        if op.query is not None:
            names.setdefault(op.path, set()).update(op.query.model_fields)
    source = Path(control_plane.__file__).read_text()
    read = set(re.findall(r"""(?:query_params|query)\.get\("(\w+)"|int_query\(request, "(\w+)"\)""", source))
    control = {name for pair in read for name in pair if name} | {"limit", "pageSize"}
    for method, path, _ in control_plane.TABLE:
        if method == "GET" or path in ("/_mock/organizations", "/_mock/faults", "/_mock/journal"):
            names.setdefault(path, set()).update(control)
    return names


@pytest.mark.slow  # some 300 requests
def test_every_query_parameter(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=str(tmp_path)))
    client: httpx.Client = asgi_client(app)
    start(client)
    names = _query_names()
    assert {"take", "skip", "client", "key", "organization", "since", "after"} <= set().union(*names.values())
    sent = 0
    for path, params in names.items():
        concrete = path.replace("{id}", "missing").replace("{doc}", "missing")
        for name in sorted(params):
            for value in ("%ED%A0%80", "%00", "a%00b", "%FF%FE", "%F0%9F"):
                response = client.get(f"{concrete}?{name}={value}", headers=H)
                assert response.status_code != 500, (path, name, value, response.text)
                if response.status_code >= 400:
                    assert_envelope(response)
                sent += 1
    assert sent >= 200
    assert client.get("/v3/health").json()["status"] == "ok"
    stored = memory(app)
    client.close()
    app.state.persistence.close()
    again = create_app(Settings(data_dir=str(tmp_path)))
    assert memory(again) == stored
    again.state.persistence.close()
