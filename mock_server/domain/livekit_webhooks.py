"""A LiveKit server's webhooks, applied to the conversation whose room they name (``--livekit-url`` setups).

The mock cannot sit in a room on someone else's LiveKit server, but that server tells it who came and
went. The same end rules as the embedded room apply (assumption ``end_on_consumer_leave``): the consumer
leaving, its microphone unpublished, or the room finishing ends the conversation at the moment the
webhook arrives, on the organization's clock (the event's own ``createdAt`` is the LiveKit server's wall
time, which a moved mock clock would contradict).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models.conversations import EquosConversation
from ..runtime import Runtime
from . import conversations

# The webhook events this module acts on; LiveKit sends more (room_started, track_published, egress...).
HANDLED = ("participant_joined", "participant_left", "track_unpublished", "room_finished")


@dataclass(frozen=True)
class RoomEvent:
    """What a webhook says, without its wire format: ``track_source`` is LiveKit's TrackSource name."""

    event: str
    room: str
    identity: str = ""
    track_source: str = ""
    track_type: str = ""


def apply(rt: Runtime, event: RoomEvent) -> dict[str, str]:
    """Apply one event; what was done, for the reply (and so for the journal)."""
    done = {"event": event.event, "room": event.room}
    if event.event not in HANDLED:
        return {**done, "applied": "ignored", "why": "not an event the mock follows"}
    found = conversations.by_room(rt, event.room)  # webhooks are rare next to REST calls: a scan is fine
    if found is None:
        return {**done, "applied": "ignored", "why": "no conversation has this room"}
    org, conversation = found[0], conversations.observe(rt, found[0], found[1])
    done["conversation"] = conversation.id
    consumer = conversation.consumerIdentity
    if event.event == "participant_joined":
        role = _role(conversation, event.identity)
        if role is None:
            return {**done, "applied": "ignored", "why": f"{event.identity!r} is not a participant of it"}
        conversations.record_joined(rt, org, conversation, event.identity, author=role)
        return {**done, "applied": "joined"}
    if event.event == "room_finished":
        why = "room_finished"
    elif event.identity != consumer or not consumer:
        return {**done, "applied": "ignored", "why": f"{event.identity!r} is not the consumer"}
    elif event.event == "participant_left":
        why = "participant_left"
    elif event.track_source == "MICROPHONE" or (event.track_source in ("", "UNKNOWN") and event.track_type == "AUDIO"):
        why = "microphone unpublished"
    else:
        return {**done, "applied": "ignored", "why": "not the consumer's microphone"}
    before = conversation.status
    left = conversations.participant_left(rt, org, conversation.id, consumer or "", rt.now(org), why)
    ended = left is not None and before == conversations.RUNNING and left.status != conversations.RUNNING
    return {**done, "applied": "ended" if ended else "left", "status": left.status.value if left else "unknown"}


def _role(conversation: EquosConversation, identity: str) -> str | None:
    if identity and identity == conversation.consumerIdentity:
        return "consumer"
    if identity and identity == conversation.remoteAgentIdentity:
        return "remoteAgent"
    return None
