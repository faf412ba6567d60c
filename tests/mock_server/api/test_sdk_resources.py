"""Brains, characters, faces, voices, knowledge bases, usage and health through the official SDK.

Each test runs twice (``api`` fixture): with the sync methods and with their ``_async`` twins,
against the real uvicorn server of ``equos_mock``, raise_on_unexpected_status=True.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from equos import EquosClient
from equos.client.api.organization import get_user_usage
from equos.client.errors import UnexpectedStatus
from equos.client.models import (
    CreateDocumentRequest,
    CreateEquosBrainRequest,
    CreateEquosCharacterRequest,
    CreateEquosFaceRequest,
    CreateEquosVoiceRequest,
    CreateKnowledgeBaseRequest,
    EquosCharacter,
    UpdateEquosCharacterRequest,
)
from equos.client.models.create_equos_face_request_identity import CreateEquosFaceRequestIdentity
from equos.client.models.create_equos_voice_request_identity import CreateEquosVoiceRequestIdentity

from mock_server import DEFAULT_RESOURCES


def brain_body(n: int = 1, client: str | None = None) -> CreateEquosBrainRequest:
    return CreateEquosBrainRequest(instructions=f"Be brief {n}.", greeting_message=f"Hello {n}!",
                                   client=client)


def face_body(client: str | None = None) -> CreateEquosFaceRequest:
    return CreateEquosFaceRequest(identity=CreateEquosFaceRequestIdentity.TOMMY, client=client)


def voice_body(identity: str = "Puck", instructions: str | None = None) -> CreateEquosVoiceRequest:
    return CreateEquosVoiceRequest(identity=CreateEquosVoiceRequestIdentity(identity), instructions=instructions)


def character_body(name: str = "Guide", **refs) -> CreateEquosCharacterRequest:
    return CreateEquosCharacterRequest(name=name, livekit_identity=f"{name.lower()}-avatar", **refs)


def status_of(error: pytest.ExceptionInfo) -> int:
    return error.value.status_code


def test_health(api):
    health = api.call("health.check")
    assert (health.status, health.version) == ("ok", "1.0.0")


def test_brains_crud(api):
    first = api.call("brains.create", brain_body(1, client="tenant-a"))
    second = api.call("brains.create", brain_body(2))
    assert first.instructions == "Be brief 1." and first.greeting_message == "Hello 1!"
    assert first.client == "tenant-a" and first.id != second.id
    assert api.call("brains.get", first.id).to_dict() == first.to_dict()

    listed = api.call("brains.list")
    assert (listed.total, listed.skip, listed.take) == (2, 0, 20)
    assert [b.id for b in listed.brains] == [second.id, first.id]  # newest first
    assert [b.id for b in api.call("brains.list", client_query="tenant-a").brains] == [first.id]
    paged = api.call("brains.list", take=1.0, skip=1.0)
    assert (paged.total, [b.id for b in paged.brains]) == (2, [first.id])

    updated = api.call("brains.update", first.id, brain_body(9))
    assert (updated.id, updated.instructions, updated.greeting_message) == (first.id, "Be brief 9.", "Hello 9!")
    assert updated.client is None  # PATCH takes the full body: an absent client is cleared
    assert api.call("brains.get", first.id).instructions == "Be brief 9."

    deleted = api.call("brains.delete", first.id)
    assert deleted.id == first.id
    assert [b.id for b in api.call("brains.list").brains] == [second.id]
    with pytest.raises(ValueError):  # null_result=empty: the SDK cannot parse the empty 200 body
        api.raw("brains.get", first.id)


def test_faces_create_conflict_delete(api):
    face = api.call("faces.create", face_body(client="c1"))
    assert face.identity.value == "tommy" and face.client == "c1"
    with pytest.raises(UnexpectedStatus) as conflict:
        api.raw("faces.create", face_body())
    assert status_of(conflict) == 409
    assert api.call("faces.get", face.id).id == face.id
    assert [f.id for f in api.call("faces.list").faces] == [face.id]
    assert api.call("faces.delete", face.id).id == face.id
    assert api.call("faces.list").total == 0
    again = api.call("faces.create", face_body())  # the identity is free again
    assert again.id != face.id


def test_voices_create_conflict_update_delete(api):
    voice = api.call("voices.create", voice_body("Puck", "warm"))
    assert voice.identity.value == "Puck" and voice.instructions == "warm"
    with pytest.raises(UnexpectedStatus) as conflict:
        api.raw("voices.create", voice_body("Puck"))
    assert status_of(conflict) == 409
    kore = api.call("voices.create", voice_body("Kore"))
    updated = api.call("voices.update", voice.id, voice_body("Charon", "slow"))
    assert (updated.id, updated.identity.value, updated.instructions) == (voice.id, "Charon", "slow")
    with pytest.raises(UnexpectedStatus) as taken:  # updating onto another live voice's identity
        api.raw("voices.update", voice.id, voice_body("Kore"))
    assert status_of(taken) == 409
    assert api.call("voices.get", voice.id).identity.value == "Charon"
    assert [v.id for v in api.call("voices.list").voices] == [kore.id, voice.id]
    assert api.call("voices.delete", kore.id).id == kore.id
    assert [v.id for v in api.call("voices.list").voices] == [voice.id]


def _full_character(api) -> tuple[EquosCharacter, dict]:
    refs = {
        "brain_id": api.call("brains.create", brain_body()).id,
        "face_id": api.call("faces.create", face_body()).id,
        "voice_id": api.call("voices.create", voice_body()).id,
        "knowledge_base_id": api.call("knowledge_bases.create",
                                      CreateKnowledgeBaseRequest(name="kb", description="docs")).id,
    }
    return api.call("characters.create", character_body(**refs)), refs


def test_characters_populated_get_and_list(api):
    character, refs = _full_character(api)
    assert (character.name, character.livekit_identity, character.search) == ("Guide", "guide-avatar", False)
    got = api.call("characters.get", character.id)
    assert got.brain.id == refs["brain_id"] and got.brain.greeting_message == "Hello 1!"
    assert got.face.id == refs["face_id"] and got.face.identity.value == "tommy"
    assert got.voice.id == refs["voice_id"] and got.voice.identity.value == "Puck"
    assert got.knowledge_base.id == refs["knowledge_base_id"] and got.knowledge_base.documents == []
    listed = api.call("characters.list")
    assert listed.total == 1 and listed.characters[0].brain.id == refs["brain_id"]


def test_characters_partial_update_and_null_clears(api):
    character, refs = _full_character(api)
    renamed = api.call("characters.update", character.id, UpdateEquosCharacterRequest(name="Renamed", search=True))
    assert (renamed.name, renamed.search) == ("Renamed", True)
    assert (renamed.brain_id, renamed.face_id, renamed.voice_id) == (refs["brain_id"], refs["face_id"],
                                                                      refs["voice_id"])
    cleared = api.call("characters.update", character.id, UpdateEquosCharacterRequest(face_id=None, voice_id=None))
    assert cleared.face_id is None and cleared.voice_id is None
    assert cleared.brain_id == refs["brain_id"] and cleared.name == "Renamed"
    got = api.call("characters.get", character.id)
    assert got.face is None and got.voice is None and got.brain.id == refs["brain_id"]
    assert api.call("characters.delete", character.id).id == character.id
    assert api.call("characters.list").total == 0
    with pytest.raises(UnexpectedStatus) as unknown:  # PUT is not nullable in the spec: 404, not null
        api.raw("characters.update", character.id, UpdateEquosCharacterRequest(name="x"))
    assert status_of(unknown) == 404


def test_character_references_must_be_live_in_the_organization(api, equos_mock):
    other = api.other(equos_mock.new_key())
    foreign_brain = other.call("brains.create", brain_body())
    own_brain = api.call("brains.create", brain_body())
    character = api.call("characters.create", character_body(brain_id=own_brain.id))
    for bad in ({"brain_id": foreign_brain.id}, {"face_id": "missing"}, {"voice_id": "missing"},
                {"knowledge_base_id": "missing"}):
        with pytest.raises(UnexpectedStatus) as created:
            api.raw("characters.create", character_body(name="Bad", **bad))
        assert 400 <= status_of(created) < 500
        with pytest.raises(UnexpectedStatus) as updated:
            api.raw("characters.update", character.id, UpdateEquosCharacterRequest(**bad))
        assert 400 <= status_of(updated) < 500
    assert api.call("characters.get", character.id).brain_id == own_brain.id
    assert api.call("characters.list").total == 1
    api.call("brains.delete", own_brain.id)  # deleting a referenced brain leaves no dangling id
    assert api.call("characters.get", character.id).brain_id is None


def test_knowledge_base_documents_flow(api, equos_mock):
    kb = api.call("knowledge_bases.create", CreateKnowledgeBaseRequest(name="kb", description="docs", client="t1"))
    assert (kb.name, kb.description, kb.client, kb.documents) == ("kb", "docs", "t1", [])
    added = api.call("knowledge_bases.add_document", kb.id,
                     CreateDocumentRequest(name="a.txt", description="notes", mime_type="text/plain"))
    doc = added.document
    assert (doc.knowledge_base_id, doc.size, doc.status) == (kb.id, 0, "pending")
    assert added.upload_url.startswith(equos_mock.url + "/")
    assert added.expire_at > doc.created_at

    with pytest.raises(UnexpectedStatus) as early:
        api.raw("knowledge_bases.index_document", kb.id, doc.id)
    assert 400 <= status_of(early) < 500

    payload = b"hello knowledge " * 64
    forged = re.sub(r"signature=[0-9a-f]+", "signature=" + "0" * 64, added.upload_url)
    assert httpx.put(forged, content=payload).status_code == 403
    uploaded = httpx.put(added.upload_url, content=payload, headers={"content-type": "application/pdf"})
    assert uploaded.status_code == 200 and uploaded.json()["size"] == len(payload)

    got = api.call("knowledge_bases.get", kb.id)
    assert [(d.id, d.size, d.status) for d in got.documents] == [(doc.id, len(payload), "uploaded")]
    indexed = api.call("knowledge_bases.index_document", kb.id, doc.id)
    assert (indexed.id, indexed.status, indexed.size) == (doc.id, "ready", len(payload))
    listed = api.call("knowledge_bases.list")
    assert listed.total == 1 and listed.items[0].documents[0].status == "ready"

    removed = api.call("knowledge_bases.delete_document", kb.id, doc.id)
    assert removed.id == doc.id
    assert api.call("knowledge_bases.get", kb.id).documents == []
    with pytest.raises(UnexpectedStatus) as gone:
        api.raw("knowledge_bases.delete_document", kb.id, doc.id)
    assert status_of(gone) == 404
    assert api.call("knowledge_bases.delete", kb.id).id == kb.id
    assert api.call("knowledge_bases.list").total == 0


def test_upload_url_expires_by_the_mock_clock(api, equos_mock):
    clock = equos_mock.control
    clock.freeze(key=api.key)
    kb = api.call("knowledge_bases.create", CreateKnowledgeBaseRequest(name="kb", description="docs"))
    added = api.call("knowledge_bases.add_document", kb.id,
                     CreateDocumentRequest(name="a", description="b", mime_type="text/plain"))
    clock.advance(3601, key=api.key)
    expired = httpx.put(added.upload_url, content=b"late")
    assert expired.status_code == 403 and "expired" in expired.json()["message"]
    assert api.call("knowledge_bases.get", kb.id).documents[0].size == 0


def test_usage_for_an_organization_without_conversations(api):
    used = api.call("organizations.get_freemium_usage")
    assert used == 0 and not isinstance(used, bool)
    if api.mode == "sync":
        response = get_user_usage.sync_detailed(client=api.client._client, client_query="anyone")
    else:
        response = api.run(get_user_usage.asyncio_detailed(client=api.client._client, client_query="anyone"))
    assert response.status_code == 200 and response.content == b"0"


def test_every_sdk_method_is_driven_by_these_tests():
    """Every public method of every API group of EquosClient is called through ``api.call``/``api.raw``."""
    # The declared resources' SDK groups, and the groups that are not resources.
    groups = {r.sdk_group for r in DEFAULT_RESOURCES if r.sdk_group} | {"organizations", "tokens", "health"}
    client = EquosClient("k")
    declared = {f"{g}.{m}" for g in groups for m in dir(getattr(client, g))
                if not m.startswith("_") and not m.endswith("_async") and callable(getattr(getattr(client, g), m))}
    assert len(declared) == 33  # the 34th operation, user-usage, is only in the low-level module
    source = "".join(p.read_text() for p in Path(__file__).parent.glob("test_sdk_*.py"))
    called = set(re.findall(r'api\.(?:call|raw)\(\s*"(\w+\.\w+)"', source))
    called |= set(re.findall(r'(?:other|api_b|mine)\.call\(\s*"(\w+\.\w+)"', source))
    assert declared - called == set()
