"""/v1/knowledge-bases over raw HTTP, shaped as the Node SDK 2.2.x (axios) sends it.

Requests mirror EquosAI/equos-node-sdk src/apis/knowledge-base.ts at eb50c46 (v2.2.3): the key in
``x-api-key``, JSON bodies, ``?skip=0&take=10`` on list, a PATCH without a body to index.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from openapi_spec_validator import validate

from mock_server.server import MockServer

KB_KEYS = {"id", "organizationId", "name", "description", "client", "documents", "createdAt", "updatedAt"}
DOC_KEYS = {"id", "knowledgeBaseId", "name", "description", "size", "status", "createdAt", "updatedAt"}
AXIOS_HEADERS = {"Accept": "application/json, text/plain, */*", "User-Agent": "axios/1.11.0"}


@pytest.fixture
def node(legacy_server: MockServer) -> Iterator[httpx.Client]:
    """An axios-like client of a fresh organization (any key gets its own)."""
    headers = {**AXIOS_HEADERS, "x-api-key": f"sk_{uuid.uuid4().hex}"}
    with httpx.Client(base_url=legacy_server.url + "/v1", headers=headers, timeout=10) as client:
        yield client


def _chunks() -> Iterator[bytes]:
    yield from ()  # Node's http sends a PATCH without data as chunked with no chunk at all


def test_the_node_sdk_knowledge_base_calls_end_to_end(node: httpx.Client, legacy_server: MockServer) -> None:
    created = node.post("/knowledge-bases", json={"name": "Docs", "description": "Product docs", "client": "crm"})
    assert created.status_code == 201, created.text
    kb = created.json()
    assert set(kb) == KB_KEYS and kb["documents"] == [] and kb["client"] == "crm"
    other = node.post("/knowledge-bases", json={"name": "Other", "description": "o"}).json()

    listed = node.get("/knowledge-bases?skip=0&take=10").json()
    assert (listed["skip"], listed["take"], listed["total"]) == (0, 10, 2)
    assert {item["id"] for item in listed["items"]} == {kb["id"], other["id"]}
    assert [i["id"] for i in node.get("/knowledge-bases?skip=0&take=10&client=crm").json()["items"]] == [kb["id"]]

    added = node.post(f"/knowledge-bases/{kb['id']}/documents",
                      json={"name": "faq.md", "description": "FAQ", "mimeType": "text/markdown"})
    assert added.status_code == 201, added.text
    assert set(added.json()) == {"document", "uploadUrl", "expireAt"}
    doc = added.json()["document"]
    assert set(doc) == DOC_KEYS and doc["knowledgeBaseId"] == kb["id"] and doc["size"] == 0
    upload = httpx.put(added.json()["uploadUrl"], content=b"# FAQ\n", timeout=10)
    assert upload.status_code == 200, upload.text

    indexed = node.patch(f"/knowledge-bases/{kb['id']}/documents/{doc['id']}/index")
    assert indexed.status_code == 200, indexed.text
    assert indexed.json()["status"] == "ready" and indexed.json()["size"] == 6
    again = node.patch(f"/knowledge-bases/{kb['id']}/documents/{doc['id']}/index", content=_chunks())
    assert again.status_code == 200 and again.json()["id"] == doc["id"]

    fetched = node.get(f"/knowledge-bases/{kb['id']}").json()
    assert [d["id"] for d in fetched["documents"]] == [doc["id"]] and fetched["documents"][0]["status"] == "ready"

    removed = node.delete(f"/knowledge-bases/{kb['id']}/documents/{doc['id']}")
    assert removed.status_code == 200 and removed.json()["id"] == doc["id"]
    assert node.get(f"/knowledge-bases/{kb['id']}").json()["documents"] == []

    deleted = node.delete(f"/knowledge-bases/{kb['id']}")
    assert deleted.status_code == 200 and deleted.json()["id"] == kb["id"]
    # "| null" in the SDK's types: the mock's null reply (an empty 200 body by default, `null_result`).
    gone = node.get(f"/knowledge-bases/{kb['id']}")
    assert (gone.status_code, gone.content) == (200, b"")
    twice = node.delete(f"/knowledge-bases/{kb['id']}")
    assert (twice.status_code, twice.content) == (200, b"")
    assert node.get("/knowledge-bases?skip=0&take=10").json()["total"] == 1


def test_v1_and_v3_share_one_state_and_its_rules(node: httpx.Client, legacy_server: MockServer) -> None:
    key = node.headers["x-api-key"]
    v3 = httpx.Client(base_url=legacy_server.url + "/v3", headers={"x-api-key": key}, timeout=10)
    with v3:
        kb = node.post("/knowledge-bases", json={"name": "Shared", "description": "d"}).json()
        assert v3.get(f"/knowledge-bases/{kb['id']}").json()["name"] == "Shared"
        doc = v3.post(f"/knowledge-bases/{kb['id']}/documents",
                      json={"name": "a.txt", "description": "a", "mimeType": "text/plain"}).json()["document"]
        # The v3 rule, through v1: nothing to index before the upload.
        early = node.patch(f"/knowledge-bases/{kb['id']}/documents/{doc['id']}/index")
        assert early.status_code == 400 and "has not been uploaded yet" in str(early.json()["message"])
        assert [d["id"] for d in node.get(f"/knowledge-bases/{kb['id']}").json()["documents"]] == [doc["id"]]
        assert v3.delete(f"/knowledge-bases/{kb['id']}").json()["id"] == kb["id"]
        assert node.get(f"/knowledge-bases/{kb['id']}").content == b""


def test_a_session_names_a_v1_knowledge_base(node: httpx.Client) -> None:
    kb = node.post("/knowledge-bases", json={"name": "KB", "description": "d"}).json()
    avatar_body = {"identity": "guide", "name": "Guide",
                   "refImage": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
                               "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="}
    avatar = node.post("/avatars", json=avatar_body)
    assert avatar.status_code == 201, avatar.text
    started = node.post("/sessions", json={"name": "s", "avatar": {"id": avatar.json()["id"]},
                                           "knowledgeBase": {"id": kb["id"]}})
    assert started.status_code == 201, started.text
    assert started.json()["session"]["knowledgeBaseId"] == kb["id"]
    node.delete(f"/knowledge-bases/{kb['id']}")
    refused = node.post("/sessions", json={"name": "s", "avatar": {"id": avatar.json()["id"]},
                                           "knowledgeBase": {"id": kb["id"]}})
    assert refused.status_code == 404 and kb["id"] in refused.json()["message"]


def test_bad_input_gets_the_envelope_with_a_message(node: httpx.Client, legacy_server: MockServer) -> None:
    # The Node SDK throws EquosError(body.message): every failure must carry one.
    missing = node.post("/knowledge-bases", json={"name": "no description"})
    assert missing.status_code == 400 and missing.json()["message"]
    unknown = node.post("/knowledge-bases/nope/documents", json={"name": "a", "description": "a", "mimeType": "x"})
    assert unknown.status_code == 404 and "nope" in unknown.json()["message"]
    assert node.delete("/knowledge-bases/nope/documents/nada").status_code == 404
    assert node.get("/knowledge-bases?skip=0&take=51").status_code == 400
    no_key = httpx.get(legacy_server.url + "/v1/knowledge-bases?skip=0&take=10", timeout=10)
    assert no_key.status_code == 401 and no_key.json()["message"]


def test_the_v1_document_lists_them_and_v3_gets_no_twin(legacy_server: MockServer) -> None:
    v1 = httpx.get(legacy_server.url + "/docs/v1-json", timeout=10).json()
    validate(v1)
    assert {(p, m) for p, ops in v1["paths"].items() if p.startswith("/v1/knowledge-bases") for m in ops} == {
        ("/v1/knowledge-bases", "get"), ("/v1/knowledge-bases", "post"), ("/v1/knowledge-bases/{id}", "get"),
        ("/v1/knowledge-bases/{id}", "delete"), ("/v1/knowledge-bases/{id}/documents", "post"),
        ("/v1/knowledge-bases/{id}/documents/{doc}/index", "patch"),
        ("/v1/knowledge-bases/{id}/documents/{doc}", "delete")}
    assert v1["paths"]["/v1/knowledge-bases"]["post"]["responses"]["201"]
    v3 = httpx.get(legacy_server.url + "/docs/v3-json", timeout=10).json()
    assert not any(op.get("deprecated") for op in v3["paths"]["/v3/knowledge-bases"].values())
