"""The bundled contract equals what the mock serves (no silent drift) and is valid OpenAPI."""

import json

from openapi_spec_validator import validate

from contract_tests import contract


def test_bundled_contract_equals_the_mocks_document():
    bundled = contract.CONTRACT_FILE.read_text(encoding="utf-8")
    assert bundled == contract.render(contract.generate()), (
        "the mock's OpenAPI document changed: regenerate with `python -m contract_tests.contract --write` "
        "and review the diff (it is the contract users check the real API against)")


def test_bundled_contract_is_valid_openapi():
    validate(json.loads(contract.CONTRACT_FILE.read_text(encoding="utf-8")))


def test_every_operation_is_found_by_method_and_path():
    for op in contract.operations():
        concrete = op.path.replace("{id}", "abc").replace("{doc}", "def")
        assert contract.find_operation(op.method, concrete).operation_id == op.operation_id


def test_a_server_error_always_breaks_the_contract():
    problems = contract.violations("GET", "/v3/brains", 500, "application/json", b'{"statusCode":500}')
    assert problems and "server error" in problems[0]
    assert contract.violations("GET", "/v3/brains/x", 200, "", b"") == []  # "returns null"
    assert contract.violations("POST", "/v3/brains", 200, "application/json", b"{}")  # 201 expected
