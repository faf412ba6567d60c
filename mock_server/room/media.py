"""The character's tracks: a generated picture (320x240, a few frames a second) and a soft tone while it
speaks (silence costs nothing: no frame is made). One pair per subscriber; the picture is shared."""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from . import picture

FPS = 5
AUDIO_RATE = 48_000
AUDIO_SAMPLES = 960  # 20 ms
TONE_HZ = 220.0
TONE_LEVEL = 600  # of 32767: soft


class Face:
    """What the picture shows and whether the character speaks, shared by its video tracks."""

    def __init__(self, name: str, face: str) -> None:
        self.name, self.face = name, face
        self.latest = ""
        self.speaking_until = 0.0  # time.monotonic(): a visual effect, not the organization's clock
        self._still = picture.still(name, face, "")
        self.changed = asyncio.Event()

    def speak(self, text: str) -> None:
        self.latest = text
        self._still = picture.still(self.name, self.face, text)
        self.speaking_until = time.monotonic() + min(8.0, 0.6 + 0.06 * len(text))
        self.changed.set()

    @property
    def speaking(self) -> bool:
        return time.monotonic() < self.speaking_until

    def luma(self, step: int) -> bytes:
        return picture.with_mark(self._still, step, self.speaking)


class PictureTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, face: Face, track_id: str) -> None:
        super().__init__()
        self._id = track_id  # the client binds it by its TR_ id
        self.face = face
        self._step = 0
        self._next: float | None = None

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._next is None:
            self._next = now
        elif self._next > now:
            await asyncio.sleep(self._next - now)
        self._next = max(self._next + 1 / FPS, time.monotonic() - 1)
        frame = av.VideoFrame(picture.WIDTH, picture.HEIGHT, "yuv420p")
        frame.planes[0].update(self.face.luma(self._step))
        frame.planes[1].update(picture.CHROMA)
        frame.planes[2].update(picture.CHROMA)
        frame.pts = self._step * (90_000 // FPS)
        frame.time_base = fractions.Fraction(1, 90_000)
        self._step += 1
        return frame


class ToneTrack(MediaStreamTrack):
    """Frames only while the character speaks; between utterances ``recv`` waits (no CPU)."""

    kind = "audio"

    def __init__(self, face: Face, track_id: str) -> None:
        super().__init__()
        self._id = track_id
        self.face = face
        self._pts = 0
        self._next: float | None = None
        tone = bytearray()
        for n in range(AUDIO_SAMPLES):
            sample = int(TONE_LEVEL * math.sin(2 * math.pi * TONE_HZ * n / AUDIO_RATE))
            tone += sample.to_bytes(2, "little", signed=True)
        self._tone = bytes(tone)  # 220 Hz fits 20 ms exactly: frames join without a click

    async def recv(self) -> Any:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self.face.speaking:
                break
            self.face.changed.clear()
            self._next = None
            try:
                await asyncio.wait_for(self.face.changed.wait(), timeout=5)
            except TimeoutError:
                continue
        now = time.monotonic()
        if self._next is None:
            self._next = now
        elif self._next > now:
            await asyncio.sleep(self._next - now)
        self._next += AUDIO_SAMPLES / AUDIO_RATE
        frame = av.AudioFrame(format="s16", layout="mono", samples=AUDIO_SAMPLES)
        frame.planes[0].update(self._tone)
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self._pts += AUDIO_SAMPLES
        return frame
