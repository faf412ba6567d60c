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
