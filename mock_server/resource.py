"""The declaration of a resource: one ``Resource`` says everything the rest of the mock derives.

A ``Catalog`` (an immutable tuple of declarations) is what an app is created with; the store's
collections, state export and import, seed loading, ids, the control plane's counts, the route
table, the OpenAPI document and the contract suite's resource lists all read it. This module
imports nothing of the mock, so anything may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel

OnDelete = Literal["clear", "cascade", "refuse"]
VERBS = ("list", "get", "create", "update", "delete")


@dataclass(frozen=True)
class Reference:
    """A field holding the id of another resource's item, and what deleting that item does to it.

    ``clear`` sets the field to null, ``cascade`` deletes the referring item too, ``refuse``
    answers 409 while any item still refers. ``populate`` names the reply field a read fills with
    the target item; ``parent`` marks a sub-resource (its seed entries sit inside the target's).
    """

    field: str
    target: str
    on_delete: OnDelete = "clear"
    populate: str | None = None
    parent: bool = False


@dataclass(frozen=True)
class Resource:
    """One resource of the API, declared once.

    ``name`` is its collection (and, unless said otherwise, its seed key); ``singular`` gives the id
    kind, the messages, the OpenAPI tag and the default operation ids and summaries. With ``path``
    and a ``verbs`` subset of list/get/create/update/delete, those operations are generated; a
    resource with unusual rules adds ``operations`` of its own and ``check_rule``/``create_rule``/
    ``update_rule``/``delete_rule``/``shape`` from its domain module.
    """

    name: str
    singular: str
    model: type[BaseModel]  # the stored record, and the reply of get/create/update/delete
    path: str | None = None
    create: type[BaseModel] | None = None
    update: type[BaseModel] | None = None
    update_method: str = "PATCH"
    update_nullable: bool = True  # an unknown id on update: the null reply, or a 404
    list_response: type[BaseModel] | None = None
    list_key: str | None = None  # the list reply's items key (default: the name)
    verbs: tuple[str, ...] = VERBS
    id_prefix: str | None = None  # for the ``prefixed`` id style (default: the kind's first letters)
    filters: tuple[str, ...] = ()  # record fields a list filters on, by a query parameter of the same name
    references: tuple[Reference, ...] = ()
    unique: tuple[str, ...] = ()  # one live item per value and organization (409 otherwise)
    indexed: tuple[str, ...] = ()  # looked up by value (uniques and filters are indexed anyway)
    seed_key: str | None = None  # None: the name; "" : not in seed files
    sdk_group: str | None = None  # the attribute on equos.EquosClient
    title: str | None = None  # in summaries (default "Equos " + the singular, capitalised)
    summaries: tuple[tuple[str, str], ...] = ()  # (verb, summary) where the default will not do
    # (verb, operationId) where the default will not do; also names a verb served by its own operations.
    operation_ids: tuple[tuple[str, str], ...] = ()
    operations: tuple[Any, ...] = ()  # the resource's own operations, after the generated ones
    create_rule: Callable[..., Any] | None = None  # (runtime, org, body) -> item, or (runtime, org, parent, body)
    update_rule: Callable[..., Any] | None = None  # (runtime, org, id, body) -> item or None
    check_rule: Callable[..., Any] | None = None  # (runtime, org, values, id or None): raises to refuse a write
    delete_rule: Callable[..., Any] | None = None  # (runtime, org, item) -> None: checks before the delete
    shape: Callable[..., Any] | None = None  # (org, item) -> the item as a read shows it
    legacy: bool = False  # part of the legacy v1 API

    @property
    def kind(self) -> str:
        return self.singular.replace(" ", "_")

    @property
    def tag(self) -> str:
        return self.singular.replace(" ", "-")

    @property
    def key(self) -> str:
        return self.list_key or self.name

    @property
    def seed(self) -> str | None:
        return None if self.seed_key == "" else (self.seed_key or self.name)

    @cached_property
    def fields(self) -> frozenset[str]:
        """The record model's field names (pydantic's ``model_fields`` is rebuilt on every access)."""
        return frozenset(self.model.model_fields)

    @cached_property
    def populated(self) -> tuple[Reference, ...]:
        """The references a read fills in."""
        return tuple(ref for ref in self.references if ref.populate)

    def served_operation_id(self, verb: str) -> str | None:
        """The operationId that serves ``verb`` (generated, or named for one of its own operations), or None."""
        if self.path is None or not (verb in self.verbs or dict(self.operation_ids).get(verb)):
            return None
        return self.operation_id(verb)

    @property
    def parent(self) -> Reference | None:
        return next((ref for ref in self.references if ref.parent), None)

    @cached_property
    def index_fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.unique, *self.filters, *self.indexed,
                                    *(ref.field for ref in self.references if ref.parent))))

    def operation_id(self, verb: str) -> str:
        given = dict(self.operation_ids).get(verb)
        if given:
            return given
        camel = "".join(word.capitalize() for word in self.singular.split())
        return f"list{camel}s" if verb == "list" else f"{verb}{camel}"

    def summary(self, verb: str) -> str:
        given = dict(self.summaries).get(verb)
        if given:
            return given
        title = self.title or "Equos " + self.singular.title()
        return {"list": f"List {title}s.", "get": f"Get {title} by ID.", "create": f"Create a new {title}.",
                "update": f"Update an {title} (full body).", "delete": f"Delete an {title}."}[verb]


@dataclass(frozen=True)
class Catalog:
    """The resources an app serves, in order (the order of export, counts and the route table)."""

    resources: tuple[Resource, ...]
    _by_name: dict[str, Resource] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {r.name: r for r in self.resources}
        if len(by_name) != len(self.resources):
            raise ValueError("two resources share a name")
        for resource in self.resources:
            for ref in resource.references:
                if ref.target not in by_name:
                    raise ValueError(f"{resource.name}.{ref.field} refers to unknown resource {ref.target!r}")
        object.__setattr__(self, "_by_name", by_name)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Resource:
        return self._by_name[name]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.resources)

    def with_(self, *resources: Resource) -> Catalog:
        """This catalog and more resources (a new catalog; this one stays as it was)."""
        return Catalog((*self.resources, *resources))

    def referring_to(self, name: str) -> tuple[tuple[Resource, Reference], ...]:
        """Every (resource, reference) that points at ``name``."""
        return tuple((r, ref) for r in self.resources for ref in r.references if ref.target == name)

    def seed_order(self) -> tuple[Resource, ...]:
        """Top-level seeded resources, each after the ones it refers to (in the order it names them)."""
        done: dict[str, Resource] = {}

        def visit(resource: Resource, path: tuple[str, ...]) -> None:
            if resource.name in done or resource.name in path:
                return
            for ref in resource.references:
                visit(self[ref.target], (*path, resource.name))
            done[resource.name] = resource

        # Resources with references first: their targets then follow the order the references name.
        for resource in sorted(self.resources, key=lambda r: not r.references):
            visit(resource, ())
        return tuple(r for r in done.values() if r.seed and r.parent is None
                     and (r.create is not None or r.create_rule is not None))

    def children(self, name: str) -> tuple[Resource, ...]:
        """Sub-resources of ``name`` (their seed entries sit inside its entries)."""
        return tuple(r for r in self.resources if r.parent is not None and r.parent.target == name)
