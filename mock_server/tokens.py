"""LiveKit access tokens, in the format of livekit-api's AccessToken, and browser client tokens."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import jwt

# Leave a margin past the moment a conversation must end, so a token never dies first.
TOKEN_MARGIN_SECONDS = 300
LIVEKIT_DEFAULT_TTL_SECONDS = 6 * 3600

def sign(claims: dict[str, object], secret: str) -> str:
    with warnings.catch_warnings():
        # "secret" (livekit-server --dev's value) is shorter than PyJWT recommends; that is the point.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm="HS256")


@dataclass(frozen=True)
class Grant:
    room: str
    can_publish: bool = True
    can_subscribe: bool = True
    can_publish_data: bool = True

    def claims(self) -> dict[str, object]:
        return {
            "room": self.room,
            "roomJoin": True,
            "canPublish": self.can_publish,
            "canSubscribe": self.can_subscribe,
            "canPublishData": self.can_publish_data,
        }


def livekit_claims(*, api_key: str, identity: str, name: str, grant: Grant, not_before: int,
                   expires: int) -> dict[str, object]:
    """What a LiveKit JWT says: iss = API key, sub = identity, nbf/exp in epoch seconds."""
    return {"iss": api_key, "sub": identity, "name": name, "nbf": not_before, "exp": expires,
            "video": grant.claims()}


def livekit_token(*, api_key: str, api_secret: str, identity: str, name: str, grant: Grant,
                  not_before: int, expires: int) -> str:
    """An HS256 LiveKit JWT with ``livekit_claims``."""
    return sign(livekit_claims(api_key=api_key, identity=identity, name=name, grant=grant,
                               not_before=not_before, expires=expires), api_secret)


def client_token(*, secret: str, issuer: str, organization_id: str, user: str, client: str | None,
                 character: str | None, issued_at: int, expires: int) -> str:
    """A short-lived token a backend hands to a browser instead of its API key (POST /v3/tokens)."""
    claims = {
        "iss": issuer,
        "aud": "equos-client",
        "sub": user,
        "org": organization_id,
        "client": client,
        "character": character,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": expires,
    }
    return sign(claims, secret)
