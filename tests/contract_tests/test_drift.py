"""`equos-mock drift`: documents made by editing the record report exactly their edits.

Each test edits a copy of the bundled record the way a changed real API would, and asserts the set of
(operation, section, field, change) the comparison reports, which of them break, and the exit code.
"""

from __future__ import annotations

import copy
import http.server
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests import drift, drift_cli
from mock_server.cli import main as cli_main

RECORD: dict[str, Any] = json.loads(drift_cli.RECORD_FILE.read_text(encoding="utf-8"))
SCHEMAS = "components", "schemas"


def edited(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = copy.deepcopy(RECORD)
    edit(document)
    return document


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return document[SCHEMAS[0]][SCHEMAS[1]][name]


def reported(document: dict[str, Any]) -> dict[tuple[str, str, str, str], bool]:
    """What the comparison with the record reports: each change's key and whether it breaks."""
    changes = drift.compare(RECORD, document)
    keys = [c.key() for c in changes]
    assert len(keys) == len(set(keys)), "a change is reported twice"
    return {c.key(): c.breaking for c in changes}


def run(document: dict[str, Any], tmp_path: Path, *args: str) -> tuple[int, str]:
    path = tmp_path / "published.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = drift_cli.main([str(path), "--against", "record", *args], out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_the_record_against_itself_reports_nothing(tmp_path: Path) -> None:
    assert drift.compare(RECORD, copy.deepcopy(RECORD)) == []
    code, text = run(RECORD, tmp_path)
    assert code == 0
    assert "no differences" in text and "BREAKING" not in text and "additive" not in text


def test_the_record_against_the_mock_shows_only_declared_differences(tmp_path: Path) -> None:
    code, text = run(RECORD, tmp_path, "--against", "both")
    assert code == 0, text
    assert text.count("no differences") == 2 and "declared differences of the mock from the record" in text
    mock = drift_cli.mock_document()
    known = drift.compare(mock, RECORD)
    assert known and not any(c.breaking for c in drift.beyond(known, known))
    # A published change on top of a declared difference is news again.
    document = edited(lambda doc: schema(doc, "EquosConversationStatus")["enum"].append("paused"))
    news = [c for c in drift.beyond(drift.compare(mock, document), known) if not c.declared]
    assert {c.key() for c in news} == {
        ("GET /v3/conversations", "response 200", "conversations[].status", "enum"),
        ("GET /v3/conversations/{id}", "response 200", "status", "enum"),
        ("POST /v3/conversations/{id}/stop", "response 201", "status", "enum")}
    assert all(c.breaking for c in news)


def test_an_added_operation_is_additive(tmp_path: Path) -> None:
    def add(doc: dict[str, Any]) -> None:
        doc["paths"]["/v3/widgets"] = {"get": copy.deepcopy(doc["paths"]["/v3/health"]["get"])}

    document = edited(add)
    assert reported(document) == {("GET /v3/widgets", "operation", "", "added"): False}
    code, text = run(document, tmp_path)
    assert code == 0 and "GET /v3/widgets" in text and "operation added" in text


def test_a_removed_required_response_field_breaks(tmp_path: Path) -> None:
    document = edited(lambda doc: (schema(doc, "CreateDocumentResponse")["properties"].pop("expireAt"),
                                   schema(doc, "CreateDocumentResponse")["required"].remove("expireAt")))
    assert reported(document) == {
        ("POST /v3/knowledge-bases/{id}/documents", "response 201", "expireAt", "removed"): True}
    code, text = run(document, tmp_path)
    assert code == 1 and "expireAt: removed (was required string(date-time))" in text


def test_a_removed_operation_breaks_unless_it_was_deprecated() -> None:
    removed = edited(lambda doc: doc["paths"]["/v3/faces/{id}"].pop("delete"))
    assert reported(removed) == {("DELETE /v3/faces/{id}", "operation", "", "removed"): True}

    deprecated = edited(lambda doc: doc["paths"]["/v3/faces/{id}"]["delete"].update(deprecated=True))
    changes = drift.compare(deprecated, removed)
    assert [(c.key(), c.breaking, c.quiet) for c in changes] == [
        (("DELETE /v3/faces/{id}", "operation", "", "removed"), False, True)]


def test_a_value_added_to_a_response_enum_breaks(tmp_path: Path) -> None:
    document = edited(lambda doc: schema(doc, "EquosConversationStatus")["enum"].append("paused"))
    # The start reply has its own status enum (EquosConversationWithCharacterStatus): not affected.
    assert reported(document) == {
        ("GET /v3/conversations", "response 200", "conversations[].status", "enum"): True,
        ("GET /v3/conversations/{id}", "response 200", "status", "enum"): True,
        ("POST /v3/conversations/{id}/stop", "response 201", "status", "enum"): True,
    }
    code, text = run(document, tmp_path)
    assert code == 1 and "enum +paused" in text


def test_request_enums_break_on_a_removed_value_only(tmp_path: Path) -> None:
    fewer = edited(lambda doc: schema(doc, "CreateEquosVoiceRequestIdentity")["enum"].remove("Zephyr"))
    assert reported(fewer) == {
        ("POST /v3/voices", "request body", "identity", "enum"): True,
        ("PATCH /v3/voices/{id}", "request body", "identity", "enum"): True,
    }
    more = edited(lambda doc: schema(doc, "CreateEquosFaceRequestIdentity")["enum"].append("emily"))
    assert reported(more) == {("POST /v3/faces", "request body", "identity", "enum"): False}
    code, text = run(more, tmp_path)
    assert code == 0 and "enum +emily" in text


def test_a_changed_status_breaks(tmp_path: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        responses = doc["paths"]["/v3/faces"]["post"]["responses"]
        responses["200"] = responses.pop("201")

    document = edited(change)
    assert reported(document) == {("POST /v3/faces", "status", "201", "removed"): True,
                                  ("POST /v3/faces", "status", "200", "added"): False}
    assert run(document, tmp_path)[0] == 1


def test_type_changes_break_unless_they_widen_a_request_or_narrow_a_reply(tmp_path: Path) -> None:
    version = edited(lambda doc: schema(doc, "HealthResponse")["properties"]["version"].update(type="number"))
    assert reported(version) == {("GET /v3/health", "response 200", "version", "type"): True}

    def integer_take(doc: dict[str, Any]) -> None:
        doc["paths"]["/v3/faces"]["get"]["parameters"][0]["schema"]["type"] = "integer"
        schema(doc, "ListEquosFacesResponse")["properties"]["total"]["type"] = "integer"

    narrower = edited(integer_take)
    # A client sending take=20.5 is refused now; a client reading total as a number still can.
    assert reported(narrower) == {("GET /v3/faces", "query take", "", "type"): True,
                                  ("GET /v3/faces", "response 200", "total", "type"): False}
    assert run(narrower, tmp_path)[0] == 1


def test_nullable_changes_break_a_reply_not_a_request() -> None:
    def nullable(doc: dict[str, Any]) -> None:
        props = schema(doc, "CreateEquosTokenResponse")["properties"]
        props["token"] = {"anyOf": [props["token"], {"type": "null"}]}
        schema(doc, "CreateEquosTokenRequest")["properties"]["user"]["type"] = ["string", "null"]

    assert reported(edited(nullable)) == {
        ("POST /v3/tokens", "response 201", "token", "nullable"): True,
        ("POST /v3/tokens", "request body", "user", "nullable"): False,
    }


def test_a_new_required_request_field_breaks_an_optional_one_does_not() -> None:
    def add(doc: dict[str, Any]) -> None:
        request = schema(doc, "CreateEquosConversationRequest")
        request["properties"]["region"] = {"type": "string"}
        request["properties"]["locale"] = {"type": "string"}
        request["required"].append("region")

    assert reported(edited(add)) == {
        ("POST /v3/conversations", "request body", "region", "added"): True,
        ("POST /v3/conversations", "request body", "locale", "added"): False,
    }


def test_renamed_components_and_other_spellings_of_the_same_schema_are_no_drift() -> None:
    def respell(doc: dict[str, Any]) -> None:
        schemas = doc[SCHEMAS[0]][SCHEMAS[1]]
        schemas["TokenReply"] = schemas.pop("CreateEquosTokenResponse")
        token = doc["paths"]["/v3/tokens"]["post"]["responses"]["201"]["content"]["application/json"]
        token["schema"] = {"$ref": "#/components/schemas/TokenReply"}
        # OpenAPI 3.0 / NestJS spellings: nullable: true, allOf around a $ref, renamed path parameters.
        props = schemas["CreateEquosConversationRequest"]["properties"]
        props["client"] = {"type": "string", "nullable": True}
        props["host"] = {"nullable": True, "allOf": [{"$ref": "#/components/schemas/EquosConversationHost"}]}
        doc["paths"]["/v3/faces/{faceId}"] = doc["paths"].pop("/v3/faces/{id}")
        for op in doc["paths"]["/v3/faces/{faceId}"].values():
            for param in op.get("parameters", []):
                if param["in"] == "path":
                    param["name"] = "faceId"

    assert drift.compare(RECORD, edited(respell)) == []


def test_a_removed_nested_object_is_one_change_at_its_top() -> None:
    def drop_host(doc: dict[str, Any]) -> None:
        schema(doc, "CreateEquosConversationRequest")["properties"].pop("host")

    assert reported(edited(drop_host)) == {("POST /v3/conversations", "request body", "host", "removed"): True}


def test_a_reply_that_loses_its_body_is_one_change() -> None:
    document = edited(lambda doc: doc["paths"]["/v3/tokens"]["post"]["responses"]["201"].pop("content"))
    assert reported(document) == {("POST /v3/tokens", "response 201", "", "removed"): True}


def test_json_output_lists_the_same_changes(tmp_path: Path) -> None:
    document = edited(lambda doc: schema(doc, "EquosConversationStatus")["enum"].remove("blocked"))
    code, text = run(document, tmp_path, "--json")
    data = json.loads(text)
    assert code == 0 and data["breaking"] is False  # a reply enum losing a value breaks no client
    [record] = data["comparisons"]
    assert record["against"] == "record"
    assert {(c["operation"], c["field"], c["change"], c["breaking"]) for c in record["changes"]} == {
        ("GET /v3/conversations", "conversations[].status", "enum", False),
        ("GET /v3/conversations/{id}", "status", "enum", False),
        ("POST /v3/conversations/{id}/stop", "status", "enum", False),
    }


@pytest.fixture
def served() -> Iterator[Callable[[bytes], str]]:
    """Serve bytes at http://127.0.0.1:<port>/docs/v3-json; loopback only."""
    bodies: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/docs/v3-json" and bodies
            self.send_response(200 if found else 404)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(bodies[-1] if found else b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(body: bytes) -> str:
        bodies.append(body)
        return f"http://127.0.0.1:{server.server_address[1]}/docs/v3-json"

    try:
        yield serve
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_a_url_is_fetched_and_compared(served: Callable[[bytes], str]) -> None:
    document = edited(lambda doc: doc["paths"]["/v3/faces/{id}"].pop("delete"))
    url = served(json.dumps(document).encode())
    out = io.StringIO()
    assert drift_cli.main([url, "--against", "record"], out=out, err=out) == 1
    assert "DELETE /v3/faces/{id}" in out.getvalue() and "operation removed" in out.getvalue()


def test_the_mock_document_served_over_http_matches_the_mock(served: Callable[[bytes], str]) -> None:
    url = served(json.dumps(drift_cli.mock_document()).encode())
    out = io.StringIO()
    assert drift_cli.main([url, "--against", "mock"], out=out, err=out) == 0
    assert "against the mock" in out.getvalue() and "no differences" in out.getvalue()


def test_unreadable_documents_exit_2(tmp_path: Path, served: Callable[[bytes], str]) -> None:
    not_json = tmp_path / "x.json"
    not_json.write_text("<html>", encoding="utf-8")
    not_openapi = tmp_path / "y.json"
    not_openapi.write_text("[1, 2]", encoding="utf-8")
    malformed = tmp_path / "z.json"
    malformed.write_text(json.dumps({"paths": {"/v3/x": {"get": {"responses": [1, 2]}}}}), encoding="utf-8")
    missing_url = served(b"{}").replace("/docs/v3-json", "/nothing")
    for source, words in ((str(tmp_path / "missing.json"), "cannot read"), (str(not_json), "is not JSON"),
                          (str(not_openapi), "not an OpenAPI document"), (missing_url, "cannot fetch"),
                          (str(malformed), "not a well-formed OpenAPI document")):
        out, err = io.StringIO(), io.StringIO()
        assert drift_cli.main([source], out=out, err=err) == 2, source
        assert words in err.getvalue() and out.getvalue() == ""


def test_a_deeply_nested_document_is_compared(tmp_path: Path) -> None:
    nested: dict[str, Any] = {"type": "string"}
    for _ in range(450):  # about as deep as json itself reads
        nested = {"type": "object", "properties": {"a": nested}}
    ok = {"200": {"description": "", "content": {"application/json": {"schema": nested}}}}
    document = edited(lambda doc: doc["paths"].update({"/v3/deep": {"get": {"responses": ok}}}))
    code, text = run(document, tmp_path)
    assert code == 0 and "GET /v3/deep" in text


@pytest.mark.slow  # a fresh Python process
def test_the_command_runs_as_a_subprocess_without_pytest(tmp_path: Path) -> None:
    document = edited(lambda doc: schema(doc, "EquosConversationStatus")["enum"].append("paused"))
    path = tmp_path / "published.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    # pytest is not part of the plain install: make importing it fail in the child.
    program = ("import sys; sys.modules['pytest'] = None; from mock_server.cli import main; "
               "sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", program, "drift", str(path)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 1, done.stderr
    assert "against the record" in done.stdout and "against the mock" in done.stdout
    assert done.stdout.count("enum +paused") == 6  # three operations, in both comparisons
    assert cli_main(["drift", str(path), "--against", "record", "--json"]) == 1
