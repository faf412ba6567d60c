"""All rooms of one app: which conversation a room name belongs to, the live rooms, the feeds, and
the domain's announcements turned into room actions. Hung off ``app.state.rooms``; nothing global.

Rooms are made when someone joins (the character is there from the conversation's start: a joining
client finds it at once); a conversation that nobody joins costs an index entry and a feed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..clock import from_ms, iso, to_ms
from ..domain import conversations
from ..events import DomainEvent
from . import protocol
from .feed import Feeds

if TYPE_CHECKING:
    from ..runtime import Runtime
    from ..store import Organization
    from .room import Room
    from .session import Session

log = logging.getLogger("equos_mock.room")
SERVER_VERSION = "1.9.0"  # what the room tells clients; livekit-client refuses a server without one
REASONS = {"stopped": "ROOM_DELETED"}


class Rooms:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.feeds = Feeds()
        self.index: dict[str, tuple[str, str]] = {}  # room name -> (organization, conversation)
        self.live: dict[str, Room] = {}  # conversation id -> its room, while someone is or was in it
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.url: str | None = None  # ws://127.0.0.1:PORT while the room server serves
        self.server_version = SERVER_VERSION
        self.peers_opened = self.peers_closed = 0  # RTCPeerConnections, for leak checks
        self.refused = 0
        # What clients are told (JoinResponse) and held to: no message for ping_timeout_s is a vanished client.
        timeout = runtime.settings.room_ping_timeout_seconds
        self.ping_timeout_s = max(1, round(timeout))  # JoinResponse carries whole seconds
        self.ping_interval_s = max(1, self.ping_timeout_s // 3)
        self._closing: set[asyncio.Task[None]] = set()
        # With --data-dir: what the room writes (joins, transcript, an end) goes to disk at once, as a
        # reply's changes do (http/persist.py); no HTTP request follows a room's own writes.
        self.persist: Any = None
        runtime.events.subscribe(self._heard)  # for the app's lifetime: the hub and the rooms go together

    # --- serving ---------------------------------------------------------------------------------
    def serving(self, url: str, loop: asyncio.AbstractEventLoop) -> None:
        self.url, self.loop, self._loop_thread = url, loop, threading.get_ident()

    @property
    def on(self) -> bool:
        return self.url is not None

    @staticmethod
    def new_sid(prefix: str) -> str:
        return prefix + secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")

    @staticmethod
    def to_ms(moment: datetime) -> int:
        return to_ms(moment)

    def org(self, org_id: str) -> Organization | None:
        return self.rt.store.organizations.get(org_id)

    def org_now_ms(self, org_id: str) -> int:
        return self.rt.clock_for(self.org(org_id)).now_ms()

    def org_clock_frozen(self, org_id: str) -> bool:
        return self.rt.clock_for(self.org(org_id)).frozen

    # --- finding a room ---------------------------------------------------------------------------------
    def find(self, name: str) -> tuple[Organization, Any] | None:
        """The running conversation whose room this is (observed now: an expired one ends here)."""
        found = self.index.get(name)
        if found is None:
            found = self._scan(name)
        if found is None:
            return None
        org = self.org(found[0])
        conversation = conversations.get(self.rt, org, found[1]) if org is not None else None
        if conversation is None or conversation.status.value != "running":
            self.index.pop(name, None)
            return None
        return org, conversation

    def _scan(self, name: str) -> tuple[str, str] | None:
        """A conversation started before this server listened (a --data-dir restart)."""
        found = conversations.by_room(self.rt, name)
        if found is None or found[1].status.value != "running":
            return None
        self.index[name] = (found[0].id, found[1].id)
        return self.index[name]

    def room_for(self, org: Organization, conversation: Any) -> Room:
        from .room import Room  # noqa: PLC0415 - aiortc and PyAV load with the first room, not with the app

        room = self.live.get(conversation.id)
        if room is None or room.closed:
            character = org.characters.get(conversation.characterId)
            face = org.faces.get(character.faceId) if character is not None and character.faceId else None
            brain = org.brains.get(character.brainId) if character is not None and character.brainId else None
            room = Room(self, org.id, conversation, _Character(character, face, conversation),
                        brain.greetingMessage if brain is not None else None)
            self.live[conversation.id] = room
        return room

    def room_of(self, conversation_id: str) -> Room | None:
        room = self.live.get(conversation_id)
        return room if room is not None and not room.closed else None

    # --- what the room tells the domain -----------------------------------------------------------------
    def joined(self, room: Room, session: Session) -> None:
        org = self.org(room.org_id)
        conversation = org.conversations.get(room.conversation_id) if org is not None else None
        if conversation is not None and not room.consumer_joined:
            conversations.record_joined(self.rt, org, conversation, session.identity)
            self._persisted()

    def left(self, room: Room, session: Session, at_ms: int, why: str) -> None:
        org = self.org(room.org_id)
        if org is not None:
            conversations.participant_left(self.rt, org, room.conversation_id, session.identity, from_ms(at_ms),
                                           why, consumer=session.role == "consumer")
            self._persisted()

    def record(self, room: Room, author: str, content: str) -> None:
        org = self.org(room.org_id)
        conversation = org.conversations.get(room.conversation_id) if org is not None else None
        if conversation is not None and conversation.status.value == "running":
            conversations.record_utterance(self.rt, org, conversation, author, content)
            self._persisted()

    def expire(self, room: Room) -> None:
        org = self.org(room.org_id)
        if org is not None:
            conversations.get(self.rt, org, room.conversation_id)  # observing ends it (and announces it)
            self._persisted()

    def _persisted(self) -> None:
        if self.persist is not None:
            self.persist.flush()

    # --- feeds ------------------------------------------------------------------------------------------
    def feed_event(self, conversation_id: str, kind: str, /, organization: str | None = None,
                   **fields: Any) -> dict[str, Any] | None:
        self.rt.control_changes += 1  # the inspector redraws on a new revision (GET /_mock/changes)
        feed = self.feeds.of(conversation_id, organization=organization)
        if feed is None:
            return None
        found = self.live.get(conversation_id)  # keyed by conversation: no scan of the live rooms
        at = found.now_iso() if found is not None else iso(self.rt.clock.now())
        return feed.add(kind, at, **fields)

    # --- what the domain announces --------------------------------------------------------------------------
    def _heard(self, event: DomainEvent) -> None:
        if self.loop is not None and threading.get_ident() != self._loop_thread:
            self.loop.call_soon_threadsafe(self._handle, event)
        else:
            self._handle(event)

    def _handle(self, event: DomainEvent) -> None:
        try:
            self._apply(event)
        except Exception:  # a listener must never break the request that announced it
            log.exception("room: could not apply %s", event.kind)

    def _apply(self, event: DomainEvent) -> None:
        if event.kind == "clock":
            for room in list(self.live.values()):
                if not room.closed:
                    room.schedule()
            self.feeds.wake_all()
            return
        if event.kind == "reset":
            for room in list(self.live.values()):
                if event.organization is None or room.org_id == event.organization:
                    self._close(room, "reset", "ROOM_DELETED")
            self.index = {n: v for n, v in self.index.items()
                          if event.organization is not None and v[0] != event.organization}
            return
        conversation_id = event.conversation or ""
        if event.kind == "started":
            org = self.org(event.organization or "")
            conversation = org.conversations.get(conversation_id) if org is not None else None
            if conversation is not None and conversation.room:
                self.index[conversation.room] = (org.id, conversation_id)
            # As feed_event("started") would, its feed made on first use (no room is live yet: the app clock).
            self.rt.control_changes += 1
            self.feeds.started(conversation_id, event.organization, self.rt.clock.now_ms())
            return
        room = self.room_of(conversation_id)
        if event.kind == "ended":
            self.feed_event(conversation_id, "ended", organization=event.organization, **event.detail)
            if room is not None:
                if event.detail.get("status") == "error":
                    room.broadcast(protocol.error(str(event.detail.get("reason") or "ERROR")))
                reason = "ROOM_DELETED" if event.detail.get("reason") == "stopped" else "ROOM_CLOSED"
                self._close(room, f"conversation {event.detail.get('status')}: {event.detail.get('reason')}", reason)
            org = self.org(event.organization or "")
            ended = org.conversations.get(conversation_id) if org is not None else None
            if ended is not None and ended.room:  # live or not: the index holds running conversations only
                self.index.pop(ended.room, None)
            return
        if room is None:
            return
        if event.kind == "utterance":
            author = protocol.ROOM_AUTHOR.get(str(event.detail.get("author")), "user")
            content = str(event.detail.get("content", ""))
            if author == "agent":
                room.say(content, record=False)  # the domain recorded it already
            else:
                room.broadcast(protocol.utterance("user", content, room.now_iso()))
        elif event.kind == "signal":
            room.broadcast(dict(event.detail))

    def _close(self, room: Room, why: str, reason: str) -> None:
        from livekit.protocol import models  # noqa: PLC0415 - loaded with the first room, not with the app

        code = getattr(models.DisconnectReason, reason)
        if self.loop is not None:
            task = self.loop.create_task(room.close(why, code))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        self.live.pop(room.conversation_id, None)

    def counts(self) -> dict[str, int]:
        live = [r for r in self.live.values() if not r.closed]
        return {"rooms": len(live), "participants": sum(len(r.sessions) for r in live),
                "peersOpened": self.peers_opened, "peersClosed": self.peers_closed,
                "peersOpen": self.peers_opened - self.peers_closed, "refused": self.refused}


class _Character:
    """What the room needs of a character (the conversation keeps a running one even if it was deleted)."""

    def __init__(self, character: Any, face: Any, conversation: Any) -> None:
        self.livekitIdentity = character.livekitIdentity if character is not None else "character"
        self.name = character.name if character is not None else "Character"
        self.face = face
