"""Seed files: organizations, their keys and settings, and resources, as JSON.

Each declared resource is seeded from its seed key (a sub-resource's entries sit inside its
parent's entry), created through the domain, so a seed obeys the same rules (references,
conflicts) as the API; an entry may name its own ``id`` so characters can refer to it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import decoding, errors
from .domain import organizations, resources
from .resource import Resource
from .runtime import Runtime
from .store import Organization
from .store.memory import SETTINGS_JSON, OrgSettings

PACKAGED = Path(__file__).parent / "fixtures"  # inside an installed wheel
CHECKOUT = Path(__file__).resolve().parent.parent / "fixtures"


class SeedError(ValueError):
    pass


def fixture_dirs() -> list[Path]:
    return [d for d in (CHECKOUT, PACKAGED) if d.is_dir()]


def find_fixture(name: str) -> Path:
    """A seed by path, or by name from ``fixtures/`` (``demo`` finds ``fixtures/demo.json``)."""
    candidate = Path(name)
    if candidate.is_file():
        return candidate
    stem = name.removesuffix(".json")
    if "/" not in stem and "\\" not in stem and stem not in ("", ".", ".."):
        for directory in fixture_dirs():
            path = directory / f"{stem}.json"
            if path.is_file():
                return path
    raise SeedError(f"no seed file {name!r} (looked in {', '.join(map(str, fixture_dirs()))})")


def load_file(rt: Runtime, name: str) -> list[Organization]:
    """Load a seed file (``--seed``); an error names the file, the place in it and the rule broken."""
    path = find_fixture(name)
    try:
        return load(rt, read_seed(str(path)))
    except SeedError as exc:
        message = str(exc)
        raise SeedError(message if message.startswith(f"{path}:") else f"{path}: {message}") from None


def read_seed(name: str) -> dict[str, Any]:
    path = find_fixture(name)
    try:
        data = decoding.loads(path.read_bytes(), where="seed")
    except decoding.DecodeError as exc:
        raise SeedError(f"{path}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise SeedError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("organizations"), list):
        raise SeedError(f"{path}: expected an object with an 'organizations' list")
    return data


def located(where: str, exc: ValidationError) -> str:
    """Each rule ``exc`` found broken, at its place in the seed: ``characters[0].brainId: Input should be
    a valid string`` (pydantic's own locations and messages), on one line."""
    found: list[str] = []
    for error in exc.errors(include_url=False):
        path = where
        for part in error["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            elif not str(part).startswith("function-"):  # a validator's name, not a place in the data
                path += f".{part}"
        message = f"{path}: {error['msg']}"
        if message not in found:
            found.append(message)
    return "; ".join(found)


def _body(model: type[BaseModel], entry: dict[str, Any], where: str) -> Any:
    try:
        return model.model_validate_json(json.dumps({k: v for k, v in entry.items() if k != "id"}))
    except ValidationError as exc:
        raise SeedError(located(where, exc)) from None


def _create(rt: Runtime, entry: dict[str, Any], make: Any) -> Any:
    if "id" in entry:
        rt.ids.preset(str(entry["id"]))
    return make()


def load_resources(rt: Runtime, org: Organization, spec: dict[str, Any], where: str = "seed") -> None:
    """Create the resources of one organization entry inside ``org``."""
    try:
        for resource in rt.resources.seed_order():
            _load_entries(rt, org, resource, spec.get(resource.seed or "", []), f"{where}.{resource.seed}", None)
    except errors.ApiError as exc:
        raise SeedError(f"{where}: {exc}") from None


def _broken_reference(rt: Runtime, org: Organization, resource: Resource, entry: dict[str, Any]) -> str | None:
    """The first field of ``entry`` naming an item this organization does not have (for the message)."""
    for ref in resource.references:
        value = entry.get(ref.field)
        if not ref.parent and value is not None and value not in org.collection(ref.target):
            return ref.field
    return None


def _load_entries(rt: Runtime, org: Organization, resource: Resource, entries: Any, where: str,
                  parent_id: str | None) -> None:
    children = rt.resources.children(resource.name)
    nested = {child.seed for child in children}
    assert resource.create is not None
    if not isinstance(entries, list):
        raise SeedError(f"{where} must be a list")
    for position, entry in enumerate(entries):
        at = f"{where}[{position}]"
        if not isinstance(entry, dict):
            raise SeedError(f"{at} must be an object")
        own = {k: v for k, v in entry.items() if k not in nested}
        body = _body(resource.create, own, at)
        if "id" in own and str(own["id"]) in org.collection(resource.name):
            raise SeedError(f"{at}.id: {resource.singular} {own['id']} already exists in this organization")
        try:
            if parent_id is None:
                item = _create(rt, own, lambda b=body: resources.create(rt, org, resource, b))
            else:  # a sub-resource: its declared rule creates it inside its parent
                assert resource.create_rule is not None
                item = _create(rt, own, lambda b=body: resource.create_rule(rt, org, parent_id, b))
        except errors.ApiError as exc:  # a reference to nothing, a duplicate: the API's own rules
            field = _broken_reference(rt, org, resource, own)
            raise SeedError(f"{at}{'.' + field if field else ''}: {exc}") from None
        for child in children:
            _load_entries(rt, org, child, entry.get(child.seed, []), f"{at}.{child.seed}", item.id)


def load(rt: Runtime, data: dict[str, Any], *, configure_keys: bool = True, pinned: bool = True
         ) -> list[Organization]:
    """Create the organizations of a seed. ``pinned``: the idle limit never evicts them (seed files);
    the control plane's ``POST /_mock/organizations`` makes unpinned ones.

    Every organization entry is checked (types, settings, ids, keys and public keys) before the first
    is created; what only creating can check (the resources' references) is undone with the request
    that loads it (``store/undo.py``), so a refused seed leaves no half-made organization."""
    checked = [_checked(rt, spec, f"organizations[{position}]") for position, spec in enumerate(data["organizations"])]
    _public_keys_free(rt, checked)
    loaded = []
    for spec, where, settings, keys, public in checked:
        org = organizations.create(rt, [], name=spec.get("name"), org_id=spec.get("id"))
        org.pinned = pinned
        rt.add_keys(org, keys, configure=configure_keys)
        rt.set_public_keys(org, public)
        org.settings = settings
        load_resources(rt, org, spec, where)
        loaded.append(org)
    return loaded


Checked = tuple[dict[str, Any], str, OrgSettings, list[str], list[str]]


def _checked(rt: Runtime, spec: Any, where: str) -> Checked:
    if not isinstance(spec, dict):
        raise SeedError(f"{where} must be an object")
    settings = _settings(spec.get("settings", {}), where)
    for name in ("id", "name"):
        if spec.get(name) is not None and not isinstance(spec[name], str):
            raise SeedError(f"{where}.{name} must be a string")
    for name in ("keys", "publicKeys"):
        if not isinstance(spec.get(name, []), list):
            raise SeedError(f"{where}.{name} must be a list")
    org_id = spec.get("id")
    if org_id in rt.store.organizations:
        raise SeedError(f"{where}: organization {org_id} already exists")
    return (spec, where, settings, [str(k) for k in spec.get("keys", [])],
            [str(k) for k in spec.get("publicKeys", [])])


def _public_keys_free(rt: Runtime, checked: list[Checked]) -> None:
    """No public key of the seed is an API key, or another organization's public key (here or stored)."""
    api_keys = {key for _, _, _, keys, _ in checked for key in keys}
    seen: dict[str, str] = {}
    for _, where, _, _, public in checked:
        for key in public:
            if key in rt.store.keys or key in api_keys or key in rt.store.public_keys or seen.get(key, where) != where:
                raise SeedError(f"{where}.publicKeys: public key {rt.mask(key)} is already in use")
            seen[key] = where


def _settings(raw: Any, where: str) -> OrgSettings:
    if not isinstance(raw, dict):
        raise SeedError(f"{where}.settings must be an object")
    unknown = set(raw) - set(SETTINGS_JSON)
    if unknown:
        raise SeedError(f"{where}.settings: unknown keys {sorted(unknown)}")
    try:
        return OrgSettings.from_json(raw)
    except ValidationError as exc:
        raise SeedError(located(f"{where}.settings", exc)) from None
