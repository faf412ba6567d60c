"""The domain's announcements: what happened to a conversation, for whoever listens (the room).

The domain never imports the room. It tells this hub what happened, and the room (mock_server/room/)
subscribes. Publishing is a call per listener, and the room's listener only notes what happened until a
room is live (benchmarks/room_rest.py: no cost to a REST request with no room live).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

# started: a conversation began; ended: it stopped, expired, errored or was blocked (``detail``
# has its status and reason); utterance / signal: the control plane made the character say something
# or send error, trigger or interrupt; clock: a clock moved (timers must be looked at again);
# reset: organizations or all state went away.
EventKind = Literal["started", "ended", "utterance", "signal", "clock", "reset"]


class DomainEvent(NamedTuple):  # a tuple: one per conversation start, and a frozen dataclass costs 4x to make
    kind: EventKind
    organization: str | None = None  # None: every organization (the app clock moved, a full reset)
    conversation: str | None = None
    detail: Mapping[str, Any] = MappingProxyType({})  # read-only: the default is shared


Listener = Callable[[DomainEvent], None]


class EventHub:
    """Synchronous fan-out. A listener must be quick and must not raise (it runs inside a request)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, event: DomainEvent) -> None:
        for listener in tuple(self._listeners):
            listener(event)
