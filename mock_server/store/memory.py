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
from ..resource import Resource
from .undo import UndoLog

T = TypeVar("T", bound=BaseModel)
_Key = tuple[int, int]


def _insort(index: list[Any], entry: Any) -> None:
    """``bisect.insort``, with the usual case first: a new record sorts last (created now, the next
    sequence), and appending costs nothing where inserting moves the whole list (a busy collection's
    tens of thousands of entries, on every create)."""
    if not index or entry > index[-1]:
        index.append(entry)
    else:
        bisect.insort(index, entry)


PAGES_KEPT = 8  # list replies kept per collection (the last pages read, made again once anything changed)


class Collection(Generic[T]):
    def __init__(self, sequence: Iterator[int], indexed: tuple[str, ...] = (), undo: UndoLog | None = None,
                 changes: list[int] | None = None):
        self._sequence = sequence
        self._undo = undo  # the store's: a change made by a request that fails is undone
        # The organization's change count, shared by its collections (one cell): a read that embeds other
        # records is current while no collection of its organization changed.
        self._changes = changes if changes is not None else [0]
        self._pages: dict[Any, tuple[int, Any]] | None = None  # key -> (change count then, the reply)
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
        # id -> (the version last encoded, its encoding): records are immutable, so the object is the
        # version, and a newer one (or a delete) leaves the old encoding behind. Made on the first read
        # (organizations are many, and most collections are never read).
        self._encoded: dict[str, tuple[T, Any]] | None = None

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def get(self, item_id: str) -> T | None:
        return self._items.get(item_id)

    def values(self) -> list[T]:
        return list(self._items.values())

    def encoded(self, item: T, encode: Callable[[T], Any]) -> Any:
        """``encode(item)``, made once per version: kept while ``item`` is the stored version of its id."""
        item_id: str = item.id  # type: ignore[attr-defined]
        if self._encoded is None:
            self._encoded = {}
        hit = self._encoded.get(item_id)
        if hit is not None and hit[0] is item:
            return hit[1]
        value = encode(item)
        if self._items.get(item_id) is item:
            self._encoded[item_id] = (item, value)
        return value

    @property
    def changes(self) -> int:
        """How many changes the organization's collections have seen (any of them)."""
        return self._changes[0]

    def page_reply(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()``, kept under ``key`` until the organization changes: a list reply depends on this
        collection's order and records and on the records they embed, all in the same organization, and
        on nothing else (a read never changes the store). Invalidated by the change count, never by time."""
        version = self._changes[0]
        if self._pages is None:
            self._pages = {}
        hit = self._pages.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = make()
        if self._changes[0] == version:
            if len(self._pages) >= PAGES_KEPT and key not in self._pages:
                del self._pages[next(iter(self._pages))]  # the oldest kept
            self._pages[key] = (version, value)
        return value

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
        _insort(self._order, entry)
        _insort(self._by_client.setdefault(client, []), entry)
        self._index(item, item_id, add=True)
        self._changes[0] += 1
        if self._undo is not None:
            self._undo.record(lambda: self.remove(item_id))
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
        old = self._items[item_id]
        if self._by_field:
            self._index(old, item_id, add=False)
            self._index(item, item_id, add=True)
        self._items[item_id] = item
        if self._encoded:
            self._encoded.pop(item_id, None)
        self._changes[0] += 1
        if self._undo is not None:
            self._undo.record(lambda: self.replace(old))
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
        if self._encoded:
            self._encoded.pop(item_id, None)
        created, seq = self._keys.pop(item_id)
        entry = (created, seq, item_id)
        del self._order[bisect.bisect_left(self._order, entry)]
        self._drop(self._by_client, self._clients.pop(item_id), entry)
        self._index(item, item_id, add=False)
        self._changes[0] += 1
        if self._undo is not None:
            self._undo.record(lambda: self._put_back(item, (created, seq)))
        if self.listener is not None:
            self.listener("delete", item)
        return item

    def _put_back(self, item: T, key: _Key) -> None:
        """Undo a removal: the item returns to its place (order, sequence, indexes)."""
        item_id: str = item.id  # type: ignore[attr-defined]
        entry = (*key, item_id)
        client = getattr(item, "client", None)
        self._items[item_id] = item
        self._keys[item_id] = key
        self._clients[item_id] = client
        bisect.insort(self._order, entry)
        bisect.insort(self._by_client.setdefault(client, []), entry)
        self._index(item, item_id, add=True)
        # Insertion order too (``values()``), as if it had never left.
        self._items = {i: self._items[i] for i in sorted(self._items, key=lambda i: self._keys[i][1])}
        self._changes[0] += 1
        if self.listener is not None:
            self.listener("put", item)

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

    def page_where(self, where: dict[str, Any], skip: int, take: int, *, newest_first: bool = True
                   ) -> tuple[int, list[T]]:
        """A page of the items whose fields equal ``where``; its first field must be indexed."""
        first, value = next(iter(where.items()))
        entries = sorted((*self._keys[i], i) for i in self._by_field[first].get(value, ()))
        items = [self._items[entry[2]] for entry in entries]
        items = [x for x in items if all(getattr(x, f, None) == v for f, v in where.items())]
        if newest_first:
            items.reverse()
        return len(items), items[skip : skip + take]


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
    """One tenant: its settings and one collection per declared resource (all ordered by one sequence)."""

    def __init__(self, org_id: str, name: str, settings: OrgSettings | None = None,
                 resources: tuple[Resource, ...] = (), undo: UndoLog | None = None):
        self.id = org_id
        self.name = name
        self.settings = settings or OrgSettings()
        self.clock: Any = None  # None: the app clock; a Clock when a test scoped time to this org
        self.created_at: Any = None  # a datetime once the runtime creates it (legacy limits' createdAt)
        self.pinned = False  # from --api-key or a seed file: never evicted for being idle
        self.position = 0  # the store's insertion sequence: the order organizations are listed in
        self.resources = resources  # the app's declarations (shared, not copied: organizations are many)
        self._sequence = itertools.count()  # one order across the organization's collections
        self._changes = [0]  # changes to any of its collections (``Collection.page_reply``)
        self._undo = undo
        for resource in resources:
            if resource.name in vars(self):
                raise ValueError(f"resource name {resource.name!r} clashes with an organization attribute")

    # An attribute per collection (org.brains), as domain rules read them, made on first use: a test's
    # organization uses two or three of its ten, and making them all was a third of creating it.
    def __getattr__(self, name: str) -> Collection[Any]:  # only for an attribute not set yet
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._made(name)
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def _made(self, name: str) -> Collection[Any]:
        for resource in self.resources:
            if resource.name == name:
                made: Collection[Any] = Collection(self._sequence, indexed=resource.index_fields, undo=self._undo,
                                                   changes=self._changes)
                setattr(self, name, made)
                return made
        raise KeyError(name)

    @property
    def collections(self) -> dict[str, Collection[Any]]:
        """Every collection by name, in the declarations' order."""
        return {r.name: self.collection(r.name) for r in self.resources}

    def collection(self, name: str) -> Collection[Any]:
        found = vars(self).get(name)
        if found is None:
            return self._made(name)  # KeyError: not a declared resource
        if not isinstance(found, Collection):  # another attribute
            raise KeyError(name)
        return found


# What the store tells its listener (persistence): ("org", id) added, replaced or removed;
# ("key", key) / ("public_key", key) mapped or unmapped; ("touch", id) used, so its settings or
# clock may have changed; ("clear", None) everything went.
StoreListener = Callable[[str, str | None], None]


class MemoryStore:
    """Organizations by id and the API keys that select them.

    Every lookup is a dict access: keys and public keys are indexed both ways (key -> organization,
    organization -> keys), and the listing order is a sorted list, so nothing here scans all
    organizations or all keys. ``keys`` and ``public_keys`` are for reading; change them through
    the methods, which keep the indexes and tell the listener.
    """

    def __init__(self) -> None:
        self.organizations: dict[str, Organization] = {}
        self.keys: dict[str, str] = {}
        self.public_keys: dict[str, str] = {}  # legacy session-pass keys -> organization id
        self._keys_by_org: dict[str, dict[str, None]] = {}
        self._public_by_org: dict[str, dict[str, None]] = {}
        self._order: list[tuple[int, str]] = []  # (position, id), sorted: pages by cursor
        self._positions = itertools.count(1)
        # Organizations that started a conversation: the all-organizations running list reads these only.
        self.conversation_holders: dict[str, None] = {}
        self.listener: StoreListener | None = None
        self.undo = UndoLog()  # a request's changes, undone if it fails (``undo.py``)

    def _tell(self, what: str, subject: str | None) -> None:
        if self.listener is not None:
            self.listener(what, subject)

    # --- lookups ----------------------------------------------------------------
    def organization_for_key(self, key: str) -> Organization | None:
        org_id = self.keys.get(key)
        return self.organizations.get(org_id) if org_id is not None else None

    def keys_of(self, org_id: str) -> list[str]:
        return list(self._keys_by_org.get(org_id, ()))

    def public_keys_of(self, org_id: str) -> list[str]:
        return list(self._public_by_org.get(org_id, ()))

    def touch(self, org: Organization) -> None:
        self.undo.keep_attributes(org)
        self._tell("touch", org.id)

    def page(self, after: int, limit: int) -> tuple[list[Organization], int | None]:
        """Up to ``limit`` organizations in creation order, those listed after position ``after``
        (0: from the start); and the cursor of the next page (None on the last). A cursor stays
        valid when its organization is deleted."""
        start = bisect.bisect_right(self._order, (after, "\U0010ffff"))
        window = self._order[start:start + limit]
        more = start + limit < len(self._order)
        return [self.organizations[i] for _, i in window], (window[-1][0] if more and window else None)

    # --- changes ----------------------------------------------------------------
    def add_organization(self, org: Organization, keys: list[str]) -> Organization:
        if org.id in self.organizations:
            raise KeyError(f"duplicate organization {org.id}")
        org.position = next(self._positions)
        self.organizations[org.id] = org
        self._order.append((org.position, org.id))
        self.undo.record(lambda: self.remove_organization(org.id))
        self._tell("org", org.id)
        for key in keys:
            self.add_key(org.id, key)
        return org

    def replace_organization(self, org: Organization) -> None:
        """Put a fresh ``org`` in the place of the one with its id (keys and listing position kept)."""
        old = self.organizations[org.id]
        org.position = old.position
        self.organizations[org.id] = org
        held = self.conversation_holders.pop(org.id, 0) is None
        self.undo.record(lambda: self._put_back(old, held))
        self._tell("org", org.id)

    def _put_back(self, org: Organization, held: bool, keys: dict[str, None] | None = None,
                  public: dict[str, None] | None = None) -> None:
        """Undo a replacement or a removal: ``org`` in its place again, with its keys and public keys."""
        removed = org.id not in self.organizations
        self.organizations[org.id] = org
        if removed:
            bisect.insort(self._order, (org.position, org.id))
            # The listing order of ``organizations`` too, as if it had never left.
            ordered = {i: self.organizations[i] for _, i in self._order}
            self.organizations.clear()
            self.organizations.update(ordered)
        if held:
            self.conversation_holders[org.id] = None
        self._tell("org", org.id)
        for mapping, by_org, given, what in ((self.keys, self._keys_by_org, keys, "key"),
                                             (self.public_keys, self._public_by_org, public, "public_key")):
            if given:
                by_org[org.id] = dict(given)
                for key in given:
                    mapping[key] = org.id
                    self._tell(what, key)

    def add_key(self, org_id: str, key: str) -> None:
        previous = self.keys.get(key)
        if previous == org_id:
            return
        if previous is not None:
            held = dict(self._keys_by_org[previous])
            self._keys_by_org[previous].pop(key, None)
        self.keys[key] = org_id
        self._keys_by_org.setdefault(org_id, {})[key] = None
        self.undo.record(lambda: self._unmap(self.keys, self._keys_by_org, org_id, key, previous,
                                             held if previous is not None else None, "key"))
        self._tell("key", key)

    def _unmap(self, mapping: dict[str, str], by_org: dict[str, dict[str, None]], org_id: str, key: str,
               previous: str | None, previous_keys: dict[str, None] | None, what: str) -> None:
        """Undo mapping ``key`` to ``org_id``: it maps to ``previous`` again (with its keys in their order)."""
        mine = by_org.get(org_id)
        if mine is not None:
            mine.pop(key, None)
            if not mine:
                del by_org[org_id]
        if previous is None:
            mapping.pop(key, None)
        else:
            mapping[key] = previous
            by_org[previous] = dict(previous_keys or {})
        self._tell(what, key)

    def set_public_key(self, org_id: str, key: str) -> None:
        previous = self.public_keys.get(key)
        if previous == org_id:
            return
        held = dict(self._public_by_org.get(previous, {})) if previous is not None else None
        if previous is not None:
            self._public_by_org[previous].pop(key, None)
        self.public_keys[key] = org_id
        self._public_by_org.setdefault(org_id, {})[key] = None
        self.undo.record(lambda: self._unmap(self.public_keys, self._public_by_org, org_id, key, previous,
                                             held, "public_key"))
        self._tell("public_key", key)

    def remove_public_keys(self, org_id: str) -> None:
        removed = self._public_by_org.pop(org_id, {})
        for key in removed:
            del self.public_keys[key]
            self._tell("public_key", key)
        if removed:
            self.undo.record(lambda: self._map_back(self.public_keys, self._public_by_org, org_id, removed,
                                                    "public_key"))

    def _map_back(self, mapping: dict[str, str], by_org: dict[str, dict[str, None]], org_id: str,
                  keys: dict[str, None], what: str) -> None:
        by_org[org_id] = dict(keys)
        for key in keys:
            mapping[key] = org_id
            self._tell(what, key)

    def remove_organization(self, org_id: str) -> Organization | None:
        org = self.organizations.pop(org_id, None)
        if org is None:
            return None
        del self._order[bisect.bisect_left(self._order, (org.position, org_id))]
        keys = self._keys_by_org.pop(org_id, {})
        for key in keys:
            del self.keys[key]
            self._tell("key", key)
        public = self._public_by_org.pop(org_id, {})
        for key in public:
            del self.public_keys[key]
            self._tell("public_key", key)
        held = self.conversation_holders.pop(org_id, 0) is None
        self.undo.record(lambda: self._put_back(org, held, keys, public))
        self._tell("org", org_id)
        return org

    def clear(self) -> None:
        if self.undo.active:
            self.undo.record(self._restorer())
        self.organizations.clear()
        self.keys.clear()
        self.public_keys.clear()
        self._keys_by_org.clear()
        self._public_by_org.clear()
        self._order.clear()
        self.conversation_holders.clear()
        self._tell("clear", None)

    def _restorer(self) -> Callable[[], None]:
        """Undo a clear: everything as it was (a clear already costs what the store holds)."""
        organizations, keys, public_keys = dict(self.organizations), dict(self.keys), dict(self.public_keys)
        keys_by_org = {o: dict(k) for o, k in self._keys_by_org.items()}
        public_by_org = {o: dict(k) for o, k in self._public_by_org.items()}
        order, holders = list(self._order), dict(self.conversation_holders)

        def restore() -> None:
            self.organizations.clear()
            self.organizations.update(organizations)
            self.keys.clear()
            self.keys.update(keys)
            self.public_keys.clear()
            self.public_keys.update(public_keys)
            self._keys_by_org.clear()
            self._keys_by_org.update(keys_by_org)
            self._public_by_org.clear()
            self._public_by_org.update(public_by_org)
            self._order[:] = order
            self.conversation_holders.clear()
            self.conversation_holders.update(holders)
            self._tell("clear", None)
        return restore
