"""State as JSON: export one organization or all, and import it back exactly.

Used by the control plane (export/import) and by persistence. Each collection's
records are the API's own response models, dumped and re-validated.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from .clock import CLOCK_RANGE, Clock, from_ms, to_ms
from .models.agents import EquosAgent
from .models.avatars import AvatarRecord
from .models.characters import EquosCharacter
from .models.conversations import EquosConversation
from .models.resources import EquosBrain, EquosDocument, EquosFace, EquosKnowledgeBase, EquosVoice
from .models.sessions import SessionRecord
from .runtime import Runtime
from .store import Organization
from .store.memory import COLLECTIONS, OrgSettings

FORMAT = "equos-mock-state/1"

# The model of each collection's records: the one place a new collection must be registered.
COLLECTION_MODELS: dict[str, type[BaseModel]] = {
    "brains": EquosBrain,
    "characters": EquosCharacter,
    "faces": EquosFace,
    "voices": EquosVoice,
    "knowledge_bases": EquosKnowledgeBase,
    "documents": EquosDocument,
    "conversations": EquosConversation,
    "agents": EquosAgent,
    "avatars": AvatarRecord,
    "sessions": SessionRecord,
}
assert set(COLLECTION_MODELS) == set(COLLECTIONS)


def _clock_json(clock: Clock | None) -> dict[str, Any] | None:
    if clock is None:
        return None
    return {"now": clock.now_ms(), "frozen": clock.frozen}


def export_org(rt: Runtime, org: Organization) -> dict[str, Any]:
    keys = rt.store.keys_of(org.id)
    collections = {}
    for name in COLLECTIONS:
        # Oldest first, so an import re-creates the same order.
        _, items = org.collection(name).page(0, len(org.collection(name)) or 1, newest_first=False)
        collections[name] = [json.loads(item.model_dump_json()) for item in items]
    return {"id": org.id, "name": org.name, "keys": keys, "publicKeys": rt.public_keys_of(org),
            "pinned": org.pinned, "settings": org.settings.to_json(),
            "clock": _clock_json(org.clock), "collections": collections}


def export_state(rt: Runtime, org: Organization | None = None) -> dict[str, Any]:
    orgs = [org] if org is not None else list(rt.store.organizations.values())
    return {"format": FORMAT, "organizations": [export_org(rt, o) for o in orgs]}


def import_state(rt: Runtime, data: dict[str, Any], *, replace: bool = True) -> list[Organization]:
    """Load exported organizations; an existing organization with the same id is replaced."""
    if data.get("format") != FORMAT:
        raise ValueError(f"expected format {FORMAT!r}")
    loaded = []
    for spec in data["organizations"]:
        if spec["id"] in rt.store.organizations:
            if not replace:
                raise ValueError(f"organization {spec['id']} already exists")
            rt.store.remove_organization(spec["id"])
        org = Organization(spec["id"], spec.get("name") or spec["id"], OrgSettings.from_json(spec.get("settings", {})))
        org.pinned = bool(spec.get("pinned", False))
        if spec.get("clock"):
            now = spec["clock"]["now"]
            if isinstance(now, bool) or not isinstance(now, int) or not CLOCK_RANGE[0] <= now <= CLOCK_RANGE[1]:
                raise ValueError("clock.now must be milliseconds from 1970-01-01 to 9000-01-01")
            org.clock = Clock(frozen_at=from_ms(now))
            if not spec["clock"]["frozen"]:
                org.clock.unfreeze()
        for name, records in spec.get("collections", {}).items():
            model = COLLECTION_MODELS[name]
            collection = org.collection(name)
            for record in records:
                collection.add(model.model_validate_json(json.dumps(record)))
        rt.store.add_organization(org, [])
        rt.add_keys(org, list(spec.get("keys", [])), configure=False)
        rt.set_public_keys(org, list(spec.get("publicKeys", [])))
        if len(org.conversations):
            rt.store.conversation_holders[org.id] = None
        rt.touch(org)
        loaded.append(org)
    return loaded


__all__ = ["COLLECTION_MODELS", "export_state", "import_state", "to_ms"]
