"""LiveKit access tokens, in the format of livekit-api's AccessToken, and browser client tokens."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import jwt
from jwt.algorithms import HMACAlgorithm

# Leave a margin past the moment a conversation must end, so a token never dies first.
TOKEN_MARGIN_SECONDS = 300
LIVEKIT_DEFAULT_TTL_SECONDS = 6 * 3600

def sign(claims: dict[str, object], secret: str) -> str:
    with warnings.catch_warnings():
        # "secret" (livekit-server --dev's value) is shorter than PyJWT recommends; that is the point.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret, algorithm="HS256")


class _KeyCheckedOnce(HMACAlgorithm):
    """PyJWT's HS256, for one secret whose checks are made once. PyJWT checks an HMAC key on every call
    (PEM, SSH and DER patterns, a trial JWK parse, a length warning): a third of starting a conversation,
    which signs two tokens."""

    def __init__(self, secret: str):
        super().__init__(HMACAlgorithm.SHA256)
        self._secret = secret
        self._key: bytes | None = None  # checked on first use: an unusable secret fails a signature, not the app

    def prepare_key(self, key: str | bytes) -> bytes:
        if key != self._secret:
            return super().prepare_key(key)
        if self._key is None:
            self._key = super().prepare_key(key)
        return self._key

    def check_key_length(self, key: bytes) -> str | None:
        # "secret" (livekit-server --dev's value) is shorter than PyJWT recommends; that is the point.
        return None


class Signer:
    """Signs HS256 JWTs with one secret (an app's LiveKit secret): PyJWT's JWS with the same claims JSON
    as ``jwt.encode`` (so the same tokens as ``sign``), the secret checked once."""

    def __init__(self, secret: str):
        self._secret = secret
        self._jws = jwt.PyJWS(algorithms=["HS256"])
        self._jws.unregister_algorithm("HS256")
        self._jws.register_algorithm("HS256", _KeyCheckedOnce(secret))

    def sign(self, claims: dict[str, object]) -> str:
        payload = json.dumps(claims, separators=(",", ":")).encode("utf-8")  # as jwt.encode writes it
        return self._jws.encode(payload, self._secret, algorithm="HS256")


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


def client_token(*, signer: Signer, issuer: str, organization_id: str, user: str, client: str | None,
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
    return signer.sign(claims)
