"""State as JSON: export one organization or all, and import it back exactly.

Used by the control plane (export/import) and by persistence. Each collection's
records are its declared model (see ``resource``), dumped and re-validated.
"""

from __future__ import annotations

import json
from typing import Any

from .clock import CLOCK_RANGE, Clock, from_ms, to_ms
from .events import DomainEvent
from .runtime import Runtime
from .store import Organization
from .store.memory import OrgSettings

FORMAT = "equos-mock-state/1"


def _clock_json(clock: Clock | None) -> dict[str, Any] | None:
    if clock is None:
        return None
    return {"now": clock.now_ms(), "frozen": clock.frozen}


def export_org(rt: Runtime, org: Organization) -> dict[str, Any]:
    keys = rt.store.keys_of(org.id)
    collections = {}
    for name, collection in org.collections.items():
        # Oldest first, so an import re-creates the same order.
        _, items = collection.page(0, len(collection) or 1, newest_first=False)
        collections[name] = [json.loads(item.model_dump_json()) for item in items]
    return {"id": org.id, "name": org.name, "keys": keys, "publicKeys": rt.public_keys_of(org),
            "pinned": org.pinned, "settings": org.settings.to_json(),
            "clock": _clock_json(org.clock), "collections": collections}


def export_state(rt: Runtime, org: Organization | None = None) -> dict[str, Any]:
    orgs = [org] if org is not None else list(rt.store.organizations.values())
    return {"format": FORMAT, "organizations": [export_org(rt, o) for o in orgs]}


def _build(rt: Runtime, spec: dict[str, Any]) -> Organization:
    """One exported organization, validated whole into an organization outside the store."""
    if not isinstance(spec, dict):
        raise TypeError("each organization must be an object")
    if not isinstance(spec.get("id"), str) or not spec["id"]:
        raise ValueError("each organization needs an id (a non-empty string)")
    for name in ("keys", "publicKeys"):
        if not isinstance(spec.get(name, []), list) or not all(isinstance(k, str) and k for k in spec.get(name, [])):
            raise ValueError(f"organization {spec['id']}: {name} must be a list of non-empty strings")
    org = rt.new_organization(spec["id"], spec.get("name") or spec["id"],
                              OrgSettings.from_json(spec.get("settings", {})))
    org.pinned = bool(spec.get("pinned", False))
    if spec.get("clock"):
        now = spec["clock"]["now"]
        if isinstance(now, bool) or not isinstance(now, int) or not CLOCK_RANGE[0] <= now <= CLOCK_RANGE[1]:
            raise ValueError("clock.now must be milliseconds from 1970-01-01 to 9000-01-01")
        org.clock = Clock(frozen_at=from_ms(now))
        if not spec["clock"]["frozen"]:
            org.clock.unfreeze()
    for name, records in spec.get("collections", {}).items():
        model = rt.resources[name].model
        collection = org.collection(name)
        for record in records:
            collection.add(model.model_validate_json(json.dumps(record)))
    return org


def _check_public_keys(rt: Runtime, specs: list[dict[str, Any]]) -> None:
    """Each public key free for its organization: not an API key, not another organization's (one staying)."""
    replaced = {spec["id"] for spec in specs}
    owner: dict[str, str] = {}
    for spec in specs:
        for key in spec.get("publicKeys", []):
            holder = rt.store.public_keys.get(key)
            if (key in rt.store.keys or owner.setdefault(key, spec["id"]) != spec["id"]
                    or (holder is not None and holder != spec["id"] and holder not in replaced)):
                raise ValueError(f"public key {rt.mask(key)} is already in use")


def prepare_import(rt: Runtime, data: dict[str, Any]) -> list[tuple[dict[str, Any], Organization]]:
    """Every exported organization validated whole and built outside the store: no shared state is read
    or written, so the control plane runs this in a worker thread while the event loop keeps serving."""
    if data.get("format") != FORMAT:
        raise ValueError(f"expected format {FORMAT!r}")
    specs = data["organizations"]
    if not isinstance(specs, list):
        raise TypeError("organizations must be an array")
    with rt.store.undo.paused():  # building outside the store is nothing to undo
        return [(spec, _build(rt, spec)) for spec in specs]


def apply_import(rt: Runtime, prepared: list[tuple[dict[str, Any], Organization]], *, replace: bool = True
                 ) -> list[Organization]:
    """Store what ``prepare_import`` built; an existing organization with the same id is replaced. Checked
    against the store as it is now (on the event loop), before the first change."""
    if not replace:
        for _, org in prepared:
            if org.id in rt.store.organizations:
                raise ValueError(f"organization {org.id} already exists")
    _check_public_keys(rt, [spec for spec, _ in prepared])
    loaded = []
    for spec, org in prepared:
        if org.id in rt.store.organizations:
            rt.store.remove_organization(org.id)
            rt.events.publish(DomainEvent("reset", org.id))  # the replaced organization's rooms close
        rt.store.add_organization(org, [])
        rt.add_keys(org, list(spec.get("keys", [])), configure=False)
        rt.set_public_keys(org, list(spec.get("publicKeys", [])))
        if len(org.conversations):
            rt.store.conversation_holders[org.id] = None
        rt.touch(org)
        loaded.append(org)
    return loaded


def import_state(rt: Runtime, data: dict[str, Any], *, replace: bool = True) -> list[Organization]:
    """Load exported organizations; an existing organization with the same id is replaced.

    All or nothing: every organization is validated (and built) before the first one is stored, so a
    refused import changes nothing; the request's undo log (``store/undo.py``) covers the rest.
    """
    return apply_import(rt, prepare_import(rt, data), replace=replace)


__all__ = ["apply_import", "export_state", "import_state", "prepare_import", "to_ms"]
