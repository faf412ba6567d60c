"""The operations every declared resource gets: list, get, create, update and delete.

Each is generated from the resource's declaration (path, models, verbs, filters, ids and
summaries); a resource's own operations follow its generated ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import MISSING, BaseModel, Field, create_model

from .. import errors
from ..domain import resources
from ..models.common import ListQuery
from ..resource import Catalog, Resource
from . import encoded
from .operation import Call, Operation


def page_args(call: Call) -> tuple[int, int, str | None, bool]:
    q: ListQuery = call.query
    newest_first = call.runtime.assumptions["list_order"] == "newest-first"
    return int(q.skip), int(q.take), None if q.client is MISSING else q.client, newest_first


def list_query(resource: Resource) -> type[BaseModel]:
    """``take``/``skip``/``client``, and one parameter per declared filter."""
    if not resource.filters:
        return ListQuery
    camel = "".join(word.capitalize() for word in resource.singular.split())
    fields: dict[str, Any] = {name: (str | MISSING, Field(MISSING, description=f"Only items with exactly this {name}."))
                              for name in resource.filters}
    return create_model(f"List{camel}sQuery", __base__=ListQuery, **fields)


def _list(resource: Resource) -> Callable[[Call], BaseModel]:
    response, key = resource.list_response, resource.key
    assert response is not None, f"{resource.name}: a list needs list_response"
    encoded.items_last(response, key)

    def handler(call: Call) -> BaseModel:
        skip, take, client, newest_first = page_args(call)
        collection = call.org.collection(resource.name)
        where = {name: getattr(call.query, name) for name in resource.filters
                 if getattr(call.query, name) is not MISSING}

        def made() -> bytes:
            if where:
                if client is not None:
                    where["client"] = client
                total, items = collection.page_where(where, skip, take, newest_first=newest_first)
            else:
                total, items = collection.page(skip, take, client, newest_first=newest_first)
            # A join of each record's bytes, made once per version (api/encoded.py).
            return encoded.page_json(response(skip=skip, take=take, total=total, **{key: []}), key,
                                     encoded.records_json(call.runtime, call.org, resource, items))

        # The same page again, while nothing in the organization changed: the same bytes.
        return collection.page_reply((skip, take, client, newest_first, *where.items()), made)

    return handler


def _get(resource: Resource) -> Callable[[Call], Any]:
    def handler(call: Call) -> Any:
        item = call.org.collection(resource.name).get(call.params["id"])
        return encoded.record_json(call.runtime, call.org, resource, item) if item is not None else None

    return handler


def _as_stored(call: Call, resource: Resource, result: Any) -> Any:
    """A written record's reply from the stored version's bytes (made now, and reused by the reads)."""
    if not isinstance(result, resource.model):
        return result
    stored = call.org.collection(resource.name).get(result.id)  # type: ignore[attr-defined]
    return encoded.record_json(call.runtime, call.org, resource, stored) if stored is not None else result


def _create(resource: Resource) -> Callable[[Call], Any]:
    return lambda call: _as_stored(call, resource, resources.create(call.runtime, call.org, resource, call.body))


def _update(resource: Resource) -> Callable[[Call], Any]:
    def handler(call: Call) -> Any:
        updated = resources.update(call.runtime, call.org, resource, call.params["id"], call.body)
        if updated is None and not resource.update_nullable:
            raise errors.not_found(f"{resource.singular} {call.params['id']} not found")
        return _as_stored(call, resource, updated)

    return handler


def _delete(resource: Resource) -> Callable[[Call], Any]:
    return lambda call: resources.delete(call.runtime, call.org, resource.name, call.params["id"])


def operations(resource: Resource) -> tuple[Operation, ...]:
    """The resource's generated operations (in list, get, create, update, delete order), then its own."""
    path = resource.path
    generated: list[Operation] = []
    if path is not None:
        def op(verb: str, method: str, suffix: str, handler: Callable[[Call], Any], **kw: Any) -> Operation:
            return Operation(method, path + suffix, resource.operation_id(verb), resource.summary(verb),
                             resource.tag, handler, **kw)

        made = {
            "list": lambda: op("list", "GET", "", _list(resource), query=list_query(resource),
                               response=resource.list_response),
            "get": lambda: op("get", "GET", "/{id}", _get(resource), response=resource.model, nullable=True),
            "create": lambda: op("create", "POST", "", _create(resource), status=201, body=resource.create,
                                 response=resource.model),
            "update": lambda: op("update", resource.update_method, "/{id}", _update(resource),
                                 body=resource.update or resource.create, response=resource.model,
                                 nullable=resource.update_nullable),
            "delete": lambda: op("delete", "DELETE", "/{id}", _delete(resource), response=resource.model,
                                 nullable=True),
        }
        generated = [made[verb]() for verb in ("list", "get", "create", "update", "delete")
                     if verb in resource.verbs]
    return (*generated, *resource.operations)


def catalog_operations(catalog: Catalog, *, legacy: bool = False) -> tuple[Operation, ...]:
    """Every operation of the catalog's current (or, with ``legacy``, legacy) resources, in catalog order."""
    return tuple(op for resource in catalog if resource.legacy == legacy for op in operations(resource))


# --- for the legacy v1 modules, whose operations are written out by hand -------------------------
def list_operation(*, path: str, tag: str, operation_id: str, summary: str, collection: str, key: str,
                   response: type[BaseModel], shape: Callable[[Call, Any], Any] | None = None) -> Operation:
    def handler(call: Call) -> BaseModel:
        skip, take, client, newest_first = page_args(call)
        total, items = call.org.collection(collection).page(skip, take, client, newest_first=newest_first)
        if shape is not None:
            items = [shape(call, item) for item in items]
        return response(skip=skip, take=take, total=total, **{key: items})

    return Operation("GET", path, operation_id, summary, tag, handler, query=ListQuery, response=response)


def get_operation(*, path: str, tag: str, operation_id: str, summary: str, collection: str,
                  response: type[BaseModel], shape: Callable[[Call, Any], Any] | None = None) -> Operation:
    def handler(call: Call) -> Any:
        item = call.org.collection(collection).get(call.params["id"])
        return shape(call, item) if item is not None and shape is not None else item

    return Operation("GET", path + "/{id}", operation_id, summary, tag, handler, response=response,
                     nullable=True)
