"""Check 4: LiveKit tokens, every claim: identity, the conversation's own room, the grants a participant
needs and no more, a plausible lifetime, and a signature that verifies with livekit-api."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import jwt

from .target import Target, mask_token

LEEWAY_SECONDS = 60  # livekit-api's TokenVerifier default
# A room token is valid from the start (a clock skew of a few seconds allowed; a minter may also
# backdate nbf, up to 10 minutes) until at least the moment the conversation must end, and at most a
# day past that: LiveKit's own default lifetime is 6 h, so a day is four times the usual margin, and a
# token that outlives its room by more than that is a credential left lying around.
NBF_SKEW_SECONDS = 5
NBF_BACKDATE_SECONDS = 600
MAX_OVERLIFE_SECONDS = 24 * 3600
# What a participant needs (absent means allowed, as LiveKit reads a missing grant), and the grants of
# an administrator or a recorder, which no participant of a conversation should have.
NEEDED_GRANTS = ("canPublish", "canSubscribe", "canPublishData")
ADMIN_GRANTS = ("roomCreate", "roomList", "roomRecord", "roomAdmin", "ingressAdmin", "recorder")


def _decode(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False, "verify_exp": False, "verify_nbf": False,
                                      "verify_aud": False, "verify_iat": False})


def check_livekit_token(target: Target, token: Any, conversation: dict[str, Any], participant: dict[str, Any],
                        now_s: float | None = None) -> dict[str, Any]:
    """Every claim of one room token; ``now_s`` is the conversation's start by the target's clock."""
    op = "startConversation"
    shown = mask_token(token if isinstance(token, str) else None)
    target.rule("tokens.claims", isinstance(token, str) and token.count(".") == 2, f"token is not a JWT: {shown}", op)
    try:
        claims = _decode(token)
    except jwt.PyJWTError as exc:
        target.rule("tokens.claims", False, f"token {shown} does not decode: {exc}", op)
        raise
    video = claims.get("video") or {}
    checks = [
        (video.get("room") == conversation.get("room") and bool(video.get("room")),
         f"token {shown} names room {video.get('room')!r}, conversation room is {conversation.get('room')!r}"),
        (claims.get("sub") == participant["identity"],
         f"token {shown} identity {claims.get('sub')!r}, expected {participant['identity']!r}"),
        (claims.get("name") == participant["name"], f"token {shown} name {claims.get('name')!r}"),
        (video.get("roomJoin") is True, f"token {shown} does not grant roomJoin"),
        *((video.get(grant, True) is not False, f"token {shown} denies {grant}") for grant in NEEDED_GRANTS),
        *((not video.get(grant), f"token {shown} grants {grant}: more than a participant needs")
          for grant in ADMIN_GRANTS),
    ]
    if target.livekit_key is not None:
        checks.append((claims.get("iss") == target.livekit_key, f"token {shown} issuer {claims.get('iss')!r}"))
    for ok, message in checks:
        target.rule("tokens.claims", ok, message, op)
    start = time.time() if now_s is None else now_s
    nbf, exp = claims.get("nbf"), claims.get("exp")
    target.rule("tokens.lifetime", isinstance(nbf, int | float) and isinstance(exp, int | float),
                f"token {shown} lacks nbf or exp: nbf={nbf!r} exp={exp!r}", op)
    ends = start + float(conversation.get("maxSeconds") or 0)
    target.rule("tokens.lifetime", start - NBF_BACKDATE_SECONDS <= nbf <= start + NBF_SKEW_SECONDS,
                f"token {shown} valid from {nbf}, the conversation started at {start:.0f}", op)
    target.rule("tokens.lifetime", ends <= exp + NBF_SKEW_SECONDS <= ends + MAX_OVERLIFE_SECONDS + 2 * NBF_SKEW_SECONDS,
                f"token {shown} expires at {exp}: the conversation may run until {ends:.0f} "
                f"(a token must last that long, and at most a day more)", op)
    if target.livekit_secret is not None:
        verify_token(target, token, op, shown)
    return claims


def verify_token(target: Target, token: str, op: str, shown: str) -> None:
    """livekit-api's own verifier, with the leeway of a moved clock (the target's time is not ours)."""
    from livekit.api import TokenVerifier

    skew = abs(target.now_ms() / 1000 - time.time()) if target.control else 0.0
    issuer = target.livekit_key or _decode(token).get("iss")
    try:
        TokenVerifier(issuer, target.livekit_secret, leeway=timedelta(seconds=skew + LEEWAY_SECONDS)).verify(token)
        verified, why = True, ""
    except Exception as exc:  # livekit-api raises PyJWT's errors and its own
        verified, why = False, f"{type(exc).__name__}: {exc}"
    target.rule("tokens.verify", verified, f"token {shown} does not verify with livekit-api: {why}", op)
