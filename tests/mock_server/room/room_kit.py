"""What the room's Python-side tests share: a live mock with its room, conversations started over HTTP,
and the counts that show nothing leaked (RTCPeerConnections, UDP sockets of this process)."""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from mock_server.server import MockServer


@dataclass
class Started:
    key: str
    conversation: dict[str, Any]
    consumer_token: str
    http: httpx.Client
    agent_token: str | None = None

    @property
    def id(self) -> str:
        return self.conversation["id"]

    def get(self) -> dict[str, Any]:
        return self.http.get(f"/v3/conversations/{self.id}").json()


def start(mock: MockServer, *, greeting: str = "Hello, I am Ada.", max_seconds: int = 600, identity: str = "ada",
          remote_agent: bool = False, key: str | None = None) -> Started:
    key = key or f"sk_room_{uuid.uuid4().hex[:10]}"
    client = httpx.Client(base_url=mock.url, headers={"x-api-key": key}, timeout=10)
    brain = client.post("/v3/brains", json={"instructions": "be kind", "greetingMessage": greeting}).json()
    character = client.post("/v3/characters", json={"name": "Ada", "livekitIdentity": identity,
                                                     "brainId": brain["id"]}).json()
    body: dict[str, Any] = {"name": "room test", "characterId": character["id"], "maxSeconds": max_seconds,
                            "consumer": {"identity": "user-1", "name": "User One"}}
    if remote_agent:
        body["remoteAgent"] = {"identity": "agent-1", "name": "Agent"}
    reply = client.post("/v3/conversations", json=body)
    assert reply.status_code == 201, reply.text
    data = reply.json()
    return Started(key, data["conversation"], data["consumerAccessToken"], client, data.get("remoteAgentAccessToken"))


def udp_sockets() -> int:
    """UDP sockets this process holds now (aioice's candidates are UDP sockets)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/self/net/udp", "/proc/self/net/udp6"):
        try:
            with open(table) as handle:
                rows = handle.read().splitlines()[1:]
        except OSError:
            continue
        count += sum(1 for row in rows if row.split()[9] in inodes)
    return count


def settled(mock: MockServer, timeout: float = 5.0) -> dict[str, int]:
    """The room server's counts once nothing is open any more (or as they stand at the timeout)."""
    rooms = mock.app.state.rooms
    deadline = time.monotonic() + timeout
    while True:
        counts = rooms.counts()
        if (counts["peersOpen"] == 0 and counts["participants"] == 0) or time.monotonic() > deadline:
            return counts
        time.sleep(0.05)


def ended(started: Started, timeout: float = 5.0) -> dict[str, Any]:
    """The conversation once it is no longer running (the room acts a moment after a socket closes)."""
    deadline = time.monotonic() + timeout
    while True:
        body = started.get()
        if body["status"] != "running" or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


ROOM_LOGGERS = ("equos_mock.room", "aiortc", "aioice", "websockets")


def quiet(caplog: Any) -> None:
    """Nothing above INFO from the room's stack: a hostile or odd message is no error of the server's."""
    loud = [r for r in caplog.records if r.name.startswith(ROOM_LOGGERS) and r.levelno > logging.INFO]
    assert not loud, [r.getMessage() for r in loud]
