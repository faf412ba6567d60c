"""A request answered 4xx or 5xx changes nothing, in memory or on disk, on every route (issue 19, item 2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.settings import Settings

from .conftest import assert_envelope
from .write_routes import KEY, after, disk, memory, mutating_routes, start, steps

H = {"x-api-key": KEY}


@contextmanager
def served(data_dir: Path | None = None) -> Iterator[tuple[Any, httpx.Client]]:
    app = create_app(Settings(data_dir=str(data_dir) if data_dir else None))
    try:
        with asgi_client(app) as client:
            yield app, client
    finally:
        if app.state.persistence is not None:
            app.state.persistence.close()


def test_every_mutating_route_is_driven() -> None:
    app = create_app(Settings())
    assert mutating_routes(app) == {(s.method, s.route) for s in steps()}


def _invalid(step: Any, ctx: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Requests to the step's route that must be refused: a body that is no JSON, no object, or a valid body
    with one field of the wrong type (late in the body: after the fields that validate); an unknown id."""
    url, kwargs = step.request(ctx)
    headers = kwargs.get("headers", H)
    variants: list[tuple[str, dict[str, Any]]] = []
    body = kwargs.get("json")
    if isinstance(body, dict):
        variants += [(url, {"content": b'{"a": ', "headers": {**headers, "content-type": "application/json"}}),
                     (url, {"content": b"[1]", "headers": {**headers, "content-type": "application/json"}})]
        for name in body:
            variants.append((url, {"json": {**body, name: [{"wrong": "type"}]}, "headers": headers}))
    if step.missing is not None:
        variants.append((step.missing, {**kwargs, "headers": headers}))
    if step.route == "/_uploads/{org}/{doc}":
        variants.append((url.replace("signature=", "signature=0"), kwargs))
    return variants


@pytest.mark.parametrize("with_disk", [False, pytest.param(True, marks=pytest.mark.slow)],  # 2-4 s with SQLite
                         ids=["memory", "data-dir"])
def test_a_refused_request_changes_nothing_on_any_route(tmp_path: Path, with_disk: bool) -> None:
    refused = 0
    with served(tmp_path if with_disk else None) as (app, client):
        ctx = start(client)
        for step in steps():
            for url, kwargs in _invalid(step, ctx):
                before, stored = memory(app), disk(tmp_path) if with_disk else None
                response = client.request(step.method, url, **kwargs)
                if response.status_code < 400:  # the null reply to an unknown id, a fault's free-form body
                    assert memory(app) == before, (step.method, url, kwargs, response.text)
                    continue
                assert response.status_code != 500, (step.route, response.text)
                assert_envelope(response)
                refused += 1
                assert memory(app) == before, (step.method, url, kwargs, response.text)
                if with_disk:
                    assert disk(tmp_path) == stored, (step.method, url, response.text)
            response = step.send(client, ctx)
            assert response.status_code < 300, (step.method, step.route, response.text)
            after(step, client, ctx, response)
    assert refused >= 150


# --- the cases of the issue --------------------------------------------------------------------
def _org_with_brain(client: httpx.Client) -> dict[str, Any]:
    assert client.post("/v3/brains", json={"instructions": "Be brief.", "greetingMessage": "Hi!"}, headers=H
                       ).status_code == 201
    return client.get("/_mock/state", params={"key": KEY}).json()


def test_a_refused_import_keeps_the_organization_it_would_replace(tmp_path: Path) -> None:
    with served(tmp_path) as (_app, client):
        exported = _org_with_brain(client)
        bad = json.loads(json.dumps(exported))
        bad["organizations"][0]["settings"]["durationLimit"] = 0
        assert_envelope(client.post("/_mock/state", json=bad), 400)
        assert client.get("/_mock/state", params={"key": KEY}).json() == exported
        assert client.get("/v3/brains", headers=H).json()["total"] == 1
    with served(tmp_path) as (_, client):  # and after a restart
        assert client.get("/_mock/state", params={"key": KEY}).json() == exported


def test_a_refused_batch_creates_none_of_it() -> None:
    with served() as (app, client):
        before = memory(app)
        batch = {"format": "equos-mock-state/1", "organizations": [
            {"id": "org_fresh", "name": "Fresh", "keys": ["sk_fresh"]},
            {"id": "org_soon", "keys": ["sk_soon"], "clock": {"now": "soon", "frozen": True}}]}
        assert_envelope(client.post("/_mock/state", json=batch), 400)
        assert memory(app) == before
        assert client.get("/_mock/organizations", params={"key": "sk_fresh"}).json() == []


def test_a_seed_whose_public_key_conflicts_leaves_no_half_made_organization(tmp_path: Path) -> None:
    with served(tmp_path) as (app, client):
        _org_with_brain(client)
        taken = client.get("/_mock/organizations", params={"key": KEY}).json()[0]["publicKeys"][0]
        before, stored = memory(app), disk(tmp_path)
        for spec in ({"keys": ["sk_half"], "publicKeys": [taken]},  # another organization's
                     {"keys": ["sk_half"], "publicKeys": [KEY]},  # an API key
                     {"keys": ["sk_half"], "brains": [{"instructions": "x", "greetingMessage": "y"}],
                      "characters": [{"name": "c", "livekitIdentity": "c", "brainId": "brain_missing"}]}):
            assert_envelope(client.post("/_mock/organizations", json=spec), 400)
            assert memory(app) == before
            assert disk(tmp_path) == stored
        assert client.get("/_mock/organizations", params={"key": "sk_half"}).json() == []


def test_a_refused_clock_call_does_not_split_the_organization_clock() -> None:
    with served() as (app, client):
        _org_with_brain(client)
        before = memory(app)
        assert_envelope(client.post("/_mock/clock/freeze", json={"key": KEY, "at": "not a date"}), 400)
        assert memory(app) == before
        assert client.get("/_mock/clock", params={"key": KEY}).json()["scope"] == "app"
