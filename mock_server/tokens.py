"""LiveKit access tokens, in the format of livekit-api's AccessToken, and browser client tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings
from typing import Any, NamedTuple

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


def _checked_key(secret: str) -> bytes:
    """The secret as PyJWT's HS256 takes it, through its checks (PEM, SSH and DER patterns, a trial JWK parse)."""
    with warnings.catch_warnings():
        # "secret" (livekit-server --dev's value) is shorter than PyJWT recommends; that is the point.
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return HMACAlgorithm(HMACAlgorithm.SHA256).prepare_key(secret)


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # json.dumps(..., separators=...) makes one per call


class Signer:
    """Signs HS256 JWTs with one secret (an app's LiveKit secret): the same bytes as ``jwt.encode``
    (``sign``): its header (sorted, compact), its compact claims JSON, its base64url without padding,
    its HMAC-SHA256. PyJWT's checks of the secret run once, on the first signature (an unusable secret
    fails a signature, not the app); after that a token is one JSON dump and one HMAC of a keyed copy."""

    HEADER = base64.urlsafe_b64encode(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":"),
                                                 sort_keys=True).encode()).rstrip(b"=") + b"."

    def __init__(self, secret: str):
        self._secret = secret
        self._mac: Any = None  # an HMAC keyed with the checked secret, copied for each token

    def _keyed(self) -> Any:
        if self._mac is None:
            self._mac = hmac.new(_checked_key(self._secret), digestmod=hashlib.sha256)
        return self._mac

    def sign(self, claims: dict[str, object]) -> str:
        return self.sign_json(_COMPACT.encode(claims).encode("utf-8"))  # as jwt.encode writes it

    def sign_json(self, payload: bytes) -> str:
        """A token of claims already written as ``jwt.encode`` writes them (``livekit_json``)."""
        mac = self._keyed().copy()
        signing_input = self.HEADER + base64.urlsafe_b64encode(payload).rstrip(b"=")
        mac.update(signing_input)
        return (signing_input + b"." + base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")).decode("ascii")


class Grant(NamedTuple):  # a tuple: two per conversation start, and a frozen dataclass costs 4x to make
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


_STRING = json.encoder.encode_basestring_ascii  # how json.dumps (and so jwt.encode) writes a str
_BOOL = {True: "true", False: "false"}


def livekit_json(*, api_key: str, identity: str, name: str, grant: Grant, not_before: int, expires: int
                 ) -> bytes:
    """``livekit_claims`` as ``jwt.encode`` writes them (compact, ASCII), without building the dict and
    walking it: a conversation start signs two (tests/mock_server/test_tokens.py checks the bytes)."""
    return (f'{{"iss":{_STRING(api_key)},"sub":{_STRING(identity)},"name":{_STRING(name)},'
            f'"nbf":{int(not_before)},"exp":{int(expires)},"video":{{"room":{_STRING(grant.room)},'
            f'"roomJoin":true,"canPublish":{_BOOL[grant.can_publish]},'
            f'"canSubscribe":{_BOOL[grant.can_subscribe]},"canPublishData":{_BOOL[grant.can_publish_data]}}}}}'
            ).encode("ascii")


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
