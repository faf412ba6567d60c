"""Brains, faces, voices, knowledge bases and documents: requests and responses."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import (
    ClientTag,
    Name,
    Number,
    OptionalText,
    RequestModel,
    ResponseModel,
    Text,
    Timestamp,
    enum_copy,
)


class EquosFaceIdentity(StrEnum):
    tommy = "tommy"


class EquosVoiceIdentity(StrEnum):
    Puck = "Puck"
    Charon = "Charon"
    Kore = "Kore"
    Fenrir = "Fenrir"
    Aoede = "Aoede"
    Leda = "Leda"
    Orus = "Orus"
    Zephyr = "Zephyr"
    Sulafat = "Sulafat"
    Sadachbia = "Sadachbia"
    Sadaltager = "Sadaltager"
    Vindemiatrix = "Vindemiatrix"
    Zubenelgenubi = "Zubenelgenubi"
    Achird = "Achird"
    Pulcherrima = "Pulcherrima"
    Gacrux = "Gacrux"
    Schedar = "Schedar"
    Alnilam = "Alnilam"
    Achernar = "Achernar"
    Laomedeia = "Laomedeia"
    Rasalgethi = "Rasalgethi"
    Algenib = "Algenib"
    Erinome = "Erinome"
    Despina = "Despina"
    Algieba = "Algieba"
    Umbriel = "Umbriel"
    Iapetus = "Iapetus"
    Enceladus = "Enceladus"
    Autonoe = "Autonoe"
    Callirrhoe = "Callirrhoe"


CreateEquosFaceRequestIdentity = enum_copy("CreateEquosFaceRequestIdentity", EquosFaceIdentity)
CreateEquosVoiceRequestIdentity = enum_copy("CreateEquosVoiceRequestIdentity", EquosVoiceIdentity)


# --- brains -------------------------------------------------------------------
class CreateEquosBrainRequest(RequestModel):
    instructions: Text
    greetingMessage: Text
    client: ClientTag | None = Field(None, description="Client identifier associated with the brain.")


class EquosBrain(ResponseModel):
    id: str
    organizationId: str
    instructions: str
    greetingMessage: str
    client: str | None = None
    createdAt: Timestamp
    updatedAt: Timestamp


class ListEquosBrainsResponse(ResponseModel):
    skip: Number
    take: Number
    total: Number
    brains: list[EquosBrain]


# --- faces --------------------------------------------------------------------
class CreateEquosFaceRequest(RequestModel):
    identity: CreateEquosFaceRequestIdentity = Field(description="Identity of the face in Equos Gallery.")
    client: ClientTag | None = None


class EquosFace(ResponseModel):
    id: str
    identity: EquosFaceIdentity
    organizationId: str
    client: str | None = None
    description: str | None = None
    thumbnailUrl: str | None = None
    referenceImgUrl: str | None = None
    createdAt: Timestamp
    updatedAt: Timestamp


class ListEquosFacesResponse(ResponseModel):
    skip: Number
    take: Number
    total: Number
    faces: list[EquosFace]


# --- voices -------------------------------------------------------------------
class CreateEquosVoiceRequest(RequestModel):
    identity: CreateEquosVoiceRequestIdentity
    client: ClientTag | None = None
    instructions: OptionalText | None = Field(None, description="Instructions for the voice: tone, rhythm.")


class EquosVoice(ResponseModel):
    id: str
    organizationId: str
    identity: EquosVoiceIdentity
    client: str | None = None
    instructions: str | None = None
    createdAt: Timestamp
    updatedAt: Timestamp


class ListEquosVoicesResponse(ResponseModel):
    skip: Number
    take: Number
    total: Number
    voices: list[EquosVoice]


# --- knowledge bases and documents ---------------------------------------------
class CreateKnowledgeBaseRequest(RequestModel):
    name: Name
    description: Text
    client: ClientTag = Field("", description="Not nullable here, unlike every other client tag.")


class CreateDocumentRequest(RequestModel):
    name: Name
    description: Text
    mimeType: Name


class EquosDocument(ResponseModel):
    id: str
    knowledgeBaseId: str
    name: str
    description: str
    size: Number = Field(description="Bytes uploaded so far (0 until the upload arrives).")
    status: str = Field(description="pending -> uploaded -> ready (the mock's values).")
    createdAt: Timestamp
    updatedAt: Timestamp


class EquosKnowledgeBase(ResponseModel):
    id: str
    organizationId: str
    name: str
    description: str
    client: str = ""
    documents: list[EquosDocument]
    createdAt: Timestamp
    updatedAt: Timestamp


class CreateDocumentResponse(ResponseModel):
    document: EquosDocument
    uploadUrl: str = Field(description="PUT the file's bytes here before expireAt.")
    expireAt: Timestamp


class ListEquosKnowledgeBasesResponse(ResponseModel):
    skip: Number
    take: Number
    total: Number
    items: list[EquosKnowledgeBase]
