"""The OpenAPI 3.1 document of everything served, generated from the pydantic models."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from .api.operation import Operation
from .version import __version__

_REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)}")

ERROR_SCHEMA = {
    "type": "object",
    "description": "NestJS error envelope; message is a list of class-validator messages for a 400.",
    "required": ["statusCode", "message"],
    "properties": {
        "statusCode": {"type": "number"},
        "message": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "error": {"type": "string"},
    },
}


class _Schemas(GenerateJsonSchema):
    """Defaults as the real document has them: none on replies (a default says what a request may leave
    out) and no ``default: null`` (it only restates that the property is optional)."""

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if self.mode == "serialization" or json_schema.get("default", ...) is None:
            json_schema.pop("default", None)
        return json_schema


def _models(operations: Iterable[Operation]) -> list[tuple[type[BaseModel], str]]:
    seen: dict[tuple[type[BaseModel], str], None] = {}
    for op in operations:
        if op.body is not None:
            seen[(op.body, "validation")] = None
        if isinstance(op.response, type) and issubclass(op.response, BaseModel):
            seen[(op.response, "serialization")] = None
    return list(seen)


def _query_parameters(op: Operation) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    schema = op.query.model_json_schema()
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        params.append(param)
    return params


def _operation(op: Operation, refs: dict[tuple[type[BaseModel], str], dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag]}
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in _PATH_PARAM.findall(op.path)]
    params += _query_parameters(op)
    if params:
        out["parameters"] = params
    if op.body is not None:
        # NestJS documents every @Body() as required (the SDK's record says so), though it validates
        # an absent body as {}: the mock does the same (operation.parse_json_body).
        out["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
    if isinstance(op.response, dict):
        schema: dict[str, Any] = op.response
        media = {"application/json": {"schema": schema}, "text/html": {"schema": schema}}
    else:
        schema = refs[(op.response, "serialization")]
        if op.nullable:
            schema = {"anyOf": [schema, {"type": "null"}]}
        media = {"application/json": {"schema": schema}}
    description = "OK" if not op.nullable else "OK; null (an empty body by default) when not found"
    out["responses"] = {
        str(op.status): {"description": description, "content": media},
        "4XX": {"description": "Error", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/ErrorResponse"}}}},
    }
    if op.bearer:
        out["security"] = [{"clientAuth": []}]
    elif op.auth:
        out["security"] = [{"apiKey": []}]
    if op.deprecated:
        out["deprecated"] = True
    return out


def build(operations: Iterable[Operation], *, title: str = "Equos API (equos-mock)") -> dict[str, Any]:
    operations = list(operations)
    models = _models(operations)
    refs, defs = models_json_schema(models, ref_template=_REF, schema_generator=_Schemas)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    schemas = dict(defs.get("$defs", {}))
    schemas["ErrorResponse"] = ERROR_SCHEMA
    schemes: dict[str, Any] = {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}
    if any(op.bearer for op in operations):
        schemes["clientAuth"] = {"type": "http", "scheme": "bearer", "description": "A public (client) key."}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__,
                 "description": "A faithful, stateful fake of the Equos.ai v3 REST API."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": schemes,
        },
    }

