"""Brains, faces, voices, knowledge bases and documents: requests and responses."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import ClientTag, Name, Number, OptionalText, RequestModel, ResponseModel, Text, Timestamp


class FaceIdentity(StrEnum):
    tommy = "tommy"


class VoiceIdentity(StrEnum):
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
    skip: int
    take: int
    total: int
    brains: list[EquosBrain]


# --- faces --------------------------------------------------------------------
class CreateEquosFaceRequest(RequestModel):
    identity: FaceIdentity = Field(description="Identity of the face in Equos Gallery.")
    client: ClientTag | None = None


class EquosFace(ResponseModel):
    id: str
    identity: FaceIdentity
    organizationId: str
    client: str | None = None
    description: str | None = None
    thumbnailUrl: str | None = None
    referenceImgUrl: str | None = None
    createdAt: Timestamp
    updatedAt: Timestamp


class ListEquosFacesResponse(ResponseModel):
    skip: int
    take: int
    total: int
    faces: list[EquosFace]


# --- voices -------------------------------------------------------------------
class CreateEquosVoiceRequest(RequestModel):
    identity: VoiceIdentity
    client: ClientTag | None = None
    instructions: OptionalText | None = Field(None, description="Instructions for the voice: tone, rhythm.")


class EquosVoice(ResponseModel):
    id: str
    organizationId: str
    identity: VoiceIdentity
    client: str | None = None
    instructions: str | None = None
    createdAt: Timestamp
    updatedAt: Timestamp


class ListEquosVoicesResponse(ResponseModel):
    skip: int
    take: int
    total: int
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
    skip: int
    take: int
    total: int
    items: list[EquosKnowledgeBase]
