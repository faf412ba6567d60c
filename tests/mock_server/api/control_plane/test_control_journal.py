"""The request journal: recording, masking, filters, count/verify, clearing, bounds, near misses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from control_helpers import make_character, start_conversation

from mock_server import auth
from mock_server.app import create_app
from mock_server.asgi_client import asgi_client
from mock_server.control_client import ControlError
from mock_server.journal import Journal, JournalFilter
from mock_server.masking import mask_secret, mask_text


def test_records_request_and_response(api, control, key, server):
    created = api.post("/v3/brains?client=x", json={"instructions": "Be brief.", "greetingMessage": "Hi!"})
    entries = control.journal(key=key)
    assert len(entries) == 1
    entry = entries[0]
    assert entry["method"] == "POST" and entry["path"] == "/v3/brains" and entry["query"] == "client=x"
    assert entry["status"] == 201
    assert entry["requestBody"] == {"instructions": "Be brief.", "greetingMessage": "Hi!"}
    assert entry["responseBody"] == created.json()
    assert entry["organization"] == created.json()["organizationId"]
    assert entry["key"] == server.runtime.mask(key) and key not in str(entry)
    assert entry["durationMs"] >= 0 and entry["requestBytes"] == len(created.request.content)


def test_time_comes_from_the_organization_clock(api, control, key):
    control.freeze("2030-01-02T03:04:05.000Z", key=key)
    api.get("/v3/faces")
    assert control.journal(key=key)[-1]["time"] == "2030-01-02T03:04:05.000Z"


def test_secrets_are_masked(api, control, key, server):
    character = make_character(api)
    started = start_conversation(api, character, remoteAgent={"identity": "agent", "name": "Agent"})
    token = started["consumerAccessToken"]
    kb = api.post("/v3/knowledge-bases", json={"name": "kb", "description": "d"}).json()
    doc = api.post(f"/v3/knowledge-bases/{kb['id']}/documents",
                   json={"name": "a.md", "description": "d", "mimeType": "text/markdown"})
    assert doc.status_code == 201, doc.text
    upload_url = doc.json()["uploadUrl"]
    signature = upload_url.split("signature=")[1]
    assert httpx.put(upload_url, content=b"hello").status_code < 300
    dump = str(control.journal(key=key)) + str(control.journal(path="/_uploads/*"))
    for secret in (key, token, started["remoteAgentAccessToken"], signature):
        assert secret not in dump
    entry = control.journal(key=key, method="POST", path="/v3/conversations")[0]
    assert entry["responseBody"]["consumerAccessToken"] == server.runtime.mask(token)
    assert "signature=****" in control.journal(path="/_uploads/*")[-1]["query"]


def test_mask_text_finds_jwts_inside_text():
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    secret = b"s" * 32
    assert mask_text(f"Bearer {jwt} and ?a=1&signature=abc123", secret) == \
        f"Bearer {mask_secret(jwt, secret)} and ?a=1&signature={mask_secret('abc123', secret)}"


def test_filters(api, control, key):
    api.post("/v3/faces", json={"identity": "tommy"})
    api.get("/v3/faces")
    api.get("/v3/faces/nope")
    api.get("/v3/voices")
    assert [e["path"] for e in control.journal(key=key, method="get")] == ["/v3/faces", "/v3/faces/nope", "/v3/voices"]
    assert len(control.journal(key=key, path="/v3/faces")) == 2
    assert len(control.journal(key=key, path="/v3/faces*")) == 3
    assert [e["status"] for e in control.journal(key=key, status="201")] == [201]
    assert len(control.journal(key=key, status="2xx")) == 4  # an unknown id is a 200 with no body (null_result)
    api.get("/v3/facez")
    assert [e["path"] for e in control.journal(key=key, status="4xx")] == ["/v3/facez"]
    assert control.journal(key=key, limit=1)[0]["path"] == "/v3/facez"
    first = control.journal(key=key)[0]["id"]
    assert len(control.journal(key=key, after=first)) == 4
    assert control.journal(key="sk_never_used") == []
    future = datetime.now(UTC) + timedelta(days=1)
    assert control.journal(key=key, since=future) == []
    assert len(control.journal(key=key, since=datetime.now(UTC) - timedelta(minutes=5))) == 5


def test_count_and_verify(api, control, key):
    character = make_character(api)
    for _ in range(3):
        start_conversation(api, character)
    assert control.count("POST", "/v3/conversations", key=key) == 3
    assert control.count("POST", "/v3/conversations", key="sk_someone_else") == 0
    control.verify(3, "POST", "/v3/conversations", key=key)
    with pytest.raises(AssertionError, match="expected 2 request"):
        control.verify(2, "POST", "/v3/conversations", key=key)
    for conversation in api.get("/v3/conversations").json()["conversations"]:
        api.post(f"/v3/conversations/{conversation['id']}/stop")
    assert control.count("POST", "/v3/conversations/*/stop", key=key) == 3


def test_unauthorized_requests_are_journaled_by_key(server, control):
    response = httpx.get(server.url + "/v3/faces")
    assert response.status_code == 401
    assert any(e["status"] == 401 and e["key"] is None for e in control.journal(path="/v3/faces", status="401"))


def test_control_calls_are_not_journaled(api, control, key):
    api.get("/v3/faces")
    control.clock(key=key)
    control.count(key=key)
    assert [e["path"] for e in control.journal(key=key)] == ["/v3/faces"]
    assert control.journal(path="/_mock/*") == []


def test_clear_one_key_or_all(server, control, key):
    other = "sk_ctl_other_" + key[-6:]
    httpx.get(server.url + "/v3/faces", headers={"x-api-key": key})
    httpx.get(server.url + "/v3/faces", headers={"x-api-key": other})
    assert control.clear_journal(key=key) == 1
    assert control.journal(key=key) == [] and len(control.journal(key=other)) == 1
    control.clear_journal()
    assert control.journal_page()["size"] == 0


def test_near_miss_in_entry_and_header(api, control, key):
    response = api.get("/v3/charactres/abc")
    assert response.status_code == 404
    assert response.json() == {"statusCode": 404, "message": "Cannot GET /v3/charactres/abc", "error": "Not Found"}
    assert response.headers["x-mock-near-miss"].startswith("GET /v3/characters/{id}")
    entry = control.journal(key=key)[-1]
    assert entry["nearMisses"][0] == {"method": "GET", "path": "/v3/characters/{id}",
                                      "score": entry["nearMisses"][0]["score"]}
    assert len(entry["nearMisses"]) == 3
    # A routed 404 (unknown id) is not a near miss.
    missing = api.get("/v3/characters/abc")
    assert "x-mock-near-miss" not in missing.headers
    assert "nearMisses" not in control.journal(key=key)[-1]
    # The method counts too: a wrong method on a similar path prefers routes with that method.
    api.post("/v3/brain", json={})
    assert control.journal(key=key)[-1]["nearMisses"][0] == {
        "method": "POST", "path": "/v3/brains", "score": control.journal(key=key)[-1]["nearMisses"][0]["score"]}


def test_ring_buffer_is_bounded():
    journal = Journal(capacity=3)
    for n in range(5):
        journal.record({"method": "GET", "path": f"/{n}", "organization": None, "key": None, "status": 200,
                        "_at_ms": 1_700_000_000_000 + n})
    assert [e["path"] for e in journal.find(JournalFilter())] == ["/2", "/3", "/4"]
    assert journal.evicted == 2 and len(journal) == 3
    assert [e["id"] for e in journal.find(JournalFilter())] == [3, 4, 5]


def test_journal_lives_on_the_runtime_and_reports_its_capacity():
    first, second = create_app(), create_app()
    with asgi_client(first, "k") as client:
        client.get("/v3/faces")
        page = client.get("/_mock/journal").json()
    assert page["capacity"] == 10_000 and page["size"] == 1 and page["evicted"] == 0
    assert len(second.state.runtime.journal) == 0


def test_reset_clears_the_journal(server, key):
    # A separate app: a full reset must not disturb the other tests of this module's server.
    app = create_app()
    with asgi_client(app) as client:
        client.get("/v3/faces", headers={"x-api-key": key})
        assert client.post("/_mock/reset").json() == {"reset": "all"}
        assert client.get("/_mock/journal").json()["entries"] == []


def test_bad_filters_are_400(control):
    with pytest.raises(ControlError) as error:
        control.request("GET", "journal", query={"since": "yesterday"})
    assert error.value.status == 400
    with pytest.raises(ControlError) as error:
        control.request("GET", "journal/count", query={"after": "x"})
    assert error.value.status == 400
    with pytest.raises(TypeError):
        control.journal(colour="red")


def test_clear_after_an_entry(api, control, key):
    api.get("/v3/faces")
    api.get("/v3/voices")
    first = control.journal(key=key)[0]["id"]
    assert control.clear_journal(key=key, after=first) == 1
    assert [e["path"] for e in control.journal(key=key)] == ["/v3/faces"]


def test_a_crash_is_journaled_as_500(monkeypatch):
    app = create_app()

    def broken(runtime, key):
        raise RuntimeError("boom")

    monkeypatch.setattr(auth, "organization_for_key", broken)  # any authenticated route now crashes inside the app
    with asgi_client(app, "k") as client:
        response = client.get("/v3/faces")
        assert response.status_code == 500
        # in the API's envelope, as JSON, not a bare text page
        assert response.json() == {"statusCode": 500, "message": "Internal server error: RuntimeError",
                                   "error": "Internal Server Error"}
        entry = client.get("/_mock/journal").json()["entries"][-1]
    assert entry["status"] == 500 and entry["error"] == "RuntimeError"


def test_a_crash_on_the_control_plane_is_a_500_in_the_envelope(monkeypatch):
    app = create_app()

    async def broken(request):
        raise RuntimeError("boom")

    dispatcher = next(r.endpoint for r in app.router.routes if getattr(r, "path", None) == "/_mock/clock")
    monkeypatch.setitem(dispatcher.by_method, "GET", broken)
    with asgi_client(app) as client:
        response = client.get("/_mock/clock")
    assert response.status_code == 500
    assert response.json()["message"] == "Internal server error: RuntimeError"


def test_key_fingerprints_are_remembered_within_a_bound(monkeypatch):
    import mock_server.journal as journal_module

    monkeypatch.setattr(journal_module, "KEY_MASKS_KEPT", 3)
    journal = Journal()
    keys = [f"sk_{n}" for n in range(7)] * 2
    assert [journal.masked_key(k) for k in keys] == [mask_secret(k, journal.secret) for k in keys]
    assert len(journal._key_masks) <= 3
