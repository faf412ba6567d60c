"""The tutoring app on equos-mock: each test gets an empty organization of its own (so they run in any
order, and in parallel with `pytest -n 2`), and the app gets the client production uses:
``equos_default_client``, the SDK's default ``EquosClient``."""

from __future__ import annotations

import pytest
from equos.client.errors import UnexpectedStatus
from livekit import api
from tutor import LessonUnavailable, book, finish, pupil_tag

# The LiveKit key and secret of a local `livekit-server --dev`, which the mock signs tokens with.
VERIFIER = api.TokenVerifier("devkey", "secret")


def test_a_lesson_gives_the_pupil_a_token_for_its_room(equos_default_client):
    lesson = book(equos_default_client, "ada", "Ada", "maths")
    claims = VERIFIER.verify(lesson.token)
    assert (claims.identity, claims.name) == ("ada", "Ada")
    assert claims.video.room == lesson.room and claims.video.room_join
    assert lesson.server_url.startswith("ws")
    finish(equos_default_client, lesson)


def test_each_subject_gets_one_tutor(equos_default_client, equos_journal):
    lessons = [book(equos_default_client, f"p{n}", f"Pupil {n}", "maths") for n in range(3)]
    lessons.append(book(equos_default_client, "p9", "Pupil 9", "french"))
    for lesson in lessons:
        finish(equos_default_client, lesson)
    equos_journal.verify(2, "POST", "/v3/characters")
    equos_journal.verify(4, "POST", "/v3/conversations")
    equos_journal.verify(4, "POST", "/v3/conversations/*/stop")


def test_an_outage_is_a_clear_message_and_books_nothing(equos_default_client, equos_faults, equos_client):
    equos_faults.fail("POST", "/v3/conversations", status=503)
    with pytest.raises(LessonUnavailable, match="try again"):
        book(equos_default_client, "ada", "Ada", "maths")
    assert equos_client.conversations.list().total == 0


def test_a_throttled_booking_is_the_same_message(equos_default_client, equos_faults):
    equos_faults.throttle("POST", "/v3/conversations", retry_after=5, times=1)
    with pytest.raises(LessonUnavailable, match="try again"):
        book(equos_default_client, "ada", "Ada", "maths")
    finish(equos_default_client, book(equos_default_client, "ada", "Ada", "maths"))  # the next one works


def test_the_strict_client_raises_where_the_app_must_check_for_none(equos_client, equos_faults):
    """Why the app gets equos_default_client: with the raising client its None checks never run."""
    equos_faults.fail("POST", "/v3/conversations", status=503)
    with pytest.raises(UnexpectedStatus):
        book(equos_client, "ada", "Ada", "maths")


def test_lessons_last_what_the_clock_says_and_bill_their_pupil(equos_default_client, equos_clock,
                                                                equos_user_usage):
    ada = book(equos_default_client, "ada", "Ada", "maths")
    equos_clock.advance(600)
    assert finish(equos_default_client, ada) == 600
    bob = book(equos_default_client, "bob", "Bob", "french")
    equos_clock.advance(90)
    assert finish(equos_default_client, bob) == 90
    used = {pupil: equos_user_usage(pupil_tag(pupil)) for pupil in ("ada", "bob", "carol")}
    assert used == {"ada": 600, "bob": 90, "carol": 0}


def test_a_forgotten_lesson_ends_at_its_limit(equos_default_client, equos_clock, equos_user_usage):
    lesson = book(equos_default_client, "ada", "Ada", "maths", minutes=1)
    equos_clock.advance(300)  # nobody ended it: Equos does, at maxSeconds
    assert finish(equos_default_client, lesson) == 60
    assert equos_user_usage(pupil_tag("ada")) == 60
