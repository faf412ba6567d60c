"""Legacy avatars (/v1/avatars): a LiveKit identity with a reference image, optionally tied to an agent."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .agents import EquosAgent, LegacyClientTag, ShortName
from .common import Identity, RefId, RequestModel, ResponseModel, Timestamp, public_view

# The data URL itself may be ~7 MB of base64 for a 5 MB image; the decoded size is checked by the domain.
DATA_URL_MAX = 8 * 1024 * 1024
DataUrl = Annotated[str, Field(min_length=1, max_length=DATA_URL_MAX)]


class CreateEquosAvatarRequest(RequestModel):
    identity: Identity = Field(description="Livekit identity of the avatar.")
    name: ShortName
    refImage: DataUrl = Field(description="Base64 data URL of the reference image (at most 5 MB decoded).")
    client: LegacyClientTag | None = None
    agentId: RefId | None = Field(None, description="Optional agent ID to link with the avatar.")


class UpdateEquosAvatarRequest(RequestModel):
    """PUT body; ``refImage`` may be left out (the legacy SDKs never send it) to keep the image."""

    id: RefId
    organizationId: RefId
    identity: Identity
    name: ShortName
    refImage: DataUrl | None = None
    client: LegacyClientTag | None = None
    agentId: RefId | None = None


class EquosAvatar(ResponseModel):
    id: str
    organizationId: str
    identity: str
    name: str
    description: str
    thumbnailUrl: str
    client: str | None = None
    agentId: str | None = None
    agent: EquosAgent | None = None
    createdAt: Timestamp
    updatedAt: Timestamp


class AvatarRecord(EquosAvatar):
    """What the store keeps: the avatar and its decoded reference image (base64, for JSON state export)."""

    refImageMime: str
    refImageSize: int
    refImageData: str

    def public(self) -> EquosAvatar:
        return public_view(self, EquosAvatar)


class ListEquosAvatarsResponse(ResponseModel):
    skip: int
    take: int
    total: int
    avatars: list[EquosAvatar]
