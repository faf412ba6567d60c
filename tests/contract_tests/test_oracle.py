"""The oracle reads the record open-world: extra fields never fail and are reported; a missing required
field, a wrong type, an enum value outside the record and an unexpected status do fail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contract_tests import oracle
from mock_server import create_app
from mock_server.asgi_client import asgi_client

BRAIN = {"id": "b1", "organizationId": "o1", "instructions": "i", "greetingMessage": "g",
         "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z", "client": None}


def _brain_reply(body: Any, status: int = 200, content_type: str = "application/json", **kw: Any) -> list[str]:
    return oracle.violations("GET", "/v3/brains/b1", status, content_type, json.dumps(body).encode(), **kw)


def test_the_oracle_is_the_record_of_the_official_sdk():
    assert oracle.oracle_file() == oracle.RECORD_FILE
    assert oracle.document()["info"]["x-equos-record"]["package"] == "equos"


def test_every_operation_is_found_by_method_and_path():
    for op in oracle.operations():
        concrete = op.path.replace("{id}", "abc").replace("{doc}", "def")
        assert oracle.find_operation(op.method, concrete).operation_id == op.operation_id
    assert oracle.find_operation("GET", "/v3/organizations/freemium-usage").operation_id == "getFreemiumUsage"
    assert oracle.find_operation("GET", "/_mock/clock") is None


def test_extra_properties_never_fail():
    assert _brain_reply({**BRAIN, "deletedAt": None, "metadata": {"a": 1}}) == []


@pytest.mark.parametrize(("change", "words"), [
    ({"instructions": None}, "instructions"),  # wrong type
    ({"createdAt": 1700000000}, "createdAt"),  # wrong type
    ({"organizationId": ...}, "'organizationId' is a required property"),  # missing required field
])
def test_record_breaks_fail(change: dict[str, Any], words: str):
    brain = {k: v for k, v in {**BRAIN, **change}.items() if v is not ...}
    assert _brain_reply(brain)  # one of anyOf [EquosBrain, null]: the message names no field
    listed = oracle.violations("GET", "/v3/brains", 200, "application/json",
                               json.dumps({"brains": [brain], "skip": 0, "take": 10, "total": 1}).encode())
    assert listed and listed[0].startswith("listBrains: brains/0") and words in listed[0], listed


def test_an_enum_value_outside_the_record_fails():
    with asgi_client(create_app(), "sk_oracle_test") as client:
        character = client.post("/v3/characters", json={"name": "n", "livekitIdentity": "oracle"}).json()
        client.post("/v3/conversations", json={"name": "n", "characterId": character["id"], "maxSeconds": 30})
        body = client.get("/v3/conversations").json()
    assert oracle.violations("GET", "/v3/conversations", 200, "application/json", json.dumps(body).encode()) == []
    body["conversations"][0]["status"] = "active"
    listed = oracle.violations("GET", "/v3/conversations", 200, "application/json", json.dumps(body).encode())
    assert listed == ["listConversations: conversations/0/status: 'active' is not one of "
                      "['blocked', 'ended', 'error', 'running']"], listed


def test_statuses():
    assert "server error" in _brain_reply({}, status=500)[0]
    assert "not one the operation answers" in oracle.violations("POST", "/v3/brains", 200, "application/json",
                                                               json.dumps(BRAIN).encode())[0]
    assert _brain_reply({"statusCode": 404}, status=404) == []  # a 4xx is for the checks to judge
    assert oracle.violations("GET", "/v3/brains/x", 200, "", b"") == []  # "returns null": an empty body


def test_bare_numbers_as_text_only_while_the_target_sends_text():
    usage = ("GET", "/v3/organizations/freemium-usage", 200, "text/html; charset=utf-8", b"12.5")
    assert oracle.violations(*usage) == []
    assert oracle.violations(*usage, text_scalars=False)
    assert oracle.violations("GET", "/v3/organizations/freemium-usage", 200, "text/html", b"many")


def test_project_keeps_what_the_record_knows_and_names_the_rest():
    op = oracle.find_operation("GET", "/v3/characters")
    assert op is not None
    schema = oracle.response_schema(op, 200)
    body = {"characters": [{"id": "c1", "name": "n", "extra": 1,
                            "brain": {**BRAIN, "secretKey": "sk_x"}}], "skip": 0, "take": 10, "total": 1,
            "nextCursor": "abc"}
    view, added = oracle.project(body, schema)
    assert view == {"characters": [{"id": "c1", "name": "n", "brain": BRAIN}], "skip": 0, "take": 10, "total": 1}
    names = {(owner.removeprefix("Equos").removeprefix("ListEquos"), name) for owner, name, _ in added}
    assert names == {("CharactersResponse", "nextCursor"), ("Character", "extra"), ("Brain", "secretKey")}
