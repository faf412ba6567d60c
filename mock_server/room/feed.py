"""What happened in one conversation, in order, for the control plane and for tests that wait:
participants, tracks, data messages both ways, and the conversation's own events (started, ended...).

Bounded per conversation; waiting is a future the next event resolves (no polling anywhere).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from typing import Any

from ..clock import from_ms, iso

EVENTS_KEPT = 200  # per conversation
CONVERSATIONS_KEPT = 1000  # feeds of conversations, least recently written dropped first (at most ~200 MB)


class Feed:
    def __init__(self, organization: str | None = None) -> None:
        self.organization = organization  # whose conversation it is (None: not known yet)
        self.events: deque[dict[str, Any]] = deque(maxlen=EVENTS_KEPT)
        self.next_seq = 1
        self._waiters: list[asyncio.Future[None]] = []

    def add(self, kind: str, at: str, /, **fields: Any) -> dict[str, Any]:
        event = {**fields, "seq": self.next_seq, "kind": kind, "at": at}
        self.next_seq += 1
        self.events.append(event)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        return event

    def after(self, seq: int) -> list[dict[str, Any]]:
        return [e for e in self.events if e["seq"] > seq]

    def waiter(self) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        return future

    def wake(self) -> None:
        """Wake the waiters without an event (a clock moved: an expiry may be due)."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class Feeds:
    def __init__(self) -> None:
        self._feeds: OrderedDict[str, Feed] = OrderedDict()
        # Conversations started and not looked at since: (organization, the start's time). Every start
        # gets a feed, but most are never read; the feed, its "started" event first, is made on first use,
        # so a REST start pays for a tuple (``Rooms`` announces starts even with no room live).
        self._started: OrderedDict[str, tuple[str | None, int]] = OrderedDict()

    def started(self, conversation_id: str, organization: str | None, at_ms: int) -> None:
        """A conversation started at ``at_ms`` (printed when its feed is made)."""
        self._started[conversation_id] = (organization, at_ms)
        while len(self._started) > CONVERSATIONS_KEPT:
            self._started.popitem(last=False)

    def of(self, conversation_id: str, create: bool = True, organization: str | None = None) -> Feed | None:
        feed = self._feeds.get(conversation_id)
        if feed is None:
            noted = self._started.pop(conversation_id, None)
            if noted is None and not create:
                return None
            feed = self._feeds[conversation_id] = Feed(organization if noted is None else noted[0] or organization)
            if noted is not None:
                feed.add("started", iso(from_ms(noted[1])))
            while len(self._feeds) > CONVERSATIONS_KEPT:
                _, dropped = self._feeds.popitem(last=False)
                dropped.wake()
        else:
            self._feeds.move_to_end(conversation_id)
            if feed.organization is None:
                feed.organization = organization
        return feed

    def wake_all(self) -> None:
        for feed in self._feeds.values():
            feed.wake()

