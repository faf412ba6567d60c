"""POST /livekit/webhook: a LiveKit server's webhooks, verified as LiveKit's own SDK verifies them.

Point a local ``livekit-server`` at it (livekit.yaml: ``webhook: {api_key: devkey, urls: [...]}``). The
``Authorization`` header is a JWT signed with the mock's LiveKit key and secret whose ``sha256`` claim
is the body's hash (``livekit-api``'s ``WebhookReceiver``). A forged, stale (expired) or tampered
webhook gets a 401 in the API's envelope and changes nothing. Not under ``/_mock/``: LiveKit sends no
control token, and the journal records every call here like any API call.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import jwt
from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..domain import livekit_webhooks
from ..http.dispatch import Endpoint
from ..runtime import Runtime
from .operation import JSON_TYPE, read_body

PATH = "/livekit/webhook"
BODY_LIMIT = 64 * 1024  # a webhook is a few hundred bytes


def _refusal(exc: Exception) -> errors.ApiError:
    if isinstance(exc, jwt.ExpiredSignatureError):
        why = "the token has expired (a stale webhook)"
    elif isinstance(exc, jwt.ImmatureSignatureError):
        why = "the token is not valid yet"
    elif isinstance(exc, jwt.InvalidSignatureError):
        why = "the signature does not match the LiveKit key and secret"
    elif isinstance(exc, jwt.InvalidIssuerError):
        why = "the token was not issued by the LiveKit key"
    elif isinstance(exc, jwt.PyJWTError):
        why = f"the token is not valid ({type(exc).__name__})"
    else:  # livekit-api raises a bare Exception for a missing sha256 claim or a body that does not match it
        why = f"the body does not match the token ({exc})"
    return errors.ApiError(401, [f"invalid LiveKit webhook: {why}"])


def _name(enum: object, value: int) -> str:
    names = {number: name for name, number in enum.items()}  # type: ignore[attr-defined]
    return names.get(value, "UNKNOWN")


def _livekit() -> Any:
    """livekit-api and its protobufs (half a second to import the first time: done off the event loop)."""
    from google.protobuf import json_format  # noqa: PLC0415
    from livekit import api  # noqa: PLC0415
    from livekit.protocol import models  # noqa: PLC0415

    return json_format.ParseError, api.TokenVerifier, api.WebhookReceiver, models.TrackSource, models.TrackType


async def receive(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        loaded = _livekit() if "livekit.api" in sys.modules else await asyncio.to_thread(_livekit)
    except ImportError:
        return errors.ApiError(501, ["LiveKit webhooks need livekit-api: pip install livekit-api"]).response()
    ParseError, TokenVerifier, WebhookReceiver, TrackSource, TrackType = loaded
    try:
        raw = await read_body(request, BODY_LIMIT)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not token:
            raise errors.ApiError(401, ["invalid LiveKit webhook: no Authorization header"])
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.bad_request(["the webhook body must be UTF-8 JSON"]) from None
        settings = runtime.settings
        receiver = WebhookReceiver(TokenVerifier(settings.livekit_api_key, settings.livekit_api_secret))
        try:
            event = receiver.receive(body, token)
        except (ParseError, RecursionError) as exc:  # signed, but not a WebhookEvent
            raise errors.bad_request([f"the webhook body is not a LiveKit WebhookEvent: {exc}"]) from None
        except Exception as exc:
            raise _refusal(exc) from None
        if not event.event or not event.room.name:
            raise errors.bad_request(["the webhook names no event or no room"])
        track_source = _name(TrackSource, event.track.source) if event.HasField("track") else ""
        track_type = _name(TrackType, event.track.type) if event.HasField("track") else ""
        done = livekit_webhooks.apply(runtime, livekit_webhooks.RoomEvent(
            event=event.event, room=event.room.name, identity=event.participant.identity,
            track_source=track_source, track_type=track_type))
    except errors.ApiError as exc:
        return exc.response()
    return Response(json.dumps(done), 200, media_type=JSON_TYPE)


def routes() -> list[tuple[str, str, Endpoint]]:
    return [("POST", PATH, receive)]
