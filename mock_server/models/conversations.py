"""Conversations (live avatar sessions), their tokens, and browser client tokens."""

from __future__ import annotations

from enum import StrEnum

from pydantic import MISSING, Field

from .characters import EquosCharacter
from .common import (
    ClientTag,
    Identity,
    Name,
    Number,
    OptionalText,
    RefId,
    RequestModel,
    ResponseModel,
    Timestamp,
    enum_copy,
)


class EquosConversationStatus(StrEnum):
    running = "running"
    blocked = "blocked"
    ended = "ended"
    error = "error"


class EquosConversationUtteranceAuthor(StrEnum):
    user = "user"
    character = "character"


EquosConversationWithCharacterStatus = enum_copy("EquosConversationWithCharacterStatus", EquosConversationStatus)


class EquosParticipantIdentity(RequestModel):
    identity: Identity
    name: Name


class EquosConversationHost(RequestModel):
    serverUrl: Name = Field(description="Your own LiveKit server's URL.")
    accessToken: OptionalText = Field(min_length=1, description="A token for the avatar to join your room.")


class CreateEquosConversationRequest(RequestModel):
    name: Name
    characterId: RefId
    client: ClientTag | None = None
    host: EquosConversationHost | None = None
    remoteAgent: EquosParticipantIdentity | None = None
    consumer: EquosParticipantIdentity | None = None
    maxSeconds: float | None = Field(None, ge=1, description="Defaults to the organization's duration limit.")
    promptCtx: OptionalText | None = None
    promptTemplateVars: dict[str, OptionalText] | None = None


class EquosConversationUtterance(ResponseModel):
    id: str
    author: EquosConversationUtteranceAuthor
    content: str
    recordedAt: Timestamp


class EquosTimelineEntry(ResponseModel):
    type: str = Field(description="started | joined | ended | error | blocked (the mock's values).")
    recordedAt: str
    author: str | MISSING = MISSING  # optional, not nullable: absent when there is none
    content: str | MISSING = MISSING


class EquosConversation(ResponseModel):
    id: str
    name: str
    status: EquosConversationStatus
    charge: bool = Field(description="Billed to the organization (true) or counted as freemium (false).")
    chargeBySecond: Number = Field(description="Billing units per second of conversation.")
    maxSeconds: Number
    startedAt: Timestamp
    createdAt: Timestamp
    updatedAt: Timestamp
    characterId: str
    organizationId: str
    client: str | None = None
    room: str | None = None
    serverUrl: str | None = None
    remoteAgentName: str | None = None
    remoteAgentIdentity: str | None = None
    consumerName: str | None = None
    consumerIdentity: str | None = None
    promptCtx: str | None = None
    promptTemplateVars: dict[str, str] | None = None
    transcript: list[EquosConversationUtterance] | None = None
    timeline: list[EquosTimelineEntry] | None = None
    joinedAt: Timestamp | None = None
    endedAt: Timestamp | None = None


class EquosConversationWithCharacter(EquosConversation):
    status: EquosConversationWithCharacterStatus  # type: ignore[assignment]  # its own name in the record
    character: EquosCharacter


class CreateEquosConversationResponse(ResponseModel):
    conversation: EquosConversationWithCharacter
    remoteAgentAccessToken: str | None = None
    consumerAccessToken: str | None = None


class ListEquosConversationsResponse(ResponseModel):
    skip: Number
    take: Number
    total: Number
    conversations: list[EquosConversation]


class CreateEquosTokenRequest(RequestModel):
    user: Identity
    client: ClientTag | None = None
    character: RefId | None = None


class CreateEquosTokenResponse(ResponseModel):
    token: str
