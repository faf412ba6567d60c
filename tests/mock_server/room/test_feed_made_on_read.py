"""A conversation's feed is made when first read, its "started" event first with the start's time:
starting a conversation with no room live only notes it."""

from __future__ import annotations

from datetime import datetime, timedelta

from mock_server import create_app
from mock_server.asgi_client import asgi_client
from mock_server.room import feed as feed_module

KEY = "sk_feed_on_read"
BRAIN = {"instructions": "Be brief.", "greetingMessage": "Hi!"}


def _start(client) -> dict:
    character = client.post("/v3/characters", json={"name": "Ada", "livekitIdentity": "ada"}).json()
    reply = client.post("/v3/conversations", json={"name": "c", "characterId": character["id"],
                                                   "consumer": {"identity": "u", "name": "U"}})
    assert reply.status_code == 201
    return reply.json()["conversation"]


def test_the_started_event_is_there_when_the_feed_is_first_read() -> None:
    app = create_app()
    with asgi_client(app, KEY) as client:
        conversation = _start(client)
        feeds = app.state.rooms.feeds
        assert conversation["id"] not in feeds._feeds  # noted only
        stopped = client.post(f"/v3/conversations/{conversation['id']}/stop")
        assert stopped.status_code == 201
        events = client.get(f"/_mock/conversations/{conversation['id']}/room/events", params={"key": KEY}).json()
    assert [(e["seq"], e["kind"]) for e in events["events"]] == [(1, "started"), (2, "ended")]
    # When the start was announced, on the app clock (the organization's is not scoped): the start's time, or
    # the millisecond or so after it.
    at, started = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (events["events"][0]["at"],
                                                                                 conversation["startedAt"]))
    assert started <= at < started + timedelta(seconds=1)


def test_noted_starts_are_bounded(monkeypatch) -> None:
    monkeypatch.setattr(feed_module, "CONVERSATIONS_KEPT", 3)
    feeds = feed_module.Feeds()
    for n in range(5):
        feeds.started(f"c{n}", "org", 0)
    assert list(feeds._started) == ["c2", "c3", "c4"]
    assert feeds.of("c0", create=False) is None and feeds.of("c4", create=False).after(0)[0]["kind"] == "started"
    assert "c4" not in feeds._started


def test_a_conversation_that_ends_with_no_room_live_leaves_nothing_in_the_room_index() -> None:
    """The index maps running conversations' room names; one nobody joined is dropped when it ends, so REST
    traffic alone does not grow it."""
    app = create_app()
    rooms = app.state.rooms
    with asgi_client(app, KEY) as client:
        conversation = _start(client)
        assert rooms.index.get(conversation["room"], (None, None))[1] == conversation["id"]
        assert client.post(f"/v3/conversations/{conversation['id']}/stop").status_code == 201
    assert conversation["room"] not in rooms.index


def test_an_organization_gone_by_any_path_takes_its_running_rooms_out_of_the_index() -> None:
    """Deleted through the runtime (as the idle limit does) or replaced by a state import: the room hears it."""
    app = create_app()
    rt, rooms = app.state.runtime, app.state.rooms
    with asgi_client(app, KEY) as client:
        evicted = _start(client)
        rt.delete_organization(rt.store.organization_for_key(KEY))  # what evict_idle calls
        assert evicted["room"] not in rooms.index
        replaced = _start(client)
        exported = client.get("/_mock/state", params={"key": KEY}).json()
        assert rooms.index.get(replaced["room"]) is not None
        assert client.post("/_mock/state", json=exported).status_code == 200
    assert replaced["room"] not in rooms.index
