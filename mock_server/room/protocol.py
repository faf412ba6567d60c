"""Equos's data protocol on the LiveKit topic ``equos_event`` (equos-browser-sdk src/contract.ts, types.ts).

JSON objects with a ``type``. From the page: ``usr.txt`` {text} and ``context`` {content}. From the
character: ``utterance`` {utterance: {author, content, recordedAt, finished}}, ``interrupt``,
``trigger`` {name, params}, ``expire_soon`` {seconds_remaining}, ``error`` {code}.
"""

from __future__ import annotations

import json
from typing import Any

TOPIC = "equos_event"
MAX_PAYLOAD_BYTES = 64 * 1024  # a page's message larger than this is not read
# The room says agent/user; the REST transcript says character/user.
REST_AUTHOR = {"agent": "character", "user": "user"}
ROOM_AUTHOR = {"character": "agent", "user": "user"}
SIGNALS = ("error", "trigger", "interrupt")


def utterance(author: str, content: str, recorded_at: str, finished: bool = True) -> dict[str, Any]:
    return {"type": "utterance",
            "utterance": {"author": author, "content": content, "recordedAt": recorded_at, "finished": finished}}


def expire_soon(seconds_remaining: int) -> dict[str, Any]:
    return {"type": "expire_soon", "seconds_remaining": seconds_remaining}


def error(code: str) -> dict[str, Any]:
    return {"type": "error", "code": code}


def trigger(name: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "trigger", "name": name, "params": params or {}}


def interrupt() -> dict[str, Any]:
    return {"type": "interrupt"}


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def decode(payload: bytes) -> dict[str, Any] | None:
    """The page's message, or None when it is not a JSON object (the SDK ignores those too)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        message = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


def signal(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """``error`` / ``trigger`` / ``interrupt`` from control-plane fields (ValueError on bad ones)."""
    if kind == "error":
        code = fields.get("code", "ERROR")
        if not isinstance(code, str) or not code:
            raise ValueError("code must be a non-empty string")
        return error(code)
    if kind == "trigger":
        name, params = fields.get("name"), fields.get("params", {})
        if not isinstance(name, str) or not name:
            raise ValueError("name must be a non-empty string")
        if not isinstance(params, dict):
            raise ValueError("params must be an object")
        return trigger(name, params)
    if kind == "interrupt":
        return interrupt()
    raise ValueError("type must be one of the following values: " + ", ".join(SIGNALS))
