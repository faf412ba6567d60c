"""Structural differences between two OpenAPI 3.1 documents (a candidate against a reference).

Both documents are flattened into facts: ``(where, facet) -> value``, e.g.
``("schema EquosBrain.client", "nullable") -> True`` or ``("GET /v3/brains ?take", "type") -> "number"``.
What is compared: operations (path, method, operationId), their parameters (type, required), the request body
(required, schema), each status and its schema per media type, security; and schemas structurally:
properties, required, nullable, type, format, enum, items, refs by component name, closed objects
(``additionalProperties: false``) and constraints (lengths, bounds, pattern, default).
Titles, descriptions, examples, summaries and tags are not compared.

A difference is "added" (only the candidate has it), "missing" (only the reference has it) or
"changed". A whole operation, property or status that one side lacks is one difference, not one
per facet under it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CONSTRAINTS = ("minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
               "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "default", "const")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_REF = "#/components/schemas/"


@dataclass(frozen=True, order=True)
class Difference:
    where: str  # "GET /v3/brains ?take", "schema EquosBrain.client", "POST /v3/brains -> 201"
    facet: str  # "type", "required", ...; "" when the whole thing is added or missing
    change: str  # "added" | "missing" | "changed"
    candidate: Any = None
    reference: Any = None

    @property
    def key(self) -> str:
        """A stable one-line name, matched by the patterns of declared extensions."""
        return f"{self.where}: {self.facet + ' ' if self.facet else ''}{self.change}"

    def __str__(self) -> str:
        if self.change == "changed":
            return f"{self.key} ({_show(self.reference)} -> {_show(self.candidate)})"
        value = self.candidate if self.change == "added" else self.reference
        return self.key if self.facet == "" else f"{self.key} ({_show(value)})"


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=list)


Facts = dict[tuple[str, str], Any]


def _schema(facts: Facts, where: str, schema: Any) -> None:
    """The facts of one schema at ``where``; a location exists when it has the "" facet."""
    facts[(where, "")] = True
    if not isinstance(schema, dict):
        facts[(where, "schema")] = schema  # true/false schemas
        return
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    types = schema.get("type")
    if alternatives is not None:
        rest = [s for s in alternatives if s != {"type": "null"}]
        if len(rest) < len(alternatives):
            facts[(where, "nullable")] = True
        if len(rest) == 1:
            _schema(facts, where, {**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}, **rest[0]})
            return
        facts[(where, "anyOf")] = sorted(json.dumps(s, sort_keys=True) for s in rest)
    if isinstance(types, list):
        if "null" in types:
            facts[(where, "nullable")] = True
        rest_types = [t for t in types if t != "null"]
        types = rest_types[0] if len(rest_types) == 1 else sorted(rest_types)
    if "$ref" in schema:
        facts[(where, "ref")] = schema["$ref"].removeprefix(_REF)
    if types is not None:
        facts[(where, "type")] = types
    if "format" in schema:
        facts[(where, "format")] = schema["format"]
    if "enum" in schema:
        facts[(where, "enum")] = sorted(schema["enum"], key=json.dumps)
    for name in CONSTRAINTS:
        if name in schema:
            facts[(where, name)] = schema[name]
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        _schema(facts, f"{where}.{name}", prop)
        if name in required:
            facts[(f"{where}.{name}", "required")] = True
    extras = schema.get("additionalProperties", True)
    if extras is False:
        facts[(where, "closed")] = True
    elif isinstance(extras, dict) and extras:
        _schema(facts, f"{where}.{{*}}", extras)
    if "items" in schema:
        _schema(facts, f"{where}[]", schema["items"])


def _operation(facts: Facts, where: str, op: dict[str, Any], document: dict[str, Any]) -> None:
    facts[(where, "")] = True
    if "operationId" in op:  # a generated client's method name
        facts[(where, "operationId")] = op["operationId"]
    security = op.get("security", document.get("security", []))
    facts[(where, "security")] = sorted(name for requirement in security for name in requirement)
    for param in op.get("parameters", []):
        at = f"{where} {'?' if param['in'] == 'query' else param['in'] + ':'}{param['name']}"
        _schema(facts, at, param.get("schema", {}))
        if param.get("required"):
            facts[(at, "required")] = True
    body = op.get("requestBody")
    if body is not None:
        for media, content in body.get("content", {}).items():
            _schema(facts, f"{where} body {media}", content.get("schema", {}))
            if body.get("required"):
                facts[(f"{where} body {media}", "required")] = True
    for status, response in op.get("responses", {}).items():
        at = f"{where} -> {status}"
        facts[(at, "")] = True
        for media, content in (response.get("content") or {}).items():
            _schema(facts, f"{at} {media}", content.get("schema", {}))


def facts(document: dict[str, Any]) -> Facts:
    out: Facts = {}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                _operation(out, f"{method.upper()} {path}", item[method], document)
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        _schema(out, f"schema {name}", schema)
    return out


def differences(candidate: dict[str, Any], reference: dict[str, Any]) -> list[Difference]:
    """Everything that differs, from the candidate's point of view ("added": only the candidate has it)."""
    ours, theirs = facts(candidate), facts(reference)
    here = {where for where, facet in ours if facet == ""}
    there = {where for where, facet in theirs if facet == ""}
    lone = (here ^ there)
    # Report a lone location once: skip those under another lone location.
    top = {w for w in lone if not any(w != p and _under(w, p) for p in lone)}
    out: list[Difference] = []
    for where in sorted(top):
        if where in here:
            out.append(Difference(where, "", "added"))
        else:
            out.append(Difference(where, "", "missing"))
    for key in sorted(set(ours) | set(theirs)):
        where, facet = key
        if facet == "" or any(_under(where, p) for p in top):
            continue
        if key not in theirs:
            out.append(Difference(where, facet, "added", candidate=ours[key]))
        elif key not in ours:
            out.append(Difference(where, facet, "missing", reference=theirs[key]))
        elif ours[key] != theirs[key]:
            out.append(Difference(where, facet, "changed", candidate=ours[key], reference=theirs[key]))
    return out


def _under(where: str, parent: str) -> bool:
    """``where`` is ``parent`` itself or inside it (a property, an item, a parameter, a status)."""
    return where == parent or (where.startswith(parent) and where[len(parent)] in ".[ ")
