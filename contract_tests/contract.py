"""The bundled contract: a versioned copy of the mock's OpenAPI document, and response validation.

``python -m contract_tests.contract --write`` regenerates the file from the mock; a project test
checks that the bundled copy equals what the mock serves, so the two cannot drift silently.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

CONTRACT_FILE = Path(__file__).parent / "contract" / "equos-v3.openapi.json"
_PARAM = re.compile(r"{[^/]+}")


@cache
def document() -> dict[str, Any]:
    return json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class OperationSpec:
    operation_id: str
    method: str
    path: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]


@cache
def operations() -> tuple[OperationSpec, ...]:
    doc = document()
    out = []
    for path, methods in doc["paths"].items():
        pattern = re.compile("^" + _PARAM.sub("[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
                             + "$")
        for method, spec in methods.items():
            out.append(OperationSpec(spec["operationId"], method.upper(), path, pattern, spec["responses"]))
    # Literal paths before templated ones, so /v3/organizations/freemium-usage never matches {id}.
    return tuple(sorted(out, key=lambda o: o.path.count("{")))


def find_operation(method: str, path: str) -> OperationSpec | None:
    for op in operations():
        if op.method == method.upper() and op.pattern.match(path):
            return op
    return None


def by_id(operation_id: str) -> OperationSpec:
    return next(op for op in operations() if op.operation_id == operation_id)


@cache
def _validator(operation_id: str, status_key: str, media: str) -> Draft202012Validator:
    op = by_id(operation_id)
    schema = dict(op.responses[status_key]["content"][media]["schema"])
    schema["components"] = document()["components"]  # so "#/components/..." resolves
    return Draft202012Validator(schema)


def violations(method: str, path: str, status: int, content_type: str, body: bytes) -> list[str]:
    """What is wrong with one response, judged by the bundled contract (empty: it conforms)."""
    op = find_operation(method, path)
    if op is None:
        return []  # not an API operation (uploads, control plane): the contract says nothing
    if status >= 500:
        return [f"{op.operation_id}: server error {status}"]
    key = str(status) if str(status) in op.responses else f"{str(status)[0]}XX"
    if key not in op.responses:
        return [f"{op.operation_id}: status {status} is not in the contract ({', '.join(op.responses)})"]
    content = op.responses[key].get("content", {})
    media = content_type.split(";")[0].strip().lower()
    nullable = "null" in json.dumps(content.get("application/json", {}).get("schema", {}).get("anyOf", []))
    if not body.strip():
        if key.isdigit() and nullable:
            return []  # the API's "returns null": an empty body
        return [f"{op.operation_id}: empty body with status {status}"]
    if media not in content:
        return [f"{op.operation_id}: content type {content_type or 'none'} not in {sorted(content)}"]
    try:
        value = json.loads(body)
    except ValueError:
        return [f"{op.operation_id}: body is not JSON: {body[:80]!r}"]
    errors = sorted(_validator(op.operation_id, key, media).iter_errors(value), key=lambda e: list(e.path))
    return [f"{op.operation_id}: {'/'.join(map(str, e.path)) or 'body'}: {e.message[:200]}" for e in errors[:5]]


def compare_documents(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Differences between our contract and a published one: operations, statuses, schema fields."""
    diffs: list[str] = []

    def ops(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(m.upper(), p): s for p, ms in doc.get("paths", {}).items() for m, s in ms.items()
                if isinstance(s, dict)}

    mine, published = ops(ours), ops(theirs)
    for key in sorted(mine.keys() - published.keys()):
        diffs.append(f"{key[0]} {key[1]}: in our contract, not published by the target")
    for key in sorted(published.keys() - mine.keys()):
        diffs.append(f"{key[0]} {key[1]}: published by the target, not in our contract")
    for key in sorted(mine.keys() & published.keys()):
        a = {c for c in mine[key].get("responses", {}) if c[0] == "2"}
        b = {c for c in published[key].get("responses", {}) if c[0] == "2"}
        if a != b:
            diffs.append(f"{key[0]} {key[1]}: success statuses {sorted(a)} here, {sorted(b)} published")
    schemas_a = ours.get("components", {}).get("schemas", {})
    schemas_b = theirs.get("components", {}).get("schemas", {})
    for name in sorted(schemas_a.keys() & schemas_b.keys()):
        props_a = set(schemas_a[name].get("properties", {}))
        props_b = set(schemas_b[name].get("properties", {}))
        if props_a != props_b:
            diffs.append(f"schema {name}: only here {sorted(props_a - props_b)}, only published "
                         f"{sorted(props_b - props_a)}")
        req_a, req_b = set(schemas_a[name].get("required", [])), set(schemas_b[name].get("required", []))
        if req_a != req_b:
            diffs.append(f"schema {name}: required here {sorted(req_a)}, published {sorted(req_b)}")
    return diffs


def generate() -> dict[str, Any]:
    from mock_server import create_app

    return create_app().state.openapi


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        CONTRACT_FILE.write_text(render(generate()), encoding="utf-8")
        print(f"wrote {CONTRACT_FILE}")
    else:
        sys.stdout.write(render(generate()))
