"""The served OpenAPI document: valid OpenAPI 3.1, exactly the facts file's v3 operations, and the validator works."""

from __future__ import annotations

import httpx
import pytest
from openapi_spec_validator import validate

# The v3 operations of the facts file (equos-api-facts.md section 1), method and path: written out here,
# not derived from the mock's declarations, so the document is checked against the facts.
V3_OPERATIONS = {
    ("GET", "/v3/health"),
    ("GET", "/v3/brains"), ("GET", "/v3/brains/{id}"), ("POST", "/v3/brains"),
    ("PATCH", "/v3/brains/{id}"), ("DELETE", "/v3/brains/{id}"),
    ("GET", "/v3/characters"), ("GET", "/v3/characters/{id}"), ("POST", "/v3/characters"),
    ("PUT", "/v3/characters/{id}"), ("DELETE", "/v3/characters/{id}"),
    ("GET", "/v3/faces"), ("GET", "/v3/faces/{id}"), ("POST", "/v3/faces"), ("DELETE", "/v3/faces/{id}"),
    ("GET", "/v3/voices"), ("GET", "/v3/voices/{id}"), ("POST", "/v3/voices"),
    ("PATCH", "/v3/voices/{id}"), ("DELETE", "/v3/voices/{id}"),
    ("GET", "/v3/knowledge-bases"), ("GET", "/v3/knowledge-bases/{id}"), ("POST", "/v3/knowledge-bases"),
    ("DELETE", "/v3/knowledge-bases/{id}"), ("POST", "/v3/knowledge-bases/{id}/documents"),
    ("PATCH", "/v3/knowledge-bases/{id}/documents/{doc}/index"),
    ("DELETE", "/v3/knowledge-bases/{id}/documents/{doc}"),
    ("GET", "/v3/conversations"), ("GET", "/v3/conversations/{id}"), ("POST", "/v3/conversations"),
    ("POST", "/v3/conversations/{id}/stop"),
    ("POST", "/v3/tokens"),
    ("GET", "/v3/organizations/freemium-usage"), ("GET", "/v3/organizations/user-usage"),
}


def _served(equos_mock) -> dict:
    response = httpx.get(equos_mock.url + "/docs/v3-json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def test_document_is_valid_openapi_3_1(equos_mock):
    document = _served(equos_mock)
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on an invalid document


def test_document_lists_exactly_the_v3_operations_with_unique_ids(equos_mock):
    document = _served(equos_mock)
    # The deprecated legacy aliases (/v3/sessions, ...) are listed too, marked deprecated.
    operations = {(method.upper(), path): op for path, item in document["paths"].items()
                  for method, op in item.items() if not op.get("deprecated")}
    assert set(operations) == V3_OPERATIONS
    ids = [op["operationId"] for op in operations.values()]
    assert len(set(ids)) == len(ids) == len(V3_OPERATIONS)
    for (_method, path), op in operations.items():
        if path != "/v3/health":
            assert op["security"] == [{"apiKey": []}], path
    assert "security" not in operations[("GET", "/v3/health")]


def test_served_document_is_the_apps_document(equos_mock):
    if equos_mock.server is None:
        pytest.skip("an external mock (--equos-mock-url): its app is not in this process")
    assert _served(equos_mock) == equos_mock.server.app.state.openapi


def test_swagger_page(equos_mock):
    response = httpx.get(equos_mock.url + "/docs/v3")
    assert response.status_code == 200
    assert "/docs/v3-json" in response.text


def test_validator_catches_bad_responses(equos_mock, response_validator):
    """The suite-wide validator is not vacuous: it rejects what the document does not allow."""
    check = response_validator(_served(equos_mock)).check
    json_type = "application/json; charset=utf-8"
    assert check("GET", "/v3/health", 200, json_type, b'{"status":"ok","version":"1.0.0"}') == []
    assert check("GET", "/v3/health", 200, json_type, b'{"status":"ok"}')  # missing version
    assert check("GET", "/v3/health", 201, json_type, b'{"status":"ok","version":"1"}')  # status
    assert check("GET", "/v3/brains/x", 200, "", b"") == []  # null_result=empty
    assert check("POST", "/v3/brains", 201, "", b"")  # not nullable
    assert check("GET", "/v3/brains/x", 404, json_type, b'{"statusCode":404,"message":"Not Found"}') == []
    assert check("GET", "/v3/brains/x", 404, json_type, b'{"error":"x"}')  # not the envelope
    assert check("GET", "/v3/brains/x", 500, json_type, b'{"statusCode":500,"message":"x"}')
    assert check("GET", "/v3/organizations/freemium-usage", 200, "text/html; charset=utf-8", b"42.5") == []
    assert check("GET", "/v3/organizations/freemium-usage", 200, "text/html; charset=utf-8", b"<p>")
    assert check("GET", "/v3/faces", 200, json_type,
                 b'{"skip":0,"take":20,"total":1,"faces":[{"id":"a"}]}')  # incomplete face
    assert check("GET", "/v3/faces/x", 200, json_type, b'{"id":"a","identity":"tommy","organizationId":"o",'
                 b'"createdAt":"not a date","updatedAt":"2026-01-01T00:00:00.000Z"}')  # date-time format
    assert check("GET", "/_mock/clock", 500, json_type, b"") == []  # not a v3 route: not checked


# Replies documented as "T | null" in the facts file; every other reply is not nullable.
NULLABLE = {
    ("GET", "/v3/brains/{id}"), ("PATCH", "/v3/brains/{id}"), ("DELETE", "/v3/brains/{id}"),
    ("GET", "/v3/characters/{id}"), ("DELETE", "/v3/characters/{id}"),
    ("GET", "/v3/faces/{id}"), ("DELETE", "/v3/faces/{id}"),
    ("GET", "/v3/voices/{id}"), ("PATCH", "/v3/voices/{id}"), ("DELETE", "/v3/voices/{id}"),
    ("GET", "/v3/knowledge-bases/{id}"), ("DELETE", "/v3/knowledge-bases/{id}"),
    ("GET", "/v3/conversations/{id}"), ("POST", "/v3/conversations/{id}/stop"),
}


def test_nullable_replies_are_those_of_the_facts_file(equos_mock):
    document = _served(equos_mock)
    nullable = set()
    for path, item in document["paths"].items():
        for method, op in item.items():
            if op.get("deprecated"):
                continue
            status = "201" if method == "post" else "200"
            schema = op["responses"][status]["content"]["application/json"]["schema"]
            if {"type": "null"} in schema.get("anyOf", []):
                nullable.add((method.upper(), path))
    assert nullable == NULLABLE
