"""Legacy sessions (/v1/sessions), session passes for browsers, and organization limits."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .agents import CreateEquosAgentRequest, EquosAgent, LegacyClientTag
from .avatars import CreateEquosAvatarRequest, EquosAvatar
from .common import Name, Number, OptionalText, RefId, RequestModel, ResponseModel, Timestamp, public_view
from .conversations import EquosParticipantIdentity


class SessionStatus(StrEnum):
    """The mock's values (the API publishes none): starting -> running -> ended."""

    starting = "starting"
    running = "running"
    ended = "ended"


class EquosResourceId(RequestModel):
    id: RefId


class EquosSessionHost(RequestModel):
    serverUrl: Name
    accessToken: OptionalText = Field(min_length=1, description="The access token for the avatar to join the room.")


class _SessionOptions(RequestModel):
    name: Name
    client: LegacyClientTag | None = Field(None, description="User-side client identifier.")
    maxDuration: float | None = Field(None, ge=1, description="Max session duration in seconds. "
                                      "Must be less than organization limit.")
    additionalCtx: OptionalText | None = None
    templateVars: dict[str, OptionalText] | None = None


class CreateEquosSessionRequest(_SessionOptions):
    avatar: EquosResourceId | CreateEquosAvatarRequest = Field(
        description="Either provide an existing avatar ID or create a new avatar on the fly.")
    agent: EquosResourceId | CreateEquosAgentRequest | None = Field(
        None, description="Either provide an existing agent ID or create a new agent on the fly.")
    knowledgeBase: EquosResourceId | None = None
    host: EquosSessionHost | None = Field(None, description="[Optional] Host configuration for self-hosted "
                                          "livekit sessions.")
    remoteAgentConnectingIdentity: EquosParticipantIdentity | None = Field(
        None, description="Identity of the agent that will forward audio to your Equos Avatar.")
    consumerIdentity: EquosParticipantIdentity | None = None


class CreateSessionPassRequest(_SessionOptions):
    avatar: EquosResourceId = Field(description="Existing equos avatar ID.")
    agent: EquosResourceId = Field(description="Existing equos agent ID.")
    consumerIdentity: EquosParticipantIdentity = Field(description="Identity of the end user.")


class EquosServerUrl(ResponseModel):
    serverUrl: str


class EquosSession(ResponseModel):
    id: str
    organizationId: str
    freemium: bool
    name: str
    provider: str
    status: SessionStatus
    host: EquosServerUrl
    avatar: EquosAvatar
    client: str | None = None
    maxDuration: Number | None = None
    additionalCtx: str | None = None
    templateVars: dict[str, str] | None = None
    avatarId: str | None = None
    agentId: str | None = None
    agent: EquosAgent | None = None
    knowledgeBaseId: str | None = None
    knowledgeBase: dict[str, str] | None = None
    remoteAgentIdentity: str | None = None
    transcript: dict[str, object] | None = None
    startedAt: Timestamp
    endedAt: Timestamp | None = None
    createdAt: Timestamp
    updatedAt: Timestamp


class SessionRecord(EquosSession):
    """What the store keeps: the session plus its room, participants and origin (API or pass)."""

    room: str
    consumerIdentityName: str | None = None
    consumerIdentityId: str | None = None
    remoteAgentName: str | None = None
    viaPass: bool = False

    def public(self) -> EquosSession:
        return public_view(self, EquosSession)


class CreateEquosSessionResponse(ResponseModel):
    session: EquosSession
    consumerAccessToken: str | None = None
    remoteAgentAccessToken: str | None = None


class CreateSessionPassResponse(ResponseModel):
    session: EquosSession
    consumerAccessToken: str


class ListEquosSessionsResponse(ResponseModel):
    skip: int
    take: int
    total: int
    sessions: list[EquosSession]


class EquosLimitResponse(ResponseModel):
    organizationId: str
    concurrent: Number = Field(description="Live sessions and conversations allowed at once.")
    duration: Number = Field(description="Longest session allowed, in seconds.")
    suspended: bool
    reason: str | None = None
    createdAt: Timestamp
    updatedAt: Timestamp
