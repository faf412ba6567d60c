"""Characters: reference checks, the livekitIdentity rule, and population of nested objects."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..models.characters import CreateEquosCharacterRequest, EquosCharacter, UpdateEquosCharacterRequest
from ..runtime import Runtime
from ..store import Organization
from .knowledge import with_documents

_REFERENCES = (
    ("faceId", "faces", "face"),
    ("voiceId", "voices", "voice"),
    ("brainId", "brains", "brain"),
    ("knowledgeBaseId", "knowledge_bases", "knowledge base"),
)


def _check_references(org: Organization, values: dict[str, Any]) -> None:
    missing = [
        f"{label} {values[field]} not found in this organization"
        for field, collection, label in _REFERENCES
        if values.get(field) is not None and values[field] not in org.collection(collection)
    ]
    if missing:
        raise errors.not_found("; ".join(missing))


def _check_identity(rt: Runtime, org: Organization, identity: str) -> None:
    if rt.assumptions["duplicate_livekit_identity"] != "409":
        return
    other = next(iter(org.characters.matching("livekitIdentity", identity)), None)
    if other is not None:
        raise errors.conflict(
            f'A character with livekitIdentity "{identity}" already exists for this organization ({other.id}).'
        )


def create_character(rt: Runtime, org: Organization, body: CreateEquosCharacterRequest) -> EquosCharacter:
    values = body.model_dump()
    _check_references(org, values)
    _check_identity(rt, org, body.livekitIdentity)
    now = rt.now(org)
    character = EquosCharacter(id=rt.new_id("character"), organizationId=org.id, createdAt=now,
                               updatedAt=now, **values)
    org.characters.add(character)
    return populate(org, character)


def update_character(rt: Runtime, org: Organization, character_id: str, body: UpdateEquosCharacterRequest
                     ) -> EquosCharacter | None:
    character = org.characters.get(character_id)
    if character is None:
        return None
    # Only the keys the caller sent; an explicit null clears a reference.
    changes = body.model_dump(exclude_unset=True)
    for key in ("name", "search"):
        if key in changes and changes[key] is None:
            raise errors.bad_request([f"{key} must not be null"])
    _check_references(org, changes)
    updated = org.characters.replace(character.model_copy(update={**changes, "updatedAt": rt.now(org)}))
    return populate(org, updated)


def populate(org: Organization, character: EquosCharacter) -> EquosCharacter:
    """The character as GET returns it: face, voice, brain and knowledge base filled in."""
    kb = org.knowledge_bases.get(character.knowledgeBaseId) if character.knowledgeBaseId else None
    return character.model_copy(update={
        "face": org.faces.get(character.faceId) if character.faceId else None,
        "voice": org.voices.get(character.voiceId) if character.voiceId else None,
        "brain": org.brains.get(character.brainId) if character.brainId else None,
        "knowledgeBase": with_documents(org, kb) if kb is not None else None,
    })
