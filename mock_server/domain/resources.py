"""Any declared resource: create, update, delete and read, by the rules its declaration states.

References must name an existing item; unique fields conflict (409); deleting an item clears,
cascades to or is refused by what refers to it; a read fills the ``populate`` fields. A resource
with rules of its own (characters, knowledge bases) adds them through its declaration's hooks.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..resource import Reference, Resource
from ..runtime import Runtime
from ..store import Organization

# Fields the mock sets on every record it creates, where the record's model has them.
_STAMPS = ("id", "organizationId", "createdAt", "updatedAt")


def check_references(rt: Runtime, org: Organization, resource: Resource, values: dict[str, Any]) -> None:
    """404 when a reference names no item of this organization (all of them in one message)."""
    missing = [
        f"{rt.resources[ref.target].singular} {values[ref.field]} not found in this organization"
        for ref in resource.references
        if values.get(ref.field) is not None and values[ref.field] not in org.collection(ref.target)
    ]
    if missing:
        raise errors.not_found("; ".join(missing))


def conflicting_identity(collection: Any, identity: str, except_id: str | None = None) -> Any:
    """The first other item holding ``identity`` (the collection indexes that field), or None."""
    return conflicting(collection, "identity", identity, except_id)


def conflicting(collection: Any, field: str, value: Any, except_id: str | None = None) -> Any:
    return next((x for x in collection.matching(field, value) if x.id != except_id), None)


def check_unique(org: Organization, resource: Resource, values: dict[str, Any], except_id: str | None = None
                 ) -> None:
    collection = org.collection(resource.name)
    for field in resource.unique:
        value = values.get(field)
        if value is None:
            continue
        if (other := conflicting(collection, field, value, except_id)) is not None:
            shown = getattr(value, "value", value)  # an enum shows its value
            raise errors.conflict(
                f'A {resource.singular} with {field} "{shown}" already exists for this organization ({other.id}).'
            )


def create(rt: Runtime, org: Organization, resource: Resource, body: Any) -> Any:
    """The stored record (its read, populated and shaped, is the API layer's to encode: api/encoded.py)."""
    if resource.create_rule is not None:
        return resource.create_rule(rt, org, body)
    values = body.model_dump()
    check_references(rt, org, resource, values)
    check_unique(org, resource, values)
    if resource.check_rule is not None:
        resource.check_rule(rt, org, values, None)
    now = rt.now(org)
    stamps = dict(zip(_STAMPS, (rt.new_id(resource.kind), org.id, now, now), strict=True))
    fields = resource.fields
    # model_validate of a dict: the same validation as keyword arguments, in half the time. The stamps
    # last: the server's own, whatever a create body holds.
    item = resource.model.model_validate({**values, **{k: v for k, v in stamps.items() if k in fields}})
    org.collection(resource.name).add(item)
    return item


def update(rt: Runtime, org: Organization, resource: Resource, item_id: str, body: Any) -> Any:
    """Only the fields sent change (an explicit null clears a reference); the stored record, or None for
    an unknown id."""
    if resource.update_rule is not None:
        return resource.update_rule(rt, org, item_id, body)
    collection = org.collection(resource.name)
    item = collection.get(item_id)
    if item is None:
        return None
    changes = body.model_dump(exclude_unset=True)
    if resource.check_rule is not None:
        resource.check_rule(rt, org, changes, item_id)
    check_references(rt, org, resource, changes)
    check_unique(org, resource, changes, item_id)
    if "updatedAt" in resource.fields:
        changes["updatedAt"] = rt.now(org)
    # Validated, not copied: a request's enum becomes the reply's (same values, the SDK's own names).
    return collection.replace(resource.model.model_validate({**dict(item), **changes}))


def _holders(org: Organization, source: Resource, ref: Reference, item_id: str) -> list[Any]:
    collection = org.collection(source.name)
    if ref.field in source.index_fields:
        return collection.matching(ref.field, item_id)
    return [x for x in collection.values() if getattr(x, ref.field, None) == item_id]


def delete(rt: Runtime, org: Organization, name: str, item_id: str) -> Any:
    """Soft delete as the API describes it: the item vanishes and what refers to it follows its rule.

    Returns the item as it was (shaped, e.g. a knowledge base with its documents), or None.
    """
    resource = rt.resources[name]
    collection = org.collection(name)
    item = collection.get(item_id)
    if item is None:
        return None
    referring = rt.resources.referring_to(name)
    for source, ref in referring:  # refusals first, so a refused delete changes nothing
        if ref.on_delete == "refuse" and (holders := _holders(org, source, ref, item_id)):
            raise errors.conflict(f"{resource.singular} {item_id} is still referred to by "
                                  f"{source.singular} {holders[0].id} ({ref.field}).")
    if resource.delete_rule is not None:
        resource.delete_rule(rt, org, item)
    result = resource.shape(org, item) if resource.shape is not None else item
    collection.remove(item_id)
    now = None
    for source, ref in referring:
        for holder in _holders(org, source, ref, item_id):
            if ref.on_delete == "cascade":
                delete(rt, org, source.name, holder.id)
            elif ref.on_delete == "clear":
                now = now or rt.now(org)
                changes: dict[str, Any] = {ref.field: None}
                if "updatedAt" in source.fields:
                    changes["updatedAt"] = now
                org.collection(source.name).replace(holder.model_copy(update=changes))
    return result


def shaped(org: Organization, resource: Resource, item: Any) -> Any:
    return resource.shape(org, item) if resource.shape is not None else item


def read(rt: Runtime, org: Organization, resource: Resource, item: Any) -> Any:
    """The item as a read returns it: shaped by its own rule, its ``populate`` references filled in."""
    item = shaped(org, resource, item)
    if not resource.populated:
        return item
    update: dict[str, Any] = {}
    for ref in resource.populated:
        target_id = getattr(item, ref.field)
        target = org.collection(ref.target).get(target_id) if target_id else None
        update[ref.populate] = shaped(org, rt.resources[ref.target], target) if target is not None else None
    return item.model_copy(update=update)  # type: ignore[union-attr]
