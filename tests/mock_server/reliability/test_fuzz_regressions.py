"""Failures schemathesis found, pinned (see scripts/fuzz.py), and the deliberate replies it flags."""

from __future__ import annotations

import httpx

from mock_server import create_app
from mock_server.settings import Settings

from .conftest import assert_envelope, client_for

KEY = {"x-api-key": "sk_regress"}


def test_a_configured_key_without_a_seed_works() -> None:
    # Was: every request 401, since no organization held the --api-key key.
    with client_for(api_keys=("sk_only",)) as client:
        assert client.get("/v3/brains", headers={"x-api-key": "sk_only"}).status_code == 200
        assert_envelope(client.get("/v3/brains", headers={"x-api-key": "sk_other"}), 401)


def test_deleting_a_knowledge_base_removes_it() -> None:
    # Was: DELETE answered the knowledge base but left it in place (use_after_free).
    with client_for(assumptions={"null_result": "404"}) as client:
        kb = client.post("/v3/knowledge-bases", headers=KEY, json={"name": "kb", "description": "d"}).json()
        doc = client.post(f"/v3/knowledge-bases/{kb['id']}/documents", headers=KEY,
                          json={"name": "d", "description": "d", "mimeType": "text/plain"}).json()
        character = client.post("/v3/characters", headers=KEY, json={
            "name": "c", "livekitIdentity": "c", "knowledgeBaseId": kb["id"]}).json()
        deleted = client.delete(f"/v3/knowledge-bases/{kb['id']}", headers=KEY)
        assert deleted.status_code == 200 and deleted.json()["documents"][0]["id"] == doc["document"]["id"]
        assert_envelope(client.get(f"/v3/knowledge-bases/{kb['id']}", headers=KEY), 404)
        assert client.get("/v3/knowledge-bases", headers=KEY).json()["total"] == 0
        assert client.get(f"/v3/characters/{character['id']}", headers=KEY).json()["knowledgeBaseId"] is None


def test_take_and_skip_are_documented_as_whole_numbers(api: httpx.Client) -> None:
    # Was: documented as numbers, so take=42.4 was schema-valid yet refused. Then as integers, which the
    # SDK's record contradicts (number). Now: numbers that are multiples of 1, as the mock enforces.
    document = create_app(Settings()).state.openapi
    schemas = {p["name"]: p["schema"] for p in document["paths"]["/v3/brains"]["get"]["parameters"]}
    for name in ("take", "skip"):  # both present, whole numbers
        assert (schemas[name]["type"], schemas[name]["multipleOf"]) == ("number", 1), schemas
    assert api.get("/v3/brains?take=20.0&skip=0.0", headers=KEY).status_code == 200  # the SDK's floats
    assert_envelope(api.get("/v3/brains?take=42.4", headers=KEY), 400)


def test_update_character_body_is_documented_required_an_absent_one_read_as_empty(api: httpx.Client) -> None:
    # Was: name/search documented as nullable. The body is documented required, as the SDK's record
    # (NestJS) says, yet an absent one is read as {} (NestJS's ValidationPipe does the same).
    document = create_app(Settings()).state.openapi
    put = document["paths"]["/v3/characters/{id}"]["put"]
    assert put["requestBody"]["required"] is True
    assert document["paths"]["/v3/characters"]["post"]["requestBody"]["required"] is True
    schema = document["components"]["schemas"][put["requestBody"]["content"]["application/json"]["schema"]
                                                ["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["name"]["type"] == "string"
    assert schema["properties"]["search"]["type"] == "boolean" and "anyOf" not in schema["properties"]["search"]
    character = api.post("/v3/characters", headers=KEY, json={"name": "c", "livekitIdentity": "c"}).json()
    assert api.put(f"/v3/characters/{character['id']}", headers=KEY).status_code == 200
    assert_envelope(api.put(f"/v3/characters/{character['id']}", headers=KEY, json={"name": None}), 400)
    assert_envelope(api.put(f"/v3/characters/{character['id']}", headers=KEY, json={"search": None}), 400)


def test_the_default_null_reply_is_an_empty_body(api: httpx.Client) -> None:
    # Deliberate (null_result=empty, NestJS's null): not JSON, no content type; the fuzz profiles use 404.
    for method, path in (("GET", "/v3/brains/nope"), ("DELETE", "/v3/brains/nope"),
                         ("POST", "/v3/conversations/nope/stop")):
        reply = api.request(method, path, headers=KEY)
        assert reply.status_code in (200, 201) and reply.content == b""
        assert "content-type" not in reply.headers


def test_a_schema_valid_body_over_the_limit_is_413(api: httpx.Client) -> None:
    # 100,000 characters escaped as \\uXXXX\\uXXXX pass the schema yet exceed 1 MiB: a 413, counted as a rejection.
    body = '{"instructions": "' + "\\ud83d\\ude00" * 100_000 + '", "greetingMessage": "x"}'
    assert_envelope(api.post("/v3/brains", headers={**KEY, "content-type": "application/json"},
                             content=body.encode()), 413)
