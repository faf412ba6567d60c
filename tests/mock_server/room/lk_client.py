"""A LiveKit client for the room's Python-side tests: the classic /rtc signalling with livekit-protocol
protobufs and aiortc peers on loopback, as livekit-client does it (subscriber answered, publisher offered
with its _reliable and _lossy channels). The real oracle is livekit-client in Chromium (tests/room/);
this one is fast, and it can also misbehave on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack
from livekit.protocol import models, rtc
from websockets.asyncio.client import connect

from mock_server.room import loopback

TOPIC = "equos_event"


class LkClient:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.ws: Any = None
        self.join: rtc.JoinResponse | None = None
        self.subscriber: RTCPeerConnection | None = None
        self.publisher: RTCPeerConnection | None = None
        self.reliable: Any = None
        self.received: list[dict[str, Any]] = []  # equos_event messages, decoded
        self.packets: list[models.DataPacket] = []
        self.signals: list[rtc.SignalResponse] = []
        self.leave: rtc.LeaveRequest | None = None
        self.closed = asyncio.Event()
        self.tracks: list[Any] = []  # remote tracks
        self.published: dict[str, models.TrackInfo] = {}
        self._answers: asyncio.Queue[rtc.SessionDescription] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.audio: Any = None

    async def open(self) -> rtc.JoinResponse:
        self.ws = await connect(f"{self.url}/rtc?access_token={self.token}", max_size=2**22)
        first = rtc.SignalResponse.FromString(await self.ws.recv())
        self.join = first.join
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self.join

    async def connect(self, *, microphone: bool = False) -> LkClient:
        await self.open()
        await self.wait(lambda: self.subscriber is not None and self.subscriber.remoteDescription is not None)
        await self.publish(microphone=microphone)
        await self.wait(lambda: self.reliable is not None and self.reliable.readyState == "open", "publisher open")
        return self

    async def send(self, request: rtc.SignalRequest) -> None:
        await self.ws.send(request.SerializeToString())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                response = rtc.SignalResponse.FromString(raw)
                self.signals.append(response)
                kind = response.WhichOneof("message")
                if kind == "offer":
                    await self._answer(response.offer)
                elif kind == "answer":
                    self._answers.put_nowait(response.answer)
                elif kind == "leave":
                    self.leave = response.leave
                elif kind == "track_published":
                    self.published[response.track_published.cid] = response.track_published.track
                self._changed.set()
        except Exception:
            pass
        finally:
            self.closed.set()
            self._changed.set()

    async def _answer(self, offer: rtc.SessionDescription) -> None:
        if self.subscriber is None:
            self.subscriber = RTCPeerConnection(loopback.configuration())
            self.subscriber.on("datachannel", self._channel)
            self.subscriber.on("track", self.tracks.append)
        pc = self.subscriber
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
        loopback.restrict(pc)
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send(rtc.SignalRequest(answer=rtc.SessionDescription(type="answer", sdp=pc.localDescription.sdp,
                                                                       id=offer.id)))

    def _channel(self, channel: Any) -> None:
        @channel.on("message")
        def on_message(message: bytes) -> None:
            packet = models.DataPacket.FromString(message)
            self.packets.append(packet)
            if packet.user.topic == TOPIC:
                with contextlib.suppress(ValueError):
                    self.received.append(json.loads(packet.user.payload))
            self._changed.set()

    async def publish(self, *, microphone: bool = False) -> None:
        pc = self.publisher = RTCPeerConnection(loopback.configuration())
        self.reliable = pc.createDataChannel("_reliable", ordered=True)
        pc.createDataChannel("_lossy", ordered=False, maxRetransmits=0)
        self.reliable.on("open", self._changed.set)
        if microphone:
            self.audio = AudioStreamTrack()
            await self.send(rtc.SignalRequest(add_track=rtc.AddTrackRequest(
                cid=self.audio.id, name="microphone", type=models.AUDIO, source=models.TrackSource.MICROPHONE)))
            await self.wait(lambda: self.audio.id in self.published, "track published")
            pc.addTrack(self.audio)
        await self.negotiate()

    async def negotiate(self) -> None:
        pc = self.publisher
        offer = await pc.createOffer()
        loopback.restrict(pc)
        await pc.setLocalDescription(offer)
        await self.send(rtc.SignalRequest(offer=rtc.SessionDescription(type="offer", sdp=pc.localDescription.sdp,
                                                                      id=1)))
        answer = await asyncio.wait_for(self._answers.get(), 10)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))

    async def unpublish_microphone(self) -> None:
        for transceiver in self.publisher.getTransceivers():
            if transceiver.kind == "audio":
                transceiver.direction = "inactive"
                transceiver.sender.replaceTrack(None)
        await self.negotiate()

    def send_data(self, payload: bytes | str, topic: str = TOPIC) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        packet = models.DataPacket(kind=models.DataPacket.RELIABLE, user=models.UserPacket(payload=data, topic=topic))
        self.reliable.send(packet.SerializeToString())

    def say(self, message: dict[str, Any]) -> None:
        self.send_data(json.dumps(message))

    async def wait(self, check: Any, what: str = "", timeout: float = 10.0) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            got = check()
            if got:
                return got
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"gave up waiting for {what or check}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.2))

    async def message(self, kind: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            for message in self.received:
                if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                    return message
            return None
        return await self.wait(found, f"a {kind} message", timeout)

    async def close(self, leave: bool = True) -> None:
        if leave and self.ws is not None and not self.closed.is_set():
            with contextlib.suppress(Exception):
                await self.send(rtc.SignalRequest(leave=rtc.LeaveRequest(reason=models.CLIENT_INITIATED)))
        for pc in (self.publisher, self.subscriber):
            if pc is not None:
                await pc.close()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._reader, 5)


