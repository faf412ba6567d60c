"""The room's signalling port without WebRTC: LiveKit's refusals, the /rtc/v1 fallback, CORS, and
hostile signal messages, each answered for that client alone (raw WebSocket, livekit-protocol protobufs)."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import jwt
import pytest
from livekit.protocol import rtc
from room_kit import ended, quiet, settled, start, udp_sockets
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from mock_server.tokens import Grant, livekit_token


def _http(mock, path: str, **kwargs):
    return httpx.get(mock.room_url.replace("ws://", "http://") + path, timeout=10, **kwargs)


def _token(mock, room: str, *, secret: str | None = None, expires_in: int = 600, join: bool = True,
           identity: str = "user-1", not_before: int | None = None) -> str:
    now = int(time.time())
    token = livekit_token(api_key="devkey", api_secret=secret or mock.settings.livekit_api_secret, identity=identity,
                          name="U", grant=Grant(room=room), not_before=not_before or now - 10,
                          expires=now + expires_in)
    if not join:
        claims = jwt.decode(token, options={"verify_signature": False})
        claims["video"]["roomJoin"] = False
        token = jwt.encode(claims, mock.settings.livekit_api_secret, algorithm="HS256")
    return token


def test_v1_paths_answer_404_with_cors_so_clients_fall_back_and_validate_says_success(mock):
    started = start(mock)
    token = started.consumer_token
    for path in ("/rtc/v1", "/rtc/v1/validate"):
        reply = _http(mock, f"{path}?access_token={token}", headers={"Origin": "http://127.0.0.2:5173"})
        assert (reply.status_code, reply.text) == (404, "404 page not found\n")
        assert reply.headers["access-control-allow-origin"] in ("*", "http://127.0.0.2:5173")
    reply = _http(mock, f"/rtc/validate?access_token={token}", headers={"Origin": "http://127.0.0.2:5173"})
    assert (reply.status_code, reply.text, reply.headers["access-control-allow-origin"]) == (200, "success", "*")
    bearer = _http(mock, "/rtc/validate", headers={"Authorization": f"Bearer {token}"})
    assert (bearer.status_code, bearer.text) == (200, "success")
    assert _http(mock, "/rtc").status_code == 404  # not a WebSocket request, as livekit-server answers


@pytest.mark.parametrize("case", ["forged", "expired", "not yet valid", "other room", "no roomJoin", "no token",
                                  "garbage", "bad header", "other key"])
def test_tokens_are_refused_as_livekit_refuses_them(mock, case):
    started = start(mock)
    room = started.conversation["room"]
    token = {
        "forged": lambda: _token(mock, room, secret="not-the-secret"),
        "expired": lambda: _token(mock, room, expires_in=-60),
        "not yet valid": lambda: _token(mock, room, not_before=int(time.time()) + 3600),
        "other room": lambda: _token(mock, "equos-no-such-room"),
        "no roomJoin": lambda: _token(mock, room, join=False),
        "no token": lambda: "",
        "garbage": lambda: "not.a.jwt",
        "bad header": lambda: None,
        "other key": lambda: jwt.encode({"iss": "otherkey", "sub": "u", "video": {"room": room, "roomJoin": True}},
                                        "x" * 32, algorithm="HS256"),
    }[case]()
    expected = {"forged": (401, "invalid authorization token: Signature verification failed"),
                "expired": (401, "invalid authorization token: token is expired"),
                "not yet valid": (401, "invalid authorization token: token is not valid yet"),
                "other room": (404, "requested room does not exist"),
                "no roomJoin": (401, "permissions denied"), "no token": (401, "permissions denied"),
                "garbage": (401, "invalid authorization token"),
                "bad header": (401, "invalid authorization header. Must start with Bearer "),
                "other key": (401, "invalid API key")}[case]
    headers = {"Authorization": "Basic abc"} if case == "bad header" else {}
    reply = _http(mock, f"/rtc/validate?access_token={token or ''}", headers=headers)
    assert (reply.status_code, reply.text) == expected

    async def join() -> int:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{mock.room_url}/rtc?access_token={token or ''}", additional_headers=headers):
                pass
        return refused.value.response.status_code

    assert asyncio.run(join()) == expected[0]


def test_a_room_whose_conversation_ended_or_expired_refuses_validation_and_joins(mock):
    started = start(mock, max_seconds=60)
    token = started.consumer_token
    assert _http(mock, f"/rtc/validate?access_token={token}").status_code == 200
    mock.control.advance(61, key=started.key)  # the organization's clock: the conversation expired
    assert _http(mock, f"/rtc/validate?access_token={token}").text == "requested room does not exist"
    stopped = start(mock)
    stopped.http.post(f"/v3/conversations/{stopped.id}/stop").raise_for_status()
    assert _http(mock, f"/rtc/validate?access_token={stopped.consumer_token}").status_code == 404

    async def join(token: str) -> tuple[int, bytes]:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{mock.room_url}/rtc?access_token={token}"):
                pass
        return refused.value.response.status_code, refused.value.response.body

    for ended_token in (token, stopped.consumer_token):  # a WebSocket join, as a client makes it, is refused too
        assert asyncio.run(join(ended_token)) == (404, b"requested room does not exist")



def test_a_tokens_expiry_is_judged_on_its_organizations_clock(mock):
    """A token valid for 10 minutes of wall time is expired once the organization's clock is 11 minutes on,
    while its conversation still runs; the wall clock alone would still let it in."""
    started = start(mock, max_seconds=3600)
    token = _token(mock, started.conversation["room"], expires_in=600)
    assert _http(mock, f"/rtc/validate?access_token={token}").status_code == 200
    mock.control.advance(660, key=started.key)
    reply = _http(mock, f"/rtc/validate?access_token={token}")
    assert (reply.status_code, reply.text) == (401, "invalid authorization token: token is expired")
    assert started.http.get(f"/v3/conversations/{started.id}").json()["status"] == "running"

async def _joined(mock, token: str):
    ws = await connect(f"{mock.room_url}/rtc?access_token={token}")
    first = rtc.SignalResponse.FromString(await ws.recv())
    assert first.WhichOneof("message") == "join"
    return ws, first.join


async def _closed(ws) -> bool:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except ConnectionClosed:
        return True


def test_join_response_names_the_room_the_character_and_a_version_then_the_offer_comes(mock):
    started = start(mock)

    async def run():
        ws, join = await _joined(mock, started.consumer_token)
        offer = rtc.SignalResponse.FromString(await ws.recv())
        await ws.send(rtc.SignalRequest(leave=rtc.LeaveRequest()).SerializeToString())
        await _closed(ws)
        return join, offer

    join, offer = asyncio.run(run())
    assert join.room.name == started.conversation["room"] and join.server_info.version and join.subscriber_primary
    assert join.participant.identity == "user-1" and join.participant.name == "User One"
    (character,) = join.other_participants
    assert (character.identity, character.name) == ("ada", "Ada")
    assert sorted(t.name for t in character.tracks) == ["equos_character_ada_audio", "equos_character_ada_video"]
    assert offer.WhichOneof("message") == "offer"
    sdp = offer.offer.sdp
    assert f"a=msid:{character.sid}|" in sdp and "a=candidate:" in sdp
    candidates = [line for line in sdp.splitlines() if line.startswith("a=candidate:")]
    assert candidates and all(" 127.0.0.1 " in line for line in candidates)  # loopback only
    assert "stun" not in sdp.lower().replace("a=ice", "")  # no STUN server ever asked (srflx)
    assert " srflx " not in sdp and not join.ice_servers
    assert ended(started)["status"] == "ended"  # the consumer's leave ended it
    assert settled(mock)["peersOpen"] == 0


def test_unknown_requests_and_early_trickle_are_ignored_and_a_client_vanishing_mid_negotiation_is_cleaned_up(
        mock, caplog):
    caplog.set_level(logging.INFO)
    started = start(mock)
    udp_before = udp_sockets()

    async def run():
        ws, _ = await _joined(mock, started.consumer_token)
        await ws.send(rtc.SignalRequest().SerializeToString())  # no message at all
        await ws.send(rtc.SignalRequest(simulate=rtc.SimulateScenario(speaker_update=3)).SerializeToString())
        for candidate in ('{"candidate": "candidate:1 1 udp 1 10.0.0.8 5000 typ host", "sdpMid": "0"}',
                          '{"candidate": "candidate:1 1 udp 1 printer.local 5000 typ host"}', "not json", "[]"):
            await ws.send(rtc.SignalRequest(trickle=rtc.TrickleRequest(candidateInit=candidate, target=0)
                                            ).SerializeToString())
        await ws.send(rtc.SignalRequest(ping=123).SerializeToString())
        kinds = set()
        while "pong" not in kinds:
            kinds.add(rtc.SignalResponse.FromString(await asyncio.wait_for(ws.recv(), 5)).WhichOneof("message"))
        await ws.close()  # gone before answering the subscriber offer: no leave
        return kinds

    kinds = asyncio.run(run())
    assert "offer" in kinds
    assert ended(started)["status"] == "ended"  # a closed socket is a leave
    assert settled(mock)["peersOpen"] == 0 and udp_sockets() <= udp_before
    quiet(caplog)  # ignored means not even a warning
