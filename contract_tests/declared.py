"""The v3 resources the suite drives, read from the mock's declarations (``mock_server.catalog``).

Only the declarations: paths, list keys, operation ids, references and create models, which
describe the real API as much as the mock. Nothing here starts or asks the mock, so the suite
works the same against a real target.
"""

from __future__ import annotations

import enum
import typing
from typing import Any

from mock_server.catalog import DEFAULT as DECLARED
from mock_server.resource import Resource

# Every listed v3 resource (legacy and unlisted ones left out), in the declarations' order.
V3: tuple[Resource, ...] = tuple(r for r in DECLARED if r.path and not r.legacy and r.served_operation_id("list"))
PATHS = {r.name: r.path for r in V3}
LIST_KEYS = {r.name: r.key for r in V3}
OPS = {r.name: tuple(r.served_operation_id(verb) for verb in ("create", "get", "list", "delete")) for r in V3}
# What the suite makes and deletes itself (a conversation is stopped instead).
MADE = tuple(r for r in V3 if r.served_operation_id("create") and r.served_operation_id("delete"))
# Made with nothing but a body: no reference to another resource.
PLAIN = tuple(r.name for r in MADE if not r.references)
# Every reference field, the resource it names and the reply field a read fills with it.
REFERENCES = {ref.field: ref for r in V3 for ref in r.references}


def _delete_order() -> tuple[str, ...]:
    """Referring resources before what they refer to, so no reference blocks a delete."""
    order: list[str] = []

    def visit(resource: Resource) -> None:
        if resource.name in order:
            return
        for other in MADE:
            if any(ref.target == resource.name for ref in other.references):
                visit(other)
        order.append(resource.name)

    for resource in MADE:
        visit(resource)
    return tuple(order)


DELETE_ORDER = _delete_order()


def required_fields(kind: str) -> list[str]:
    model = DECLARED[kind].create
    assert model is not None
    return [name for name, field in model.model_fields.items() if field.is_required()]


def enum_fields(kind: str) -> dict[str, list[Any]]:
    """Fields of the create body that take one of a set of values, and those values."""
    model = DECLARED[kind].create
    assert model is not None
    found: dict[str, list[Any]] = {}
    for name, field in model.model_fields.items():
        for option in typing.get_args(field.annotation) or (field.annotation,):
            if isinstance(option, type) and issubclass(option, enum.Enum):
                found[name] = [member.value for member in option]
    return found
