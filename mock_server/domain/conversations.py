"""The conversation lifecycle: start, expiry by maxSeconds, stop, events, usage.

Expiry needs no background thread: a running conversation is brought up to date
whenever it is observed (get, list, stop, usage), with endedAt = startedAt + maxSeconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import errors
from ..clock import iso, plus_seconds, to_ms
from ..events import DomainEvent
from ..models.characters import EquosCharacter
from ..models.conversations import (
    CreateEquosConversationRequest,
    CreateEquosConversationResponse,
    CreateEquosTokenRequest,
    CreateEquosTokenResponse,
    EquosConversation,
    EquosConversationStatus,
    EquosConversationUtterance,
    EquosConversationUtteranceAuthor,
    EquosConversationWithCharacter,
    EquosTimelineEntry,
)
from ..runtime import Runtime
from ..store import Organization
from ..tokens import client_token
from . import resources, rooms
from .usage import billed_ms

RUNNING = EquosConversationStatus.running
ENDED = EquosConversationStatus.ended


def _entry(kind: str, at: datetime, author: str | None = None, content: str | None = None) -> EquosTimelineEntry:
    entry = {"type": kind, "recordedAt": iso(at)}
    if author is not None:
        entry["author"] = author
    if content is not None:
        entry["content"] = content
    return EquosTimelineEntry.model_validate(entry)


@dataclass(frozen=True)
class Started:
    """A conversation just started: the stored records its reply shows, and its tokens. The API writes
    the reply from the records' own JSON (``api/encoded.py``); ``response`` is the same reply as a model."""

    conversation: EquosConversation
    character: EquosCharacter
    consumer_token: str | None
    remote_token: str | None

    def response(self, rt: Runtime, org: Organization) -> CreateEquosConversationResponse:
        character = resources.read(rt, org, rt.resources["characters"], self.character)
        return CreateEquosConversationResponse(
            conversation=EquosConversationWithCharacter(**dict(self.conversation), character=character),
            consumerAccessToken=self.consumer_token, remoteAgentAccessToken=self.remote_token)


def start(rt: Runtime, org: Organization, body: CreateEquosConversationRequest) -> Started:
    character = org.characters.get(body.characterId)
    if character is None:
        raise errors.not_found(f"character {body.characterId} not found in this organization")
    max_seconds = rooms.allowed_seconds(rt, org, body.maxSeconds, "maxSeconds")
    now = rt.now(org)
    brain = org.brains.get(character.brainId) if character.brainId else None
    transcript = []
    if brain is not None and brain.greetingMessage:
        transcript.append(EquosConversationUtterance.model_validate({
            "id": rt.new_id("utterance"), "author": EquosConversationUtteranceAuthor.character,
            "content": brain.greetingMessage, "recordedAt": now}))
    # model_validate of a dict: the same validation as keyword arguments, in half the time.
    conversation = EquosConversation.model_validate({
        "id": rt.new_id("conversation"), "name": body.name, "status": RUNNING, "charge": org.settings.charge,
        "chargeBySecond": org.settings.charge_by_second, "maxSeconds": max_seconds, "startedAt": now,
        "createdAt": now, "updatedAt": now, "characterId": character.id, "organizationId": org.id,
        "client": body.client, "room": f"equos-{rt.ids.token(8)}",
        "serverUrl": body.host.serverUrl if body.host is not None else (rt.room_url or rt.settings.livekit_url),
        "remoteAgentName": body.remoteAgent.name if body.remoteAgent else None,
        "remoteAgentIdentity": body.remoteAgent.identity if body.remoteAgent else None,
        "consumerName": body.consumer.name if body.consumer else None,
        "consumerIdentity": body.consumer.identity if body.consumer else None,
        "promptCtx": body.promptCtx, "promptTemplateVars": body.promptTemplateVars,
        "transcript": transcript, "timeline": [_entry("started", now)], "joinedAt": None, "endedAt": None,
    })
    org.conversations.add(conversation)
    rt.store.conversation_holders[org.id] = None  # the all-organizations running list looks here
    rt.events.publish(DomainEvent("started", org.id, conversation.id))
    mint = rooms.mints_tokens(rt, body.host)
    consumer_token = remote_token = None
    if mint and body.consumer is not None:
        consumer_token = _token(rt, conversation, body.consumer.identity, body.consumer.name)
    if mint and body.remoteAgent is not None:
        remote_token = _token(rt, conversation, body.remoteAgent.identity, body.remoteAgent.name)
    return Started(conversation, character, consumer_token, remote_token)


def _token(rt: Runtime, conversation: EquosConversation, identity: str, name: str) -> str:
    return rooms.room_token(rt, conversation.room or "", conversation.startedAt, conversation.maxSeconds,
                            identity, name)


def observe(rt: Runtime, org: Organization, conversation: EquosConversation) -> EquosConversation:
    """The conversation as it stands now: ended by expiry once startedAt + maxSeconds has passed."""
    if conversation.status != RUNNING:
        return conversation
    deadline = plus_seconds(conversation.startedAt, conversation.maxSeconds)
    if to_ms(deadline) > rt.clock_for(org).now_ms():
        return conversation
    return _end(rt, org, conversation, deadline, reason="maxSeconds")


def by_room(rt: Runtime, room: str) -> tuple[Organization, EquosConversation] | None:
    """The conversation that owns ``room`` (room names are random per conversation), or None: a scan of
    the organizations that have conversations (webhooks, and the room after a --data-dir restart)."""
    for org_id in list(rt.store.conversation_holders):
        org = rt.store.organizations.get(org_id)
        for conversation in (org.conversations.values() if org is not None else ()):
            if conversation.room == room:
                return org, conversation
    return None


def deadline_ms(conversation: EquosConversation) -> int:
    """When a running conversation expires: startedAt + maxSeconds (ms on its organization's clock)."""
    return to_ms(plus_seconds(conversation.startedAt, conversation.maxSeconds))


def _end(rt: Runtime, org: Organization, conversation: EquosConversation, at: datetime, *, reason: str,
         status: EquosConversationStatus = ENDED, before: tuple[EquosTimelineEntry, ...] = ()
         ) -> EquosConversation:
    timeline = [*(conversation.timeline or []), *before, _entry(status.value, at, content=reason)]
    ended = org.conversations.replace(conversation.model_copy(update={
        "status": status, "endedAt": at, "updatedAt": at, "timeline": timeline}))
    rt.events.publish(DomainEvent("ended", org.id, ended.id, {"status": status.value, "reason": reason}))
    return ended


def get(rt: Runtime, org: Organization, conversation_id: str) -> EquosConversation | None:
    conversation = org.conversations.get(conversation_id)
    return observe(rt, org, conversation) if conversation is not None else None


def page(rt: Runtime, org: Organization, skip: int, take: int, client: str | None, newest_first: bool
         ) -> tuple[int, list[EquosConversation]]:
    total, items = org.conversations.page(skip, take, client, newest_first=newest_first)
    return total, [observe(rt, org, c) for c in items]


def stop(rt: Runtime, org: Organization, conversation_id: str) -> EquosConversation | None:
    conversation = get(rt, org, conversation_id)
    if conversation is None or conversation.status != RUNNING:
        return None  # "Returns null if already stopped or conversation was not found."
    return _stopped(rt, org, conversation)


def _stopped(rt: Runtime, org: Organization, conversation: EquosConversation,
             reason: str = "stopped") -> EquosConversation:
    # A clock moved back before startedAt must not produce endedAt < startedAt.
    return _end(rt, org, conversation, max(rt.now(org), conversation.startedAt), reason=reason)


def running(rt: Runtime, org: Organization) -> list[EquosConversation]:
    return [c for c in (observe(rt, org, c) for c in org.conversations.values()) if c.status == RUNNING]


def milliseconds_used(rt: Runtime, org: Organization, client: str | None = None) -> int:
    """Conversation time from startedAt to endedAt (or to now while running), in milliseconds."""
    return billed_ms(org.conversations.values(), lambda c: observe(rt, org, c), rt.clock_for(org).now_ms(), client)


def create_client_token(rt: Runtime, org: Organization, body: CreateEquosTokenRequest) -> CreateEquosTokenResponse:
    if body.character is not None and body.character not in org.characters:
        raise errors.not_found(f"character {body.character} not found in this organization")
    now_s = rt.clock_for(org).now_ms() // 1000
    token = client_token(signer=rt.signer, issuer="equos-mock", organization_id=org.id,
                         user=body.user, client=body.client, character=body.character, issued_at=now_s,
                         expires=now_s + rt.settings.client_token_ttl_seconds)
    return CreateEquosTokenResponse(token=token)


def apply_event(rt: Runtime, org: Organization, conversation_id: str, event: dict[str, Any]) -> EquosConversation:
    """Control-plane events: joins, utterances, timeline entries, and error/blocked/stop endings."""
    conversation = get(rt, org, conversation_id)
    if conversation is None:
        raise errors.not_found(f"conversation {conversation_id} not found")
    now = rt.now(org)
    kind = event.get("type")
    if kind == "joined":
        entry = _entry("joined", now, author=event.get("author") or "consumer")
        update: dict[str, Any] = {"timeline": [*(conversation.timeline or []), entry]}
        if conversation.joinedAt is None:
            update["joinedAt"] = now
    elif kind == "utterance":
        author = event.get("author", "user")
        if author not in {a.value for a in EquosConversationUtteranceAuthor}:
            raise errors.bad_request(["author must be one of the following values: user, character"])
        content = event.get("content")
        if not isinstance(content, str):
            raise errors.bad_request(["content must be a string"])
        recorded = record_utterance(rt, org, conversation, author, content, now)
        rt.events.publish(DomainEvent("utterance", org.id, conversation.id, {"author": author, "content": content}))
        return recorded
    elif kind == "timeline":
        entry_type = event.get("entryType")
        if not isinstance(entry_type, str) or not entry_type:
            raise errors.bad_request(["entryType must be a string"])
        entry = _entry(entry_type, now, author=event.get("author"), content=event.get("content"))
        update = {"timeline": [*(conversation.timeline or []), entry]}
    elif kind in ("error", "blocked", "stop"):
        if conversation.status != RUNNING:
            raise errors.conflict(f"conversation {conversation_id} is {conversation.status.value}, not running")
        if kind == "stop":  # as POST /v3/conversations/{id}/stop does, without the caller's key
            return _stopped(rt, org, conversation, reason=event.get("content") or "stopped")
        return _end(rt, org, conversation, now, reason=event.get("content") or kind,
                    status=EquosConversationStatus(kind))
    else:
        raise errors.bad_request(["type must be one of the following values: joined, utterance, timeline, "
                                  "error, blocked, stop"])
    update["updatedAt"] = now
    return org.conversations.replace(conversation.model_copy(update=update))


def record_utterance(rt: Runtime, org: Organization, conversation: EquosConversation, author: str, content: str,
                     at: datetime | None = None) -> EquosConversation:
    """One utterance into the REST transcript (author ``character`` or ``user``), from the room or the
    control plane. The room says ``agent`` where REST says ``character``: the room translates."""
    at = at or rt.now(org)
    utterance = EquosConversationUtterance(id=rt.new_id("utterance"), author=EquosConversationUtteranceAuthor(author),
                                           content=content, recordedAt=at)
    return org.conversations.replace(conversation.model_copy(update={
        "transcript": [*(conversation.transcript or []), utterance], "updatedAt": at}))


def record_joined(rt: Runtime, org: Organization, conversation: EquosConversation, identity: str,
                  author: str = "consumer") -> EquosConversation:
    """A participant joined the room: a ``joined`` timeline entry; the consumer's first also sets joinedAt."""
    now = rt.now(org)
    update: dict[str, Any] = {"timeline": [*(conversation.timeline or []), _entry("joined", now, author=author,
                                                                                  content=identity)],
                              "updatedAt": now}
    if author == "consumer" and conversation.joinedAt is None:
        update["joinedAt"] = now
    return org.conversations.replace(conversation.model_copy(update=update))


def participant_left(rt: Runtime, org: Organization, conversation_id: str, identity: str, at: datetime,
                     why: str, *, consumer: bool = True) -> EquosConversation | None:
    """Someone left the room at ``at`` (the organization's clock). The consumer leaving ends a running
    conversation then (assumption ``end_on_consumer_leave``): endedAt is the leave time, billing stops.
    Either way the timeline keeps a ``left`` entry. Used by the embedded room and by LiveKit webhooks.
    None when the conversation is unknown."""
    conversation = get(rt, org, conversation_id)
    if conversation is None:
        return None
    at = max(at, conversation.startedAt)
    left = _entry("left", at, author="consumer" if consumer else "participant", content=f"{identity}: {why}")
    if conversation.status == RUNNING and consumer and rt.assumptions["end_on_consumer_leave"] == "on":
        return _end(rt, org, conversation, at, reason="consumer left", before=(left,))
    return org.conversations.replace(conversation.model_copy(update={
        "timeline": [*(conversation.timeline or []), left], "updatedAt": max(at, conversation.updatedAt)}))
