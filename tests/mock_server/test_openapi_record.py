"""The served /docs/v3-json against the record of the real contract (contract_tests/contract/equos-v3.record.json).

Every difference is either gone or declared in mock_server/extensions.py, whose table docs/contract-kit.md shows.
The wire behaviour the document now describes is checked too: optional timeline fields are absent,
not null; paging numbers are whole numbers typed as numbers; an absent PUT body is still accepted.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator

from contract_tests import record
from mock_server import docdiff, extensions

RECORD = record.load()
DOCS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "contract-kit.md"
KEY = {"x-api-key": "sk_record"}


@pytest.fixture(scope="module")
def served(equos_mock) -> dict:
    reply = httpx.get(equos_mock.url + "/docs/v3-json")
    assert reply.status_code == 200
    return reply.json()


@pytest.fixture(scope="module")
def found(served) -> list[docdiff.Difference]:
    return docdiff.differences(served, RECORD)


def test_every_difference_from_the_record_is_a_declared_extension(found):
    undeclared = [str(d) for d in found if extensions.declaring(d) is None]
    assert undeclared == [], "undeclared differences from the SDK's record:\n" + "\n".join(undeclared)


def test_every_declared_pattern_still_matches_a_difference(found):
    stale = [(e.name, p) for e in extensions.EXTENSIONS for p in e.matches
             if not any(extensions.declaring(d, [extensions.Extension(e.name, e.reason, (p,))]) for d in found)]
    assert stale == [], "declared extensions that no longer happen (delete them)"


def test_no_declared_extension_hides_a_type_a_nullability_a_requirement_or_a_name(found):
    # Extensions only add: operations, statuses, media types, constraints. Never a change of meaning.
    assert {d.change for d in found} <= {"added", "changed"}
    assert [str(d) for d in found if d.change == "changed"] == ["GET /v3/health: security changed ([\"apiKey\"] -> [])"]
    assert not [str(d) for d in found if d.facet in ("type", "nullable", "required", "ref", "enum", "format",
                                                      "closed")]


def test_the_mocks_document_has_every_operation_and_schema_of_the_record(found):
    assert [str(d) for d in found if d.change == "missing"] == []


def test_legacy_twins_are_deprecated_and_only_they_use_their_schemas(served):
    twins = extensions.LEGACY_TWINS
    ops = {(m.upper(), p): op for p, item in served["paths"].items() for m, op in item.items()}
    for (method, path), op in ops.items():
        declared = extensions.declaring(docdiff.Difference(f"{method} {path}", "", "added"), [twins])
        assert bool(declared) == bool(op.get("deprecated")), (method, path)
    current = {name for op in ops.values() if not op.get("deprecated") for name in _refs(op, served)}
    legacy_only = {name for name in served["components"]["schemas"]
                   if extensions.declaring(docdiff.Difference(f"schema {name}", "", "added"), [twins])}
    assert legacy_only and not legacy_only & current


def _refs(node: object, document: dict, seen: set[str] | None = None) -> set[str]:
    seen = set() if seen is None else seen
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.rsplit("/", 1)[1] not in seen:
            name = ref.rsplit("/", 1)[1]
            seen.add(name)
            _refs(document["components"]["schemas"][name], document, seen)
        for value in node.values():
            _refs(value, document, seen)
    elif isinstance(node, list):
        for value in node:
            _refs(value, document, seen)
    return seen


def test_the_docs_show_the_declared_extensions_table():
    text = DOCS_PAGE.read_text(encoding="utf-8")
    shown = re.search(r"<!-- extensions:start -->\n(.*?)<!-- extensions:end -->", text, re.S)
    assert shown is not None
    assert shown.group(1) == extensions.markdown_table(), (
        "docs/contract-kit.md's table is stale: paste `python -c 'from mock_server.extensions import "
        "markdown_table as t; print(t(), end=\"\")'` between the extensions markers")


# -- the six known differences, gone -------------------------------------------------------------

def test_no_schema_forbids_extra_properties(served):
    closed = [name for name, schema in served["components"]["schemas"].items()
              if schema.get("additionalProperties") is False]
    assert closed == []


def test_component_names_are_the_sdks(served):
    names = set(served["components"]["schemas"])
    assert set(RECORD["components"]["schemas"]) <= names
    assert not names & {"ConversationStatus", "UtteranceAuthor", "FaceIdentity"}
    conversation = served["components"]["schemas"]["EquosConversationWithCharacter"]
    assert conversation["properties"]["status"] == {"$ref": "#/components/schemas/EquosConversationWithCharacterStatus"}


def test_paging_is_typed_number_and_client_is_not_nullable(served):
    for path in ("/v3/brains", "/v3/conversations", "/v3/knowledge-bases"):
        params = {p["name"]: p["schema"] for p in served["paths"][path]["get"]["parameters"]}
        assert params["take"]["type"] == params["skip"]["type"] == "number"
        assert params["client"] == {"type": "string", "maxLength": 256}
    for name in ("ListEquosBrainsResponse", "ListEquosKnowledgeBasesResponse", "ListEquosConversationsResponse"):
        props = served["components"]["schemas"][name]["properties"]
        assert [props[k]["type"] for k in ("skip", "take", "total")] == ["number"] * 3


def test_put_character_body_is_required(served):
    assert served["paths"]["/v3/characters/{id}"]["put"]["requestBody"]["required"] is True


def test_timeline_author_and_content_are_optional_not_nullable(served):
    entry = served["components"]["schemas"]["EquosTimelineEntry"]
    assert entry["properties"]["author"] == {"type": "string", "title": "Author"}
    assert set(entry["required"]) == {"type", "recordedAt"}


# -- the wire matches the document ------------------------------------------------------------------

@pytest.fixture
def client(inprocess):
    return inprocess()  # responses checked against the served document too (tests/conftest.py)


def _conversation(client) -> dict:
    character = client.post("/v3/characters", headers=KEY, json={"name": "c", "livekitIdentity": "c"}).json()
    started = client.post("/v3/conversations", headers=KEY, json={"name": "n", "characterId": character["id"]})
    assert started.status_code == 201
    return started.json()["conversation"]


def test_timeline_entries_omit_absent_author_and_content(client):
    conversation = _conversation(client)
    (started,) = conversation["timeline"]
    assert set(started) == {"type", "recordedAt"}  # no "author": null, no "content": null
    stopped = client.post(f"/v3/conversations/{conversation['id']}/stop", headers=KEY).json()
    assert all(None not in entry.values() for entry in stopped["timeline"])


def test_sdk_style_float_paging_is_accepted_and_answered_with_whole_numbers(client):
    reply = client.get("/v3/brains?take=20.0&skip=0.0", headers=KEY)
    assert reply.status_code == 200
    assert re.search(rb'"skip":0,"take":20,"total":0', reply.content), reply.content
    assert client.get("/v3/brains?take=2.5", headers=KEY).status_code == 400  # multipleOf 1


def test_an_absent_client_filter_lists_everything_and_a_given_one_filters(client):
    client.post("/v3/brains", headers=KEY, json={"instructions": "i", "greetingMessage": "g", "client": "a"})
    client.post("/v3/brains", headers=KEY, json={"instructions": "i", "greetingMessage": "g"})
    assert client.get("/v3/brains", headers=KEY).json()["total"] == 2
    assert client.get("/v3/brains?client=a", headers=KEY).json()["total"] == 1


def test_put_character_without_a_body_is_still_accepted_as_nestjs_does(client):
    character = client.post("/v3/characters", headers=KEY, json={"name": "c", "livekitIdentity": "c"}).json()
    assert client.put(f"/v3/characters/{character['id']}", headers=KEY).status_code == 200


# -- docdiff finds each kind of edit --------------------------------------------------------------

def _edited(edit) -> list[str]:
    document = copy.deepcopy(RECORD)
    edit(document)
    return [str(d) for d in docdiff.differences(document, RECORD)]


def test_docdiff_names_exactly_each_edit():
    assert docdiff.differences(copy.deepcopy(RECORD), RECORD) == []
    schemas = "components", "schemas"

    def add_operation(d):
        d["paths"]["/v3/brains/{id}"]["put"] = d["paths"]["/v3/brains/{id}"]["patch"]

    def remove_field(d):
        del d[schemas[0]][schemas[1]]["EquosBrain"]["properties"]["greetingMessage"]
        d[schemas[0]][schemas[1]]["EquosBrain"]["required"].remove("greetingMessage")

    def change_enum(d):
        d[schemas[0]][schemas[1]]["EquosConversationStatus"]["enum"].append("paused")

    def change_status(d):
        post = d["paths"]["/v3/brains"]["post"]
        post["responses"] = {"200": post["responses"]["201"]}

    def make_nullable(d):
        prop = d[schemas[0]][schemas[1]]["EquosTimelineEntry"]["properties"]
        prop["author"] = {"anyOf": [prop["author"], {"type": "null"}]}

    assert _edited(add_operation) == ["PUT /v3/brains/{id}: added"]
    assert _edited(remove_field) == ["schema EquosBrain.greetingMessage: missing"]
    assert _edited(change_enum) == [
        'schema EquosConversationStatus: enum changed (["blocked", "ended", "error", "running"] -> '
        '["blocked", "ended", "error", "paused", "running"])']
    assert _edited(change_status) == ["POST /v3/brains -> 200: added", "POST /v3/brains -> 201: missing"]
    assert _edited(make_nullable) == ["schema EquosTimelineEntry.author: nullable added (true)"]

    def rename_operation(d):
        d["paths"]["/v3/health"]["get"]["operationId"] = "checkHealth"

    assert _edited(rename_operation) == ['GET /v3/health: operationId changed ("healthCheck" -> "checkHealth")']


def test_docdiff_reads_type_lists_and_any_of_alike():
    a = {"components": {"schemas": {"X": {"type": "object", "properties": {"v": {"type": ["string", "null"]}}}}}}
    b = {"components": {"schemas": {"X": {"type": "object", "properties": {
        "v": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}}}}
    assert docdiff.differences(a, b) == []
    assert docdiff.facts(a)[("schema X.v", "nullable")] is True
    assert docdiff.facts(a)[("schema X.v", "type")] == "string"


# -- the mock's replies conform to the record itself ------------------------------------------------

def _record_check(method: str, template: str, reply: httpx.Response) -> None:
    op = RECORD["paths"][template][method.lower()]
    assert str(reply.status_code) in op["responses"], (method, template, reply.status_code, reply.text)
    content = op["responses"][str(reply.status_code)].get("content")
    if content is None or not reply.content:
        return
    schema = {**content["application/json"]["schema"], "components": RECORD["components"]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [e.message for e in validator.iter_errors(reply.json())]
    assert errors == [], (method, template, errors)


def test_every_operation_replies_as_the_record_says(client):
    seen: set[tuple[str, str]] = set()

    def call(method: str, template: str, path: str, **kwargs) -> dict:
        reply = client.request(method, path, headers=KEY, **kwargs)
        _record_check(method, template, reply)
        seen.add((method.lower(), template))
        return reply.json() if reply.content else {}

    call("GET", "/v3/health", "/v3/health")
    brain = call("POST", "/v3/brains", "/v3/brains", json={"instructions": "i", "greetingMessage": "g", "client": "a"})
    face = call("POST", "/v3/faces", "/v3/faces", json={"identity": "tommy"})
    voice = call("POST", "/v3/voices", "/v3/voices", json={"identity": "Puck", "instructions": "calm"})
    kb = call("POST", "/v3/knowledge-bases", "/v3/knowledge-bases", json={"name": "k", "description": "d"})
    created = call("POST", "/v3/knowledge-bases/{id}/documents", f"/v3/knowledge-bases/{kb['id']}/documents",
                   json={"name": "n", "description": "d", "mimeType": "text/plain"})
    doc = created["document"]
    upload = httpx.URL(created["uploadUrl"]).raw_path.decode()
    assert client.put(upload, content=b"text", headers={"content-type": "text/plain"}).status_code == 200
    call("PATCH", "/v3/knowledge-bases/{id}/documents/{doc}/index",
         f"/v3/knowledge-bases/{kb['id']}/documents/{doc['id']}/index")
    character = call("POST", "/v3/characters", "/v3/characters", json={
        "name": "c", "livekitIdentity": "c", "brainId": brain["id"], "faceId": face["id"], "voiceId": voice["id"],
        "knowledgeBaseId": kb["id"]})
    call("PUT", "/v3/characters/{id}", f"/v3/characters/{character['id']}", json={"name": "c2"})
    call("PATCH", "/v3/brains/{id}", f"/v3/brains/{brain['id']}", json={"instructions": "j", "greetingMessage": "g"})
    call("PATCH", "/v3/voices/{id}", f"/v3/voices/{voice['id']}", json={"identity": "Kore"})
    conversation = call("POST", "/v3/conversations", "/v3/conversations", json={
        "name": "n", "characterId": character["id"], "client": "u1",
        "consumer": {"identity": "u", "name": "U"}})["conversation"]
    call("POST", "/v3/tokens", "/v3/tokens", json={"user": "u", "character": character["id"]})
    for collection in ("brains", "characters", "faces", "voices", "knowledge-bases", "conversations"):
        call("GET", f"/v3/{collection}", f"/v3/{collection}?take=20.0&skip=0.0")
    for collection, item in (("brains", brain), ("characters", character), ("faces", face), ("voices", voice),
                             ("knowledge-bases", kb)):
        call("GET", f"/v3/{collection}/{{id}}", f"/v3/{collection}/{item['id']}")
    call("GET", "/v3/conversations/{id}", f"/v3/conversations/{conversation['id']}")
    call("POST", "/v3/conversations/{id}/stop", f"/v3/conversations/{conversation['id']}/stop")
    call("GET", "/v3/organizations/freemium-usage", "/v3/organizations/freemium-usage")
    call("GET", "/v3/organizations/user-usage", "/v3/organizations/user-usage?client=u1")
    call("DELETE", "/v3/knowledge-bases/{id}/documents/{doc}",
         f"/v3/knowledge-bases/{kb['id']}/documents/{doc['id']}")
    call("DELETE", "/v3/characters/{id}", f"/v3/characters/{character['id']}")
    for collection, item in (("brains", brain), ("faces", face), ("voices", voice), ("knowledge-bases", kb)):
        call("DELETE", f"/v3/{collection}/{{id}}", f"/v3/{collection}/{item['id']}")
    assert seen == {(m, p) for p, item in RECORD["paths"].items() for m in item}  # every operation, once at least
