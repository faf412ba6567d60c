"""The app's calls, tested on equos-mock through the plugin's fixtures: each test gets an empty
organization of its own, so the tests run in any order and in parallel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support_calls import CallUnavailable, end_call, start_call


def test_a_call_starts_and_ends(equos_client):
    call = start_call(equos_client, "user-1", "User One")
    assert call.token and call.server_url
    assert equos_client.conversations.get(call.conversation_id).status == "running"

    assert end_call(equos_client, call.conversation_id) is not None
    assert equos_client.conversations.get(call.conversation_id).status == "ended"


def test_the_guide_is_created_once(equos_client, equos_journal):
    calls = [start_call(equos_client, f"user-{n}", f"User {n}") for n in range(3)]
    for call in calls:
        end_call(equos_client, call.conversation_id)
    equos_journal.verify(1, "POST", "/v3/characters")
    equos_journal.verify(3, "POST", "/v3/conversations")


def test_a_call_lasts_what_the_clock_says(equos_client, equos_clock):
    call = start_call(equos_client, "user-1", "User One")
    started_at = equos_client.conversations.get(call.conversation_id).started_at
    equos_clock.advance(90)
    assert end_call(equos_client, call.conversation_id) - started_at == timedelta(seconds=90)


def test_a_call_ends_by_itself_after_max_seconds(equos_client, equos_clock):
    call = start_call(equos_client, "user-1", "User One", max_seconds=60)
    equos_clock.advance(61)
    assert equos_client.conversations.get(call.conversation_id).status == "ended"


def test_an_outage_is_a_clear_error(equos_client, equos_faults):
    equos_faults.fail("POST", "/v3/conversations", status=503)
    with pytest.raises(CallUnavailable, match="503"):
        start_call(equos_client, "user-1", "User One")
