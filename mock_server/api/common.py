"""List, get and delete operations shared by every resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import MISSING, BaseModel

from ..domain import resources
from ..models.common import ListQuery
from .operation import Call, Operation


def page_args(call: Call) -> tuple[int, int, str | None, bool]:
    q: ListQuery = call.query
    newest_first = call.runtime.assumptions["list_order"] == "newest-first"
    return int(q.skip), int(q.take), None if q.client is MISSING else q.client, newest_first


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


def delete_operation(*, path: str, tag: str, operation_id: str, summary: str, collection: str,
                     response: type[BaseModel]) -> Operation:
    def handler(call: Call) -> Any:
        return resources.delete(call.runtime, call.org, collection, call.params["id"])

    return Operation("DELETE", path + "/{id}", operation_id, summary, tag, handler, response=response,
                     nullable=True)
