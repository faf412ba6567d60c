"""Legacy avatars: the reference image (a base64 data URL, decoded and size-checked) and its thumbnail."""

from __future__ import annotations

import base64
import binascii
import re

from ... import errors
from ...models.avatars import AvatarRecord, CreateEquosAvatarRequest, EquosAvatar, UpdateEquosAvatarRequest
from ...runtime import Runtime
from ...store import Organization
from ..resources import conflicting_identity
from .agents import check_body_ids

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # "5 MB max" (legacy Node SDK README), read as MiB
# Where the mock serves the kept reference image, so thumbnailUrl works in an <img>.
_DATA_URL = re.compile(r"^data:(?P<mime>image/[A-Za-z0-9.+-]+)(?:;[^,;]*=[^,;]*)*;base64,(?P<data>.*)$", re.S)


def decode_image(data_url: str) -> tuple[str, bytes]:
    """(mime type, bytes) of a ``data:image/...;base64,...`` URL; 400 if it is not one, 413 if too large."""
    match = _DATA_URL.match(data_url)
    if match is None:
        raise errors.bad_request(["refImage must be a base64 data URL of an image (data:image/...;base64,...)"])
    payload = re.sub(r"\s+", "", match["data"])
    if len(payload) > (MAX_IMAGE_BYTES + 2) // 3 * 4 + 4:
        raise _too_large()
    try:
        content = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise errors.bad_request(["refImage must be a base64 data URL of an image (data:image/...;base64,...)"]
                                 ) from None
    if not content:
        raise errors.bad_request(["refImage should not be empty"])
    if len(content) > MAX_IMAGE_BYTES:
        raise _too_large()
    return match["mime"].lower(), content


def _too_large() -> errors.ApiError:
    return errors.ApiError(413, f"refImage must not be larger than 5 MB ({MAX_IMAGE_BYTES} bytes)")


def thumbnail_url(thumbnail_base: str, org: Organization, avatar_id: str) -> str:
    return f"{thumbnail_base.rstrip('/')}/{org.id}/{avatar_id}"


def check_agent(org: Organization, agent_id: str | None) -> None:
    if agent_id is not None and agent_id not in org.agents:
        raise errors.not_found(f"agent {agent_id} not found in this organization")


def _check_identity(rt: Runtime, org: Organization, identity: str, except_id: str | None = None) -> None:
    # Same rule as characters' livekitIdentity: the room finds the avatar by this identity.
    if rt.assumptions["duplicate_livekit_identity"] != "409":
        return
    other = conflicting_identity(org.avatars, identity, except_id)
    if other is not None:
        raise errors.conflict(f'An avatar with identity "{identity}" already exists for this organization '
                              f"({other.id}).")


def create_avatar(rt: Runtime, org: Organization, body: CreateEquosAvatarRequest, thumbnail_base: str,
                  image: tuple[str, bytes] | None = None) -> EquosAvatar:
    """``image``: ``body.refImage`` already decoded by a caller that checked it first."""
    mime, content = image or decode_image(body.refImage)
    check_agent(org, body.agentId)
    _check_identity(rt, org, body.identity)
    now = rt.now(org)
    avatar_id = rt.new_id("avatar")
    record = AvatarRecord(
        id=avatar_id, organizationId=org.id, identity=body.identity, name=body.name, description="",
        thumbnailUrl=thumbnail_url(thumbnail_base, org, avatar_id), client=body.client, agentId=body.agentId,
        createdAt=now, updatedAt=now, refImageMime=mime, refImageSize=len(content),
        refImageData=base64.b64encode(content).decode(),
    )
    org.avatars.add(record)
    return populate(org, record)


def update_avatar(rt: Runtime, org: Organization, avatar_id: str, body: UpdateEquosAvatarRequest
                  ) -> EquosAvatar | None:
    record = org.avatars.get(avatar_id)
    if record is None:
        return None
    check_body_ids(org, avatar_id, body.id, body.organizationId)
    check_agent(org, body.agentId)
    _check_identity(rt, org, body.identity, except_id=avatar_id)
    changes = body.model_dump(exclude_unset=True, exclude={"id", "organizationId", "refImage"})
    if body.refImage is not None:
        mime, content = decode_image(body.refImage)
        changes.update(refImageMime=mime, refImageSize=len(content), refImageData=base64.b64encode(content).decode())
    updated = org.avatars.replace(record.model_copy(update={**changes, "updatedAt": rt.now(org)}))
    return populate(org, updated)


def populate(org: Organization, record: AvatarRecord) -> EquosAvatar:
    """The avatar as the API returns it: without the image bytes, with its agent filled in."""
    agent = org.agents.get(record.agentId) if record.agentId else None
    return record.public().model_copy(update={"agent": agent})


def archive_avatar(rt: Runtime, org: Organization, avatar_id: str) -> EquosAvatar | None:
    record = org.avatars.remove(avatar_id)
    return populate(org, record) if record is not None else None


def image(org: Organization, avatar_id: str) -> tuple[str, bytes] | None:
    record = org.avatars.get(avatar_id)
    if record is None:
        return None
    return record.refImageMime, base64.b64decode(record.refImageData)
