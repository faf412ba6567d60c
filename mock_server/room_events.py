"""Waiting for what happens in a conversation and its room, from a test: ``equos_room`` in the pytest
plugin, or ``RoomEvents(MockControl(url))`` anywhere.

Every wait is one long request the mock answers as soon as the event happens (GET
/_mock/conversations/{id}/room/events): nothing polls, and a conversation that expires meanwhile is
noticed on time. It works with the room off too, for the conversation's own events (started, ended).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .control_client import MockControl

LONG_POLL_SECONDS = 20.0  # one request waits at most this long; a longer wait makes several


class RoomEventTimeout(AssertionError):
    """The event did not happen in time; the message lists what did."""


class RoomEvents:
    def __init__(self, control: MockControl, key: str | None = None) -> None:
        self.control = control
        self.key = key  # the organization to look in (a conversation id is enough most of the time)

    def _path(self, conversation_id: str, tail: str = "") -> str:
        return f"conversations/{conversation_id}/room{tail}"

    def _query(self, **extra: Any) -> dict[str, Any]:
        return {"key": self.key, **extra}

    # --- looking -----------------------------------------------------------------------------
    def room(self, conversation_id: str) -> dict[str, Any]:
        """Who is in the room (identity, role, tracks), the data messages both ways, the scripted replies."""
        return self.control.request("GET", self._path(conversation_id), query=self._query())

    def participants(self, conversation_id: str) -> list[dict[str, Any]]:
        return self.room(conversation_id)["participants"]

    def events(self, conversation_id: str, after: int = 0, timeout: float = 0) -> list[dict[str, Any]]:
        """The events after ``after`` (their ``seq``); with ``timeout``, waits that long for the first."""
        reply = self.control.request("GET", self._path(conversation_id, "/events"),
                                     query=self._query(after=after, timeout=timeout), timeout=timeout + 10)
        return reply["events"]

    # --- waiting -----------------------------------------------------------------------------
    def wait_for(self, conversation_id: str, kind: str | Callable[[dict[str, Any]], bool], timeout: float = 10.0,
                 after: int = 0, **match: Any) -> dict[str, Any]:
        """The first event of ``kind`` (or that ``kind(event)`` accepts) whose fields equal ``match``,
        counting from the start of the conversation unless ``after`` says otherwise.

        ``wait_for(cid, "ended")``, ``wait_for(cid, "data_received", identity="user-1")``,
        ``wait_for(cid, "data_sent", lambda e: "expire_soon" in e["payload"])`` (see ``expire_soon``)."""
        accept = kind if callable(kind) else (lambda e: e["kind"] == kind)
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while True:
            left = deadline - time.monotonic()
            batch = self.events(conversation_id, after, max(0.0, min(left, LONG_POLL_SECONDS)))
            for event in batch:
                seen.append(event)
                if accept(event) and all(event.get(k) == v for k, v in match.items()):
                    return event
            if batch:
                after = batch[-1]["seq"]
            if time.monotonic() >= deadline:
                kinds = ", ".join(e["kind"] for e in seen[-20:]) or "nothing"
                raise RoomEventTimeout(f"no {kind if isinstance(kind, str) else 'matching'} event in {timeout} s "
                                       f"for conversation {conversation_id}; saw: {kinds}")

    def until_ended(self, conversation_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the conversation is no longer running (stopped, expired, errored, or its consumer
        left); the ``ended`` event with its ``status`` and ``reason``."""
        return self.wait_for(conversation_id, "ended", timeout)

    def until_joined(self, conversation_id: str, timeout: float = 10.0, identity: str | None = None
                     ) -> dict[str, Any]:
        extra = {"identity": identity} if identity else {}
        return self.wait_for(conversation_id, "participant_joined", timeout, **extra)

    def until_said(self, conversation_id: str, text: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the page sent ``usr.txt`` with this text (a person typed it)."""
        return self.wait_for(conversation_id, lambda e: e["kind"] == "data_received"
                             and '"usr.txt"' in e.get("payload", "") and text in e.get("payload", ""), timeout)

    # --- acting ------------------------------------------------------------------------------
    def say(self, conversation_id: str, content: str) -> dict[str, Any]:
        """The character says ``content``: an utterance in the room and in the REST transcript."""
        return self.control.request("POST", self._path(conversation_id, "/say"), {"content": content},
                                    query=self._query())

    def script(self, conversation_id: str, *replies: str) -> int:
        """The character's next answers to ``usr.txt``, in order (then it echoes again)."""
        reply = self.control.request("POST", self._path(conversation_id, "/replies"), {"replies": list(replies)},
                                     query=self._query())
        return int(reply["scriptedReplies"])

    def send(self, conversation_id: str, type: str, **fields: Any) -> dict[str, Any]:
        """``error`` (code), ``trigger`` (name, params) or ``interrupt`` from the character."""
        return self.control.request("POST", self._path(conversation_id, "/send"), {"type": type, **fields},
                                    query=self._query())
