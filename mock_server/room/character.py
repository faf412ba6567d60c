"""What the character says and when: plain code, no WebRTC (tested without a browser).

The room feeds it what the page sent and asks it what to send; it keeps the scripted replies, the
greeting (once per consumer arrival) and whether ``expire_soon`` was sent.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import protocol

DEFAULT_REPLY_PREFIX = "You said: "
EXPIRE_WARNING_SECONDS = 30
MAX_SCRIPTED = 1000  # replies a test may queue at once


@dataclass
class Reaction:
    """What one message from the page leads to."""

    send: list[dict[str, Any]] = field(default_factory=list)  # equos_event messages to the room
    transcript: list[tuple[str, str]] = field(default_factory=list)  # (REST author, content) to record
    context: str | None = None  # a ``context`` message's content, recorded
    ignored: str | None = None  # why the message was not acted on


class Character:
    def __init__(self, identity: str, name: str, greeting: str | None, *,
                 reply_prefix: str = DEFAULT_REPLY_PREFIX) -> None:
        self.identity = identity
        self.name = name
        self.greeting = greeting
        self.reply_prefix = reply_prefix
        self.scripted: deque[str] = deque()
        self.contexts: list[str] = []
        self.latest = ""  # the last thing it said (the video shows it)
        self.warned = False  # expire_soon sent

    # --- what the page sends ---------------------------------------------------
    def receive(self, payload: bytes, now: str) -> Reaction:
        message = protocol.decode(payload)
        if message is None:
            return Reaction(ignored="not a JSON object")
        kind = message.get("type")
        if kind == "usr.txt":
            text = message.get("text")
            if not isinstance(text, str):
                return Reaction(ignored="usr.txt without a text string")
            answer = self.reply_to(text)
            return Reaction(send=[self._says(answer, now)], transcript=[("user", text), ("character", answer)])
        if kind == "context":
            content = message.get("content")
            if not isinstance(content, str):
                return Reaction(ignored="context without a content string")
            self.contexts.append(content)
            return Reaction(context=content)
        return Reaction(ignored=f"unknown type {str(kind)[:40]!r}")

    def reply_to(self, text: str) -> str:
        """The next scripted reply, else the echo (deterministic)."""
        return self.scripted.popleft() if self.scripted else f"{self.reply_prefix}{text}"

    def script(self, replies: list[str]) -> int:
        if len(self.scripted) + len(replies) > MAX_SCRIPTED:
            raise ValueError(f"at most {MAX_SCRIPTED} scripted replies may wait")
        self.scripted.extend(replies)
        return len(self.scripted)

    # --- what it says on its own -------------------------------------------------
    def greet(self, now: str) -> list[dict[str, Any]]:
        return [self._says(self.greeting, now)] if self.greeting else []

    def say(self, content: str, now: str) -> dict[str, Any]:
        return self._says(content, now)

    def _says(self, content: str, now: str) -> dict[str, Any]:
        self.latest = content
        return protocol.utterance("agent", content, now)

    def warning(self, now_ms: int, deadline_ms: int) -> dict[str, Any] | None:
        """``expire_soon`` once, when less than 30 s are left before ``deadline_ms`` (at once if that is
        already so)."""
        if self.warned:
            return None
        left_ms = deadline_ms - now_ms
        if left_ms > EXPIRE_WARNING_SECONDS * 1000:
            return None
        self.warned = True
        return protocol.expire_soon(max(0, -(-left_ms // 1000)))

    @staticmethod
    def warning_due_ms(deadline_ms: int) -> int:
        return deadline_ms - EXPIRE_WARNING_SECONDS * 1000
