"""Legacy sessions: an avatar (and agent) in a LiveKit room, started by a backend or a session pass.

Statuses (the API publishes none): ``starting`` at create, ``running`` once
STARTUP_SECONDS have passed on the organization's clock (the avatar has had time to
join), ``ended`` on stop or when ``startedAt + maxDuration`` has passed (then
``endedAt`` is exactly that moment). Like conversations, a session is brought up to
date whenever it is observed; no background thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ... import errors
from ...clock import plus_seconds, to_ms
from ...models.agents import CreateEquosAgentRequest, EquosAgent
from ...models.avatars import CreateEquosAvatarRequest, EquosAvatar
from ...models.sessions import (
    CreateEquosSessionRequest,
    CreateSessionPassRequest,
    EquosResourceId,
    EquosServerUrl,
    SessionRecord,
    SessionStatus,
)
from ...runtime import Runtime
from ...store import Organization
from .. import conversations, rooms
from ..usage import billed_ms
from . import agents, avatars, limits

STARTUP_SECONDS = 3
LIVE = (SessionStatus.starting, SessionStatus.running)
NO_AGENT_PROVIDER = "remote"  # provider of a session without an Equos agent (your own agent forwards audio)


def _existing_agent(org: Organization, ref: EquosResourceId) -> EquosAgent:
    agent = org.agents.get(ref.id)
    if agent is None:
        raise errors.not_found(f"agent {ref.id} not found in this organization")
    return agent


def _existing_avatar(org: Organization, ref: EquosResourceId) -> EquosAvatar:
    record = org.avatars.get(ref.id)
    if record is None:
        raise errors.not_found(f"avatar {ref.id} not found in this organization")
    return avatars.populate(org, record)


def create(rt: Runtime, org: Organization, body: CreateEquosSessionRequest | CreateSessionPassRequest,
           thumbnail_base: str, *, via_pass: bool = False) -> tuple[SessionRecord, str | None, str | None]:
    """Start a session: (record, consumer token, remote-agent token). Nothing is created if a check fails."""
    # Running conversations share the concurrent limit with live sessions.
    limits.check_can_start(org, len(conversations.running(rt, org)) + len(live(rt, org)))
    max_duration = rooms.allowed_seconds(rt, org, body.maxDuration, "maxDuration")
    # Every check first, so a refused session leaves no agent or avatar made on the fly behind.
    agent_ref = body.agent if isinstance(body.agent, EquosResourceId) else None
    avatar_ref = body.avatar if isinstance(body.avatar, EquosResourceId) else None
    agent = _existing_agent(org, agent_ref) if agent_ref is not None else None
    avatar = _existing_avatar(org, avatar_ref) if avatar_ref is not None else None
    kb_ref = getattr(body, "knowledgeBase", None)
    if kb_ref is not None and kb_ref.id not in org.knowledge_bases:
        raise errors.not_found(f"knowledge base {kb_ref.id} not found in this organization")
    image = None
    if isinstance(body.avatar, CreateEquosAvatarRequest):
        image = avatars.decode_image(body.avatar.refImage)
        avatars.check_agent(org, body.avatar.agentId)
    if isinstance(body.agent, CreateEquosAgentRequest):
        agent = agents.create_agent(rt, org, body.agent)
    if isinstance(body.avatar, CreateEquosAvatarRequest):
        avatar = avatars.create_avatar(rt, org, body.avatar, thumbnail_base, image)
    assert avatar is not None
    if agent is None and avatar.agent is not None:
        agent = avatar.agent  # the avatar's linked agent speaks when the session names none

    host = getattr(body, "host", None)
    remote = getattr(body, "remoteAgentConnectingIdentity", None)
    consumer = body.consumerIdentity
    now = rt.now(org)
    record = SessionRecord(
        id=rt.new_id("session"), organizationId=org.id, freemium=not org.settings.charge, name=body.name,
        provider=agent.provider.value if agent is not None else NO_AGENT_PROVIDER, status=SessionStatus.starting,
        host=EquosServerUrl(serverUrl=host.serverUrl if host is not None else rt.settings.livekit_url),
        avatar=avatar, client=body.client, maxDuration=max_duration, additionalCtx=body.additionalCtx,
        templateVars=body.templateVars, avatarId=avatar.id, agentId=agent.id if agent is not None else None,
        agent=agent, knowledgeBaseId=kb_ref.id if kb_ref is not None else None,
        knowledgeBase={"id": kb_ref.id} if kb_ref is not None else None,
        remoteAgentIdentity=remote.identity if remote is not None else None, transcript=None,
        startedAt=now, endedAt=None, createdAt=now, updatedAt=now, room=f"equos-session-{rt.ids.token(8)}",
        consumerIdentityId=consumer.identity if consumer is not None else None,
        consumerIdentityName=consumer.name if consumer is not None else None,
        remoteAgentName=remote.name if remote is not None else None, viaPass=via_pass,
    )
    org.sessions.add(record)
    mint = rooms.mints_tokens(rt, host)
    consumer_token = _token(rt, record, consumer.identity, consumer.name) if mint and consumer else None
    remote_token = _token(rt, record, remote.identity, remote.name) if mint and remote else None
    return record, consumer_token, remote_token


def _token(rt: Runtime, record: SessionRecord, identity: str, name: str) -> str:
    return rooms.room_token(rt, record.room, record.startedAt, record.maxDuration or 0, identity, name)


def observe(rt: Runtime, org: Organization, record: SessionRecord) -> SessionRecord:
    """The session as it stands now on the organization's clock."""
    if record.status not in LIVE:
        return record
    now_ms = rt.clock_for(org).now_ms()
    deadline = plus_seconds(record.startedAt, float(record.maxDuration or 0))
    if to_ms(deadline) <= now_ms:
        return _end(org, record, deadline)
    started = record.startedAt + timedelta(seconds=STARTUP_SECONDS)
    if record.status == SessionStatus.starting and to_ms(started) <= now_ms:
        return org.sessions.replace(record.model_copy(update={"status": SessionStatus.running,
                                                              "updatedAt": started}))
    return record


def _end(org: Organization, record: SessionRecord, at: datetime) -> SessionRecord:
    return org.sessions.replace(record.model_copy(update={"status": SessionStatus.ended, "endedAt": at,
                                                          "updatedAt": at}))


def get(rt: Runtime, org: Organization, session_id: str) -> SessionRecord | None:
    record = org.sessions.get(session_id)
    return observe(rt, org, record) if record is not None else None


def page(rt: Runtime, org: Organization, skip: int, take: int, client: str | None, newest_first: bool
         ) -> tuple[int, list[SessionRecord]]:
    total, items = org.sessions.page(skip, take, client, newest_first=newest_first)
    return total, [observe(rt, org, s) for s in items]


def stop(rt: Runtime, org: Organization, session_id: str, *, via_pass: bool = False) -> SessionRecord | None:
    """End a live session now; None ("null") if unknown or already ended.

    A public key may stop only sessions started with a session pass.
    """
    record = get(rt, org, session_id)
    if record is None or record.status not in LIVE or (via_pass and not record.viaPass):
        return None
    return _end(org, record, max(rt.now(org), record.startedAt))


def live(rt: Runtime, org: Organization) -> list[SessionRecord]:
    return [s for s in (observe(rt, org, s) for s in org.sessions.values()) if s.status in LIVE]


def milliseconds_used(rt: Runtime, org: Organization, client: str | None = None) -> int:
    """Session time from startedAt to endedAt (or now while live), billed like conversations."""
    return billed_ms(org.sessions.values(), lambda s: observe(rt, org, s), rt.clock_for(org).now_ms(), client)
