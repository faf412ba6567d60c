"""Security: the control plane locked down, loopback by default, signed uploads, tenants apart,
secrets never printed, and CORS that never grants credentials."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import create_app
from mock_server.api.control_plane import TABLE
from mock_server.asgi_client import BASE_URL
from mock_server.cli import banner, banner_key, build_parser, settings_from
from mock_server.settings import Settings

from .conftest import assert_envelope, client_for, page_token, served_logs

A = {"x-api-key": "sk_tenant_a"}
B = {"x-api-key": "sk_tenant_b"}


def _concrete(path: str) -> str:
    return path.replace("{id}", "x")


# --- control plane -----------------------------------------------------------------------------
def test_control_plane_can_be_disabled() -> None:
    with client_for(control_plane=False) as client:
        for method, path, _ in TABLE:
            reply = client.request(method, _concrete(path), json={})
            assert_envelope(reply, 404)
        assert client.get("/v3/health").status_code == 200
    assert settings_from(build_parser({}).parse_args(["serve", "--no-control"])).control_plane is False
    env = {"EQUOS_MOCK_NO_CONTROL": "1"}
    assert settings_from(build_parser(env).parse_args(["serve"])).control_plane is False
    assert settings_from(build_parser({}).parse_args(["serve"])).control_plane is True


def test_control_plane_can_require_a_token() -> None:
    with client_for(control_token="tok-123") as client:
        for method, path, _ in TABLE:
            for headers in ({}, {"x-mock-token": "wrong"}, {"x-mock-token": "tok-12"}, {"x-mock-token": ""}):
                assert_envelope(client.request(method, _concrete(path), json={}, headers=headers), 401)
        assert client.get("/_mock/clock", headers={"x-mock-token": "tok-123"}).status_code == 200
        assert client.post("/_mock/reset", json={}, headers={"x-mock-token": "tok-123"}).status_code == 200
        # The API itself needs no token.
        assert client.get("/v3/brains", headers=A).status_code == 200
    args = build_parser({"EQUOS_MOCK_CONTROL_TOKEN": "t-env"}).parse_args(["serve"])
    assert settings_from(args).control_token == "t-env"
    assert settings_from(build_parser({}).parse_args(["serve", "--control-token", "t"])).control_token == "t"


def test_control_plane_refuses_web_pages(api: httpx.Client) -> None:
    for origin in ("https://evil.example", "null", "http://localhost:1"):
        reply = api.post("/_mock/reset", json={}, headers={"origin": origin})
        assert_envelope(reply, 403)
        assert "access-control-allow-origin" not in reply.headers
        preflight = api.options("/_mock/reset", headers={
            "origin": origin, "access-control-request-method": "POST"})
        assert "access-control-allow-origin" not in preflight.headers
    # The mock's own page (same origin, with its page token: issue 19) and no Origin at all (curl, SDKs) are fine.
    assert api.post("/_mock/reset", json={}, headers={"origin": BASE_URL, **page_token(api)}).status_code == 200
    assert_envelope(api.post("/_mock/reset", json={}, headers={"origin": BASE_URL}), 403)
    assert api.post("/_mock/reset", json={}).status_code == 200


# --- binding -------------------------------------------------------------------------------------
def test_loopback_by_default_and_a_loud_warning_otherwise() -> None:
    assert Settings().host == "127.0.0.1"
    assert settings_from(build_parser({}).parse_args(["serve"])).host == "127.0.0.1"
    for host in ("127.0.0.1", "::1", "localhost"):
        assert "WARNING" not in banner(Settings(host=host), "http://x", "k", True)
    for host in ("0.0.0.0", "::", "192.0.2.10"):
        text = banner(Settings(host=host), "http://x", "k", True)
        assert "WARNING" in text and host in text and "reachable from other machines" in text


def test_banner_shows_a_key_that_works_and_nothing_else_secret() -> None:
    # Issue 2: "on start it prints the base URL and a key that works": the operator's own --api-key.
    app = create_app(Settings(api_keys=("sk_cli_one", "sk_cli_two")))
    key = banner_key(app.state.runtime)
    assert key == "sk_cli_one"
    text = banner(app.state.runtime.settings, "http://x", key, False)
    assert "sk_cli_one" in text and "sk_cli_two" not in text
    assert banner_key(create_app(Settings()).state.runtime) == "sk_test_equos_mock"
    assert banner_key(create_app(Settings(seed_file="demo")).state.runtime) == "sk_demo_equos_mock"


# --- upload URLs ---------------------------------------------------------------------------------
def _document(client: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    kb = client.post("/v3/knowledge-bases", headers=headers, json={"name": "kb", "description": "d"}).json()
    doc = client.post(f"/v3/knowledge-bases/{kb['id']}/documents", headers=headers,
                      json={"name": "d", "description": "d", "mimeType": "text/plain"}).json()
    return doc


def test_upload_urls_are_signed_and_expire(api: httpx.Client) -> None:
    doc_a = _document(api, A)
    doc_b = _document(api, B)
    url = httpx.URL(doc_a["uploadUrl"])
    org_a, id_a = url.path.split("/")[-2:]
    org_b, id_b = httpx.URL(doc_b["uploadUrl"]).path.split("/")[-2:]
    query = dict(url.params)
    tampered = [
        f"/_uploads/{org_a}/{id_a}?expires={query['expires']}&signature={'0' * 64}",
        f"/_uploads/{org_a}/{id_a}?expires={int(query['expires']) + 1}&signature={query['signature']}",
        f"/_uploads/{org_a}/{id_b}?expires={query['expires']}&signature={query['signature']}",
        f"/_uploads/{org_b}/{id_a}?expires={query['expires']}&signature={query['signature']}",
        f"/_uploads/{org_b}/{id_b}?expires={query['expires']}&signature={query['signature']}",
        f"/_uploads/..%2F{org_a}/{id_a}?expires={query['expires']}&signature={query['signature']}",
        f"/_uploads/{org_a}/{id_a}?expires={query['expires']}",
        f"/_uploads/{org_a}/{id_a}?expires={query['expires']}&signature={query['signature'].upper()}",
    ]
    for path in tampered:
        assert_envelope(api.put(path, content=b"x"), None)
    for doc in (doc_a, doc_b):
        assert api.get(f"/v3/knowledge-bases/{doc['document']['knowledgeBaseId']}",
                       headers=A if doc is doc_a else B).json()["documents"][0]["size"] == 0
    # Expiry follows the organization's clock.
    api.post("/_mock/clock/advance", json={"seconds": 3601, "key": "sk_tenant_a"})
    assert_envelope(api.put(url.raw_path.decode(), content=b"late"), 403)
    assert api.put(httpx.URL(doc_b["uploadUrl"]).raw_path.decode(), content=b"ok").status_code == 200


# --- tenants and the data directory ---------------------------------------------------------------
def test_no_id_reaches_another_organization(api: httpx.Client) -> None:
    brain = api.post("/v3/brains", headers=A, json={"instructions": "i", "greetingMessage": "g"}).json()
    character = api.post("/v3/characters", headers=A,
                         json={"name": "c", "livekitIdentity": "x", "brainId": brain["id"]}).json()
    conversation = api.post("/v3/conversations", headers=A,
                            json={"name": "c", "characterId": character["id"]}).json()["conversation"]
    for path in (f"/v3/brains/{brain['id']}", f"/v3/characters/{character['id']}",
                 f"/v3/conversations/{conversation['id']}"):
        assert api.get(path, headers=B).content == b""
    assert api.delete(f"/v3/brains/{brain['id']}", headers=B).content == b""
    assert api.post(f"/v3/conversations/{conversation['id']}/stop", headers=B).content == b""
    assert_envelope(api.post("/v3/characters", headers=B, json={
        "name": "c", "livekitIdentity": "y", "brainId": brain["id"]}), 404)
    assert_envelope(api.post("/v3/conversations", headers=B, json={
        "name": "c", "characterId": character["id"]}), 404)
    assert_envelope(api.post("/v3/tokens", headers=B, json={"user": "u", "character": character["id"]}), 404)
    assert_envelope(api.post(f"/_mock/conversations/{conversation['id']}/events", headers=B,
                             json={"type": "joined"}), 404)
    assert api.get("/v3/organizations/freemium-usage", headers=B).text == "0"
    # A's things are untouched.
    assert api.get(f"/v3/brains/{brain['id']}", headers=A).json()["id"] == brain["id"]
    assert api.get(f"/v3/conversations/{conversation['id']}", headers=A).json()["status"] == "running"


def test_hostile_ids_stay_inside_the_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    outside = sorted(tmp_path.iterdir())
    with client_for(data_dir=str(data)) as client:
        for org_id in ("../../x", "/etc/evil", "..", "a\\..\\b", "x/../../y"):
            reply = client.post("/_mock/organizations", json={"id": org_id, "keys": [f"sk_{org_id}"]})
            assert reply.status_code in (200, 400), reply.text
            client.post("/v3/brains", headers={"x-api-key": f"sk_{org_id}"},
                        json={"instructions": "../../etc/passwd", "greetingMessage": "x"})
            _document(client, {"x-api-key": f"sk_{org_id}"})
        for odd in ("..%2F..%2Fx", "%2Fetc%2Fpasswd"):
            client.get(f"/v3/brains/{odd}", headers=A)
    assert sorted(tmp_path.iterdir()) == sorted([*outside, data])
    assert {p.name for p in data.iterdir()} <= {"equos-mock.sqlite3", "equos-mock.sqlite3-wal",
                                                 "equos-mock.sqlite3-shm", "equos-mock.lock"}


# --- secrets in logs ------------------------------------------------------------------------------
@pytest.mark.slow  # a server in a subprocess
def test_keys_and_tokens_never_reach_the_logs(tmp_path: Path) -> None:
    key, token = "sk_secret_key_4711", "tok_secret_0815"
    env = {**os.environ, "EQUOS_MOCK_API_KEYS": key, "EQUOS_MOCK_CONTROL_TOKEN": token,
           "EQUOS_MOCK_LOG_LEVEL": "debug"}
    with served_logs(env) as (url, served):
        with httpx.Client(base_url=url, timeout=5) as http:
            assert http.get("/v3/brains", headers={"x-api-key": key}).status_code == 200
            assert http.get("/v3/brains", headers={"x-api-key": key + "x"}).status_code == 401
            assert http.get("/_mock/organizations", headers={"x-mock-token": token}).status_code == 200
            listed = http.get("/_mock/organizations", headers={"x-mock-token": token}).text
            assert key not in listed
            assert http.get("/_mock/clock", headers={"x-mock-token": token + "x"}).status_code == 401
            assert http.get(f"/v3/brains?client={key}", headers={"x-api-key": key}).status_code == 200
    logs = served.text
    assert "equos-mock" in served.first
    assert key not in logs and token not in logs, logs


# --- CORS -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:3000", "null"])
def test_cors_never_grants_credentials(origin: str, api: httpx.Client) -> None:
    preflight = api.options("/v3/brains", headers={
        "origin": origin, "access-control-request-method": "POST",
        "access-control-request-headers": "x-api-key, content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in preflight.headers
    simple = api.get("/v3/brains", headers={**A, "origin": origin, "cookie": "session=1"})
    assert simple.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in simple.headers
    failed = api.get("/v3/brains", headers={"origin": origin})
    assert failed.status_code == 401 and "access-control-allow-credentials" not in failed.headers
    api.put("/_mock/assumptions", json={"cors": "off"})
    off = api.get("/v3/brains", headers={**A, "origin": origin})
    assert "access-control-allow-origin" not in off.headers
