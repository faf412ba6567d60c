"""The record (contract/equos-v3.record.json) is what the installed official SDK's code says.

Three independent checks: the bundled file rebuilds identically from the SDK; it is valid
OpenAPI 3.1; and the SDK's own models agree with every schema in it (an example built from the
record goes through ``from_dict``/``to_dict`` unchanged and leaves nothing in
``additional_properties``, and dropping a required field breaks ``from_dict``).
"""

from __future__ import annotations

import copy
import importlib
import importlib.metadata
import json
import pkgutil
from typing import Any

import httpx
import pytest
from equos.client import Client
from equos.client.errors import UnexpectedStatus
from openapi_spec_validator import validate

from contract_tests import record

RECORD = record.load()
SCHEMAS = RECORD["components"]["schemas"]
MODELS = importlib.import_module("equos.client.models")


def test_the_bundled_record_rebuilds_identically_from_the_installed_sdk():
    assert record.without_date(RECORD) == record.without_date(record.build()), (
        "the installed SDK says something else: run `python -m contract_tests.record --write` and review the diff")


def test_the_record_is_valid_openapi_3_1():
    assert RECORD["openapi"].startswith("3.1")
    validate(RECORD)


def test_the_record_names_its_provenance():
    provenance = RECORD["info"]["x-equos-record"]
    assert provenance["package"] == "equos"
    assert provenance["version"] == importlib.metadata.version("equos")
    assert provenance["sources_sha256"] == record.sources_digest(importlib.import_module("equos"))
    assert len(provenance["built"]) == 10  # an ISO date


def test_check_mode_fails_on_a_stale_record_and_write_repairs_it(tmp_path, monkeypatch, capsys):
    stale = copy.deepcopy(RECORD)
    stale["components"]["schemas"]["EquosBrain"]["required"].remove("instructions")
    target = tmp_path / "record.json"
    target.write_text(record.dumps(stale), encoding="utf-8")
    monkeypatch.setattr(record, "RECORD_FILE", target)
    assert record.main([]) == 1
    assert record.main(["--write"]) == 0
    assert record.without_date(json.loads(target.read_text())) == record.without_date(RECORD)
    before = target.read_text()
    assert record.main(["--write"]) == 0 and target.read_text() == before  # up to date: untouched
    assert "up to date" in capsys.readouterr().out


def test_the_build_date_is_the_only_thing_the_freshness_check_ignores():
    other_day = copy.deepcopy(RECORD)
    other_day["info"]["x-equos-record"]["built"] = "1999-01-01"
    assert record.without_date(other_day) == record.without_date(RECORD)
    other_digest = copy.deepcopy(RECORD)
    other_digest["info"]["x-equos-record"]["sources_sha256"] = "0" * 64
    assert record.without_date(other_digest) != record.without_date(RECORD)


# -- the SDK agrees with every schema ------------------------------------------------------------

def _example(schema: dict[str, Any]) -> Any:
    """One value of every property, nullable ones included (first alternative of an anyOf)."""
    if "$ref" in schema:
        return _example(SCHEMAS[schema["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in schema:
        return _example(schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][-1]
    kind = schema.get("type")
    if kind == "object":
        if "properties" not in schema:
            return {"k": _example(schema.get("additionalProperties", {"type": "string"}))}
        return {name: _example(prop) for name, prop in schema["properties"].items()}
    if kind == "array":
        return [_example(schema["items"])]
    return {"string": ("2026-01-02T03:04:05+00:00" if schema.get("format") == "date-time" else "text"),
            "number": 1.5, "boolean": True, "integer": 3}[kind]


OBJECTS = sorted(name for name, schema in SCHEMAS.items() if schema.get("type") == "object")
ENUMS = sorted(name for name, schema in SCHEMAS.items() if "enum" in schema)


@pytest.mark.parametrize("name", OBJECTS)
def test_the_sdk_model_round_trips_an_example_built_from_the_record(name):
    example = _example(SCHEMAS[name])
    parsed = getattr(MODELS, name).from_dict(example)
    assert parsed.additional_keys == [], "a property name in the record is not one the SDK reads"
    assert parsed.to_dict() == example


@pytest.mark.parametrize("name", OBJECTS)
def test_the_sdk_model_needs_exactly_the_required_properties(name):
    schema = SCHEMAS[name]
    example = _example(schema)
    required = set(schema.get("required", []))
    for prop in schema["properties"]:
        without = {k: v for k, v in example.items() if k != prop}
        if prop in required:
            with pytest.raises(KeyError):
                getattr(MODELS, name).from_dict(without)
        else:
            assert prop not in getattr(MODELS, name).from_dict(without).to_dict()


@pytest.mark.parametrize("name", OBJECTS)
def test_nullable_properties_are_exactly_those_the_sdk_accepts_null_for(name):
    schema = SCHEMAS[name]
    example = _example(schema)
    for prop, prop_schema in schema["properties"].items():
        nullable = {"type": "null"} in prop_schema.get("anyOf", [])
        with_null = dict(example, **{prop: None})
        if nullable:
            assert getattr(MODELS, name).from_dict(with_null).to_dict()[prop] is None
        elif "$ref" in prop_schema or "enum" in prop_schema:
            with pytest.raises((TypeError, ValueError, AttributeError)):
                getattr(MODELS, name).from_dict(with_null)


@pytest.mark.parametrize("name", ENUMS)
def test_enum_values_are_the_sdk_enums_values(name):
    assert SCHEMAS[name]["enum"] == [member.value for member in getattr(MODELS, name)]


def _operation_modules() -> list[str]:
    api = importlib.import_module("equos.client.api")
    return [f"{tag.name}.{mod.name}" for tag in pkgutil.iter_modules(api.__path__)
            for mod in pkgutil.iter_modules(importlib.import_module(f"equos.client.api.{tag.name}").__path__)]


OPERATIONS = {op["operationId"]: (path, method, op) for path, methods in RECORD["paths"].items()
              for method, op in methods.items()}


def test_the_record_has_one_operation_per_sdk_module():
    assert sorted(record._camel(m.split(".")[1]) for m in _operation_modules()) == sorted(OPERATIONS)


@pytest.mark.parametrize("dotted", _operation_modules())
def test_the_sdk_sends_what_the_record_says_and_parses_exactly_its_statuses(dotted):
    module = importlib.import_module(f"equos.client.api.{dotted}")
    path, method, op = OPERATIONS[record._camel(dotted.split(".")[1])]
    kwargs = module._get_kwargs(**{k: "x" for k in ("id", "doc") if "{" + k + "}" in path}, **_inputs(op))
    assert (kwargs["method"], kwargs["url"]) == (method, path.replace("{id}", "x").replace("{doc}", "x"))
    sent_query = set(kwargs.get("params", {}))
    assert sent_query == {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
    client = Client(base_url="http://127.0.0.1", raise_on_unexpected_status=True)
    for status, response in op["responses"].items():
        content = response.get("content", {}).get("application/json")
        body = _example(content["schema"]) if content else None
        reply = httpx.Response(int(status), json=body)
        parsed = module._parse_response(client=client, response=reply)
        assert (parsed is not None) == (content is not None)
    for status in {200, 201, 204, 400, 404} - {int(s) for s in op["responses"]}:
        with pytest.raises(UnexpectedStatus):
            module._parse_response(client=client, response=httpx.Response(status, json={}))


def _inputs(op: dict[str, Any]) -> dict[str, Any]:
    """The body and every query parameter, in the SDK's own argument names."""
    out: dict[str, Any] = {}
    if "requestBody" in op:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        out["body"] = getattr(MODELS, schema["$ref"].rsplit("/", 1)[1]).from_dict(_example(schema))
    for param in op.get("parameters", []):
        if param["in"] == "query":
            value = _example(param["schema"])
            out["client_query" if param["name"] == "client" else param["name"]] = value
    return out


def test_the_builder_refuses_a_shape_it_does_not_know():
    types = record._Types({}, {}, {"Known"}, type(None))
    assert types.schema("Known | None | Unset") == ({"anyOf": [{"$ref": "#/components/schemas/Known"},
                                                                {"type": "null"}]}, True)
    for annotation in ("set[str]", "Unknown", "dict[int, str]", "None | Unset"):
        with pytest.raises(record.RecordError):
            types.schema(annotation)
