"""Seed errors name the file, the place in it and the rule broken, in one line; none is a 500."""

from __future__ import annotations

import json

import pytest

from mock_server import seed
from mock_server.app import create_app
from mock_server.asgi_client import asgi_client


def test_load_file_prefixes_the_file_and_the_place(tmp_path):
    path = tmp_path / "team.json"
    path.write_text(json.dumps({"organizations": [
        {"id": "org_a", "keys": ["sk_a"]},
        {"id": "org_b", "keys": ["sk_b"],
         "brains": [{"instructions": "x", "greetingMessage": "Hi"}, {"instructions": 3, "greetingMessage": "Hi"}]},
    ]}), encoding="utf-8")
    with pytest.raises(seed.SeedError) as error:
        seed.load_file(create_app().state.runtime, str(path))
    assert str(error.value) == f"{path}: organizations[1].brains[1].instructions: Input should be a valid string"


def test_an_enum_rule_names_the_values_it_allows(tmp_path):
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"organizations": [{"faces": [{"identity": "nobody"}, {}]}]}), encoding="utf-8")
    with pytest.raises(seed.SeedError) as error:
        seed.load_file(create_app().state.runtime, str(path))
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"{path}: organizations[0].faces[0].identity: Input should be ")
    assert "tommy" in message  # the values the rule allows


def test_every_rule_broken_in_an_entry_on_one_line(tmp_path):
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"organizations": [{"brains": [{"instructions": 3}]}]}), encoding="utf-8")
    with pytest.raises(seed.SeedError) as error:
        seed.load_file(create_app().state.runtime, str(path))
    assert str(error.value) == (f"{path}: organizations[0].brains[0].instructions: Input should be a valid string; "
                                "organizations[0].brains[0].greetingMessage: Field required")


def test_a_duplicate_id_through_the_control_plane_is_a_400_naming_it():
    with asgi_client(create_app(), "sk_admin") as client:
        reply = client.post("/_mock/organizations", json={
            "keys": ["sk_dup"], "brains": [{"id": "b1", "instructions": "x", "greetingMessage": "Hi"},
                                           {"id": "b1", "instructions": "y", "greetingMessage": "Hi"}]})
        assert reply.status_code == 400
        assert reply.json()["message"] == [
            "organizations[0].brains[1].id: brain b1 already exists in this organization"]
