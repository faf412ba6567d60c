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


def _refused(tmp_path, data) -> str:
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(seed.SeedError) as error:
        seed.load_file(create_app().state.runtime, str(path))
    message = str(error.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    return message.removeprefix(f"{path}: ")


def test_a_typo_in_a_nested_entry_or_at_the_top_names_the_closest(tmp_path):
    assert _refused(tmp_path, {"organizations": [{"knowledgeBases": [{
        "name": "kb", "description": "d", "client": "c",
        "documents": [{"name": "a.md", "description": "d", "mimetype": "text/plain"}]}]}]}) == (
        "organizations[0].knowledgeBases[0].documents[0].mimetype: unknown key; did you mean `mimeType`?")
    assert _refused(tmp_path, {"organisations": []}) == "organisations: unknown key; did you mean `organizations`?"


def test_a_typo_in_settings_names_the_closest_setting(tmp_path):
    assert _refused(tmp_path, {"organizations": [{"settings": {"durationLimt": 60}}]}) == (
        "organizations[0].settings.durationLimt: unknown key; did you mean `durationLimit`?")


def test_an_unknown_organization_field_names_the_closest_and_every_typo_is_listed(tmp_path):
    assert _refused(tmp_path, {"organizations": [{"Name": "x", "publickeys": []}]}) == (
        "organizations[0].Name: unknown key; did you mean `name`?; "
        "organizations[0].publickeys: unknown key; did you mean `publicKeys`?")


def test_a_key_like_nothing_lists_the_known_names_from_the_model(tmp_path):
    message = _refused(tmp_path, {"organizations": [{"brains": [{"instructions": "x", "greetingMessage": "Hi",
                                                                  "zzz": 1}]}]})
    assert message.startswith("organizations[0].brains[0].zzz: unknown key; known keys: id, ")
    assert "greetingMessage" in message and "instructions" in message


def test_a_typo_creates_nothing(tmp_path):
    rt = create_app().state.runtime
    path = tmp_path / "late.json"
    path.write_text(json.dumps({"organizations": [
        {"id": "org_fine", "keys": ["sk_fine"], "brains": [{"instructions": "x", "greetingMessage": "Hi"}]},
        {"id": "org_typo", "keys": ["sk_typo"], "voices": [{"identity": "Puck", "instruction": "x"}]}]}),
        encoding="utf-8")
    with pytest.raises(seed.SeedError, match=r"voices\[0\]\.instruction: unknown key; did you mean `instructions`\?"):
        seed.load_file(rt, str(path))
    assert not rt.store.organizations


def test_a_typo_through_the_control_plane_is_a_400_naming_it():
    with asgi_client(create_app(), "sk_admin") as client:
        reply = client.post("/_mock/organizations", json={"keys": ["sk_t"], "charcters": []})
        assert reply.status_code == 400
        assert reply.json()["message"] == ["organizations[0].charcters: unknown key; did you mean `characters`?"]
        assert client.get("/_mock/organizations", params={"key": "sk_t"}).json() == []


def test_a_seed_sent_whole_loads_into_the_key_and_is_checked_like_a_file():
    team = {"organizations": [{"brains": [{"id": "b_team", "instructions": "x", "greetingMessage": "Hi"}]}]}
    with asgi_client(create_app(), "sk_team") as client:
        assert client.post("/_mock/seed", json={"content": team, "key": "sk_team"}).status_code == 200
        assert client.get("/v3/brains/b_team").json()["greetingMessage"] == "Hi"
        for body, message in (
                ({"content": team, "name": "demo"}, "give name or content, not both"),
                ({"content": [], "key": "sk_team"}, "expected an object with an 'organizations' list"),
                ({"content": {"organizations": [{"brains": [{"instructions": "x", "greetingMesage": "Hi"}]}]},
                  "key": "sk_team"},
                 "organizations[0].brains[0].greetingMesage: unknown key; did you mean `greetingMessage`?")):
            reply = client.post("/_mock/seed", json=body)
            assert (reply.status_code, reply.json()["message"]) == (400, [message])
