"""The character's behaviour without WebRTC: what it answers, when it warns, what it ignores."""

from __future__ import annotations

import json

import pytest

from mock_server.room import protocol
from mock_server.room.character import Character
from mock_server.room.picture import HEIGHT, WIDTH, still, with_mark

NOW = "2026-12-03T10:00:00.000Z"


def _character(greeting: str | None = "Hi!") -> Character:
    return Character("ada", "Ada", greeting)


def test_it_echoes_usr_txt_deterministically_and_scripted_replies_come_first_in_order():
    ada = _character()
    first = ada.receive(json.dumps({"type": "usr.txt", "text": "hello"}).encode(), NOW)
    assert first.send == [protocol.utterance("agent", "You said: hello", NOW)]
    assert first.transcript == [("user", "hello"), ("character", "You said: hello")]
    assert ada.script(["One.", "Two."]) == 2
    answers = [ada.receive(json.dumps({"type": "usr.txt", "text": t}).encode(), NOW).send[0]["utterance"]["content"]
               for t in ("a", "b", "c")]
    assert answers == ["One.", "Two.", "You said: c"]
    assert ada.latest == "You said: c"


def test_context_is_recorded_and_what_is_not_a_known_message_is_ignored_with_a_reason():
    ada = _character()
    assert ada.receive(b'{"type": "context", "content": "on the pricing page"}', NOW).context == "on the pricing page"
    assert ada.contexts == ["on the pricing page"]
    for payload, why in [(b"\xff\xfe", "not a JSON object"), (b"[1, 2]", "not a JSON object"),
                         (b'{"type": "usr.txt", "text": 5}', "usr.txt without a text string"),
                         (b'{"type": "context"}', "context without a content string"),
                         (b'{"type": "dance"}', "unknown type 'dance'"), (b"9" * 70_000, "not a JSON object"),
                         (b"[" * 100_000, "not a JSON object")]:
        reaction = ada.receive(payload, NOW)
        assert (reaction.ignored, reaction.send, reaction.transcript) == (why, [], [])


def test_the_greeting_is_an_agent_utterance_and_none_without_a_greeting_message():
    assert _character().greet(NOW) == [{"type": "utterance", "utterance": {
        "author": "agent", "content": "Hi!", "recordedAt": NOW, "finished": True}}]
    assert _character(None).greet(NOW) == []


@pytest.mark.parametrize(("elapsed_s", "expected"), [(269.999, None), (270, 30), (285.5, 15), (299.2, 1),
                                                     (400, 0)])
def test_expire_soon_once_when_less_than_30_seconds_are_left_and_at_once_if_already_so(elapsed_s, expected):
    ada = _character()
    started = 1_000_000
    warning = ada.warning(started + round(elapsed_s * 1000), started + 300_000)
    assert warning == (None if expected is None else {"type": "expire_soon", "seconds_remaining": expected})
    if expected is not None:
        assert ada.warning(started + 299_000, started + 300_000) is None  # once
    assert Character.warning_due_ms(started + 300_000) == started + 270_000


def test_a_conversation_shorter_than_30_seconds_is_warned_at_once():
    ada = _character()
    assert ada.warning(0, 20_000) == {"type": "expire_soon", "seconds_remaining": 20}


def test_control_plane_signals_take_the_sdk_shapes_and_refuse_bad_fields():
    assert protocol.signal("error", {"code": "TIMEOUT"}) == {"type": "error", "code": "TIMEOUT"}
    assert protocol.signal("trigger", {"name": "wave", "params": {"hand": "left"}}) == {
        "type": "trigger", "name": "wave", "params": {"hand": "left"}}
    assert protocol.signal("interrupt", {}) == {"type": "interrupt"}
    for kind, fields in [("trigger", {}), ("trigger", {"name": "x", "params": [1]}), ("error", {"code": 3}),
                         ("dance", {})]:
        with pytest.raises(ValueError):
            protocol.signal(kind, fields)


def test_the_picture_shows_the_text_and_the_mark_moves_only_while_speaking():
    blank = still("", "", "")
    named = still("Ada", "F1", "Hello there, this is a long utterance that wraps " * 5)
    assert len(named) == WIDTH * HEIGHT and named != blank
    assert with_mark(named, 1, speaking=True) != with_mark(named, 2, speaking=True)
    assert with_mark(named, 1, speaking=False) == with_mark(named, 2, speaking=False)
