"""The helper a user's end-to-end test waits with (``equos_room``): room events and the conversation's own
(until it ended), each wait one long request the mock answers when the event happens."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from lk_client import LkClient
from room_kit import start

from mock_server.room_events import RoomEvents, RoomEventTimeout


def test_until_ended_returns_when_a_rest_stop_happens_elsewhere_without_polling(mock):
    started = start(mock)
    control, sent = mock.control, []
    request = control.request
    control.request = lambda *a, **kw: sent.append(a[1]) or request(*a, **kw)  # type: ignore[method-assign]
    events = RoomEvents(control, started.key)
    threading.Timer(0.4, lambda: started.http.post(f"/v3/conversations/{started.id}/stop")).start()
    began = time.monotonic()
    ended = events.until_ended(started.id, timeout=10)
    assert 0.3 < time.monotonic() - began < 3
    assert (ended["kind"], ended["status"], ended["reason"]) == ("ended", "ended", "stopped")
    # The events so far (started), then one request held open until the stop: no polling.
    assert len(sent) == 2 and all(path.endswith("/room/events") for path in sent), sent


def test_until_ended_notices_an_expiry_in_real_time_and_a_moved_clock(mock):
    started = start(mock, max_seconds=1)
    began = time.monotonic()
    ended = RoomEvents(mock.control).until_ended(started.id, timeout=10)  # found by its id alone
    assert ended["reason"] == "maxSeconds" and time.monotonic() - began < 3
    frozen = start(mock, max_seconds=600)
    mock.control.freeze(key=frozen.key)
    threading.Timer(0.3, lambda: mock.control.advance(601, key=frozen.key)).start()
    assert RoomEvents(mock.control, frozen.key).until_ended(frozen.id, timeout=10)["reason"] == "maxSeconds"


def test_a_wait_that_times_out_says_what_it_saw(mock):
    started = start(mock)
    with pytest.raises(RoomEventTimeout, match=r"no ended event in 0.3 s .* saw: started"):
        RoomEvents(mock.control, started.key).until_ended(started.id, timeout=0.3)


@pytest.mark.slow  # a WebRTC client joins
def test_wait_for_room_events_and_script_the_character(mock):
    started = start(mock)
    events = RoomEvents(mock.control, started.key)

    async def page():
        client = await LkClient(mock.room_url, started.consumer_token).connect()
        await client.message("utterance")
        client.say({"type": "usr.txt", "text": "book a demo"})
        await client.wait(lambda: any(m.get("utterance", {}).get("content") == "Sure: Tuesday at 10."
                                      for m in client.received), "the scripted reply")
        await client.close()

    assert events.room(started.id)["participants"][0]["identity"] == "ada"
    thread = threading.Thread(target=asyncio.run, args=(page(),))
    assert events.script(started.id, "Sure: Tuesday at 10.") == 1
    thread.start()
    joined = events.until_joined(started.id, identity="user-1")
    said = events.until_said(started.id, "book a demo")
    ended = events.until_ended(started.id)
    thread.join(10)
    assert joined["role"] == "consumer" and said["seq"] > joined["seq"] and ended["reason"] == "consumer left"

