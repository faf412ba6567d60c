"""In-memory state: organizations, their keys, and one ordered collection per resource.

Collections keep a sorted index by (createdAt, insertion sequence), overall and per
client tag, so a page costs what the page holds, not what the organization holds.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from ..clock import to_ms
from ..models.control import OrgSettingsBody

T = TypeVar("T", bound=BaseModel)
_Key = tuple[int, int]


class Collection(Generic[T]):
    def __init__(self, sequence: Iterator[int], indexed: tuple[str, ...] = ()):
        self._sequence = sequence
        self._indexed = indexed
        # field -> value -> ids holding it: uniqueness rules look up, not scan the organization.
        self._by_field: dict[str, dict[Any, dict[str, None]]] = {name: {} for name in indexed}
        self._items: dict[str, T] = {}
        self._keys: dict[str, _Key] = {}
        self._clients: dict[str, str | None] = {}
        self._order: list[tuple[int, int, str]] = []
        self._by_client: dict[str | None, list[tuple[int, int, str]]] = {}
        # Told of every change ("put" item / "delete" item): persistence hooks in here.
        self.listener: Callable[[str, Any], None] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def get(self, item_id: str) -> T | None:
        return self._items.get(item_id)

    def values(self) -> list[T]:
        return list(self._items.values())

    def matching(self, field: str, value: Any) -> list[T]:
        """Items whose indexed ``field`` equals ``value``, in the order they were added."""
        ids = self._by_field[field].get(value, {})
        return [self._items[i] for i in sorted(ids, key=lambda i: self._keys[i][1])]

    def _index(self, item: T, item_id: str, *, add: bool) -> None:
        for name, index in self._by_field.items():
            value = getattr(item, name, None)
            if add:
                index.setdefault(value, {})[item_id] = None
                continue
            ids = index.get(value)
            if ids is not None:
                ids.pop(item_id, None)
                if not ids:
                    del index[value]

    def add(self, item: T) -> T:
        item_id: str = item.id  # type: ignore[attr-defined]
        if item_id in self._items:
            raise KeyError(f"duplicate id {item_id}")
        entry = (to_ms(item.createdAt), next(self._sequence), item_id)  # type: ignore[attr-defined]
        client = getattr(item, "client", None)
        self._items[item_id] = item
        self._keys[item_id] = entry[:2]
        self._clients[item_id] = client
        bisect.insort(self._order, entry)
        bisect.insort(self._by_client.setdefault(client, []), entry)
        self._index(item, item_id, add=True)
        if self.listener is not None:
            self.listener("put", item)
        return item

    def replace(self, item: T) -> T:
        """Store a new version of an existing item; it keeps its place in the order."""
        item_id: str = item.id  # type: ignore[attr-defined]
        if item_id not in self._items:
            raise KeyError(item_id)
        client = getattr(item, "client", None)
        old_client = self._clients[item_id]
        if client != old_client:
            entry = (*self._keys[item_id], item_id)
            self._drop(self._by_client, old_client, entry)
            bisect.insort(self._by_client.setdefault(client, []), entry)
            self._clients[item_id] = client
        if self._by_field:
            self._index(self._items[item_id], item_id, add=False)
            self._index(item, item_id, add=True)
        self._items[item_id] = item
        if self.listener is not None:
            self.listener("put", item)
        return item

    @staticmethod
    def _drop(indexes: dict[str | None, list[tuple[int, int, str]]], client: str | None,
              entry: tuple[int, int, str]) -> None:
        index = indexes[client]
        del index[bisect.bisect_left(index, entry)]
        if not index:
            del indexes[client]

    def remove(self, item_id: str) -> T | None:
        item = self._items.pop(item_id, None)
        if item is None:
            return None
        created, seq = self._keys.pop(item_id)
        entry = (created, seq, item_id)
        del self._order[bisect.bisect_left(self._order, entry)]
        self._drop(self._by_client, self._clients.pop(item_id), entry)
        self._index(item, item_id, add=False)
        if self.listener is not None:
            self.listener("delete", item)
        return item

    def page(self, skip: int, take: int, client: str | None = None, *, newest_first: bool = True
             ) -> tuple[int, list[T]]:
        index = self._order if client is None else self._by_client.get(client, [])
        total = len(index)
        if newest_first:
            stop = max(total - skip, 0)
            start = max(stop - take, 0)
            ids = [entry[2] for entry in reversed(index[start:stop])]
        else:
            ids = [entry[2] for entry in index[skip : skip + take]]
        return total, [self._items[i] for i in ids]



COLLECTIONS = ("brains", "characters", "faces", "voices", "knowledge_bases", "documents", "conversations",
               "agents", "avatars", "sessions")


@dataclass
class OrgSettings:
    """Per-organization knobs (seed files and the control plane can set them)."""

    duration_limit: int = 3600
    charge: bool = False
    charge_by_second: float = 1.0
    concurrent_limit: int | None = None
    suspended: bool = False
    reason: str | None = None  # why the organization is suspended (legacy GET /v1/limits)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, attribute) for name, attribute in SETTINGS_JSON.items()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> OrgSettings:
        """Known keys only (seed files reject the others themselves); absent ones keep their defaults.

        Each value must lie in its range (``OrgSettingsBody``), else a pydantic ValidationError (a ValueError):
        a duration of 10**18 seconds once made every later datetime overflow.
        """
        if not isinstance(raw, dict):
            raise TypeError("settings must be an object")
        known = {name: value for name, value in raw.items() if name in SETTINGS_JSON}
        checked = OrgSettingsBody.model_validate(known)
        return cls(**{attribute: getattr(checked, name) for name, attribute in SETTINGS_JSON.items()})


# The settings' names in seed files, state exports and the control plane, and their attributes.
SETTINGS_JSON = {"durationLimit": "duration_limit", "charge": "charge", "chargeBySecond": "charge_by_second",
                 "concurrentLimit": "concurrent_limit", "suspended": "suspended", "reason": "reason"}


class Organization:
    """One tenant: its settings and its collections (all ordered by one sequence)."""

    def __init__(self, org_id: str, name: str, settings: OrgSettings | None = None):
        self.id = org_id
        self.name = name
        self.settings = settings or OrgSettings()
        self.clock: Any = None  # None: the app clock; a Clock when a test scoped time to this org
        self.created_at: Any = None  # a datetime once the runtime creates it (legacy limits' createdAt)
        sequence = itertools.count()
        self.brains: Collection[Any] = Collection(sequence)
        self.characters: Collection[Any] = Collection(sequence, indexed=("livekitIdentity",))
        self.faces: Collection[Any] = Collection(sequence, indexed=("identity",))
        self.voices: Collection[Any] = Collection(sequence, indexed=("identity",))
        self.knowledge_bases: Collection[Any] = Collection(sequence)
        self.documents: Collection[Any] = Collection(sequence, indexed=("knowledgeBaseId",))
        self.conversations: Collection[Any] = Collection(sequence)
        self.agents: Collection[Any] = Collection(sequence)  # legacy v1
        self.avatars: Collection[Any] = Collection(sequence, indexed=("identity",))  # legacy v1
        self.sessions: Collection[Any] = Collection(sequence)  # legacy v1

    def collection(self, name: str) -> Collection[Any]:
        if name not in COLLECTIONS:
            raise KeyError(name)
        return getattr(self, name)


class MemoryStore:
    """Organizations by id and the API keys that select them."""

    def __init__(self) -> None:
        self.organizations: dict[str, Organization] = {}
        self.keys: dict[str, str] = {}
        self.public_keys: dict[str, str] = {}  # legacy session-pass keys -> organization id

    def organization_for_key(self, key: str) -> Organization | None:
        org_id = self.keys.get(key)
        return self.organizations.get(org_id) if org_id is not None else None

    def add_organization(self, org: Organization, keys: list[str]) -> Organization:
        self.organizations[org.id] = org
        for key in keys:
            self.keys[key] = org.id
        return org

    def keys_of(self, org_id: str) -> list[str]:
        return [k for k, v in self.keys.items() if v == org_id]

    def remove_organization(self, org_id: str) -> None:
        self.organizations.pop(org_id, None)
        for key in self.keys_of(org_id):
            del self.keys[key]
        for key in [k for k, v in self.public_keys.items() if v == org_id]:
            del self.public_keys[key]

    def clear(self) -> None:
        self.organizations.clear()
        self.keys.clear()
        self.public_keys.clear()
