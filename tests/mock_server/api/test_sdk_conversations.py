"""Conversations and client tokens through the official SDK (sync and async), plus the example flow."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import jwt
import pytest
from equos import EquosClient, EquosOptions
from equos.client.api.organization import get_user_usage
from equos.client.errors import UnexpectedStatus
from equos.client.models import (
    CreateEquosBrainRequest,
    CreateEquosCharacterRequest,
    CreateEquosConversationRequest,
    CreateEquosFaceRequest,
    CreateEquosTokenRequest,
    CreateEquosVoiceRequest,
    EquosConversationHost,
    EquosParticipantIdentity,
)
from equos.client.models.create_equos_conversation_request_prompt_template_vars_type_0 import (
    CreateEquosConversationRequestPromptTemplateVarsType0,
)
from equos.client.models.create_equos_face_request_identity import CreateEquosFaceRequestIdentity
from equos.client.models.create_equos_voice_request_identity import CreateEquosVoiceRequestIdentity

from mock_server.pytest_plugin import OrgClock, sdk_client

CONSUMER = EquosParticipantIdentity(identity="user-1", name="User One")
AGENT = EquosParticipantIdentity(identity="agent-1", name="Remote Agent")


def make_character(api, greeting: str = "Hi there!") -> str:
    brain = api.call("brains.create", CreateEquosBrainRequest(instructions="Be brief.", greeting_message=greeting))
    character = api.call("characters.create", CreateEquosCharacterRequest(
        name="Guide", livekit_identity="guide-avatar", brain_id=brain.id))
    return character.id


def start_body(character_id: str, **extra) -> CreateEquosConversationRequest:
    return CreateEquosConversationRequest(name=extra.pop("name", "demo"), character_id=character_id, **extra)


@pytest.fixture
def clock(api, equos_mock) -> OrgClock:
    org_clock = OrgClock(equos_mock.control, api.key)
    org_clock.freeze()
    return org_clock


def test_start_get_and_tokens(api, clock, livekit_check, equos_mock):
    character_id = make_character(api)
    started = api.call("conversations.start", start_body(
        character_id, client="tenant-a", consumer=CONSUMER, remote_agent=AGENT, max_seconds=600.0,
        prompt_ctx="ctx", prompt_template_vars=CreateEquosConversationRequestPromptTemplateVarsType0.from_dict(
            {"city": "Paris"})))
    conversation = started.conversation
    now = clock.now()
    assert conversation.status.value == "running"
    assert conversation.started_at == conversation.created_at == now
    assert conversation.ended_at is None and conversation.max_seconds == 600
    # The session server serves the embedded room: the conversation points there.
    assert conversation.server_url == equos_mock.server.room_url and conversation.room
    assert conversation.server_url.startswith("ws://127.0.0.1:")
    assert (conversation.consumer_identity, conversation.consumer_name) == ("user-1", "User One")
    assert (conversation.remote_agent_identity, conversation.remote_agent_name) == ("agent-1", "Remote Agent")
    assert (conversation.client, conversation.prompt_ctx) == ("tenant-a", "ctx")
    assert conversation.prompt_template_vars.to_dict() == {"city": "Paris"}
    assert conversation.character.id == character_id and conversation.character.brain.greeting_message == "Hi there!"
    assert [(u.author.value, u.content) for u in conversation.transcript] == [("character", "Hi there!")]
    assert [e.type_ for e in conversation.timeline] == ["started"]
    livekit_check(started.consumer_access_token, room=conversation.room, identity="user-1", name="User One")
    livekit_check(started.remote_agent_access_token, room=conversation.room, identity="agent-1",
                  name="Remote Agent")

    for token in (started.consumer_access_token, started.remote_agent_access_token):
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iss"] == "devkey" and claims["nbf"] == int(now.timestamp())
        assert claims["exp"] >= int(now.timestamp()) + 600  # valid at least until the conversation must end

    got = api.call("conversations.get", conversation.id)
    assert (got.id, got.room, got.status.value) == (conversation.id, conversation.room, "running")

    only_consumer = api.call("conversations.start", start_body(character_id, consumer=CONSUMER))
    assert only_consumer.remote_agent_access_token is None
    assert only_consumer.conversation.room != conversation.room
    livekit_check(only_consumer.consumer_access_token, room=only_consumer.conversation.room,
                  identity="user-1", name="User One")
    neither = api.call("conversations.start", start_body(character_id))
    assert neither.consumer_access_token is None and neither.remote_agent_access_token is None


def test_start_with_host_mints_no_tokens(api):
    character_id = make_character(api)
    host = EquosConversationHost(server_url="wss://my-livekit.example", access_token="avatar-token")
    started = api.call("conversations.start", start_body(character_id, host=host, consumer=CONSUMER,
                                                         remote_agent=AGENT))
    assert started.conversation.server_url == "wss://my-livekit.example"
    assert started.consumer_access_token is None and started.remote_agent_access_token is None


def test_start_with_unknown_or_foreign_character_is_4xx(api, equos_mock):
    foreign = make_character(api.other(equos_mock.new_key()))
    for character_id in ("missing", foreign):
        with pytest.raises(UnexpectedStatus) as refused:
            api.raw("conversations.start", start_body(character_id))
        assert refused.value.status_code == 404
    assert api.call("conversations.list").total == 0


def test_list_paging_and_client_filter(api, clock):
    character_id = make_character(api)
    ids = []
    for n in range(5):
        started = api.call("conversations.start", start_body(character_id, name=f"c{n}",
                                                             client="even" if n % 2 == 0 else "odd"))
        ids.append(started.conversation.id)
        clock.advance(1)
    listed = api.call("conversations.list")
    assert (listed.total, listed.skip, listed.take) == (5, 0, 20)
    assert [c.id for c in listed.conversations] == ids[::-1]
    page = api.call("conversations.list", take=2.0, skip=1.0)
    assert (page.total, page.take, page.skip) == (5, 2, 1)
    assert [c.id for c in page.conversations] == [ids[3], ids[2]]
    even = api.call("conversations.list", client_query="even")
    assert even.total == 3 and [c.id for c in even.conversations] == [ids[4], ids[2], ids[0]]
    assert api.call("conversations.list", client_query="none").total == 0


def test_stop_double_stop_and_unknown(api, clock, equos_mock):
    character_id = make_character(api)
    started = api.call("conversations.start", start_body(character_id, consumer=CONSUMER))
    clock.advance(42.5)
    stopped = api.call("conversations.stop", started.conversation.id)
    assert stopped.status.value == "ended"
    assert stopped.ended_at == started.conversation.started_at + timedelta(seconds=42.5) == clock.now()
    assert [e.type_ for e in stopped.timeline] == ["started", "ended"]
    assert api.call("conversations.get", started.conversation.id).status.value == "ended"
    # Already stopped and unknown: NestJS's null result is an empty 201 body, which SDK 3.1.5 cannot parse.
    for target in (started.conversation.id, "no-such-conversation"):
        with pytest.raises(json.JSONDecodeError):
            api.raw("conversations.stop", target)
        raw = httpx.post(f"{equos_mock.url}/v3/conversations/{target}/stop", headers={"x-api-key": api.key})
        assert (raw.status_code, raw.content) == (201, b"")
    assert api.call("organizations.get_freemium_usage") == 42.5


@pytest.mark.parametrize("style", ["json-null", "404"])
def test_null_result_alternatives(api, validated_server, style):
    server = validated_server()
    server.control.set_assumptions(null_result=style)
    mine = api.other(api.key)
    mine.client = sdk_client(server.url, api.key)
    character_id = make_character(mine)
    started = mine.call("conversations.start", start_body(character_id))
    mine.call("conversations.stop", started.conversation.id)
    for target in (started.conversation.id, "unknown"):
        if style == "json-null":
            assert mine.raw("conversations.stop", target) is None
            assert mine.raw("conversations.get", "unknown") is None
        else:
            with pytest.raises(UnexpectedStatus) as missing:
                mine.raw("conversations.stop", target)
            assert missing.value.status_code == 404
        raw = httpx.post(f"{server.url}/v3/conversations/{target}/stop", headers={"x-api-key": api.key})
        assert raw.status_code == (201 if style == "json-null" else 404)
        assert raw.json() is None if style == "json-null" else raw.json()["statusCode"] == 404


def test_expiry_by_max_seconds_and_usage(api, clock):
    character_id = make_character(api)
    short = api.call("conversations.start", start_body(character_id, client="alice", max_seconds=30.0))
    long = api.call("conversations.start", start_body(character_id, client="bob", max_seconds=3600.0))
    started_at = short.conversation.started_at
    clock.advance(29.999)
    assert api.call("conversations.get", short.conversation.id).status.value == "running"
    clock.advance(100.001)  # 130 s after start
    expired = api.call("conversations.get", short.conversation.id)
    assert expired.status.value == "ended"
    assert expired.ended_at == started_at + timedelta(seconds=30)
    assert expired.timeline[-1].type_ == "ended"
    listed = {c.id: c for c in api.call("conversations.list").conversations}
    assert listed[short.conversation.id].ended_at == started_at + timedelta(seconds=30)
    assert listed[long.conversation.id].status.value == "running"
    # Usage: 30 s for the expired one, 130 s (and counting) for the running one.
    assert api.call("organizations.get_freemium_usage") == 160
    assert _user_usage(api, "alice") == 30 and _user_usage(api, "bob") == 130
    assert _user_usage(api, "carol") == 0
    clock.advance(20)
    api.call("conversations.stop", long.conversation.id)
    clock.advance(1000)
    assert api.call("organizations.get_freemium_usage") == 180
    assert _user_usage(api, "bob") == 150
    with pytest.raises(json.JSONDecodeError):  # the expired one cannot be stopped any more
        api.raw("conversations.stop", short.conversation.id)


def _user_usage(api, client: str) -> float:
    if api.mode == "sync":
        response = get_user_usage.sync_detailed(client=api.client._client, client_query=client)
    else:
        response = api.run(get_user_usage.asyncio_detailed(client=api.client._client, client_query=client))
    assert response.status_code == 200 and response.parsed is None  # the SDK leaves the body unparsed
    assert response.headers["content-type"].startswith("text/html")
    return float(response.content)


def test_client_tokens(api, clock):
    character_id = make_character(api)
    token = api.call("tokens.create", CreateEquosTokenRequest(user="user-7", client="web", character=character_id))
    claims = jwt.decode(token.token, "secret", algorithms=["HS256"], audience="equos-client",
                        options={"verify_exp": False, "verify_nbf": False})
    now_s = int(clock.now().timestamp())
    assert claims["iss"] == "equos-mock" and claims["sub"] == "user-7"
    assert (claims["client"], claims["character"]) == ("web", character_id)
    assert claims["iat"] == claims["nbf"] == now_s and claims["exp"] == now_s + 900
    assert claims["org"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token.token, "other-secret", algorithms=["HS256"], audience="equos-client")
    bare = api.call("tokens.create", CreateEquosTokenRequest(user="u"))
    assert jwt.decode(bare.token, options={"verify_signature": False})["character"] is None
    with pytest.raises(UnexpectedStatus) as unknown:
        api.raw("tokens.create", CreateEquosTokenRequest(user="u", character="missing"))
    assert unknown.value.status_code == 404


def test_official_example_flow(equos_mock, livekit_check):
    """The flow of the official examples, with the plain EquosClient and nothing mock-specific."""
    client = EquosClient(equos_mock.new_key(), EquosOptions(endpoint=equos_mock.url))
    brain = client.brains.create(CreateEquosBrainRequest(instructions="You are a helpful guide.",
                                                         greeting_message="Hello!"))
    face = client.faces.create(CreateEquosFaceRequest(identity=CreateEquosFaceRequestIdentity.TOMMY))
    voice = client.voices.create(CreateEquosVoiceRequest(identity=CreateEquosVoiceRequestIdentity.PUCK))
    character = client.characters.create(CreateEquosCharacterRequest(
        name="Guide", livekit_identity="guide-avatar-1234", brain_id=brain.id, face_id=face.id,
        voice_id=voice.id))
    started = client.conversations.start(CreateEquosConversationRequest(
        name="example", character_id=character.id,
        consumer=EquosParticipantIdentity(identity="demo-user", name="Demo User"),
        remote_agent=EquosParticipantIdentity(identity="agent", name="Agent")))
    conversation = started.conversation
    assert conversation.server_url == equos_mock.server.room_url  # the embedded room
    assert conversation.character.livekit_identity == "guide-avatar-1234"
    livekit_check(started.consumer_access_token, room=conversation.room, identity="demo-user", name="Demo User")
    livekit_check(started.remote_agent_access_token, room=conversation.room, identity="agent", name="Agent")
    stopped = client.conversations.stop(conversation.id)
    assert stopped and stopped.status.value == "ended"


def test_host_with_tokens_with_host_mint(inprocess, livekit_check):
    """The ``tokens_with_host=mint`` alternative: tokens for the caller's own LiveKit room and URL."""
    from mock_server.settings import Settings

    client = inprocess(Settings(assumptions={"tokens_with_host": "mint"}, livekit_api_secret="another-secret"))
    headers = {"x-api-key": "sk_host"}
    character = client.post("/v3/characters", json={"name": "c", "livekitIdentity": "c"}, headers=headers).json()
    started = client.post("/v3/conversations", headers=headers, json={
        "name": "n", "characterId": character["id"], "consumer": {"identity": "u", "name": "U"},
        "host": {"serverUrl": "wss://mine.example", "accessToken": "t"}}).json()
    conversation = started["conversation"]
    assert conversation["serverUrl"] == "wss://mine.example"
    assert started["remoteAgentAccessToken"] is None
    livekit_check(started["consumerAccessToken"], room=conversation["room"], identity="u", name="U",
                  secret="another-secret")
