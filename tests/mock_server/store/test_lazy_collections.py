"""An organization makes each collection on first use; every way of reaching one finds the same one."""

from __future__ import annotations

import pytest

from mock_server import auth, create_app


def test_collections_are_made_on_first_use_and_then_kept() -> None:
    runtime = create_app().state.runtime
    org = auth.organization_for_key(runtime, "sk_lazy_collections")
    names = [r.name for r in runtime.resources.resources]
    assert not any(name in vars(org) for name in names)  # a new organization has made none
    brains = org.brains
    assert org.collection("brains") is brains and vars(org)["brains"] is brains
    assert list(org.collections) == names and all(org.collection(n) is org.collections[n] for n in names)
    with pytest.raises(KeyError):
        org.collection("nope")
    with pytest.raises(KeyError):
        org.collection("name")  # an attribute, not a collection
    with pytest.raises(AttributeError):
        org.nope  # noqa: B018


def test_collections_made_at_different_times_share_one_order() -> None:
    app = create_app()
    from mock_server.asgi_client import asgi_client

    with asgi_client(app, "sk_lazy_order") as client:
        brain = client.post("/v3/brains", json={"instructions": "Be brief.", "greetingMessage": "Hi!"}).json()
        face = client.post("/v3/faces", json={"identity": "tommy"}).json()
        other = client.post("/v3/brains", json={"instructions": "Be long.", "greetingMessage": "Hi!"}).json()
        assert [b["id"] for b in client.get("/v3/brains").json()["brains"]] == [other["id"], brain["id"]]
    org = auth.organization_for_key(app.state.runtime, "sk_lazy_order")
    keys = [org.brains._keys[brain["id"]][1], org.faces._keys[face["id"]][1], org.brains._keys[other["id"]][1]]
    assert keys == sorted(keys) and len(set(keys)) == 3
