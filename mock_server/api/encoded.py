"""Reads as JSON bytes, each record serialized once per version.

A record is immutable: every change stores a new object, so the object *is* the version. Its JSON is
made by its pydantic model (the one source of truth for the JSON) the first time a read needs it and
kept by its collection next to that version (``Collection.encoded``); a newer version, or a delete,
leaves the old bytes behind. A get returns those bytes, a list page joins them, and a record that
embeds another (a character's face, voice, brain and knowledge base) splices the other's bytes in.

Byte for byte what ``resources.read(...).model_dump_json()`` gives (tests/mock_server/api/test_encoded.py).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from ..domain import resources
from ..domain.conversations import Started
from ..models.conversations import (
    CreateEquosConversationResponse,
    EquosConversation,
    EquosConversationWithCharacter,
)
from ..resource import Reference, Resource
from ..runtime import Runtime
from ..store import Organization

NULL = b"null"


def _members(item: BaseModel, names: list[str]) -> bytes:
    """``"name":value`` members of ``item`` for ``names``, comma separated (the model writes them)."""
    return item.model_dump_json(include=set(names)).encode()[1:-1] if names else b""


class _Populated:
    """One version of a record with populated references, encoded: its own fields as JSON members
    between the references (in the model's field order), and the last read made of it with the
    versions of the records it embedded then."""

    __slots__ = ("json", "links", "parts", "shaped", "targets", "version")

    def __init__(self, rt: Runtime, org: Organization, resource: Resource, item: BaseModel):
        populated = {ref.populate: ref for ref in resource.populated}
        parts: list[bytes | Reference] = []
        run: list[str] = []
        for name in type(item).model_fields:
            if name in populated:
                parts += [_members(item, run), populated[name]]
                run = []
            else:
                run.append(name)
        parts.append(_members(item, run))
        self.parts = tuple(p for p in parts if p != b"")
        # Each reference's field and the collection it names (the record's organization's: they live
        # and go together).
        self.links = tuple((ref.field, org.collection(ref.target)) for ref in resource.populated)
        # Which targets are shaped from other records (their JSON can change while they do not): a read
        # embedding one is made afresh.
        self.shaped = tuple(i for i, ref in enumerate(resource.populated) if rt.resources[ref.target].shape)
        self.targets: list[Any] | None = None
        self.json = b""
        self.version = -1  # the organization's change count when ``json`` was last found current

    def reusable(self, targets: list[Any]) -> bool:
        """The same versions embedded as last time (none shaped from others): the same bytes."""
        # A list's == takes each element's identity first; a different but equal version of a record
        # writes the same JSON.
        if targets != self.targets:
            return False
        for i in self.shaped:
            if targets[i] is not None:
                return False
        return True

    def embed(self, rt: Runtime, org: Organization, resource: Resource, targets: list[Any]) -> bytes:
        """The read with these versions of its references, each spliced in as its own bytes."""
        embedded = dict(zip(resource.populated, targets, strict=True))
        members = []
        for part in self.parts:
            if isinstance(part, bytes):
                members.append(part)
                continue
            target = embedded[part]
            members.append(_key(part.populate) + (  # type: ignore[arg-type]
                record_json(rt, org, rt.resources[part.target], target) if target is not None else NULL))
        self.targets, self.json = targets, b"{" + b",".join(members) + b"}"
        return self.json


def _plain(item: BaseModel) -> bytes:
    return item.model_dump_json().encode()


def record_json(rt: Runtime, org: Organization, resource: Resource, item: Any) -> bytes:
    """``item`` as a read shows it (shaped, references populated), as JSON bytes."""
    return records_json(rt, org, resource, [item])[0]


def records_json(rt: Runtime, org: Organization, resource: Resource, items: list[Any]) -> list[bytes]:
    """Each of ``items`` as a read shows it, as JSON bytes (a page: the collections are looked up once)."""
    if resource.shape is not None:  # shaped from other records (a knowledge base's documents): made each time
        return [_plain(resources.read(rt, org, resource, item)) for item in items]
    collection = org.collection(resource.name)
    if not resource.populated:
        return [collection.encoded(item, _plain) for item in items]
    out = []
    changes = collection.changes
    for item in items:
        made: _Populated = collection.encoded(item, lambda x: _Populated(rt, org, resource, x))
        if made.version == changes:  # nothing in the organization changed since: the same read
            out.append(made.json)
            continue
        targets = [linked.get(value) if (value := getattr(item, field)) else None for field, linked in made.links]
        out.append(made.json if made.reusable(targets) else made.embed(rt, org, resource, targets))
        made.version = changes
    return out


def _key(name: str) -> bytes:
    return json.dumps(name).encode() + b":"


def page_json(envelope: BaseModel, key: str, items: list[bytes]) -> bytes:
    """A list reply: ``envelope`` (skip, take, total; its ``key`` list empty) with the items' bytes as
    ``key``, which must be the envelope's last field (``items_last`` says so)."""
    head = envelope.model_dump_json(exclude={key}).encode()
    return head[:-1] + (b"," if len(head) > 2 else b"") + _key(key) + b"[" + b",".join(items) + b"]}"


def items_last(envelope: type[BaseModel], key: str) -> None:
    """Refuse a list model whose items are not its last field: ``page_json`` writes them last."""
    if list(envelope.model_fields)[-1] != key:
        raise TypeError(f"{envelope.__name__}: {key} must be the last field of a list reply")


def started_json(rt: Runtime, org: Organization, started: Started) -> bytes:
    """The reply to starting a conversation: the conversation's own JSON (the one its get reuses) with
    the character's read spliced in as ``character``, then the tokens, as ``Started.response`` writes it."""
    conversation = org.conversations.encoded(started.conversation, _plain)
    character = record_json(rt, org, rt.resources["characters"], started.character)
    return b"".join((b'{"conversation":', memoryview(conversation)[:-1], b',"character":', character,
                     b'},"remoteAgentAccessToken":', _token_json(started.remote_token),
                     b',"consumerAccessToken":', _token_json(started.consumer_token), b"}"))


def _token_json(token: str | None) -> bytes:
    # A JWT is base64url and dots: a JSON string as it stands.
    return b'"' + token.encode("ascii") + b'"' if token is not None else NULL


# The splices above rely on these orders; a model changed against them fails here, at import.
assert list(EquosConversationWithCharacter.model_fields) == [*EquosConversation.model_fields, "character"]
assert list(CreateEquosConversationResponse.model_fields) == ["conversation", "remoteAgentAccessToken",
                                                             "consumerAccessToken"]
