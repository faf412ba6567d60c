"""Loopback-only ICE: gather 127.0.0.1 alone, drop every remote candidate outside loopback (in SDPs and
in trickle), never resolve ``.local`` mDNS names, ignore checks from elsewhere. No packet leaves
127.0.0.0/8, and no STUN server is ever asked (``RTCConfiguration(iceServers=[])``).

aioice gathers on every interface but loopback and offers no option for it, so each connection's
gatherer is given its own loopback gathering (per connection: nothing global is patched).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.sdp import candidate_from_sdp

LOOPBACK_HOST = "127.0.0.1"


def configuration() -> RTCConfiguration:
    return RTCConfiguration(iceServers=[])


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name (an mDNS .local one included): never resolved


def candidate_is_loopback(line: str) -> bool:
    """``line``: an SDP ``candidate:...`` attribute value (with or without ``a=``)."""
    text = line.removeprefix("a=").removeprefix("candidate:")
    parts = text.split()
    return len(parts) >= 8 and is_loopback(parts[4])


def loopback_sdp(sdp: str) -> str:
    """The SDP without its non-loopback candidates."""
    lines = sdp.splitlines()
    kept = [line for line in lines if not line.startswith("a=candidate:") or candidate_is_loopback(line)]
    return "\r\n".join(kept) + "\r\n"


def trickle_candidate(candidate_init: str) -> tuple[Any, str | None, int | None] | None:
    """A trickled ``RTCIceCandidateInit`` (JSON) as an aiortc candidate with its sdpMid and
    sdpMLineIndex; None when it is not loopback, is the end-of-candidates mark or cannot be read."""
    try:
        init = json.loads(candidate_init)
    except (ValueError, RecursionError):
        return None
    if not isinstance(init, dict):
        return None
    text = init.get("candidate")
    if not isinstance(text, str) or not text or not candidate_is_loopback(text):
        return None
    try:
        candidate = candidate_from_sdp(text.removeprefix("a=").removeprefix("candidate:"))
    except (ValueError, IndexError):
        return None
    mid = init.get("sdpMid")
    index = init.get("sdpMLineIndex")
    candidate.sdpMid = mid if isinstance(mid, str) else None
    candidate.sdpMLineIndex = index if isinstance(index, int) and not isinstance(index, bool) else None
    return candidate, candidate.sdpMid, candidate.sdpMLineIndex


def restrict(pc: RTCPeerConnection) -> None:
    """Make every ICE connection of ``pc`` gather on loopback only and ignore non-loopback checks.
    Call it after transceivers and data channels exist and before ``setLocalDescription``."""
    transports = [t.sender.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    for dtls in transports:
        if dtls is not None:
            _restrict_connection(dtls.transport.iceGatherer._connection)


def _restrict_connection(connection: Any) -> None:
    if getattr(connection, "_equos_loopback", False):
        return
    connection._equos_loopback = True

    async def gather_loopback() -> None:
        if connection._local_candidates_start:
            return
        connection._local_candidates_start = True
        for component in sorted(connection._components):
            connection._local_candidates += await connection.get_component_candidates(
                component=component, addresses=[LOOPBACK_HOST])
        connection._local_candidates_end = True

    received = connection.request_received

    def request_received(message: Any, addr: tuple[Any, ...], protocol: Any, raw_data: Any = None) -> None:
        if is_loopback(str(addr[0])):
            if raw_data is None:
                received(message, addr, protocol)
            else:
                received(message, addr, protocol, raw_data)

    connection.gather_candidates = gather_loopback
    connection.request_received = request_received
