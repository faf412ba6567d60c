"""Spec drift: what changed between two OpenAPI documents, and whether it breaks a client.

Pure functions over two parsed documents (dicts); no I/O, no pytest. ``drift_cli`` loads the
documents and prints. The question answered is: would a client written against ``baseline`` (the
record of the official SDK, or the mock) break against ``published`` (a saved ``/docs/v3-json``)?

How documents are compared:
- Operations are matched by method and path, with path parameter names ignored (``{id}`` equals
  ``{faceId}``); path parameters are compared by position.
- ``$ref`` is resolved before comparing, so a renamed component whose structure is equal is no
  drift. Each operation is flattened to facts per field: ``items[].documents[].status`` has a type,
  a format, nullable, an enum and whether it is required in its parent.
- Compared: parameters, the request body, the status codes, and the JSON response schema of each
  status. Not compared: descriptions, titles, defaults, examples, length and range limits,
  ``additionalProperties``, media types other than the JSON one, security.

A change is breaking when such a client can fail:
- an operation removed (unless the baseline had marked it deprecated), a success status removed;
- request side: a new required parameter or field, one removed, optional became required,
  nullable became non-null, a narrower type (``number`` -> ``integer``), an enum value removed;
- response side: a required field removed, required became optional, non-null became nullable,
  a wider or other type, an enum value added (the generated SDKs parse enums strictly);
- any other type or format change, and any change among the alternatives of a ``oneOf``/``anyOf``.
Everything else (added operations and optional fields, widened requests, error statuses, ...) is
additive: printed, exit code 0. Error statuses and removed deprecated operations are "quiet": counted
in one line rather than listed. Against the mock, the mock's own differences from the record are
declared extensions (``beyond``): quiet and never breaking; only other differences are news.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PATH_PARAM = re.compile(r"{[^}]*}")
_WIDER = ("integer", "number")  # every integer is a number


@dataclass(frozen=True)
class Change:
    operation: str       # "GET /v3/brains"
    section: str         # "operation", "status", "request body", "query take", "path #1", "response 200"
    field: str           # "items[].name"; "" for the section itself
    change: str          # added, removed, type, format, required, nullable, enum, alternatives, deprecated
    before: str
    after: str
    breaking: bool
    quiet: bool = False  # a kind the mock has on purpose: counted, listed only on request
    declared: bool = False  # also a difference of the mock from the record, which the mock declares

    def key(self) -> tuple[str, str, str, str]:
        return self.operation, self.section, self.field, self.change


# ---------------------------------------------------------------------------------------- flattening

@dataclass(frozen=True)
class Node:
    type: str = "any"
    format: str = ""
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    required: bool = True
    alternatives: tuple[str, ...] = ()  # signatures of a union's non-null members

    def describe(self) -> str:
        words = ["required" if self.required else "optional"]
        if self.nullable:
            words.append("nullable")
        words.append(self.type + (f"({self.format})" if self.format else ""))
        if self.enum is not None:
            words.append("enum[" + ", ".join(self.enum) + "]")
        if self.alternatives:
            words.append(f"one of {len(self.alternatives)} shapes")
        return " ".join(words)


class _Resolver:
    def __init__(self, document: Mapping[str, Any]):
        self.document = document

    def deref(self, schema: Any, seen: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
        while isinstance(schema, Mapping) and "$ref" in schema:
            ref = schema["$ref"]
            if ref in seen:  # a recursive schema: stop here, as an opaque object
                return {"type": "object", "x-recursive": True}, seen
            seen = (*seen, ref)
            target: Any = self.document
            for part in ref.removeprefix("#/").split("/"):
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(
                    target, Mapping) else {}
            # Sibling keywords of a $ref (3.1) refine it: keep them.
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return (dict(schema) if isinstance(schema, Mapping) else {}), seen


def _is_null(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "null" or schema.get("enum") == [None] or (
        "const" in schema and schema["const"] is None)


def flatten(document: Mapping[str, Any], schema: Any, *, required: bool = True) -> dict[str, Node]:
    """Every field of ``schema`` by path: ``""`` is the schema itself, then ``a``, ``a.b``, ``a[]``, ``a{}``."""
    out: dict[str, Node] = {}
    _flatten(_Resolver(document), schema, "", required, (), out)
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _flatten(res: _Resolver, schema: Any, path: str, required: bool, seen: tuple[str, ...],
             out: dict[str, Node]) -> None:
    schema, seen = res.deref(schema, seen)
    nullable = bool(schema.get("nullable"))
    # allOf: all parts apply at once; merge them into one schema.
    for part in schema.pop("allOf", []) or []:
        part, seen = res.deref(part, seen)
        props = {**schema.get("properties", {}), **part.get("properties", {})}
        req = [*schema.get("required", []), *part.get("required", [])]
        schema = {**part, **schema, "properties": props, "required": req}
        nullable = nullable or bool(part.get("nullable"))
    members = [*(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]
    if members:
        resolved = [res.deref(m, seen) for m in members]
        non_null = [(m, s) for m, s in resolved if not _is_null(m)]
        nullable = nullable or len(non_null) < len(resolved)
        if len(non_null) == 1:
            inner, inner_seen = non_null[0]
            _flatten(res, inner, path, required, inner_seen, out)
            node = out[path]
            out[path] = Node(node.type, node.format, node.nullable or nullable, node.enum, required,
                             node.alternatives)
            return
        if non_null:
            signatures = tuple(sorted(_signature(res, m, s) for m, s in non_null))
            out[path] = Node("union", "", nullable, None, required, signatures)
            return
    types = schema.get("type", "any")
    if isinstance(types, list):
        nullable = nullable or "null" in types
        types = [t for t in types if t != "null"]
        types = types[0] if len(types) == 1 else ("|".join(sorted(types)) if types else "null")
    enum = schema.get("enum")
    if "const" in schema:
        enum = [schema["const"]]
    if enum is not None:
        nullable = nullable or None in enum
        enum = tuple(sorted(json.dumps(v) if not isinstance(v, str) else v for v in enum if v is not None))
    if types == "any" and ("properties" in schema):
        types = "object"
    out[path] = Node(str(types), str(schema.get("format", "")), nullable, enum, required)
    if schema.get("x-recursive"):
        return
    required_names = set(schema.get("required", []) or [])
    for name, prop in (schema.get("properties") or {}).items():
        _flatten(res, prop, _join(path, name), name in required_names, seen, out)
    if "items" in schema and isinstance(schema["items"], Mapping):
        _flatten(res, schema["items"], path + "[]", True, seen, out)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping) and extra:
        _flatten(res, extra, path + "{}", True, seen, out)


def _signature(res: _Resolver, schema: dict[str, Any], seen: tuple[str, ...]) -> str:
    out: dict[str, Node] = {}
    _flatten(res, schema, "", True, seen, out)
    return json.dumps({p: asdict(n) for p, n in sorted(out.items())}, sort_keys=True)


# -------------------------------------------------------------------------------------- operations

@dataclass
class Operation:
    label: str
    deprecated: bool
    params: dict[str, Node]                # "query take", "path #1", "header x-foo"
    body: dict[str, Node] | None           # the flattened request body, "" = the body itself
    responses: dict[str, dict[str, Node]]  # status -> flattened JSON schema ({} when no content)


def _json_schema(content: Any) -> Any:
    if not isinstance(content, Mapping) or not content:
        return None
    for media, entry in content.items():
        if media.split(";")[0].strip() == "application/json":
            return (entry or {}).get("schema", {})
    first = next(iter(content.values())) or {}
    return first.get("schema", {})


def operations(document: Mapping[str, Any]) -> dict[str, Operation]:
    """The document's operations by ``"METHOD /path/{}"`` (parameter names removed)."""
    res = _Resolver(document)
    out: dict[str, Operation] = {}
    for path, item in (document.get("paths") or {}).items():
        item, _ = res.deref(item, ())
        shared = item.get("parameters", []) or []
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            label = f"{method.upper()} {path}"
            key = f"{method.upper()} {_PATH_PARAM.sub('{}', path)}"
            out[key] = Operation(label, bool(op.get("deprecated")), _params(document, path, shared, op),
                                 _body(document, op), _responses(document, op))
    return out


def _params(document: Mapping[str, Any], path: str, shared: list[Any], op: Mapping[str, Any]
            ) -> dict[str, Node]:
    res = _Resolver(document)
    by_name: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*shared, *(op.get("parameters", []) or [])]:  # the operation's own override shared ones
        param, _ = res.deref(raw, ())
        by_name[(param.get("in", ""), param.get("name", ""))] = param
    order = [m.group(0)[1:-1] for m in _PATH_PARAM.finditer(path)]
    out: dict[str, Node] = {}
    for (where, name), param in by_name.items():
        label = f"path #{order.index(name) + 1}" if where == "path" and name in order else f"{where} {name}"
        node = flatten(document, param.get("schema", {}))[""]
        out[label] = Node(node.type, node.format, node.nullable, node.enum,
                          where == "path" or bool(param.get("required")), node.alternatives)
    return out


def _body(document: Mapping[str, Any], op: Mapping[str, Any]) -> dict[str, Node] | None:
    body, _ = _Resolver(document).deref(op.get("requestBody"), ())
    if not body:
        return None
    schema = _json_schema(body.get("content"))
    return flatten(document, schema if schema is not None else {}, required=bool(body.get("required")))


def _responses(document: Mapping[str, Any], op: Mapping[str, Any]) -> dict[str, dict[str, Node]]:
    out = {}
    for status, raw in (op.get("responses") or {}).items():
        response, _ = _Resolver(document).deref(raw, ())
        schema = _json_schema(response.get("content"))
        out[str(status).upper()] = flatten(document, schema) if schema is not None else {}
    return out


def is_success(status: str) -> bool:
    return status[:1] in ("1", "2", "3")


# ------------------------------------------------------------------------------------------- diffing

def compare(baseline: Mapping[str, Any], published: Mapping[str, Any]) -> list[Change]:
    """Every change from ``baseline`` to ``published``, in a stable order."""
    before, after = operations(baseline), operations(published)
    changes: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if new is None:
            assert old is not None
            changes.append(Change(old.label, "operation", "", "removed", "deprecated" if old.deprecated else "",
                                  "", breaking=not old.deprecated, quiet=old.deprecated))
        elif old is None:
            changes.append(Change(new.label, "operation", "", "added", "", "", breaking=False))
        else:
            changes.extend(_compare_operation(old, new))
    return changes


def beyond(changes: list[Change], known: list[Change]) -> list[Change]:
    """``changes`` with those also in ``known`` marked declared: quiet and not breaking.

    For the mock: its differences from the record are all declared extensions (a test holds them to
    the table of docs/contract-kit.md), so against a published document only the others are news.
    """
    known_set = set(known)
    return [replace(c, breaking=False, quiet=True, declared=True) if c in known_set else c for c in changes]


def _compare_operation(old: Operation, new: Operation) -> Iterator[Change]:
    label = new.label
    if old.deprecated != new.deprecated:
        yield Change(label, "operation", "", "deprecated", str(old.deprecated).lower(),
                     str(new.deprecated).lower(), breaking=False)
    for name in sorted(old.params.keys() | new.params.keys()):
        yield from _compare_fields(label, name, {"": old.params[name]} if name in old.params else {},
                                   {"": new.params[name]} if name in new.params else {}, request=True)
    if old.body is not None or new.body is not None:
        yield from _compare_fields(label, "request body", old.body or {}, new.body or {}, request=True)
    for status in sorted(old.responses.keys() | new.responses.keys()):
        success = is_success(status)
        if status not in new.responses:
            yield Change(label, "status", status, "removed", status, "", breaking=success, quiet=not success)
        elif status not in old.responses:
            yield Change(label, "status", status, "added", "", status, breaking=False, quiet=not success)
        else:
            for change in _compare_fields(label, f"response {status}", old.responses[status],
                                          new.responses[status], request=False):
                yield change if success else Change(**{**asdict(change), "breaking": False})


def _under_changed(path: str, roots: set[str]) -> bool:
    return any(path != r and (r == "" or path.startswith((r + ".", r + "[", r + "{"))) for r in roots)


def _compare_fields(label: str, section: str, old: Mapping[str, Node], new: Mapping[str, Node], *,
                    request: bool) -> Iterator[Change]:
    gone = {p for p in old if p not in new}
    came = {p for p in new if p not in old}
    # A whole subtree added or removed is one change, at its top.
    for path in sorted(gone):
        if not _under_changed(path, gone):
            node = old[path]
            yield Change(label, section, path, "removed", node.describe(), "",
                         breaking=request or node.required)
    for path in sorted(came):
        if not _under_changed(path, came):
            node = new[path]
            yield Change(label, section, path, "added", "", node.describe(),
                         breaking=request and node.required)
    for path in sorted(old.keys() & new.keys()):
        yield from _compare_node(label, section, path, old[path], new[path], request)


def _compare_node(label: str, section: str, path: str, a: Node, b: Node, request: bool) -> Iterator[Change]:
    def change(kind: str, before: str, after: str, breaking: bool) -> Change:
        return Change(label, section, path, kind, before, after, breaking)

    if a.type != b.type:
        if request:  # the server must accept all the client sends: widening is safe
            safe = b.type == "any" or (a.type, b.type) == _WIDER
        else:        # the client must parse all the server sends: narrowing is safe
            safe = a.type == "any" or (b.type, a.type) == _WIDER
        yield change("type", a.type, b.type, not safe)
    if a.format != b.format:
        safe = (not b.format) if request else (not a.format)
        yield change("format", a.format or "(none)", b.format or "(none)", not safe)
    if a.required != b.required:
        tighter = b.required  # optional -> required
        yield change("required", _req(a), _req(b), tighter if request else not tighter)
    if a.nullable != b.nullable:
        yield change("nullable", _null(a), _null(b), a.nullable if request else b.nullable)
    if a.enum != b.enum:
        before, after = set(a.enum or ()), set(b.enum or ())
        if a.enum is None or b.enum is None:
            # An enum appearing narrows the values; one disappearing widens them.
            breaking = (a.enum is None) if request else (b.enum is None)
        else:
            breaking = bool(before - after) if request else bool(after - before)
        yield change("enum", _enum(a.enum), _enum(b.enum), breaking)
    if a.alternatives != b.alternatives:
        yield change("alternatives", f"{len(a.alternatives)} shapes", f"{len(b.alternatives)} shapes", True)


def _req(node: Node) -> str:
    return "required" if node.required else "optional"


def _null(node: Node) -> str:
    return "nullable" if node.nullable else "non-null"


def _enum(values: tuple[str, ...] | None) -> str:
    return "(any value)" if values is None else "[" + ", ".join(values) + "]"


def enum_delta(c: Change) -> str:
    """``+added -removed`` for an enum change, the readable part of two long lists."""
    def parse(text: str) -> set[str]:
        return set() if text == "(any value)" else {v for v in text.strip("[]").split(", ") if v}
    before, after = parse(c.before), parse(c.after)
    if c.before == "(any value)" or c.after == "(any value)":
        return f"{c.before} -> {c.after}"
    return " ".join([*(f"+{v}" for v in sorted(after - before)), *(f"-{v}" for v in sorted(before - after))])


# ------------------------------------------------------------------------------------------ printing

def render_text(title: str, changes: list[Change], *, show_quiet: bool = False) -> str:
    shown = [c for c in changes if show_quiet or not c.quiet]
    breaking = sum(c.breaking for c in changes)
    additive = sum(not c.breaking and not c.declared for c in changes)
    news = breaking + additive
    lines = [f"{title}: " + ("no differences" if not news else f"{breaking} breaking, {additive} additive")]
    current = None
    for c in shown:
        if c.operation != current:
            current = c.operation
            lines.append(f"  {c.operation}")
        mark = "BREAKING" if c.breaking else "declared" if c.declared else "additive"
        where = c.section if c.section != "operation" else ""
        if c.section == "status":
            where = f"status {c.field}"
        elif c.field:
            where = f"{where} {c.field}"
        lines.append(f"    {mark:8}  {where + ': ' if where else ''}{_what(c)}")
    quiet = [c for c in changes if c.quiet and not show_quiet]
    if quiet:
        declared = sum(c.declared for c in quiet)
        ops = sum(c.section == "operation" and not c.declared for c in quiet)
        statuses = len(quiet) - declared - ops
        kinds = [f"{declared} declared differences of the mock from the record" if declared else "",
                 f"{ops} deprecated operations removed" if ops else "",
                 f"{statuses} error statuses added or removed" if statuses else ""]
        lines.append(f"  (not listed: {', '.join(k for k in kinds if k)}; --all lists them)")
    return "\n".join(lines)


def _what(c: Change) -> str:
    if c.section == "operation" and c.change in ("added", "removed"):
        return f"operation {c.change}" + (" (was deprecated)" if c.before == "deprecated" else "")
    if c.section == "status":
        return c.change
    if c.change == "added":
        return f"added ({c.after})"
    if c.change == "removed":
        return f"removed (was {c.before})"
    if c.change == "enum":
        return f"enum {enum_delta(c)}"
    if c.change in ("required", "nullable", "deprecated"):
        return f"{c.before} -> {c.after}" if c.change != "deprecated" else f"deprecated {c.before} -> {c.after}"
    return f"{c.change} {c.before} -> {c.after}"


def as_json(changes: list[Change]) -> list[dict[str, Any]]:
    return [asdict(c) for c in changes]
