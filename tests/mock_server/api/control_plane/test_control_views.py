"""The control-plane reads the inspector page needs (api/control_views.py), over HTTP on an in-process app:
the change revision, conversations across organizations, one conversation with its tokens' claims, one
journal entry, the journal read backwards, usage per client tag, an organization's resources; the stop event."""

from __future__ import annotations

import uuid

import httpx
import jwt
import pytest
from control_helpers import make_character, start_conversation
from livekit.api import TokenVerifier

from mock_server.settings import Settings


@pytest.fixture
def http(inprocess) -> httpx.Client:
    return inprocess()


def keyed(http: httpx.Client, key: str | None = None) -> tuple[str, dict[str, str]]:
    key = key or f"sk_views_{uuid.uuid4().hex[:8]}"
    return key, {"x-api-key": key}


def org_id(http: httpx.Client, key: str) -> str:
    return http.get("/_mock/organizations", params={"key": key}).json()[0]["id"]


class Api:
    """``make_character`` and ``start_conversation`` want a client that sends one key."""

    def __init__(self, http: httpx.Client, key: str):
        self.http, self.headers = http, {"x-api-key": key}

    def post(self, path: str, **kwargs):
        return self.http.post(path, headers=self.headers, **kwargs)


def test_the_revision_moves_with_api_requests_and_control_changes_only(http):
    first = http.get("/_mock/changes").json()
    assert http.get("/_mock/changes").json()["revision"] == first["revision"]  # reads change nothing
    http.get("/_mock/journal")
    assert http.get("/_mock/changes").json()["revision"] == first["revision"]
    http.get("/v3/faces", headers={"x-api-key": "sk_views_rev"})
    second = http.get("/_mock/changes").json()
    assert second["revision"] != first["revision"] and second["journal"] == first["journal"] + 1
    http.post("/_mock/clock/advance", json={"seconds": 1})
    third = http.get("/_mock/changes").json()
    assert third["revision"] != second["revision"] and third["journal"] == second["journal"]
    assert set(third["clock"]) == {"now", "frozen", "offsetMs"}


def test_conversations_across_organizations_newest_first_with_filters_and_pages(http):
    key_a, _ = keyed(http)
    key_b, _ = keyed(http)
    api_a, api_b = Api(http, key_a), Api(http, key_b)
    http.post("/_mock/clock/freeze")
    ids = []
    for api in (api_a, api_b, api_a):
        ids.append(start_conversation(api, make_character(api))["conversation"]["id"])
        http.post("/_mock/clock/advance", json={"seconds": 1})
    org_a = org_id(http, key_a)
    everything = http.get("/_mock/conversations").json()
    assert [c["id"] for c in everything["items"]] == ids[::-1]
    assert (everything["total"], everything["running"]) == (3, 3)
    first = everything["items"][0]
    assert first["organization"] == org_a and first["status"] == "running" and first["consumerName"] == "User"
    assert first["billedSeconds"] == 1.0 and first["clockFrozen"] is True  # started 1 s ago on a frozen clock
    page = http.get("/_mock/conversations", params={"limit": 1, "offset": 1}).json()
    assert [c["id"] for c in page["items"]] == [ids[1]] and page["total"] == 3
    only_a = http.get("/_mock/conversations", params={"organization": org_a}).json()
    assert [c["id"] for c in only_a["items"]] == [ids[2], ids[0]]
    http.post(f"/_mock/conversations/{ids[0]}/events", json={"organization": org_a, "type": "error"})
    errored = http.get("/_mock/conversations", params={"status": "error"}).json()
    assert [c["id"] for c in errored["items"]] == [ids[0]] and errored["running"] == 2


def test_listing_brings_expiries_up_to_date(http):
    key, _ = keyed(http)
    api = Api(http, key)
    started = start_conversation(api, make_character(api), maxSeconds=30)["conversation"]
    org = org_id(http, key)
    http.post("/_mock/clock/advance", json={"organization": org, "seconds": 31})
    item = http.get("/_mock/conversations", params={"organization": org}).json()["items"][0]
    assert item["status"] == "ended" and item["billedSeconds"] == 30.0
    assert item["endedAt"] == item["deadline"]
    read = http.get(f"/v3/conversations/{started['id']}", headers={"x-api-key": key}).json()
    assert read["endedAt"] == item["endedAt"]


@pytest.mark.parametrize("query, message", [({"status": "paused"}, "status must be one of"),
                                            ({"limit": 0}, "limit must be between"),
                                            ({"offset": -1}, "offset must not be negative"),
                                            ({"offset": "x"}, "offset must be an integer")])
def test_bad_conversation_queries_are_400s(http, query, message):
    response = http.get("/_mock/conversations", params=query)
    assert response.status_code == 400 and message in str(response.json()["message"])


def test_one_conversation_carries_its_tokens_claims_and_never_the_secret(http):
    key, _ = keyed(http)
    api = Api(http, key)
    started = start_conversation(api, make_character(api), remoteAgent={"identity": "agent-7", "name": "Agent"})
    conversation = started["conversation"]
    detail = http.get(f"/_mock/conversations/{conversation['id']}").json()
    assert detail["conversation"]["id"] == conversation["id"] and detail["character"]["name"] == "Guide"
    tokens = {"consumer": started["consumerAccessToken"], "remoteAgent": started["remoteAgentAccessToken"]}
    for role, token in tokens.items():
        verified = TokenVerifier("devkey", "secret").verify(token)
        claims = detail["tokenClaims"][role]
        assert (claims["sub"], claims["name"], claims["video"]["room"]) == (verified.identity, verified.name,
                                                                            conversation["room"])
        assert jwt.decode(token, options={"verify_signature": False}) == claims  # exactly what was signed
    assert '"secret"' not in http.get(f"/_mock/conversations/{conversation['id']}").text
    assert http.get("/_mock/conversations/nope").status_code == 404
    assert http.get(f"/_mock/conversations/{conversation['id']}", params={"organization": "nope"}).status_code == 404


def test_the_stop_event_ends_a_running_conversation_once(http):
    key, _ = keyed(http)
    api = Api(http, key)
    conversation = start_conversation(api, make_character(api))["conversation"]
    org = org_id(http, key)
    stopped = http.post(f"/_mock/conversations/{conversation['id']}/events", json={"organization": org, "type": "stop"})
    assert stopped.status_code == 200 and stopped.json()["status"] == "ended"
    assert stopped.json()["timeline"][-1]["content"] == "stopped"
    again = http.post(f"/_mock/conversations/{conversation['id']}/events", json={"organization": org, "type": "stop"})
    assert again.status_code == 409


def test_one_journal_entry_with_masked_bodies_and_the_journal_read_backwards(http):
    key, headers = keyed(http)
    for _ in range(3):
        http.get("/v3/faces", headers=headers)
    http.post("/v3/brains", headers=headers, json={"instructions": "x", "greetingMessage": "y"})
    newest = http.get("/_mock/journal", params={"key": key, "limit": 2, "bodies": 0}).json()["entries"]
    assert [e["method"] for e in newest] == ["GET", "POST"] and "requestBody" not in newest[0]
    older = http.get("/_mock/journal", params={"key": key, "limit": 10, "before": newest[0]["id"]}).json()["entries"]
    assert [e["id"] for e in older] == [newest[0]["id"] - 2, newest[0]["id"] - 1]
    entry = http.get(f"/_mock/journal/{newest[1]['id']}").json()
    assert entry["requestBody"] == {"instructions": "x", "greetingMessage": "y"}
    assert key not in http.get(f"/_mock/journal/{newest[1]['id']}").text and entry["key"].startswith("****")
    assert http.get("/_mock/journal/999999").status_code == 404
    assert http.get("/_mock/journal/abc").status_code == 400


def test_usage_per_organization_and_client_tag_matches_the_api(http):
    key, headers = keyed(http)
    api = Api(http, key)
    character = make_character(api)
    http.post("/_mock/clock/freeze")
    for client in ("kiosk", "app", "app"):
        start_conversation(api, character, client=client)
    http.post("/_mock/clock/advance", json={"seconds": 10})
    usage = http.get("/_mock/usage", params={"organization": org_id(http, key)}).json()
    assert usage["freemiumSeconds"] == float(http.get("/v3/organizations/freemium-usage", headers=headers).text) == 30
    assert usage["byClient"] == [{"client": tag, "seconds": float(http.get(
        "/v3/organizations/user-usage", params={"client": tag}, headers=headers).text)} for tag in ("app", "kiosk")]
    assert (usage["conversations"], usage["running"]) == (3, 3)
    assert http.get("/_mock/usage").status_code == 400
    assert http.get("/_mock/usage", params={"organization": "nope"}).status_code == 404


def test_an_organizations_resources_are_populated(http):
    key, headers = keyed(http)
    face = http.post("/v3/faces", headers=headers, json={"identity": "tommy"}).json()
    kb = http.post("/v3/knowledge-bases", headers=headers, json={"name": "KB", "description": "d"}).json()
    doc = http.post(f"/v3/knowledge-bases/{kb['id']}/documents", headers=headers,
                    json={"name": "a.txt", "description": "d", "mimeType": "text/plain"}).json()
    http.post("/v3/characters", headers=headers, json={"name": "Ava", "livekitIdentity": "ava-1", "faceId": face["id"],
                                                       "knowledgeBaseId": kb["id"]})
    found = http.get(f"/_mock/organizations/{org_id(http, key)}/resources").json()
    character = found["characters"]["items"][0]
    assert character["face"]["identity"] == "tommy" and character["knowledgeBase"]["name"] == "KB"
    documents = found["knowledge_bases"]["items"][0]["documents"]
    assert [(d["id"], d["status"]) for d in documents] == [(doc["document"]["id"], "pending")]
    assert (found["faces"]["total"], found["brains"]["total"]) == (1, 0)
    assert http.get("/_mock/organizations/nope/resources").status_code == 404


def test_organizations_show_their_clock(http):
    key, headers = keyed(http)
    http.get("/v3/faces", headers=headers)
    org = org_id(http, key)
    assert http.get("/_mock/organizations", params={"key": key}).json()[0]["clock"]["scope"] == "app"
    http.post("/_mock/clock/freeze", json={"organization": org})
    clock = http.get("/_mock/organizations", params={"key": key}).json()[0]["clock"]
    assert clock["scope"] == "organization" and clock["frozen"] is True


def test_the_new_reads_ask_for_the_control_token(inprocess):
    guarded = inprocess(Settings(control_token="t0ken"))
    for path in ("/_mock/changes", "/_mock/conversations", "/_mock/conversations/x", "/_mock/journal/1",
                 "/_mock/usage?organization=x", "/_mock/organizations/x/resources"):
        assert guarded.get(path).status_code == 401, path
        assert guarded.get(path, headers={"x-mock-token": "t0ken"}).status_code in (200, 400, 404), path
