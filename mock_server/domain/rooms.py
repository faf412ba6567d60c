"""What conversations and legacy sessions share: how long they may run, and their LiveKit tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import errors
from ..clock import to_ms
from ..runtime import Runtime
from ..store import Organization
from ..tokens import LIVEKIT_DEFAULT_TTL_SECONDS, TOKEN_MARGIN_SECONDS, Grant, livekit_claims, livekit_json


def allowed_seconds(rt: Runtime, org: Organization, requested: float | None, field: str) -> float:
    """The organization's duration limit by default; above it a 400, or the limit (``max_seconds``)."""
    limit = org.settings.duration_limit
    if requested is None:
        return float(limit)
    if requested > limit:
        if rt.assumptions["max_seconds"] == "clamp":
            return float(limit)
        raise errors.bad_request([f"{field} must not be greater than {limit}"])
    return float(requested)


def mints_tokens(rt: Runtime, host: Any) -> bool:
    """With a self-hosted LiveKit ``host`` the caller owns the room (assumption ``tokens_with_host``)."""
    return host is None or rt.assumptions["tokens_with_host"] == "mint"


def _claim_args(rt: Runtime, room: str, started_at: datetime, max_seconds: float, identity: str, name: str
                ) -> dict[str, Any]:
    """A room token's claims: from the start by the organization's clock, valid until well past the moment
    the room must end. Everyone may publish data: the remote agent forwards audio over the data channel."""
    start_s = to_ms(started_at) // 1000
    expires = max(start_s + int(max_seconds) + TOKEN_MARGIN_SECONDS, start_s + LIVEKIT_DEFAULT_TTL_SECONDS)
    return {"api_key": rt.settings.livekit_api_key, "identity": identity, "name": name,
            "grant": Grant(room=room, can_publish_data=True), "not_before": start_s, "expires": expires}


def room_claims(rt: Runtime, room: str, started_at: datetime, max_seconds: float, identity: str, name: str
                ) -> dict[str, object]:
    """What ``room_token`` signs; the inspector shows these (never the secret)."""
    return livekit_claims(**_claim_args(rt, room, started_at, max_seconds, identity, name))


def room_token(rt: Runtime, room: str, started_at: datetime, max_seconds: float, identity: str, name: str) -> str:
    return rt.signer.sign_json(livekit_json(**_claim_args(rt, room, started_at, max_seconds, identity, name)))
