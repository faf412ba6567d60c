"""Loopback-only ICE: remote candidates outside 127.0.0.0/8 and ::1 are dropped, names never resolved."""

from __future__ import annotations

import json

from mock_server.room import loopback

SDP = "\r\n".join([
    "v=0", "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
    "a=candidate:2 1 udp 2122260223 192.168.1.20 50001 typ host",
    "a=candidate:3 1 udp 2122260223 3f2a9c.local 50002 typ host",
    "a=candidate:4 1 udp 1686052607 203.0.113.9 50003 typ srflx raddr 0.0.0.0 rport 0",
    "a=candidate:5 1 udp 2122260223 ::1 50004 typ host",
    "a=end-of-candidates", ""])


def test_sdp_keeps_loopback_candidates_only():
    kept = [line for line in loopback.loopback_sdp(SDP).splitlines() if line.startswith("a=candidate:")]
    assert kept == ["a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                    "a=candidate:5 1 udp 2122260223 ::1 50004 typ host"]
    assert "a=end-of-candidates" in loopback.loopback_sdp(SDP)


def test_trickled_candidates_outside_loopback_or_unreadable_are_dropped():
    def init(candidate, **extra):
        return json.dumps({"candidate": candidate, **extra})

    found = loopback.trickle_candidate(init("candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
                                            sdpMid="0", sdpMLineIndex=0))
    assert found is not None and (found[0].ip, found[0].port, found[1], found[2]) == ("127.0.0.1", 50000, "0", 0)
    for dropped in [init("candidate:2 1 udp 2122260223 10.1.2.3 50001 typ host"),
                    init("candidate:3 1 udp 2122260223 printer.local 50002 typ host"),
                    init(""), init("candidate:1 1 udp x 127.0.0.1 notaport typ host"), "nope", "[]", "{}",
                    init("candidate:1 1 udp 1 127.0.0.1")]:
        assert loopback.trickle_candidate(dropped) is None, dropped
    assert loopback.configuration().iceServers == []  # no STUN or TURN server, ever
