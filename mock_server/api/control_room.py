"""The room on the control plane: who is in it, what was said, and the character's words and signals.

    GET  /_mock/rooms                                 the room server and its live rooms
    GET  /_mock/conversations/{id}/room               participants, tracks, data messages
    POST /_mock/conversations/{id}/room/say           {"content"}: the character says it (room + transcript)
    POST /_mock/conversations/{id}/room/send          {"type": "error"|"trigger"|"interrupt", ...}
    POST /_mock/conversations/{id}/room/replies       {"replies": [...]}: its next answers to usr.txt
    GET  /_mock/conversations/{id}/room/events        ?after=SEQ&timeout=S: waits for the next events
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from starlette.requests import Request

from .. import errors
from ..domain import conversations
from ..room import protocol
from ..room.registry import Rooms
from ..runtime import Runtime
from ..store import Organization

MAX_WAIT_SECONDS = 60.0
MAX_CONTENT_CHARS = 10_000
MESSAGES_SHOWN = 100


def _rooms(request: Request) -> Rooms:
    return request.app.state.rooms


def _conversation(request: Request, rt: Runtime) -> tuple[Organization, Any]:
    """The conversation of the path, found through its feed or the room index (any organization)."""
    conversation_id = request.path_params["id"]
    rooms = _rooms(request)
    feed = rooms.feeds.of(conversation_id, create=False)
    org_ids = [feed.organization] if feed is not None and feed.organization else []
    org_ids += [o for o, c in rooms.index.values() if c == conversation_id]
    key = request.query_params.get("key") or request.headers.get("x-api-key")
    by_key = rt.store.organization_for_key(key) if key else None
    org_ids += [by_key.id] if by_key is not None else []
    org_ids += [request.query_params["organization"]] if request.query_params.get("organization") else []
    for org_id in org_ids:
        org = rt.store.organizations.get(org_id)
        conversation = conversations.get(rt, org, conversation_id) if org is not None else None
        if conversation is not None:
            return org, conversation
    raise errors.not_found(f"conversation {conversation_id} not found (or started before this server)")


def _live_room(request: Request, rt: Runtime) -> Any:
    org, conversation = _conversation(request, rt)
    rooms = _rooms(request)
    if conversation.status.value != "running":
        raise errors.conflict(f"conversation {conversation.id} is {conversation.status.value}: its room is closed")
    if not rooms.on:
        raise errors.conflict("the room is off (--no-room or --livekit-url): nobody is there to speak")
    return rooms.room_for(org, conversation)


def room_get(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    org, conversation = _conversation(request, rt)
    rooms = _rooms(request)
    room = rooms.room_of(conversation.id)
    running = conversation.status.value == "running"
    if room is not None:
        described = room.describe()
    else:
        character = org.characters.get(conversation.characterId)
        people = ([{"identity": character.livekitIdentity, "name": character.name, "role": "character",
                    "tracks": [{"name": f"equos_character_{character.livekitIdentity}_{kind}", "kind": kind,
                                "muted": False} for kind in ("audio", "video")]}]
                  if running and rooms.on and character is not None else [])
        described = {"room": conversation.room, "live": running and rooms.on, "participants": people,
                     "messagesIn": 0, "messagesOut": 0, "scriptedReplies": [], "contexts": []}
    feed = rooms.feeds.of(conversation.id, create=False)
    described["messages"] = [
        {"direction": "out" if e["kind"] == "data_sent" else "in", "from": e.get("identity"),
         "topic": e.get("topic"), "payload": e.get("payload"), "at": e["at"]}
        for e in (feed.events if feed is not None else ()) if e["kind"] in ("data_sent", "data_received")
    ][-MESSAGES_SHOWN:]
    described["conversation"] = conversation.id
    described["status"] = conversation.status.value
    described["serverUrl"] = conversation.serverUrl
    return described


def rooms_get(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    rooms = _rooms(request)
    live = [r for r in rooms.live.values() if not r.closed]
    return {"url": rooms.url, "on": rooms.on, **rooms.counts(),
            "live": [{"conversation": r.conversation_id, "organization": r.org_id, **r.describe()} for r in live]}


def _text(data: dict[str, Any], name: str, most: int = MAX_CONTENT_CHARS) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise errors.bad_request([f"{name} must be a non-empty string"])
    if len(value) > most:
        raise errors.bad_request([f"{name} must be at most {most} characters"])
    return value


def room_say(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    content = _text(data, "content")
    room = _live_room(request, rt)
    room.say(content)
    return {"said": content, "to": sorted(room.sessions)}


def room_send(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    kind = data.get("type")
    try:
        message = protocol.signal(kind if isinstance(kind, str) else "", data)
    except ValueError as exc:
        raise errors.bad_request([str(exc)]) from None
    if len(protocol.encode(message)) > protocol.MAX_PAYLOAD_BYTES:
        raise errors.bad_request([f"the message must be at most {protocol.MAX_PAYLOAD_BYTES} bytes"])
    room = _live_room(request, rt)
    room.broadcast(message)
    return {"sent": message, "to": sorted(room.sessions)}


def room_replies(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    replies = data.get("replies")
    if not isinstance(replies, list) or not all(isinstance(r, str) and len(r) <= MAX_CONTENT_CHARS for r in replies):
        raise errors.bad_request(["replies must be a list of strings"])
    room = _live_room(request, rt)
    try:
        waiting = room.character.script(replies)
    except ValueError as exc:
        raise errors.bad_request([str(exc)]) from None
    return {"scriptedReplies": waiting}


def _number(request: Request, name: str, default: float, low: float, high: float) -> float:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise errors.bad_request([f"{name} must be a number"]) from None
    if not (math.isfinite(value) and low <= value <= high):
        raise errors.bad_request([f"{name} must be between {low:g} and {high:g}"])
    return value


async def room_events(request: Request, rt: Runtime, data: dict[str, Any]) -> Any:
    """Events after ``after`` as soon as there are any, else after ``timeout`` seconds an empty list.
    A conversation due to expire is observed while waiting, so its ``ended`` arrives on time."""
    after = int(_number(request, "after", 0, 0, 2**53))
    timeout = _number(request, "timeout", 0, 0, MAX_WAIT_SECONDS)
    org, conversation = _conversation(request, rt)
    rooms = _rooms(request)
    feed = rooms.feeds.of(conversation.id, organization=org.id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        conversation = conversations.get(rt, org, conversation.id) or conversation  # may end it now
        found = feed.after(after)
        left = deadline - loop.time()
        if found or left <= 0:
            return {"events": found, "next": found[-1]["seq"] if found else max(after, feed.next_seq - 1),
                    "status": conversation.status.value}
        wait = left
        clock = rt.clock_for(org)
        if conversation.status.value == "running" and not clock.frozen:
            due = conversations.deadline_ms(conversation) - clock.now_ms()
            wait = min(wait, max(0.0, due / 1000) + 0.01)
        waiter = feed.waiter()
        try:
            await asyncio.wait_for(asyncio.shield(waiter), wait)
        except TimeoutError:
            pass


TABLE = (
    ("GET", "/_mock/rooms", rooms_get),
    ("GET", "/_mock/conversations/{id}/room", room_get),
    ("POST", "/_mock/conversations/{id}/room/say", room_say),
    ("POST", "/_mock/conversations/{id}/room/send", room_send),
    ("POST", "/_mock/conversations/{id}/room/replies", room_replies),
    ("GET", "/_mock/conversations/{id}/room/events", room_events),
)
