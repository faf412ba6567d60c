"""The legacy API over HTTP: keys, statuses under the clock, limits, images, usage, aliases, docs, CORS."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

import httpx
import pytest
from livekit import api as livekit_api
from openapi_spec_validator import validate

from mock_server import auth, create_app
from mock_server.cli import build_parser, settings_from
from mock_server.domain.legacy.avatars import MAX_IMAGE_BYTES
from mock_server.server import MockServer
from mock_server.settings import Settings
from mock_server.state import export_state, import_state

PNG = b"\x89PNG\r\n\x1a\n" + b"\x07" * 32
IMAGE = "data:image/png;base64," + base64.b64encode(PNG).decode()


def parse_time(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Org:
    """One fresh organization on the shared server: its API key, public key and an HTTP client."""

    def __init__(self, server: MockServer, **settings: object):
        self.server = server
        self.key = f"sk_{uuid.uuid4().hex}"
        created = httpx.post(server.url + "/_mock/organizations", json={"keys": [self.key], "settings": settings})
        assert created.status_code == 200, created.text
        self.public_key = created.json()["publicKeys"][0]
        self.http = httpx.Client(base_url=server.url, headers={"x-api-key": self.key}, timeout=10)

    def bearer(self, method: str, path: str, body: object = None, key: str | None = None) -> httpx.Response:
        return httpx.request(method, self.server.url + path, json=body, timeout=10,
                             headers={"Authorization": f"Bearer {key or self.public_key}"})

    def agent_and_avatar(self, identity: str = "guide") -> tuple[dict, dict]:
        agent = self.http.post("/v1/agents", json={"provider": "gemini", "name": "Guide", "voice": "Puck"})
        avatar = self.http.post("/v1/avatars", json={"identity": identity, "name": "Guide", "refImage": IMAGE,
                                                     "agentId": agent.json()["id"]})
        assert (agent.status_code, avatar.status_code) == (201, 201), avatar.text
        return agent.json(), avatar.json()

    def start(self, avatar_id: str, **extra: object) -> httpx.Response:
        return self.http.post("/v1/sessions", json={"name": "s", "avatar": {"id": avatar_id}, **extra})

    def freeze(self) -> None:
        self.server.control.freeze(key=self.key)

    def advance(self, seconds: float) -> None:
        self.server.control.advance(seconds, key=self.key)


@pytest.fixture
def org(legacy_server) -> Org:
    return Org(legacy_server)


# --- keys -----------------------------------------------------------------------
def test_public_key_and_api_key_are_not_interchangeable(legacy_server, org):
    agent, avatar = org.agent_and_avatar()
    body = {"name": "p", "avatar": {"id": avatar["id"]}, "agent": {"id": agent["id"]},
            "consumerIdentity": {"identity": "guest", "name": "Guest"}}
    assert org.bearer("POST", "/v1/session-passes", body).status_code == 201
    # An API key is no public key, and a public key opens no backend route (not even with open keys).
    refused = org.bearer("POST", "/v1/session-passes", body, key=org.key)
    assert (refused.status_code, refused.json()) == (401, {"message": "Unauthorized", "statusCode": 401})
    for path in ("/v1/agents", "/v3/characters", "/v1/limits"):
        assert httpx.get(legacy_server.url + path, headers={"x-api-key": org.public_key}).status_code == 401
    assert httpx.post(legacy_server.url + "/v1/session-passes", json=body).status_code == 401
    assert httpx.post(legacy_server.url + "/v1/session-passes", json=body,
                      headers={"Authorization": f"Basic {org.public_key}"}).status_code == 401
    # The key is checked before the body, as a NestJS guard runs before the validation pipe.
    assert org.bearer("POST", "/v1/session-passes", {"name": 3}, key="pk_unknown").status_code == 401


def test_public_keys_come_from_seed_files_and_survive_state_export():
    seed = {"organizations": [{"id": "org_seeded", "keys": ["sk_seeded"], "publicKeys": ["pk_seeded"],
                               "settings": {"concurrentLimit": 3}}]}
    app = create_app(Settings())
    rt = app.state.runtime
    from mock_server import seed as seeding

    seeding.load(rt, seed)
    org = rt.store.organizations["org_seeded"]
    assert rt.public_keys_of(org) == ["pk_seeded"]
    assert auth.organization_for_public_key(rt, "Bearer pk_seeded") is org
    state = json.loads(json.dumps(export_state(rt)))
    assert state["organizations"][0]["publicKeys"] == ["pk_seeded"]
    other = create_app(Settings()).state.runtime
    import_state(other, state)
    assert auth.organization_for_public_key(other, "bearer pk_seeded").id == "org_seeded"


def test_open_key_organizations_get_a_public_key_derived_from_their_api_key():
    first, second = (create_app(Settings()).state.runtime for _ in range(2))
    keys = [rt.public_key_of(auth.organization_for_key(rt, "sk_same")) for rt in (first, second)]
    assert keys[0] == keys[1] and keys[0].startswith("pk_") and "sk_same" not in keys[0]


# --- sessions under the clock ---------------------------------------------------------
def test_session_status_starting_running_ended_by_max_duration(org):
    agent, avatar = org.agent_and_avatar()
    org.freeze()
    created = org.start(avatar["id"], maxDuration=60, consumerIdentity={"identity": "u", "name": "U"})
    assert created.status_code == 201
    session = created.json()["session"]
    started = parse_time(session["startedAt"])
    assert session["status"] == "starting" and session["agentId"] == agent["id"]  # the avatar's agent
    org.advance(2.9)
    assert org.http.get(f"/v1/sessions/{session['id']}").json()["status"] == "starting"
    org.advance(0.1)
    running = org.http.get(f"/v1/sessions/{session['id']}").json()
    assert running["status"] == "running" and parse_time(running["updatedAt"]) == started + timedelta(seconds=3)
    org.advance(100)
    ended = org.http.get("/v1/sessions").json()["sessions"][0]
    assert ended["status"] == "ended" and parse_time(ended["endedAt"]) == started + timedelta(seconds=60)
    stopped_again = org.http.patch(f"/v1/sessions/{session['id']}/stop", json={})
    assert (stopped_again.status_code, stopped_again.content) == (200, b"")  # null_result: empty
    token = livekit_api.TokenVerifier("devkey", "secret").verify(created.json()["consumerAccessToken"])
    assert token.identity == "u"


def test_max_duration_above_the_organization_limit(legacy_server):
    org = Org(legacy_server, durationLimit=120)
    _, avatar = org.agent_and_avatar()
    refused = org.start(avatar["id"], maxDuration=121)
    assert refused.status_code == 400
    assert refused.json()["message"] == ["maxDuration must not be greater than 120"]
    assert org.start(avatar["id"]).json()["session"]["maxDuration"] == 120
    assert org.http.get("/v1/sessions").json()["total"] == 1


def test_usage_counts_sessions_with_conversations(org):
    _, avatar = org.agent_and_avatar()
    org.freeze()
    session = org.start(avatar["id"], client="alice").json()["session"]
    character = org.http.post("/v3/characters", json={"name": "c", "livekitIdentity": "c-1"}).json()
    conversation = org.http.post("/v3/conversations", json={"name": "c", "characterId": character["id"]}).json()
    org.advance(10)
    assert org.http.patch(f"/v1/sessions/{session['id']}/stop", json={}).json()["status"] == "ended"
    org.advance(5)
    org.http.post(f"/v3/conversations/{conversation['conversation']['id']}/stop")
    assert float(org.http.get("/v3/organizations/freemium-usage").text) == 25
    assert float(org.http.get("/v3/organizations/user-usage", params={"client": "alice"}).text) == 10


# --- limits ---------------------------------------------------------------------------
def test_concurrent_limit_counts_sessions_and_conversations(legacy_server):
    org = Org(legacy_server, concurrentLimit=2)
    _, avatar = org.agent_and_avatar()
    character = org.http.post("/v3/characters", json={"name": "c", "livekitIdentity": "c-1"}).json()
    assert org.http.post("/v3/conversations", json={"name": "c", "characterId": character["id"]}).status_code == 201
    first = org.start(avatar["id"]).json()["session"]
    refused = org.start(avatar["id"])
    assert refused.status_code == 429
    assert refused.json() == {"statusCode": 429, "message": "Concurrent session limit reached (2 live at once)",
                              "error": "Too Many Requests"}
    org.http.patch(f"/v1/sessions/{first['id']}/stop", json={})
    assert org.start(avatar["id"]).status_code == 201
    limits = org.http.get("/v1/limits").json()
    assert (limits["concurrent"], limits["duration"], limits["suspended"]) == (2, 3600, False)
    assert org.http.get("/v3/limits").json() == limits


def test_suspended_organization_starts_nothing_and_nothing_is_left_behind(legacy_server):
    org = Org(legacy_server, suspended=True, reason="unpaid")
    refused = org.http.post("/v1/sessions", json={
        "name": "s", "agent": {"provider": "gemini"},
        "avatar": {"identity": "fly", "name": "Fly", "refImage": IMAGE}})
    assert refused.status_code == 403
    assert refused.json() == {"statusCode": 403, "message": "Organization is suspended: unpaid", "error": "Forbidden"}
    assert org.http.get("/v1/agents").json()["total"] == 0 and org.http.get("/v1/avatars").json()["total"] == 0
    limits = org.http.get("/v1/limits").json()
    assert (limits["suspended"], limits["reason"], limits["concurrent"]) == (True, "unpaid", 0)


def test_limits_are_null_when_none_set(org):
    response = org.http.get("/v1/limits")
    assert (response.status_code, response.content) == (200, b"")


# --- avatars and their images -----------------------------------------------------------
@pytest.mark.parametrize("ref_image, status", [
    ("not a data url", 400),
    ("data:text/plain;base64,aGVsbG8=", 400),
    ("data:image/png;base64,@@@", 400),
    ("data:image/png;base64," + base64.b64encode(b"\0" * (MAX_IMAGE_BYTES + 1)).decode(), 413),
])
def test_ref_image_must_be_an_image_data_url_of_at_most_5_mb(org, ref_image, status):
    response = org.http.post("/v1/avatars", json={"identity": "a", "name": "A", "refImage": ref_image})
    assert response.status_code == status, response.text
    assert org.http.get("/v1/avatars").json()["total"] == 0


def test_a_5_mb_image_is_kept_and_served_at_the_thumbnail_url(org):
    content = b"\xff\xd8\xff" + bytes(MAX_IMAGE_BYTES - 3)
    created = org.http.post("/v1/avatars", json={
        "identity": "big", "name": "Big", "refImage": "data:image/jpeg;base64," + base64.b64encode(content).decode()})
    assert created.status_code == 201, created.text
    served = httpx.get(created.json()["thumbnailUrl"])
    assert served.headers["content-type"] == "image/jpeg" and served.content == content


def test_avatar_rules_identity_agent_and_put_body_ids(org):
    agent, avatar = org.agent_and_avatar("one")
    duplicate = org.http.post("/v1/avatars", json={"identity": "one", "name": "B", "refImage": IMAGE})
    assert duplicate.status_code == 409
    missing = org.http.post("/v1/avatars", json={"identity": "two", "name": "B", "refImage": IMAGE, "agentId": "nope"})
    assert missing.status_code == 404
    put = {"id": avatar["id"], "organizationId": avatar["organizationId"], "identity": "one", "name": "N"}
    assert org.http.put(f"/v1/avatars/{avatar['id']}", json={**put, "id": "other"}).status_code == 400
    assert org.http.put(f"/v1/avatars/{avatar['id']}", json={**put, "organizationId": "x"}).status_code == 400
    updated = org.http.put(f"/v1/avatars/{avatar['id']}", json=put).json()
    assert updated["name"] == "N" and updated["agentId"] == agent["id"]
    assert httpx.get(updated["thumbnailUrl"]).content == PNG  # refImage left out: the image is kept
    # Archiving the agent unlinks it from the avatar.
    assert org.http.delete(f"/v1/agents/{agent['id']}").json()["id"] == agent["id"]
    assert org.http.get(f"/v1/avatars/{avatar['id']}").json()["agentId"] is None


# --- session passes ---------------------------------------------------------------------
def test_session_pass_rules(org):
    agent, avatar = org.agent_and_avatar()
    body = {"name": "p", "avatar": {"id": avatar["id"]}, "agent": {"id": agent["id"]},
            "consumerIdentity": {"identity": "guest", "name": "Guest"}, "client": "web",
            "remoteAgentConnectingIdentity": {"identity": "bot", "name": "Bot"}}
    created = org.bearer("POST", "/v1/session-passes", body)
    assert created.status_code == 201
    assert set(created.json()) == {"session", "consumerAccessToken"}  # no remote agents with passes
    assert created.json()["session"]["remoteAgentIdentity"] is None
    assert org.bearer("POST", "/v1/session-passes", {**body, "agent": {"id": "nope"}}).status_code == 404
    no_consumer = {k: v for k, v in body.items() if k != "consumerIdentity"}
    assert org.bearer("POST", "/v1/session-passes", no_consumer).status_code == 400
    # A public key stops only pass sessions; the backend may stop any.
    backend = org.start(avatar["id"]).json()["session"]
    assert org.bearer("PATCH", f"/v1/session-passes/{backend['id']}/stop", {}).content == b""
    pass_id = created.json()["session"]["id"]
    assert org.http.patch(f"/v1/sessions/{pass_id}/stop", json={}).json()["status"] == "ended"


def test_self_hosted_session_mints_no_tokens(org):
    _, avatar = org.agent_and_avatar()
    created = org.start(avatar["id"], host={"serverUrl": "wss://mine.example", "accessToken": "t"},
                        consumerIdentity={"identity": "u", "name": "U"})
    assert created.json()["session"]["host"] == {"serverUrl": "wss://mine.example"}
    assert created.json()["consumerAccessToken"] is None


# --- aliases, documents, CORS, settings ------------------------------------------------
def test_v3_aliases_on_by_default_and_switchable(legacy_server, org):
    _, avatar = org.agent_and_avatar()
    session = org.http.post("/v3/sessions", json={"name": "s", "avatar": {"id": avatar["id"]}}).json()["session"]
    assert org.http.get(f"/v1/sessions/{session['id']}").json()["id"] == session["id"]
    v3 = httpx.get(legacy_server.url + "/docs/v3-json").json()
    validate(v3)
    assert v3["paths"]["/v3/sessions"]["post"]["deprecated"] is True
    assert v3["paths"]["/v3/session-passes"]["post"]["security"] == [{"clientAuth": []}]
    with MockServer(legacy_v3_routes=False) as off:
        headers = {"x-api-key": "sk_off"}
        assert httpx.get(off.url + "/v3/sessions", headers=headers).status_code == 404
        assert httpx.get(off.url + "/v1/sessions", headers=headers).status_code == 200
        assert "/v3/sessions" not in httpx.get(off.url + "/docs/v3-json").json()["paths"]


def test_cli_flag_and_environment_switch_the_aliases():
    assert settings_from(build_parser({}).parse_args(["serve"])).legacy_v3_routes is True
    assert settings_from(build_parser({}).parse_args(["serve", "--no-legacy-v3"])).legacy_v3_routes is False
    env = {"EQUOS_MOCK_LEGACY_V3": "0"}
    assert settings_from(build_parser(env).parse_args(["serve"])).legacy_v3_routes is False
    assert settings_from(build_parser(env).parse_args(["serve", "--legacy-v3"])).legacy_v3_routes is True


def test_v1_openapi_document(legacy_server):
    document = httpx.get(legacy_server.url + "/docs/v1-json").json()
    validate(document)
    assert document["paths"]["/v1/health"]["get"]["operationId"] == "HealthController_check_v1"
    assert "security" not in document["paths"]["/v1/health"]["get"]
    assert document["paths"]["/v1/session-passes/{id}/stop"]["patch"]["security"] == [{"clientAuth": []}]
    assert document["paths"]["/v1/agents/{id}"]["put"]["security"] == [{"apiKey": []}]
    assert httpx.get(legacy_server.url + "/v1/health").json() == {"status": "ok", "version": "1.0.0"}


def test_cors_preflight_with_authorization_for_session_passes(legacy_server, org):
    preflight = httpx.options(legacy_server.url + "/v1/session-passes", headers={
        "Origin": "http://127.0.0.1:9", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    refused = httpx.post(legacy_server.url + "/v1/session-passes", json={},
                         headers={"Origin": "http://127.0.0.1:9", "Authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "*"


def test_state_export_keeps_legacy_collections(org):
    _, avatar = org.agent_and_avatar()
    org.start(avatar["id"])
    rt = org.server.runtime
    source = rt.store.organization_for_key(org.key)
    state = json.loads(json.dumps(export_state(rt, source)))
    copy = create_app(Settings()).state.runtime
    imported = import_state(copy, state)[0]
    assert [len(imported.collection(n)) for n in ("agents", "avatars", "sessions")] == [1, 1, 1]
    assert imported.avatars.get(avatar["id"]).refImageSize == len(PNG)
    assert auth.organization_for_public_key(copy, f"Bearer {org.public_key}") is imported


def test_a_configured_api_key_gets_its_organization_and_public_key():
    rt = create_app(Settings(api_keys=("sk_configured",))).state.runtime
    org = auth.organization_for_key(rt, "sk_configured")
    assert auth.organization_for_public_key(rt, f"Bearer {rt.public_key_of(org)}") is org
    with pytest.raises(Exception, match="Unauthorized"):
        auth.organization_for_key(rt, "sk_not_configured")


def test_control_client_finds_the_public_key_of_an_api_key(legacy_server, org):
    assert legacy_server.control.public_key(org.key) == org.public_key
    fresh = legacy_server.control.public_key("sk_never_used_before_" + uuid.uuid4().hex)
    assert fresh.startswith("pk_") and fresh != org.public_key
