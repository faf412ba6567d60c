"""Issue 12, item 5: every number the control plane takes has a range; out of range is a 400 in the
envelope, and nothing it once accepted can make listing or billing overflow."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from control_helpers import make_character, start_conversation

from mock_server.app import create_app
from mock_server.asgi_client import asgi_client
from mock_server.models.control import DURATION_LIMIT_RANGE


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with asgi_client(create_app(), raise_app_exceptions=True) as c:
        yield c


def _envelope_400(response: httpx.Response) -> dict:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["statusCode"] == 400 and body["error"] == "Bad Request" and body["message"]
    return body


def _key() -> str:
    return f"sk_val_{uuid.uuid4().hex}"


BAD_SETTINGS = [
    b'{"durationLimit": 1000000000000000000}',
    b'{"durationLimit": 0}',
    b'{"durationLimit": -5}',
    b'{"durationLimit": 2592001}',
    b'{"durationLimit": 60.5}',
    b'{"durationLimit": "60"}',
    b'{"durationLimit": true}',
    b'{"chargeBySecond": 1e400}',
    b'{"chargeBySecond": -1}',
    b'{"chargeBySecond": NaN}',
    b'{"chargeBySecond": "1"}',
    b'{"concurrentLimit": -1}',
    b'{"concurrentLimit": 1e300}',
    b'{"suspended": "yes"}',
    b'{"reason": 5}',
    b'[]',
    b'"fast"',
]


@pytest.mark.parametrize("settings", BAD_SETTINGS, ids=[s.decode() for s in BAD_SETTINGS])
def test_out_of_range_settings_are_400_and_leave_nothing_behind(client: httpx.Client, settings: bytes) -> None:
    key = _key()
    before = len(client.get("/_mock/organizations").json())
    body = b'{"keys": ["' + key.encode() + b'"], "settings": ' + settings + b"}"
    _envelope_400(client.post("/_mock/organizations", content=body))
    assert len(client.get("/_mock/organizations").json()) == before  # no half-made organization
    # The same settings in a state import: refused too.
    state = (b'{"format": "equos-mock-state/1", "organizations": [{"id": "org-x", "keys": [], "settings": '
             + settings + b', "collections": {}}]}')
    _envelope_400(client.post("/_mock/state", content=state))
    assert client.get("/_mock/state", params={"organization": "org-x"}).status_code == 404


def test_the_range_edges_are_accepted(client: httpx.Client) -> None:
    low, high = DURATION_LIMIT_RANGE
    for limit in (low, high):
        made = client.post("/_mock/organizations", json={"keys": [_key()], "settings": {"durationLimit": limit}})
        assert made.status_code == 200 and made.json()["settings"]["durationLimit"] == limit
    made = client.post("/_mock/organizations", json={"keys": [_key()], "settings": {"chargeBySecond": 0.25}})
    assert made.json()["settings"]["chargeBySecond"] == 0.25


def test_a_huge_duration_limit_no_longer_breaks_every_tenant(client: httpx.Client) -> None:
    """The reproduction: durationLimit 10**18 let a conversation start, then listing it, the usage and
    the running list (of every tenant) answered 500 OverflowError."""
    key = _key()
    _envelope_400(client.post("/_mock/organizations", json={"keys": [key], "settings": {"durationLimit": 10**18}}))
    # Defence in depth: a value from before the ranges existed (an old data dir) must not overflow either.
    client.post("/_mock/organizations", json={"keys": [key]})
    runtime = client._transport._transport.app.state.runtime  # type: ignore[attr-defined]
    runtime.store.organization_for_key(key).settings.duration_limit = 10**18
    client.headers["x-api-key"] = key
    started = start_conversation(client, make_character(client), maxSeconds=10**17)
    assert started["conversation"]["status"] == "running"
    assert client.get("/v3/conversations").status_code == 200
    assert client.get("/v3/organizations/freemium-usage").status_code == 200
    running = client.get("/_mock/conversations/running")
    assert running.status_code == 200 and len(running.json()) == 1
    assert client.post("/_mock/clock/advance", json={"seconds": 86400}).status_code == 200
    assert client.get("/v3/conversations").json()["conversations"][0]["status"] == "running"


BAD_FAULTS = [
    {"status": 99}, {"status": 600}, {"status": 1e400}, {"status": "503"}, {"status": True},
    {"delayMs": -1}, {"delayMs": 600_001}, {"delayMs": 10**30},
    {"retryAfter": -1}, {"retryAfter": 86_401}, {"retryAfter": 10**30},
    {"status": 500, "times": 0}, {"status": 500, "times": -3}, {"status": 500, "times": 10**12},
    {"status": 500, "probability": 0}, {"status": 500, "probability": 1.5}, {"status": 500, "probability": True},
    {"status": 500, "headers": {"x-a": "b\r\nset-cookie: x"}}, {"status": 500, "headers": {"bad name": "v"}},
    {"status": 500, "headers": {"x-a": 5}}, {"status": 500, "drop": "yes"}, {"status": 500, "path": 5},
    {"status": 500, "pathRegex": "("}, {"status": 500, "unknown": 1}, {},
]


@pytest.mark.parametrize("spec", BAD_FAULTS, ids=[str(s) for s in BAD_FAULTS])
def test_out_of_range_faults_are_400(client: httpx.Client, spec: dict) -> None:
    if spec.get("status") == 1e400:
        _envelope_400(client.post("/_mock/faults", content=b'{"status": 1e400}'))
    else:
        _envelope_400(client.post("/_mock/faults", json=spec))
    assert client.get("/_mock/faults").json() == []


def test_fault_ranges_edges(client: httpx.Client) -> None:
    made = client.post("/_mock/faults", json={"status": 511, "delayMs": 0, "retryAfter": 86_400, "times": 1,
                                              "probability": 1, "path": "/v1/knowledge-bases"})
    assert made.status_code == 201, made.text
    assert made.json()["retryAfter"] == 86_400


@pytest.mark.parametrize("raw", [b'{"seconds": -1}', b'{"seconds": 1e400}', b'{"seconds": "5"}',
                                 b'{"seconds": true}', b'{"seconds": null}', b"{}", b'{"seconds": 3162240001}',
                                 b'{"seconds": 60, "key": 5}', b'{"seconds": 60, "organization": ["x"]}'])
def test_out_of_range_clock_moves_are_400(client: httpx.Client, raw: bytes) -> None:
    before = client.get("/_mock/clock").json()
    _envelope_400(client.post("/_mock/clock/advance", content=raw))
    assert client.get("/_mock/clock").json()["offsetMs"] == before["offsetMs"]


def test_state_import_with_a_clock_out_of_range_is_400(client: httpx.Client) -> None:
    for now in (10**30, -1, "soon", 1.5e300):
        state = {"format": "equos-mock-state/1", "organizations": [
            {"id": "org-clock", "keys": [], "settings": {}, "clock": {"now": now, "frozen": True}, "collections": {}}]}
        _envelope_400(client.post("/_mock/state", json=state))
