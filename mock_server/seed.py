"""Seed files: organizations, their keys and settings, and resources, as JSON.

Each declared resource is seeded from its seed key (a sub-resource's entries sit inside its
parent's entry), created through the domain, so a seed obeys the same rules (references,
conflicts) as the API; an entry may name its own ``id`` so characters can refer to it. A key no
model knows, at any level, is an error naming the closest known one (a typo is not a silent null).
``serve --seed``, ``POST /_mock/seed`` and the pytest plugin's ``equos_seed`` marker share this loader.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError

from . import decoding, errors
from .domain import organizations, resources
from .models.control import OrgSettingsBody
from .resource import Resource
from .runtime import Runtime
from .store import Organization
from .store.memory import OrgSettings

PACKAGED = Path(__file__).parent / "fixtures"  # inside an installed wheel
CHECKOUT = Path(__file__).resolve().parent.parent / "fixtures"


class SeedError(ValueError):
    pass


class SeedFile(BaseModel):
    """A seed file's top level."""

    organizations: list[Any]


class SeedOrganization(BaseModel):
    """An organization entry's own fields; its resources sit beside them, each under its seed key."""

    model_config = ConfigDict(extra="ignore", strict=True)  # the resources are checked by their own models

    id: StrictStr | None = None
    name: StrictStr | None = None
    keys: list[StrictStr] = []
    publicKeys: list[StrictStr] = []
    settings: dict[str, Any] = {}


def field_names(model: type[BaseModel]) -> list[str]:
    """The names a JSON object for ``model`` may use."""
    return [info.alias or name for name, info in model.model_fields.items()]


def unknown_keys(entry: dict[str, Any], known: Iterable[str], where: str) -> None:
    """Refuse the keys of ``entry`` not in ``known``, each with the closest known name."""
    allowed = list(dict.fromkeys(known))
    folded = {name.casefold(): name for name in allowed}  # "BrainId" is "brainId" before any likeness
    found = []
    for key in entry:
        if key in allowed:
            continue
        close = ([folded[key.casefold()]] if key.casefold() in folded
                 else difflib.get_close_matches(key, allowed, n=1, cutoff=0.6))
        hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(allowed)}"
        found.append(f"{where + '.' if where else ''}{key}: unknown key; {hint}")
    if found:
        raise SeedError("; ".join(found))


def fixture_dirs() -> list[Path]:
    return [d for d in (CHECKOUT, PACKAGED) if d.is_dir()]


def find_fixture(name: str, places: Sequence[Path] = ()) -> Path:
    """A seed by path, or by name from ``fixtures/`` (``demo`` finds ``fixtures/demo.json``).

    ``places`` (the pytest marker's: the test file's folder, the project's seed folder, the rootdir)
    come first: ``name`` as a path inside each, with or without ``.json``. Without places, a relative
    path is from the working directory (``serve --seed``)."""
    stem = name.removesuffix(".json")
    for directory in places:
        for candidate in (directory / name, directory / f"{stem}.json"):
            if candidate.is_file():
                return candidate
    candidate = Path(name)
    if not places and candidate.is_file():
        return candidate
    if "/" not in stem and "\\" not in stem and stem not in ("", ".", ".."):
        for directory in fixture_dirs():
            path = directory / f"{stem}.json"
            if path.is_file():
                return path
    looked = [*map(str, dict.fromkeys(places)), *map(str, fixture_dirs())]
    raise SeedError(f"no seed file {name!r} (looked in {', '.join(looked)})")


def load_file(rt: Runtime, name: str) -> list[Organization]:
    """Load a seed file (``--seed``); an error names the file, the place in it and the rule broken."""
    path = find_fixture(name)
    try:
        return load(rt, read_seed(str(path)))
    except SeedError as exc:
        message = str(exc)
        raise SeedError(message if message.startswith(f"{path}:") else f"{path}: {message}") from None


def read_seed(name: str, places: Sequence[Path] = ()) -> dict[str, Any]:
    path = find_fixture(name, places)
    try:
        data = decoding.loads(path.read_bytes(), where="seed")
    except decoding.DecodeError as exc:
        raise SeedError(f"{path}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise SeedError(f"{path}: not valid JSON: {exc}") from None
    try:
        return checked_top(data)
    except SeedError as exc:
        raise SeedError(f"{path}: {exc}") from None


def checked_top(data: Any) -> dict[str, Any]:
    """A seed's top level: an object with an ``organizations`` list, and nothing else."""
    if isinstance(data, dict):
        unknown_keys(data, field_names(SeedFile), "")
    if not isinstance(data, dict) or not isinstance(data.get("organizations"), list):
        raise SeedError("expected an object with an 'organizations' list")
    return data


def check_names(rt: Runtime, data: dict[str, Any]) -> None:
    """Every key of every organization and entry is one its model knows (before anything is made)."""
    for position, spec in enumerate(data["organizations"]):
        if isinstance(spec, dict):
            _check_organization(rt, spec, f"organizations[{position}]")


def _check_organization(rt: Runtime, spec: dict[str, Any], where: str) -> None:
    top = rt.resources.seed_order()
    unknown_keys(spec, [*field_names(SeedOrganization), *(r.seed for r in top if r.seed)], where)
    if isinstance(spec.get("settings"), dict):
        unknown_keys(spec["settings"], field_names(OrgSettingsBody), f"{where}.settings")
    for resource in top:
        _check_entries(rt, resource, spec.get(resource.seed or ""), f"{where}.{resource.seed}")


def _check_entries(rt: Runtime, resource: Resource, entries: Any, where: str) -> None:
    if not isinstance(entries, list) or resource.create is None:
        return  # not a list: the load says so
    children = rt.resources.children(resource.name)
    known = ["id", *field_names(resource.create), *(child.seed for child in children if child.seed)]
    for position, entry in enumerate(entries):
        if isinstance(entry, dict):
            unknown_keys(entry, known, f"{where}[{position}]")
            for child in children:
                _check_entries(rt, child, entry.get(child.seed or ""), f"{where}[{position}].{child.seed}")


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


def load_into(rt: Runtime, org: Organization, content: dict[str, Any]) -> None:
    """Every organization entry's resources into ``org`` (one existing organization: the control plane's
    ``organization``/``key``, the plugin's test key), checked whole first."""
    check_names(rt, content)  # a typo in any organization: nothing is loaded
    for position, spec in enumerate(content["organizations"]):
        load_resources(rt, org, spec, f"organizations[{position}]")


def load_resources(rt: Runtime, org: Organization, spec: dict[str, Any], where: str = "seed") -> None:
    """Create the resources of one organization entry inside ``org`` (its names checked: ``check_names``)."""
    if not isinstance(spec, dict):
        raise SeedError(f"{where} must be an object")
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
    check_names(rt, data)  # a typo anywhere: nothing is made
    checked = [_checked(rt, spec, f"organizations[{position}]") for position, spec in enumerate(data["organizations"])]
    _public_keys_free(rt, checked)
    loaded = []
    for spec, where, settings, own in checked:
        org = organizations.create(rt, [], name=own.name, org_id=own.id)
        org.pinned = pinned
        rt.add_keys(org, own.keys, configure=configure_keys)
        rt.set_public_keys(org, own.publicKeys)
        org.settings = settings
        load_resources(rt, org, spec, where)
        loaded.append(org)
    return loaded


Checked = tuple[dict[str, Any], str, OrgSettings, SeedOrganization]


def _checked(rt: Runtime, spec: Any, where: str) -> Checked:
    if not isinstance(spec, dict):
        raise SeedError(f"{where} must be an object")
    try:
        own = SeedOrganization.model_validate(spec)
    except ValidationError as exc:
        raise SeedError(located(where, exc)) from None
    settings = _settings(own.settings, where)
    if own.id in rt.store.organizations:
        raise SeedError(f"{where}: organization {own.id} already exists")
    return spec, where, settings, own


def _public_keys_free(rt: Runtime, checked: list[Checked]) -> None:
    """No public key of the seed is an API key, or another organization's public key (here or stored)."""
    api_keys = {key for _, _, _, own in checked for key in own.keys}
    seen: dict[str, str] = {}
    for _, where, _, own in checked:
        for key in own.publicKeys:
            if key in rt.store.keys or key in api_keys or key in rt.store.public_keys or seen.get(key, where) != where:
                raise SeedError(f"{where}.publicKeys: public key {rt.mask(key)} is already in use")
            seen[key] = where


def _settings(raw: Any, where: str) -> OrgSettings:
    unknown_keys(raw, field_names(OrgSettingsBody), f"{where}.settings")
    try:
        return OrgSettings.from_json(raw)
    except ValidationError as exc:
        raise SeedError(located(f"{where}.settings", exc)) from None
