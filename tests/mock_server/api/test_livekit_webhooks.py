"""POST /livekit/webhook: webhooks signed as LiveKit signs them end the conversation as the room would;
forged, stale and tampered ones are refused in the API's envelope and change nothing."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from datetime import timedelta

import httpx
import jwt
import pytest
from equos.client.models import (
    CreateEquosBrainRequest,
    CreateEquosCharacterRequest,
    CreateEquosConversationRequest,
    EquosParticipantIdentity,
)
from livekit.api import AccessToken

WEBHOOK = "/livekit/webhook"
KEY, SECRET = "devkey", "secret"  # the session server's LiveKit key and secret (livekit-server --dev's)
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


def signed(body: str, *, key: str = KEY, secret: str = SECRET) -> str:
    """The Authorization header LiveKit's server sends: a JWT of its key whose sha256 is the body's."""
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return AccessToken(key, secret).with_sha256(digest).with_ttl(timedelta(minutes=5)).to_jwt()


def event(kind: str, room: str, identity: str | None = None, **extra: object) -> str:
    """A WebhookEvent in protobuf JSON, as livekit-server posts it."""
    body: dict[str, object] = {"event": kind, "room": {"sid": "RM_x", "name": room},
                               "id": f"EV_{uuid.uuid4().hex[:12]}", "createdAt": str(int(time.time()))}
    if identity is not None:
        body["participant"] = {"sid": "PA_x", "identity": identity, "state": "ACTIVE"}
    body.update(extra)
    return json.dumps(body)


def post(url: str, body: str, token: str | None) -> httpx.Response:
    headers = {"content-type": "application/webhook+json"}
    if token is not None:
        headers["authorization"] = token
    return httpx.post(url + WEBHOOK, content=body.encode(), headers=headers)


@pytest.fixture
def started(equos_mock, equos_api_key, equos_client, equos_clock):
    brain = equos_client.brains.create(CreateEquosBrainRequest(instructions="Be brief.", greeting_message="Hi!"))
    character = equos_client.characters.create(CreateEquosCharacterRequest(
        name="Guide", livekit_identity=f"guide-{uuid.uuid4().hex[:8]}", brain_id=brain.id))
    begun = equos_client.conversations.start(CreateEquosConversationRequest(
        name="webhooks", character_id=character.id, consumer=EquosParticipantIdentity(identity="ada", name="Ada")))
    yield begun
    httpx.post(f"{equos_mock.url}/v3/conversations/{begun.conversation.id}/stop",  # null when already ended
               headers={"x-api-key": equos_api_key})


def conversation(equos_mock, key: str, conversation_id: str) -> dict:
    return httpx.get(f"{equos_mock.url}/v3/conversations/{conversation_id}", headers={"x-api-key": key}).json()


def usage(equos_mock, key: str) -> str:
    return httpx.get(f"{equos_mock.url}/v3/organizations/freemium-usage", headers={"x-api-key": key}).text


@pytest.mark.parametrize("ending", ["participant_left", "track_unpublished", "room_finished"])
def test_a_signed_webhook_ends_the_conversation_at_its_arrival(equos_mock, equos_api_key, equos_clock, started,
                                                               ending):
    room, conversation_id = started.conversation.room, started.conversation.id
    joined = post(equos_mock.url, body := event("participant_joined", room, "ada"), signed(body))
    assert joined.status_code == 200 and joined.json()["applied"] == "joined", joined.text
    equos_clock.advance(42)
    left_at = equos_clock.now()
    if ending == "track_unpublished":
        body = event(ending, room, "ada", track={"sid": "TR_a", "type": "AUDIO", "source": "MICROPHONE"})
    else:
        body = event(ending, room, None if ending == "room_finished" else "ada")
    reply = post(equos_mock.url, body, signed(body))
    assert reply.status_code == 200 and reply.json()["applied"] == "ended", reply.text

    seen = conversation(equos_mock, equos_api_key, conversation_id)
    assert seen["status"] == "ended" and seen["joinedAt"] is not None
    assert seen["endedAt"] == left_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    billed = usage(equos_mock, equos_api_key)
    equos_clock.advance(600)
    assert usage(equos_mock, equos_api_key) == billed  # billing stopped at the leave
    # The journal has the webhook and what it did.
    (entry,) = equos_mock.control.journal(method="POST", path=WEBHOOK, limit=1)
    assert entry["status"] == 200 and entry["responseBody"]["conversation"] == conversation_id


def test_only_the_consumers_microphone_and_leave_count(equos_mock, equos_api_key, started):
    room, conversation_id = started.conversation.room, started.conversation.id
    for body in (event("participant_left", room, "someone-else"),
                 event("track_unpublished", room, "ada", track={"sid": "TR_v", "type": "VIDEO", "source": "CAMERA"}),
                 event("participant_joined", room, "stranger"),
                 event("room_started", room),
                 event("participant_left", "equos-not-a-room-of-the-mock", "ada")):
        reply = post(equos_mock.url, body, signed(body))
        assert reply.status_code == 200 and reply.json()["applied"] == "ignored", reply.text
    assert conversation(equos_mock, equos_api_key, conversation_id)["status"] == "running"


def test_the_assumption_off_keeps_it_running(equos_mock, equos_api_key, started):
    equos_mock.control.set_assumptions(end_on_consumer_leave="off")
    try:
        body = event("participant_left", started.conversation.room, "ada")
        reply = post(equos_mock.url, body, signed(body))
        assert reply.status_code == 200 and reply.json()["applied"] == "left", reply.text
    finally:
        equos_mock.control.set_assumptions(end_on_consumer_leave="on")
    seen = conversation(equos_mock, equos_api_key, started.conversation.id)
    assert seen["status"] == "running"
    assert any(entry["type"] == "left" for entry in seen["timeline"])


def _stale(body: str) -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    issued = int(time.time()) - 3600  # signed an hour ago with LiveKit's 5-minute validity
    return jwt.encode({"iss": KEY, "nbf": issued, "exp": issued + 300, "sha256": digest}, SECRET, algorithm="HS256")


@pytest.mark.parametrize("forgery", ["wrong secret", "wrong key", "stale", "body changed", "no sha256",
                                     "no token", "garbage token"])
def test_forged_and_stale_webhooks_are_refused(equos_mock, equos_api_key, started, forgery):
    body = event("participant_left", started.conversation.room, "ada")
    token = {
        "wrong secret": lambda: signed(body, secret="not-the-secret"),
        "wrong key": lambda: signed(body, key="otherkey"),
        "stale": lambda: _stale(body),
        "body changed": lambda: signed(body.replace('"ada"', '"bob"')),
        "no sha256": lambda: AccessToken(KEY, SECRET).to_jwt(),
        "no token": lambda: None,
        "garbage token": lambda: "not-a-jwt",
    }[forgery]()
    reply = post(equos_mock.url, body, token)
    assert reply.status_code == 401, reply.text
    refusal = reply.json()
    assert refusal["statusCode"] == 401 and refusal["error"] == "Unauthorized"
    assert refusal["message"][0].startswith("invalid LiveKit webhook")
    if forgery == "stale":
        assert "stale" in refusal["message"][0]
    assert conversation(equos_mock, equos_api_key, started.conversation.id)["status"] == "running"


@pytest.mark.parametrize("body", ['{"event": 7}', "[1, 2]", '{"event": "participant_left"}', "{" * 5000, "\xff"])
def test_a_signed_body_that_is_not_an_event_is_a_400(equos_mock, body):
    reply = post(equos_mock.url, body, signed(body))
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"] == "Bad Request"


def test_a_huge_body_is_a_413(equos_mock):
    body = event("participant_left", "equos-x", "ada", padding="x" * 100_000)
    reply = post(equos_mock.url, body, signed(body))
    assert reply.status_code == 413 and reply.json()["statusCode"] == 413


def test_the_documented_livekit_yaml_points_at_the_route():
    import sys
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[3]
    sys.path.insert(0, str(root / "tests" / "docs"))
    from docs_blocks import blocks_of

    (block,) = [b for b in blocks_of(root / "docs" / "frontend.md") if b.lang == "yaml"]
    config = yaml.safe_load(block.text)
    assert config["webhook"]["api_key"] == KEY
    assert config["webhook"]["urls"] == ["http://127.0.0.1:8787" + WEBHOOK]


def test_without_livekit_api_the_route_says_what_to_install(equos_mock, monkeypatch):
    from mock_server.api import livekit_webhooks

    def missing():
        raise ModuleNotFoundError("No module named 'livekit.api'", name="livekit.api")

    monkeypatch.setattr(livekit_webhooks, "_livekit", missing)
    body = event("participant_left", "equos-x", "ada")
    reply = post(equos_mock.url, body, signed(body))
    assert reply.status_code == 501 and "pip install livekit-api" in reply.json()["message"][0]
