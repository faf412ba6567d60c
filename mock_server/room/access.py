"""Who may join: a LiveKit access token checked as livekit-server checks it (pkg/service/auth.go,
rtcservice.go), with the mock's key and secret and the organization's clock.

Refusals are plain-text HTTP replies before the WebSocket upgrade, with livekit-server's codes and words.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt


@dataclass(frozen=True)
class Refusal(Exception):
    status: int
    text: str


PERMISSION_DENIED = Refusal(401, "permissions denied")
INVALID_TOKEN = Refusal(401, "invalid authorization token")
INVALID_API_KEY = Refusal(401, "invalid API key")
BAD_HEADER = Refusal(401, "invalid authorization header. Must start with Bearer ")
ROOM_NOT_FOUND = Refusal(404, "requested room does not exist")
MAX_TOKEN_CHARS = 16 * 1024


@dataclass(frozen=True)
class Grant:
    identity: str
    name: str
    room: str
    can_publish: bool
    can_subscribe: bool
    can_publish_data: bool
    claims: dict[str, Any]


def token_from(authorization: str | None, query_token: str | None) -> str | None:
    """The token: ``Authorization: Bearer`` first, else ``access_token`` in the query."""
    if authorization:
        if not authorization.startswith("Bearer "):
            raise BAD_HEADER
        return authorization[len("Bearer "):]
    return query_token or None


def check(token: str | None, api_key: str, secret: str, now_s: Callable[[str], int]) -> Grant:
    """The token's grant, or a ``Refusal``. ``now_s(room)``: seconds on the clock of that room's
    organization (the app clock for a room nobody knows)."""
    if not token:
        raise PERMISSION_DENIED  # no claims: livekit-server says permission denied
    if len(token) > MAX_TOKEN_CHARS:
        raise INVALID_TOKEN
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise INVALID_TOKEN from None
    if unverified.get("iss") != api_key:
        raise INVALID_API_KEY
    video = unverified.get("video")
    room = video.get("room") if isinstance(video, dict) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        try:
            claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False,
                                                                                "verify_nbf": False})
        except jwt.PyJWTError as exc:
            raise Refusal(401, f"invalid authorization token: {exc}") from None
    now = now_s(room if isinstance(room, str) else "")
    for name, late in (("exp", True), ("nbf", False)):
        value = claims.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float):
            raise Refusal(401, f"invalid authorization token: {name} is not a number")
        if (late and now > value) or (not late and now < value):
            why = "token is expired" if late else "token is not valid yet"
            raise Refusal(401, f"invalid authorization token: {why}")
    if not isinstance(video, dict) or not video.get("roomJoin"):
        raise PERMISSION_DENIED
    identity = claims.get("sub")
    if not isinstance(identity, str) or not identity:
        raise Refusal(400, "participant identity cannot be empty")
    if not isinstance(room, str) or not room:
        raise ROOM_NOT_FOUND
    name = claims.get("name")
    return Grant(identity=identity, name=name if isinstance(name, str) else "", room=room,
                 can_publish=video.get("canPublish", True) is not False,
                 can_subscribe=video.get("canSubscribe", True) is not False,
                 can_publish_data=video.get("canPublishData", True) is not False, claims=claims)
