"""One participant's signal connection (classic /rtc: a subscriber connection the server offers and a
publisher connection the client offers), speaking LiveKit's protobuf signalling.

A malformed message ends this participant's connection; an unknown one is ignored, as livekit-server
does. Nothing here raises into the server: every failure closes this session alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from google.protobuf.message import DecodeError
from livekit.protocol import models, rtc

from . import loopback
from .access import Grant

if TYPE_CHECKING:
    from .room import Room

log = logging.getLogger("equos_mock.room")

PENDING_CANDIDATES = 64  # trickled before their offer, kept at most
MAX_SDP_CHARS = 256 * 1024
DATA_BURST, DATA_PER_SECOND = 400, 200  # data packets a participant may send (token bucket)
PUBLISHER, SUBSCRIBER = 0, 1
_MSID = re.compile(r"^a=msid:(\S+) (\S+)", re.M)


class Session:
    def __init__(self, room: Room, grant: Grant, sid: str, send: Callable[[bytes], Awaitable[None]],
                 close: Callable[[int, str], Awaitable[None]], role: str) -> None:
        self.room = room
        self.grant = grant
        self.identity, self.name, self.sid, self.role = grant.identity, grant.name, sid, role
        self._send, self._close_ws = send, close
        self.publisher: RTCPeerConnection | None = None
        self.subscriber: RTCPeerConnection | None = None
        self.pending: dict[int, list[Any]] = {PUBLISHER: [], SUBSCRIBER: []}
        self.tracks: dict[str, models.TrackInfo] = {}  # sid -> info
        self.track_by_cid: dict[str, str] = {}  # the client's track id -> sid
        self.sent_cids: set[str] = set()  # tracks an offer has carried
        self.reliable: Any = None  # the subscriber's _reliable channel (server -> client)
        self.outbox: list[bytes] = []  # data waiting for that channel to open
        self.closed = False
        self.left_why: str | None = None
        self.last_seen_ms = 0  # the organization's clock, at the last message from the client
        self._ping_timer: asyncio.TimerHandle | None = None
        self._tokens, self._refill_at = float(DATA_BURST), 0.0
        self._lock = asyncio.Lock()  # one negotiation step at a time

    # --- info -----------------------------------------------------------------------
    def info(self) -> models.ParticipantInfo:
        kind = models.ParticipantInfo.Kind.AGENT if self.role == "remote_agent" else models.ParticipantInfo.STANDARD
        return models.ParticipantInfo(
            sid=self.sid, identity=self.identity, name=self.name, state=models.ParticipantInfo.ACTIVE,
            tracks=list(self.tracks.values()), joined_at=self.room.joined_s, is_publisher=bool(self.tracks),
            kind=kind, permission=models.ParticipantPermission(
                can_subscribe=self.grant.can_subscribe, can_publish=self.grant.can_publish,
                can_publish_data=self.grant.can_publish_data))

    # --- sending --------------------------------------------------------------------
    async def signal(self, response: rtc.SignalResponse) -> None:
        if self.closed:
            return
        try:
            await self._send(response.SerializeToString())
        except Exception:  # the socket went away: the reader notices and closes the session
            log.debug("signal to %s failed", self.identity, exc_info=True)

    def send_data(self, packet: bytes) -> None:
        if self.closed:
            return
        channel = self.reliable
        if channel is None or channel.readyState != "open":
            if len(self.outbox) < 256:
                self.outbox.append(packet)
            return
        try:
            channel.send(packet)
        except Exception:
            log.debug("data to %s failed", self.identity, exc_info=True)

    def _flush(self) -> None:
        outbox, self.outbox = self.outbox, []
        for packet in outbox:
            self.send_data(packet)

    # --- the conversation with the client ---------------------------------------------
    async def start(self) -> None:
        join = rtc.JoinResponse(
            room=self.room.info(), participant=self.info(),
            other_participants=[p for p in self.room.participants_info() if p.sid != self.sid],
            server_version=self.room.server_version, subscriber_primary=True,
            ping_interval=self.room.rooms.ping_interval_s, ping_timeout=self.room.rooms.ping_timeout_s,
            server_info=models.ServerInfo(edition=models.ServerInfo.Standard, version=self.room.server_version,
                                          protocol=16, node_id="equos-mock"))
        await self.signal(rtc.SignalResponse(join=join))
        self._watch_pings()
        await self._offer_subscriber()

    async def _offer_subscriber(self) -> None:
        pc = self.subscriber = RTCPeerConnection(loopback.configuration())
        self.room.rooms.peers_opened += 1
        self.reliable = pc.createDataChannel("_reliable", ordered=True)
        pc.createDataChannel("_lossy", ordered=False, maxRetransmits=0)
        self.reliable.on("open", self._flush)
        self.room.character_tracks_for(self, pc)
        loopback.restrict(pc)
        pc.on("connectionstatechange", lambda: self._connection_state(pc, "subscriber"))
        offer = await pc.createOffer()
        await pc.setLocalDescription(offer)
        if self.closed:
            return
        mids = {t.mid: t.sender.track.id for t in pc.getTransceivers() if t.mid and t.sender.track}
        await self.signal(rtc.SignalResponse(offer=rtc.SessionDescription(
            type="offer", sdp=pc.localDescription.sdp, id=1, mid_to_track_id=mids)))

    def _connection_state(self, pc: RTCPeerConnection, which: str) -> None:
        if pc.connectionState == "failed" and not self.closed:
            self.room.spawn(self.room.leave(self, f"{which} connection failed"))

    def _watch_pings(self) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
        loop = asyncio.get_running_loop()
        self._ping_timer = loop.call_later(self.room.rooms.ping_timeout_s, self._missed_pings)

    def _missed_pings(self) -> None:
        if not self.closed:
            self.room.spawn(self.room.leave(self, "missed pings"))

    async def handle(self, raw: bytes | str) -> bool:
        """One message from the client; False: the connection must end (malformed or leave)."""
        if isinstance(raw, str):
            return False  # livekit-server's protobuf signalling: a text frame is not a message
        try:
            request = rtc.SignalRequest.FromString(raw)
        except (DecodeError, RuntimeWarning, ValueError):
            return False
        self.last_seen_ms = self.room.now_ms()
        self._watch_pings()
        try:
            return await self._dispatch(request)
        except Malformed:
            return False

    async def _dispatch(self, request: rtc.SignalRequest) -> bool:
        kind = request.WhichOneof("message")
        if kind == "ping":
            await self.signal(rtc.SignalResponse(pong=self.room.wall_ms()))
        elif kind == "ping_req":
            await self.signal(rtc.SignalResponse(pong_resp=rtc.Pong(
                last_ping_timestamp=request.ping_req.timestamp, timestamp=self.room.wall_ms())))
        elif kind == "offer":
            await self._publisher_offer(request.offer)
        elif kind == "answer":
            await self._subscriber_answer(request.answer)
        elif kind == "trickle":
            await self._trickle(request.trickle)
        elif kind == "add_track":
            await self._add_track(request.add_track)
        elif kind == "mute":
            self._mute(request.mute)
        elif kind == "leave":
            self.left_why = "leave"
            return False
        return True  # subscription, track settings, layers, sync state...: nothing to do here

    async def _publisher_offer(self, offer: rtc.SessionDescription) -> None:
        if offer.type != "offer" or len(offer.sdp) > MAX_SDP_CHARS:
            raise Malformed("offer")
        async with self._lock:
            if self.publisher is None:
                pc = self.publisher = RTCPeerConnection(loopback.configuration())
                self.room.rooms.peers_opened += 1
                pc.on("datachannel", self._publisher_channel)
                pc.on("track", self._incoming_track)
                pc.on("connectionstatechange", lambda: self._connection_state(pc, "publisher"))
            pc = self.publisher
            sdp = loopback.loopback_sdp(offer.sdp)
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
                loopback.restrict(pc)
                answer = await pc.createAnswer()
                await pc.setLocalDescription(answer)
            except Exception as exc:  # aiortc refuses what it cannot parse in many ways
                raise Malformed(f"offer: {type(exc).__name__}") from None
            await self._drain(PUBLISHER)
            self._published_in(sdp)
            await self.signal(rtc.SignalResponse(answer=rtc.SessionDescription(
                type="answer", sdp=pc.localDescription.sdp, id=offer.id)))

    async def _subscriber_answer(self, answer: rtc.SessionDescription) -> None:
        pc = self.subscriber
        if pc is None or answer.type != "answer" or len(answer.sdp) > MAX_SDP_CHARS:
            raise Malformed("answer")
        if pc.signalingState != "have-local-offer":
            return  # a repeated answer
        async with self._lock:
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=loopback.loopback_sdp(answer.sdp),
                                                                    type="answer"))
            except Exception as exc:
                raise Malformed(f"answer: {type(exc).__name__}") from None
            await self._drain(SUBSCRIBER)

    async def _trickle(self, trickle: rtc.TrickleRequest) -> None:
        found = loopback.trickle_candidate(trickle.candidateInit)
        if found is None:
            return  # not loopback, end-of-candidates, or unreadable: dropped
        target = SUBSCRIBER if trickle.target == SUBSCRIBER else PUBLISHER
        pc = self.publisher if target == PUBLISHER else self.subscriber
        if pc is None or pc.remoteDescription is None:
            if len(self.pending[target]) < PENDING_CANDIDATES:
                self.pending[target].append(found[0])
            return
        await self._add_candidate(pc, found[0])

    async def _drain(self, target: int) -> None:
        pc = self.publisher if target == PUBLISHER else self.subscriber
        waiting, self.pending[target] = self.pending[target], []
        for candidate in waiting:
            await self._add_candidate(pc, candidate)

    @staticmethod
    async def _add_candidate(pc: RTCPeerConnection | None, candidate: Any) -> None:
        if pc is None:
            return
        with contextlib.suppress(Exception):  # a candidate for a mid the connection does not have
            await pc.addIceCandidate(candidate)

    async def _add_track(self, request: rtc.AddTrackRequest) -> None:
        if not self.grant.can_publish or not request.cid or len(self.tracks) >= 16:
            return  # livekit-server does not publish it either
        if request.cid in self.track_by_cid:
            return
        sid = self.room.new_sid("TR_")
        info = models.TrackInfo(sid=sid, type=request.type, name=request.name, muted=request.muted,
                                width=request.width, height=request.height, source=request.source,
                                mime_type="audio/opus" if request.type == models.AUDIO else "video/VP8")
        self.tracks[sid] = info
        self.track_by_cid[request.cid] = sid
        await self.signal(rtc.SignalResponse(track_published=rtc.TrackPublishedResponse(cid=request.cid,
                                                                                         track=info)))
        self.room.track_changed(self, info, "published")

    def _mute(self, request: rtc.MuteTrackRequest) -> None:
        info = self.tracks.get(request.sid)
        if info is not None and info.muted != request.muted:
            info.muted = request.muted
            self.room.track_changed(self, info, "muted" if request.muted else "unmuted")

    def _published_in(self, sdp: str) -> None:
        """Tracks the new offer no longer sends are unpublished (that is how v0 clients unpublish)."""
        sending = set()
        for section in sdp.split("\r\nm=")[1:]:
            if "a=sendonly" in section or "a=sendrecv" in section:
                sending.update(match.group(2) for match in _MSID.finditer(section.replace("\r\n", "\n")))
        for cid, sid in list(self.track_by_cid.items()):
            info = self.tracks.get(sid)
            if info is None:
                continue
            if cid in sending:
                self.sent_cids.add(cid)
            elif cid in self.sent_cids:  # it was sent before and is not any more
                del self.tracks[sid]
                del self.track_by_cid[cid]
                self.sent_cids.discard(cid)
                self.room.track_changed(self, info, "unpublished")

    def _publisher_channel(self, channel: Any) -> None:
        label = channel.label

        @channel.on("message")
        def on_message(message: bytes | str) -> None:
            if isinstance(message, str) or not self._allow_data():
                return
            self.room.data_from(self, label, message)

    def _allow_data(self) -> bool:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._tokens = min(DATA_BURST, self._tokens + (now - self._refill_at) * DATA_PER_SECOND)
        self._refill_at = now
        if self._tokens < 1:
            self.room.data_dropped += 1
            return False
        self._tokens -= 1
        return True

    def _incoming_track(self, track: Any) -> None:
        self.room.spawn(_discard(track))

    # --- the end ------------------------------------------------------------------------
    async def close(self, reason: int | None = None, why: str = "") -> None:
        """Disconnect: a LeaveRequest first when the server ends it, then peers and the socket."""
        if self.closed:
            return
        if reason is not None:
            await self.signal(rtc.SignalResponse(leave=rtc.LeaveRequest(
                can_reconnect=False, reason=reason, action=rtc.LeaveRequest.DISCONNECT)))
        self.closed = True
        if self._ping_timer is not None:
            self._ping_timer.cancel()
        for pc in (self.publisher, self.subscriber):
            if pc is not None:
                with contextlib.suppress(Exception):
                    await pc.close()
                self.room.rooms.peers_closed += 1
        self.publisher = self.subscriber = self.reliable = None
        self.outbox.clear()
        with contextlib.suppress(Exception):
            await self._close_ws(1000, why[:120])


class Malformed(Exception):
    pass


async def _discard(track: Any) -> None:
    """Read what the client publishes and let it go (unread frames would pile up)."""
    with contextlib.suppress(Exception):
        while True:
            await track.recv()
