"""The oracle of every conformance check: the record of the real API, read open-world.

The record (``contract/equos-v3.record.json``) is rebuilt from the official SDK; until it is bundled,
the mock's own document stands in. Either way a response is judged only on what the record says:
a missing required field, a wrong type, a value outside an enum, or a status the operation does not
answer fail; properties the record does not know never fail (``additionalProperties: false`` is
ignored), they are reported as "fields the target adds". Schemas are found through the operation
(path + method + status), never by component name, so any record naming scheme works.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

CONTRACT_DIR = Path(__file__).parent / "contract"
RECORD_FILE = CONTRACT_DIR / "equos-v3.record.json"
FALLBACK_FILE = CONTRACT_DIR / "equos-v3.openapi.json"  # the mock's document: only until the record exists
_PARAM = re.compile(r"{[^/]+}")
_REF = "#/components/schemas/"

Added = tuple[str, str, Any]  # (schema, field, example value)


def oracle_file() -> Path:
    return RECORD_FILE if RECORD_FILE.exists() else FALLBACK_FILE


@cache
def document() -> dict[str, Any]:
    return _open_world(json.loads(oracle_file().read_text(encoding="utf-8")))


def _open_world(value: Any) -> Any:
    """The document without ``additionalProperties: false``: extra fields are the target's business."""
    if isinstance(value, dict):
        return {k: _open_world(v) for k, v in value.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(value, list):
        return [_open_world(v) for v in value]
    return value


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]

    def success(self) -> list[str]:
        return sorted(code for code in self.responses if code.startswith("2"))


@cache
def operations() -> tuple[Operation, ...]:
    out = []
    for path, methods in document()["paths"].items():
        regex = "^" + _PARAM.sub("[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        for method, spec in methods.items():
            if isinstance(spec, dict) and "responses" in spec:
                out.append(Operation(spec.get("operationId") or f"{method} {path}", method.upper(), path,
                                     re.compile(regex), spec["responses"]))
    # Literal paths before templated ones, so /v3/organizations/freemium-usage never matches {id}.
    return tuple(sorted(out, key=lambda o: o.path.count("{")))


def find_operation(method: str, path: str) -> Operation | None:
    for op in operations():
        if op.method == method.upper() and op.pattern.match(path):
            return op
    return None


def _response_key(op: Operation, status: int) -> str | None:
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in op.responses:
            return key
    return None


def response_schema(op: Operation, status: int) -> dict[str, Any] | None:
    """The JSON schema the record gives for one operation's reply with this status (None: no body)."""
    key = _response_key(op, status)
    content = op.responses.get(key, {}).get("content", {}) if key else {}
    media = content.get("application/json") or next(iter(content.values()), None)
    return media.get("schema") if media else None


@cache
def _validator(operation_id: str, key: str) -> Draft202012Validator:
    op = next(o for o in operations() if o.operation_id == operation_id)
    content = op.responses[key].get("content", {})
    media = content.get("application/json") or next(iter(content.values()))
    return Draft202012Validator({**media["schema"], "components": document().get("components", {})})


def _resolve(schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    name = None
    for _ in range(20):
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith(_REF):
            break
        name = ref[len(_REF):]
        schema = document().get("components", {}).get("schemas", {}).get(name, {})
    return schema, name


def _is_scalar(schema: dict[str, Any] | None) -> bool:
    if schema is None:
        return False
    schema = _resolve(schema)[0]
    return schema.get("type") in ("number", "integer", "string", "boolean")


def _nullable(schema: dict[str, Any] | None) -> bool:
    if schema is None:
        return False
    schema = _resolve(schema)[0]
    types = schema.get("type")
    return (types == "null" or (isinstance(types, list) and "null" in types)
            or any(_nullable(s) for s in schema.get("anyOf", []) + schema.get("oneOf", [])))


def violations(method: str, path: str, status: int, content_type: str, body: bytes, *,
               text_scalars: bool = True) -> list[str]:
    """What is wrong with one response, judged by the record (empty: it conforms).

    A 4xx the record does not describe is left to the checks (they know whether one was due);
    a success status the operation does not answer and every 5xx are violations. ``text_scalars``:
    the target sends bare numbers as text (the ``freemium_usage_type=text`` reality), so a text reply
    to a scalar schema is read as its JSON value.
    """
    op = find_operation(method, path)
    if op is None:
        return []  # not an API operation (uploads, control plane): the record says nothing
    if status >= 500:
        return [f"{op.operation_id}: server error {status}"]
    key = _response_key(op, status)
    if key is None:
        if status < 400:
            return [f"{op.operation_id}: status {status} is not one the operation answers ({', '.join(op.success())})"]
        return []
    content = op.responses[key].get("content", {})
    schema = response_schema(op, status)
    if not body.strip():
        if not content or (key.isdigit() and _nullable(schema)):
            return []  # no body declared, or the API's "returns null": an empty body
        return [f"{op.operation_id}: empty body with status {status}"]
    if not content:
        return []
    media = content_type.split(";")[0].strip().lower()
    text_ok = text_scalars and media.startswith("text/") and _is_scalar(schema)
    if media not in content and not text_ok:
        return [f"{op.operation_id}: content type {content_type or 'none'} not in {sorted(content)}"]
    try:
        value = json.loads(body)
    except ValueError:
        return [f"{op.operation_id}: body is not JSON: {body[:80]!r}"]
    errors = sorted(_validator(op.operation_id, key).iter_errors(value), key=lambda e: list(e.path))
    return [f"{op.operation_id}: {'/'.join(map(str, e.path)) or 'body'}: {e.message[:200]}" for e in errors[:5]]


# --- the record's view of a value, and what the target adds ---------------------------------------
def project(value: Any, schema: dict[str, Any] | None, owner: str = "") -> tuple[Any, list[Added]]:
    """``value`` with only the properties the record knows, and the ones it does not (per schema)."""
    added: list[Added] = []
    if schema is None:
        return value, added
    return _project(value, schema, owner, added), added


def _branch(value: Any, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The anyOf/oneOf branch that describes ``value`` (by JSON type; objects by required fields)."""
    for candidate in schema.get("anyOf", []) + schema.get("oneOf", []):
        resolved = _resolve(candidate)[0]
        if isinstance(value, dict) and (resolved.get("type") == "object" or "properties" in resolved):
            if set(resolved.get("required", [])) <= set(value):
                return candidate
        elif isinstance(value, list) and resolved.get("type") == "array":
            return candidate
    return None


def _project(value: Any, schema: dict[str, Any], owner: str, added: list[Added]) -> Any:
    schema, name = _resolve(schema)
    owner = name or owner
    branch = _branch(value, schema) if ("anyOf" in schema or "oneOf" in schema) else None
    if branch is not None:
        return _project(value, branch, owner, added)
    if isinstance(value, list):
        items = schema.get("items")
        return [_project(v, items, owner, added) for v in value] if isinstance(items, dict) else value
    if not isinstance(value, dict):
        return value
    properties: dict[str, Any] = {}
    for part in [schema, *(_resolve(s)[0] for s in schema.get("allOf", []))]:
        properties.update(part.get("properties", {}))
    extra = schema.get("additionalProperties")
    if not properties:
        if isinstance(extra, dict):  # a free-form map of typed values
            return {k: _project(v, extra, owner, added) for k, v in value.items()}
        return value
    out = {}
    for key, item in value.items():
        if key in properties:
            out[key] = _project(item, properties[key], f"{owner}.{key}", added)
        elif isinstance(extra, dict):
            out[key] = _project(item, extra, owner, added)
        else:
            added.append((owner or "response", key, item))
    return out


# --- comparing under the record's rules (never by dict equality) ----------------------------------------
def _properties(schema: dict[str, Any] | None, value: Any) -> tuple[dict[str, Any], set[str], Any]:
    """(properties, required, additionalProperties) of the object branch of ``schema`` that fits ``value``."""
    if schema is None:
        return {}, set(), None
    schema = _resolve(schema)[0]
    if "anyOf" in schema or "oneOf" in schema:
        # The branch that fits; for a partial object (what was sent), the first object branch.
        branch = _branch(value, schema) or next(
            (c for c in schema.get("anyOf", []) + schema.get("oneOf", [])
             if isinstance(value, dict) and (_resolve(c)[0].get("type") == "object" or "properties" in _resolve(c)[0])),
            None)
        if branch is not None:
            return _properties(branch, value)
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for part in [schema, *(_resolve(s)[0] for s in schema.get("allOf", []))]:
        properties.update(part.get("properties", {}))
        required |= set(part.get("required", []))
    return properties, required, schema.get("additionalProperties")


def _items(schema: dict[str, Any] | None, value: Any) -> dict[str, Any] | None:
    if schema is None:
        return None
    schema = _resolve(schema)[0]
    branch = _branch(value, schema) if ("anyOf" in schema or "oneOf" in schema) else None
    if branch is not None:
        return _items(branch, value)
    items = schema.get("items")
    return items if isinstance(items, dict) else None


def may_be_absent(schema: dict[str, Any] | None, name: str) -> bool:
    """The record lets ``name`` be left out of an object of ``schema`` (not required), so absent = null."""
    properties, required, _ = _properties(schema, {})
    return name in properties and name not in required


def without_optional_nulls(value: Any, schema: dict[str, Any] | None) -> Any:
    """``value`` with every null the record allows to be absent left out (a serializer that skips None)."""
    if isinstance(value, list):
        items = _items(schema, value)
        return [without_optional_nulls(v, items) for v in value]
    if not isinstance(value, dict):
        return value
    properties, required, extra = _properties(schema, value)
    if not properties:
        return value
    return {k: without_optional_nulls(v, properties.get(k, extra if isinstance(extra, dict) else None))
            for k, v in value.items() if not (v is None and k in properties and k not in required)}


def differences(expected: Any, got: Any, schema: dict[str, Any] | None, path: str = "",
                ignore: frozenset[str] = frozenset()) -> list[str]:
    """Where ``got`` disagrees with ``expected`` on what the record knows, read open-world.

    A property absent on one side and null on the other is the same where the record makes it
    optional; properties the record does not know are the target's business; instants are compared
    as instants (any offset, any precision); a free-form map is compared key by key. ``expected``
    names what matters: a property it leaves out is not compared (``ignore`` leaves out more).
    """
    if isinstance(expected, dict) and isinstance(got, dict):
        properties, required, extra = _properties(schema, expected)
        out: list[str] = []
        if not properties and extra is None and schema is not None and "properties" not in _resolve(schema)[0]:
            keys = set(expected) | set(got)  # a free-form map: every key counts
        else:
            keys = set(expected)
        for key in sorted(keys - ignore):
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            here = f"{path}.{key}" if path else key
            if key not in got:
                if expected[key] is None and key not in required:
                    continue
                out.append(f"{here}: missing, expected {_short(expected[key])}")
                continue
            if key not in expected:
                out.append(f"{here}: {_short(got[key])} not expected")
                continue
            out += differences(expected[key], got[key], sub, here)
        return out
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{path}: {len(got)} items, expected {len(expected)}"]
        items = _items(schema, expected)
        return [d for i, (a, b) in enumerate(zip(expected, got, strict=True))
                for d in differences(a, b, items, f"{path}[{i}]")]
    if isinstance(expected, str) and isinstance(got, str) and expected != got and _instant(expected) is not None:
        if _instant(expected) == _instant(got):
            return []
    if isinstance(expected, bool) or isinstance(got, bool):
        return [] if expected is got else [f"{path}: {_short(got)}, expected {_short(expected)}"]
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return [] if float(expected) == float(got) else [f"{path}: {got}, expected {expected}"]
    return [] if expected == got else [f"{path}: {_short(got)}, expected {_short(expected)}"]


_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _instant(text: str) -> float | None:
    from datetime import datetime

    if not _INSTANT.match(text):
        return None
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp(), 3)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


def reply_schema(method: str, path: str, status: int = 200) -> dict[str, Any] | None:
    """The record's schema of an operation's reply, found by the operation (never by component name)."""
    op = find_operation(method, path)
    return response_schema(op, status) if op else None


def property_schema(schema: dict[str, Any] | None, *names: str) -> dict[str, Any] | None:
    """The schema of a nested property (``conversation``, ``character``...), through refs and nullables;
    a list's property names its items' schema."""
    for name in names:
        if schema is None:
            return None
        resolved = _resolve(schema)[0]
        if "anyOf" in resolved or "oneOf" in resolved:
            resolved = next((_resolve(c)[0] for c in resolved.get("anyOf", []) + resolved.get("oneOf", [])
                             if "properties" in _resolve(c)[0] or _resolve(c)[0].get("type") == "array"), {})
        if resolved.get("type") == "array":
            resolved = _resolve(resolved.get("items", {}))[0]
        schema = resolved.get("properties", {}).get(name)
    return schema
