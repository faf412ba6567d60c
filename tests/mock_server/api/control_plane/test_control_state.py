"""State export and import over the control plane: one organization or all, round trip exact."""

from __future__ import annotations

import pytest
from control_helpers import make_character, start_conversation

from mock_server.control_client import ControlError
from mock_server.server import MockServer


def test_export_one_organization_and_import_into_a_fresh_server(api, control, key):
    character = make_character(api)
    conversation = start_conversation(api, character)["conversation"]
    control.freeze("2031-05-06T07:08:09.000Z", key=key)
    control.say(conversation["id"], key, "hello")
    exported = control.export_state(key=key)
    assert exported["format"] == "equos-mock-state/1" and len(exported["organizations"]) == 1
    org = exported["organizations"][0]
    assert org["keys"] == [key] and org["clock"] == {"now": 1935817689000, "frozen": True}  # 2031-05-06T07:08:09Z
    assert [c["id"] for c in org["collections"]["characters"]] == [character]

    with MockServer() as fresh:
        assert fresh.control.import_state(exported) == [org["id"]]
        assert fresh.control.export_state(key=key) == exported  # exact round trip
        with __import__("httpx").Client(base_url=fresh.url, headers={"x-api-key": key}) as other:
            got = other.get(f"/v3/conversations/{conversation['id']}").json()
            assert got["transcript"][-1]["content"] == "hello"
            assert other.get("/v3/characters").json()["characters"][0]["id"] == character


def test_export_by_organization_id_and_all(api, control, key):
    api.get("/v3/faces")
    org_id = control.organization_of(key)["id"]
    by_id = control.export_state(organization=org_id)
    assert [o["id"] for o in by_id["organizations"]] == [org_id]
    everything = control.export_state()
    assert org_id in [o["id"] for o in everything["organizations"]]


def test_import_replaces_an_organization_with_the_same_id(api, control, key):
    api.post("/v3/brains", json={"instructions": "before", "greetingMessage": "Hi"})
    snapshot = control.export_state(key=key)
    api.post("/v3/brains", json={"instructions": "after", "greetingMessage": "Hi"})
    assert api.get("/v3/brains").json()["total"] == 2
    control.import_state(snapshot)
    assert [b["instructions"] for b in api.get("/v3/brains").json()["brains"]] == ["before"]
    assert control.export_state(key=key) == snapshot


@pytest.mark.parametrize(("call", "status"), [
    (lambda c: c.export_state(key="sk_nobody_has_this"), 404),
    (lambda c: c.export_state(organization="org_nope"), 404),
    (lambda c: c.import_state({"format": "something-else", "organizations": []}), 400),
    (lambda c: c.import_state({"format": "equos-mock-state/1"}), 400),
    (lambda c: c.import_state({"format": "equos-mock-state/1", "organizations": [{"name": "no id"}]}), 400),
])
def test_state_errors(control, call, status):
    with pytest.raises(ControlError) as error:
        call(control)
    assert error.value.status == status
