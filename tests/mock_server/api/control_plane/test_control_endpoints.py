"""The other /_mock/ endpoints: clock, reset, assumptions, organizations, seeds, events, running."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from control_helpers import make_character, start_conversation

from mock_server.app import create_app
from mock_server.asgi_client import asgi_client
from mock_server.control_client import ControlError


def test_org_clock_freeze_advance_set_unfreeze(api, control, key):
    assert control.clock(key=key)["scope"] == "app"  # not split until moved
    frozen = control.freeze("2030-01-01T00:00:00Z", key=key)
    assert frozen == {"now": "2030-01-01T00:00:00.000Z", "frozen": True, "offsetMs": 0, "scope": "organization"}
    assert control.advance(90, key=key)["now"] == "2030-01-01T00:01:30.000Z"
    assert control.set_time("2030-06-01T12:00:00Z", key=key)["now"] == "2030-06-01T12:00:00.000Z"
    assert api.post("/v3/brains", json={"instructions": "x", "greetingMessage": "Hi"}).json()["createdAt"] == \
        "2030-06-01T12:00:00.000Z"
    assert control.clock()["now"] != "2030-06-01T12:00:00.000Z"  # the app clock did not move
    running = control.unfreeze(key=key)
    assert running["frozen"] is False and control.now(key=key) >= datetime(2030, 6, 1, 12, tzinfo=UTC)


def test_clock_errors(control, key):
    for call in (lambda: control.advance(-1, key=key), lambda: control.set_time("soon", key=key),
                 lambda: control.freeze("2030-01-01T00:00:00", key=key)):
        with pytest.raises(ControlError) as error:
            call()
        assert error.value.status == 400


def test_app_clock_and_full_reset_in_process():
    app = create_app()
    with asgi_client(app) as client:
        assert client.post("/_mock/clock/freeze", json={"at": "2029-02-03T04:05:06Z"}).json()["scope"] == "app"
        client.post("/v3/faces", json={"identity": "tommy"}, headers={"x-api-key": "k"})
        assert client.post("/_mock/faults", json={"path": "/v3/faces", "status": 500}).status_code == 201
        assert client.post("/_mock/reset").json() == {"reset": "all"}
        assert client.get("/_mock/organizations").json() == []
        assert client.get("/_mock/faults").json() == []
        assert client.get("/_mock/clock").json()["frozen"] is False


def test_reset_one_organization(api, control, key):
    api.post("/v3/faces", json={"identity": "tommy"})
    assert control.reset(key=key)["reset"] == "organization"
    assert api.get("/v3/faces").json()["total"] == 0


def test_assumptions_read_and_switch():
    with asgi_client(create_app(), "k") as client:
        names = {a["name"]: a["value"] for a in client.get("/_mock/assumptions").json()}
        assert names["list_order"] == "newest-first"
        switched = client.put("/_mock/assumptions", json={"list_order": "oldest-first"})
        assert {a["name"]: a["value"] for a in switched.json()}["list_order"] == "oldest-first"
        assert client.put("/_mock/assumptions", json={"nonsense": "x"}).status_code == 400


def test_organizations_create_list_and_by_key(control, key):
    created = control.create_organization([key], name="Acme", settings={"durationLimit": 600})
    assert created["name"] == "Acme" and created["settings"]["durationLimit"] == 600
    assert control.organization_of(key)["id"] == created["id"]
    assert created["id"] in [o["id"] for o in control.organizations()]
    assert control.organization_of(key + "_unused") is None
    with pytest.raises(ControlError) as error:
        control.create_organization([key])
    assert error.value.status == 409


def test_seed_into_an_organization(api, control, key):
    assert control.load_seed("demo", key=key)["organizations"] == [control.organization_of(key)["id"]]
    assert [c["id"] for c in api.get("/v3/characters").json()["characters"]] == ["char_demo_guide"]
    with pytest.raises(ControlError) as error:
        control.load_seed("no-such-seed", key=key)
    assert error.value.status == 400


def test_conversation_events_and_running(api, control, key):
    conversation = start_conversation(api, make_character(api))["conversation"]
    assert [c["id"] for c in control.running_conversations(key)] == [conversation["id"]]
    joined = control.mark_joined(conversation["id"], key)
    assert joined["joinedAt"] is not None
    assert control.say(conversation["id"], key, "hello", author="user")["transcript"][-1]["content"] == "hello"
    ended = control.event(conversation["id"], key, "error", content="avatar crashed")
    assert ended["status"] == "error"
    assert control.running_conversations(key) == []
    assert control.running_conversations("sk_never_seen") == []
