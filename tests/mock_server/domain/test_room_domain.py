"""The domain side of the room: the event hub, leaving ends the conversation, room utterances and joins."""

from __future__ import annotations

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.clock import iso, plus_seconds
from mock_server.domain import conversations


def _started(client, rt):
    brain = client.post("/v3/brains", json={"instructions": "i", "greetingMessage": "Hello!"}).json()
    character = client.post("/v3/characters", json={
        "name": "Ada", "livekitIdentity": "ada", "brainId": brain["id"]}).json()
    reply = client.post("/v3/conversations", json={
        "name": "c", "characterId": character["id"], "consumer": {"identity": "u1", "name": "U"}, "maxSeconds": 600})
    assert reply.status_code == 201, reply.text
    return reply.json()["conversation"]


def test_the_hub_hears_start_utterance_clock_and_end_and_leaving_ends_at_the_leave_time():
    app = create_app()
    rt = app.state.runtime
    rt.clock.freeze()
    heard = []
    rt.events.subscribe(heard.append)
    with asgi_client(app, "sk_room_domain") as client:
        started = _started(client, rt)
        org = rt.store.organization_for_key("sk_room_domain")
        client.post(f"/_mock/conversations/{started['id']}/events",
                    json={"type": "utterance", "author": "character", "content": "Hi there"}).raise_for_status()
        client.post("/_mock/clock/advance", json={"seconds": 40}).raise_for_status()
        conversation = org.conversations.get(started["id"])
        joined = conversations.record_joined(rt, org, conversation, "u1")
        assert joined.joinedAt == rt.now(org)
        conversations.record_utterance(rt, org, joined, "user", "typed")
        left_at = plus_seconds(rt.now(org), -10)  # the leave was noticed 10 s after it happened
        ended = conversations.participant_left(rt, org, started["id"], "u1", left_at, "leave")
        assert (ended.status.value, ended.endedAt) == ("ended", left_at)
        body = client.get(f"/v3/conversations/{started['id']}").json()
        assert body["status"] == "ended" and body["endedAt"] == iso(left_at)
        assert [(u["author"], u["content"]) for u in body["transcript"]] == [
            ("character", "Hello!"), ("character", "Hi there"), ("user", "typed")]
        assert [e["type"] for e in body["timeline"]] == ["started", "joined", "left", "ended"]
        # Billing stopped at the leave: usage stays at 30 s however far the clock goes.
        client.post("/_mock/clock/advance", json={"seconds": 100}).raise_for_status()
        usage = client.get("/v3/organizations/freemium-usage").text
        assert usage == "30"
    assert [e.kind for e in heard] == ["started", "utterance", "clock", "ended", "clock"]
    assert heard[3].detail == {"status": "ended", "reason": "consumer left"}
    assert heard[1].detail == {"author": "character", "content": "Hi there"}


def test_end_on_consumer_leave_off_keeps_it_running_and_records_the_leave():
    app = create_app()
    rt = app.state.runtime
    rt.assumptions.set("end_on_consumer_leave", "off")
    with asgi_client(app, "sk_room_off") as client:
        started = _started(client, rt)
        org = rt.store.organization_for_key("sk_room_off")
        kept = conversations.participant_left(rt, org, started["id"], "u1", rt.now(org), "closed socket")
        assert kept.status.value == "running"
        assert kept.timeline[-1].type == "left" and "closed socket" in kept.timeline[-1].content
    assert conversations.participant_left(rt, org, "nope", "u1", rt.now(org), "leave") is None
