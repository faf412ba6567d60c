"""Check 4: LiveKit tokens decode, name the right room, identity and grants, are valid now, and verify."""

from __future__ import annotations

import time
from typing import Any

import jwt

from .target import Target, mask_token

LEEWAY_SECONDS = 60  # livekit-api's TokenVerifier default


def check_livekit_token(target: Target, token: Any, conversation: dict[str, Any], participant: dict[str, Any],
                        now_s: float | None = None) -> dict[str, Any]:
    op = "startConversation"
    shown = mask_token(token if isinstance(token, str) else None)
    target.expect(op, isinstance(token, str) and token.count(".") == 2, f"token is not a JWT: {shown}")
    try:
        claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False, "verify_nbf": False})
    except jwt.PyJWTError as exc:
        target.expect(op, False, f"token {shown} does not decode: {exc}")
        raise
    video = claims.get("video") or {}
    target.expect(op, video.get("room") == conversation.get("room"),
                  f"token {shown} names room {video.get('room')!r}, conversation room is {conversation.get('room')!r}")
    target.expect(op, claims.get("sub") == participant["identity"],
                  f"token {shown} identity {claims.get('sub')!r}, expected {participant['identity']!r}")
    target.expect(op, claims.get("name") == participant["name"], f"token {shown} name {claims.get('name')!r}")
    target.expect(op, video.get("roomJoin") is True, f"token {shown} does not grant roomJoin")
    for grant in ("canPublish", "canSubscribe"):
        target.expect(op, video.get(grant, True) is not False, f"token {shown} denies {grant}")
    now = time.time() if now_s is None else now_s
    target.expect(op, claims.get("nbf", 0) <= now + LEEWAY_SECONDS,
                  f"token {shown} not valid yet: nbf={claims.get('nbf')} now={int(now)}")
    target.expect(op, claims.get("exp", 0) > now - LEEWAY_SECONDS,
                  f"token {shown} expired: exp={claims.get('exp')} now={int(now)}")
    if target.livekit_key is not None:
        target.expect(op, claims.get("iss") == target.livekit_key, f"token {shown} issuer {claims.get('iss')!r}")
    if target.livekit_secret is not None:
        try:
            jwt.decode(token, target.livekit_secret, algorithms=["HS256"],
                       options={"verify_exp": False, "verify_nbf": False, "verify_iat": False})
            verified = True
        except jwt.PyJWTError:
            verified = False
        target.expect(op, verified, f"token {shown} signature does not verify with the LiveKit secret")
    return claims
