"""Brains, faces and voices: create, update, delete, and the identity conflict rule."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..models.resources import (
    CreateEquosBrainRequest,
    CreateEquosFaceRequest,
    CreateEquosVoiceRequest,
    EquosBrain,
    EquosFace,
    EquosVoice,
    EquosVoiceIdentity,
)
from ..runtime import Runtime
from ..store import Organization

# Which character field points at each collection: deleting a target detaches it.
REFERENCE_FIELDS = {
    "faces": "faceId",
    "voices": "voiceId",
    "brains": "brainId",
    "knowledge_bases": "knowledgeBaseId",
}


def create_brain(rt: Runtime, org: Organization, body: CreateEquosBrainRequest) -> EquosBrain:
    now = rt.now(org)
    brain = EquosBrain(
        id=rt.new_id("brain"), organizationId=org.id, createdAt=now, updatedAt=now, **body.model_dump()
    )
    return org.brains.add(brain)


def update_brain(rt: Runtime, org: Organization, brain_id: str, body: CreateEquosBrainRequest
                 ) -> EquosBrain | None:
    brain = org.brains.get(brain_id)
    if brain is None:
        return None
    # Only the fields sent: an absent optional field (client) is kept, as the API's update DTO leaves it.
    changes = body.model_dump(exclude_unset=True)
    return org.brains.replace(brain.model_copy(update={**changes, "updatedAt": rt.now(org)}))


def conflicting_identity(collection: Any, identity: str, except_id: str | None = None) -> Any:
    """The first other item holding ``identity`` (the collection indexes that field), or None."""
    return next((x for x in collection.matching("identity", identity) if x.id != except_id), None)


def create_face(rt: Runtime, org: Organization, body: CreateEquosFaceRequest) -> EquosFace:
    if (other := conflicting_identity(org.faces, body.identity)) is not None:
        raise errors.conflict(
            f'A face with identity "{body.identity.value}" already exists for this organization ({other.id}).'
        )
    now = rt.now(org)
    face = EquosFace(
        id=rt.new_id("face"), organizationId=org.id, identity=body.identity, client=body.client,
        description=None, thumbnailUrl=None, referenceImgUrl=None, createdAt=now, updatedAt=now,
    )
    return org.faces.add(face)


def create_voice(rt: Runtime, org: Organization, body: CreateEquosVoiceRequest) -> EquosVoice:
    if (other := conflicting_identity(org.voices, body.identity)) is not None:
        raise errors.conflict(
            f'A voice with identity "{body.identity.value}" already exists for this organization ({other.id}).'
        )
    now = rt.now(org)
    voice = EquosVoice(id=rt.new_id("voice"), organizationId=org.id, createdAt=now, updatedAt=now,
                       **body.model_dump())
    return org.voices.add(voice)


def update_voice(rt: Runtime, org: Organization, voice_id: str, body: CreateEquosVoiceRequest
                 ) -> EquosVoice | None:
    voice = org.voices.get(voice_id)
    if voice is None:
        return None
    if (other := conflicting_identity(org.voices, body.identity, voice_id)) is not None:
        raise errors.conflict(
            f'A voice with identity "{body.identity.value}" already exists for this organization ({other.id}).'
        )
    changes = body.model_dump(exclude_unset=True)  # only the fields sent
    if "identity" in changes:  # the request's enum has its own name (the SDK's); store the reply's
        changes["identity"] = EquosVoiceIdentity(changes["identity"])
    return org.voices.replace(voice.model_copy(update={**changes, "updatedAt": rt.now(org)}))


def delete(rt: Runtime, org: Organization, collection: str, item_id: str) -> Any:
    """Soft delete as the API describes it: the item vanishes and references to it are cleared."""
    item = org.collection(collection).remove(item_id)
    if item is None:
        return None
    field = REFERENCE_FIELDS.get(collection)
    if field is not None:
        now = rt.now(org)
        for character in org.characters.values():
            if getattr(character, field) == item_id:
                org.characters.replace(character.model_copy(update={field: None, "updatedAt": now}))
    return item
