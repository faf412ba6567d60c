"""Legacy agents (/v1/agents): the model, voice and instructions an avatar speaks with."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from .common import OptionalText, RequestModel, ResponseModel, Timestamp, enum_copy
from .resources import EquosVoiceIdentity

# v1 declares @MaxLength(64) on agent and avatar names and on every client tag.
ShortName = Annotated[str, Field(min_length=1, max_length=64)]
LegacyClientTag = Annotated[str, Field(max_length=64)]
RemoteId = Annotated[str, Field(min_length=1, max_length=256)]


class AgentProvider(StrEnum):
    openai = "openai"
    gemini = "gemini"
    elevenlabs = "elevenlabs"


class AgentModel(StrEnum):
    """Only the Gemini model can be chosen on create (the OpenAI ones only appear on old agents)."""

    gemini_2_5_flash_native_audio = "gemini-2.5-flash-native-audio-preview-09-2025"


# The same 30 Gemini Live voices as a v3 voice identity.
AgentVoice = enum_copy("VoiceIdentity", EquosVoiceIdentity)  # the legacy documents' own name


class CreateEquosAgentRequest(RequestModel):
    provider: AgentProvider
    name: ShortName | None = None
    client: LegacyClientTag | None = None
    model: AgentModel | None = None
    voice: AgentVoice | None = None
    instructions: OptionalText | None = None
    greetingMsg: OptionalText | None = None
    remoteId: RemoteId | None = Field(None, description="The provider's own agent id (e.g. ElevenLabs).")
    search: bool = False
    emotions: bool = False
    memory: bool = False


class UpdateEquosAgentRequest(RequestModel):
    """PUT body: the create fields plus ``id`` and ``organizationId``; absent keys are kept, null clears."""

    id: RemoteId
    organizationId: RemoteId
    provider: AgentProvider
    name: ShortName | None = None
    client: LegacyClientTag | None = None
    model: AgentModel | None = None
    voice: AgentVoice | None = None
    instructions: OptionalText | None = None
    greetingMsg: OptionalText | None = None
    remoteId: RemoteId | None = None
    search: bool | None = None
    emotions: bool | None = None
    memory: bool | None = None


class EquosAgent(ResponseModel):
    id: str
    organizationId: str
    provider: AgentProvider
    name: str | None = None
    client: str | None = None
    model: AgentModel | None = None
    voice: AgentVoice | None = None
    instructions: str | None = None
    greetingMsg: str | None = None
    remoteId: str | None = None
    search: bool
    emotions: bool
    memory: bool
    createdAt: Timestamp
    updatedAt: Timestamp


class ListEquosAgentsResponse(ResponseModel):
    skip: int
    take: int
    total: int
    agents: list[EquosAgent]
