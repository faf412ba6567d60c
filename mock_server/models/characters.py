"""Characters: a face, a voice, a brain and a knowledge base under one LiveKit identity."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from .common import ClientTag, Identity, Name, Number, RefId, RequestModel, ResponseModel, Timestamp
from .resources import EquosBrain, EquosFace, EquosKnowledgeBase, EquosVoice


class CreateEquosCharacterRequest(RequestModel):
    name: Name
    livekitIdentity: Identity = Field(description="The avatar's participant identity in the LiveKit room.")
    client: ClientTag | None = None
    faceId: RefId | None = None
    voiceId: RefId | None = None
    brainId: RefId | None = None
    knowledgeBaseId: RefId | None = None
    search: bool = Field(False, description="Enable web search.")
    elevenlabsAgentId: Identity | None = None


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class UpdateEquosCharacterRequest(RequestModel):
    """Partial update: absent keys are kept, an explicit null clears a reference."""

    # name and search may be left out but not nulled (the domain answers 400): documented so, with no
    # "default": null, which a schema of type string or boolean cannot hold.
    name: Annotated[Name | None, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 256})] = Field(
        None, json_schema_extra=_no_default)
    faceId: RefId | None = None
    voiceId: RefId | None = None
    brainId: RefId | None = None
    knowledgeBaseId: RefId | None = None
    search: Annotated[bool | None, WithJsonSchema({"type": "boolean"})] = Field(None, json_schema_extra=_no_default)
    elevenlabsAgentId: Identity | None = None


class EquosCharacter(ResponseModel):
    id: str
    organizationId: str
    name: str
    livekitIdentity: str
    search: bool
    client: str | None = None
    elevenlabsAgentId: str | None = None
    faceId: str | None = None
    voiceId: str | None = None
    brainId: str | None = None
    knowledgeBaseId: str | None = None
    face: EquosFace | None = None
    voice: EquosVoice | None = None
    brain: EquosBrain | None = None
    knowledgeBase: EquosKnowledgeBase | None = None
    createdAt: Timestamp
    updatedAt: Timestamp


class ListEquosCharactersResponse(ResponseModel):
    skip: Number
    take: Number
    total: Number
    characters: list[EquosCharacter]
