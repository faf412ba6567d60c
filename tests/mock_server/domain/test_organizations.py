"""domain/organizations.py: the one way organizations are created and reset (the control plane's included)."""

from __future__ import annotations

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.domain import organizations
from mock_server.domain.resources import create
from mock_server.models.resources import CreateEquosBrainRequest


def test_create_stamps_the_app_clock_and_reset_keeps_identity_but_not_resources():
    app = create_app()
    rt = app.state.runtime
    rt.clock.freeze()
    created = rt.clock.now()
    org = organizations.create(rt, ["sk_orgs"], name="Acme")
    assert (org.name, org.created_at) == ("Acme", created)
    assert rt.store.organization_for_key("sk_orgs") is org
    create(rt, org, rt.resources["brains"], CreateEquosBrainRequest(instructions="i", greetingMessage="g"))
    assert len(org.brains) == 1
    rt.clock.advance(3600)
    fresh = organizations.reset(rt, org)
    assert fresh is rt.store.organizations[org.id] and fresh is not org
    assert (fresh.name, fresh.created_at, len(fresh.brains)) == ("Acme", created, 0)
    assert rt.store.organization_for_key("sk_orgs") is fresh


def test_the_control_plane_reset_goes_through_the_domain(monkeypatch):
    app = create_app()
    calls = []
    real = organizations.reset
    monkeypatch.setattr(organizations, "reset", lambda rt, org: calls.append(org.id) or real(rt, org))
    with asgi_client(app, "sk_reset") as client:
        client.post("/v3/brains", json={"instructions": "i", "greetingMessage": "g"}).raise_for_status()
        assert client.post("/_mock/reset", json={"key": "sk_reset"}).json()["reset"] == "organization"
        assert client.get("/v3/brains").json()["total"] == 0
    assert len(calls) == 1
