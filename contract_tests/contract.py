"""The bundled copy of the mock's OpenAPI document (responses are judged by the record: see oracle.py).

``python -m contract_tests.contract --write`` regenerates the file from the mock; a project test
checks that the bundled copy equals what the mock serves, so the two cannot drift silently.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

CONTRACT_FILE = Path(__file__).parent / "contract" / "equos-v3.openapi.json"


@cache
def document() -> dict[str, Any]:
    return json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))


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
