"""One conversation's room: its participants, the character (tracks and equos_event), its timers.

It follows the conversation both ways: the consumer leaving ends the conversation (domain
``participant_left``); the conversation ending (stop, expiry, error) closes the room.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from aiortc import RTCPeerConnection
from livekit.protocol import models, rtc

from ..clock import from_ms, iso
from ..domain import conversations
from . import protocol
from .character import Character
from .media import Face, PictureTrack, ToneTrack

if TYPE_CHECKING:
    from .registry import Rooms
    from .session import Session

log = logging.getLogger("equos_mock.room")
DISCONNECT = models.DisconnectReason


class Room:
    def __init__(self, rooms: Rooms, org_id: str, conversation: Any, character: Any, greeting: str | None) -> None:
        self.rooms = rooms
        self.org_id, self.conversation_id = org_id, conversation.id
        self.name = conversation.room or ""
        self.started_ms = rooms.to_ms(conversation.startedAt)
        self.deadline_ms = conversations.deadline_ms(conversation)  # the instant REST expires it, too
        self.consumer_identity = conversation.consumerIdentity
        self.remote_agent_identity = conversation.remoteAgentIdentity
        self.sid = rooms.new_sid("RM_")
        self.joined_s = int(time.time())
        self.server_version = rooms.server_version
        self.character = Character(character.livekitIdentity, character.name, greeting)
        face = character.face.identity if getattr(character, "face", None) is not None else "none"
        self.face = Face(character.name, str(getattr(face, "value", face)))
        self.character_sid = rooms.new_sid("PA_")
        self.audio_sid, self.video_sid = rooms.new_sid("TR_"), rooms.new_sid("TR_")
        self.sessions: dict[str, Session] = {}  # identity -> session
        self.consumer_joined = False
        self.closed = False
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sequence = 0
        self.messages_in = self.messages_out = 0
        self.data_dropped = 0  # packets over a participant's rate (session.DATA_PER_SECOND)

    # --- time -----------------------------------------------------------------------------
    def now_ms(self) -> int:
        return self.rooms.org_now_ms(self.org_id)

    def now_iso(self) -> str:
        return iso(from_ms(self.now_ms()))

    @staticmethod
    def wall_ms() -> int:
        return int(time.time() * 1000)

    def new_sid(self, prefix: str) -> str:
        return self.rooms.new_sid(prefix)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("room task failed", exc_info=task.exception())

    # --- what clients see ---------------------------------------------------------------------
    def info(self) -> models.Room:
        return models.Room(sid=self.sid, name=self.name, empty_timeout=300, max_participants=16,
                           creation_time=self.started_ms // 1000, num_participants=len(self.sessions) + 1,
                           active_recording=False)

    def character_info(self) -> models.ParticipantInfo:
        tracks = [
            models.TrackInfo(sid=self.audio_sid, type=models.AUDIO, name=self._track_name("audio"),
                             source=models.TrackSource.MICROPHONE, mime_type="audio/opus"),
            models.TrackInfo(sid=self.video_sid, type=models.VIDEO, name=self._track_name("video"),
                             source=models.TrackSource.CAMERA, width=320, height=240, mime_type="video/VP8"),
        ]
        return models.ParticipantInfo(
            sid=self.character_sid, identity=self.character.identity, name=self.character.name,
            state=models.ParticipantInfo.ACTIVE, tracks=tracks, joined_at=self.started_ms // 1000,
            is_publisher=True, kind=models.ParticipantInfo.Kind.AGENT,
            permission=models.ParticipantPermission(can_subscribe=True, can_publish=True, can_publish_data=True))

    def _track_name(self, kind: str) -> str:
        return f"equos_character_{self.character.identity}_{kind}"

    def participants_info(self) -> list[models.ParticipantInfo]:
        return [self.character_info(), *(s.info() for s in self.sessions.values())]

    def character_tracks_for(self, session: Session, pc: RTCPeerConnection) -> None:
        """The character's audio and video on a subscriber connection, bound to it by their ids."""
        for track, sid in ((ToneTrack(self.face, self.audio_sid), self.audio_sid),
                           (PictureTrack(self.face, self.video_sid), self.video_sid)):
            transceiver = pc.addTransceiver(track, direction="sendonly")
            transceiver.sender._stream_id = f"{self.character_sid}|{sid}"  # PA_...|TR_...: the client's key

    # --- joining and leaving ----------------------------------------------------------------------
    def role_of(self, identity: str) -> str:
        if identity == self.remote_agent_identity:
            return "remote_agent"
        if identity == self.consumer_identity or (self.consumer_identity is None and not self.consumer_joined):
            return "consumer"
        return "participant"

    async def join(self, session: Session) -> None:
        old = self.sessions.get(session.identity)
        if old is not None:  # the same identity again: the old connection goes, as in LiveKit
            await self._drop(old, DISCONNECT.DUPLICATE_IDENTITY, "duplicate identity")
        self.sessions[session.identity] = session
        self.feed("participant_joined", identity=session.identity, name=session.name, role=session.role)
        if session.role == "consumer":
            self.rooms.joined(self, session)
        self._broadcast_update(session.info(), but=session)
        await session.start()
        if session.role == "consumer" and not self.closed:
            now = self.now_iso()
            for message in self.character.greet(now):
                self.send_to(session, message)
            self.consumer_joined = True
            self.schedule()

    async def leave(self, session: Session, why: str) -> None:
        """The client went (leave, closed socket, missed pings, connection failed, microphone gone)."""
        if session.closed and self.sessions.get(session.identity) is not session:
            return
        at_ms = session.last_seen_ms if why == "missed pings" and session.last_seen_ms else self.now_ms()
        self._remove(session)
        self.feed("participant_left", identity=session.identity, reason=why)
        if not self.closed:  # first the conversation (it may end, and close the room), then the socket
            self.rooms.left(self, session, at_ms, why)
        await session.close(None, why)

    def _remove(self, session: Session) -> None:
        if self.sessions.get(session.identity) is session:
            del self.sessions[session.identity]
            info = session.info()
            info.state = models.ParticipantInfo.DISCONNECTED
            self._broadcast_update(info, but=session)

    async def _drop(self, session: Session, reason: int, why: str) -> None:
        self._remove(session)
        await session.close(reason, why)

    def track_changed(self, session: Session, info: models.TrackInfo, change: str) -> None:
        self.feed(f"track_{change}", identity=session.identity, track=info.name, sid=info.sid,
                  media="audio" if info.type == models.AUDIO else "video" if info.type == models.VIDEO else "data")
        self._broadcast_update(session.info(), but=session)
        if (change == "unpublished" and info.type == models.AUDIO and session.role == "consumer"
                and not self.closed):
            self.spawn(self.leave(session, "microphone unpublished"))

    def _broadcast_update(self, info: models.ParticipantInfo, but: Session | None) -> None:
        update = rtc.SignalResponse(update=rtc.ParticipantUpdate(participants=[info]))
        for other in list(self.sessions.values()):
            if other is not but:
                self.spawn(other.signal(update))

    # --- data ------------------------------------------------------------------------------------
    def data_from(self, session: Session, label: str, raw: bytes) -> None:
        try:
            packet = models.DataPacket.FromString(raw)
        except Exception:
            self.feed("data_refused", identity=session.identity, reason="not a DataPacket")
            return
        if packet.WhichOneof("value") != "user" or not session.grant.can_publish_data:
            return
        user = packet.user
        self.messages_in += 1
        text = user.payload[:1024].decode("utf-8", "replace")
        self.feed("data_received", identity=session.identity, topic=user.topic, payload=text, channel=label)
        # LiveKit relays to the others: the server fills in who sent it.
        for other in list(self.sessions.values()):
            if other is not session and (not user.destination_identities
                                         or other.identity in user.destination_identities):
                other.send_data(self._packet(session.identity, session.sid, user.payload, user.topic))
        if user.topic != protocol.TOPIC or self.closed:
            return
        if session.role != "consumer" and self.consumer_identity is not None:
            return  # with a consumer set, the character listens to it alone
        if user.destination_identities and self.character.identity not in user.destination_identities:
            return
        reaction = self.character.receive(bytes(user.payload), self.now_iso())
        if reaction.ignored:
            self.feed("data_ignored", identity=session.identity, reason=reaction.ignored)
        if reaction.context is not None:
            self.feed("context", content=reaction.context)
        for author, content in reaction.transcript:
            self.rooms.record(self, author, content)
        for message in reaction.send:
            self.broadcast(message)

    def _packet(self, identity: str, sid: str, payload: bytes, topic: str) -> bytes:
        self._sequence += 1
        return models.DataPacket(
            kind=models.DataPacket.RELIABLE, participant_identity=identity, participant_sid=sid,
            sequence=self._sequence,
            user=models.UserPacket(participant_sid=sid, participant_identity=identity, payload=payload,
                                   topic=topic)).SerializeToString()

    def send_to(self, session: Session, message: dict[str, Any]) -> None:
        self._sent(message)
        session.send_data(self._packet(self.character.identity, self.character_sid, protocol.encode(message),
                                       protocol.TOPIC))

    def broadcast(self, message: dict[str, Any]) -> None:
        self._sent(message)
        for session in list(self.sessions.values()):
            session.send_data(self._packet(self.character.identity, self.character_sid,
                                           protocol.encode(message), protocol.TOPIC))

    def _sent(self, message: dict[str, Any]) -> None:
        self.messages_out += 1
        if message.get("type") == "utterance":
            self.face.speak(message["utterance"]["content"])
        self.feed("data_sent", topic=protocol.TOPIC, payload=protocol.encode(message).decode()[:1024])

    # --- the character's own words (control plane) --------------------------------------------------
    def say(self, content: str, record: bool = True) -> None:
        self.broadcast(self.character.say(content, self.now_iso()))
        if record:
            self.rooms.record(self, "character", content)

    # --- timers on the organization's clock ---------------------------------------------------------
    def schedule(self) -> None:
        """expire_soon and the expiry, by the organization's clock: a timer only while it runs."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.closed or not self.consumer_joined:
            return
        now = self.now_ms()
        warning = self.character.warning(now, self.deadline_ms)
        if warning is not None:
            self.broadcast(warning)
        deadline = self.deadline_ms
        if now >= deadline:
            self.rooms.expire(self)
            return
        if self.rooms.org_clock_frozen(self.org_id):
            return  # a frozen clock moves only by the control plane, which calls schedule() again
        due = deadline if self.character.warned else self.character.warning_due_ms(deadline)
        self._timer = asyncio.get_running_loop().call_later(max(0.0, (due - now) / 1000) + 0.001, self.schedule)

    # --- the end ----------------------------------------------------------------------------------------
    async def close(self, why: str, reason: int = DISCONNECT.ROOM_DELETED) -> None:
        if self.closed:
            return
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
        for session in list(self.sessions.values()):
            await session.close(reason, why)
        self.sessions.clear()
        self.feed("room_closed", reason=why)  # its tasks end by themselves: peers closed, tracks ended

    def feed(self, kind: str, /, **fields: Any) -> None:
        self.rooms.feed_event(self.conversation_id, kind, organization=self.org_id, **fields)

    def describe(self) -> dict[str, Any]:
        def tracks(info: models.ParticipantInfo) -> list[dict[str, Any]]:
            return [{"sid": t.sid, "name": t.name, "kind": "audio" if t.type == models.AUDIO else "video",
                     "muted": t.muted} for t in info.tracks]

        people = [{"identity": self.character.identity, "name": self.character.name, "role": "character",
                   "sid": self.character_sid, "tracks": tracks(self.character_info())}]
        people += [{"identity": s.identity, "name": s.name, "role": s.role, "sid": s.sid, "tracks": tracks(s.info())}
                   for s in self.sessions.values()]
        return {"room": self.name, "live": not self.closed, "participants": people,
                "messagesIn": self.messages_in, "messagesOut": self.messages_out, "dataDropped": self.data_dropped,
                "scriptedReplies": list(self.character.scripted), "contexts": list(self.character.contexts)}


