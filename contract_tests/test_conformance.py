"""Check 1: the contract itself; every response of every other check is also validated against it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import contract
from .target import Target


def test_published_document_matches(equos_target: Target) -> None:
    reply = equos_target.get("/docs/v3-json", api_key=None)
    if reply.status != 200:
        equos_target.fidelity.published_differences = None
        pytest.skip(f"the target publishes no /docs/v3-json ({reply.status})")
    try:
        published = json.loads(reply.content)
    except ValueError:
        pytest.skip("/docs/v3-json is not JSON")
    diffs = contract.compare_documents(contract.document(), published)
    equos_target.fidelity.published_differences = diffs
    if equos_target.control:  # a mock must publish exactly our contract; a real API is only reported
        assert not diffs, "\n".join(diffs)


READ_ONLY = [("GET", "/v3/health"), ("GET", "/v3/brains"), ("GET", "/v3/faces"), ("GET", "/v3/voices"),
             ("GET", "/v3/characters"), ("GET", "/v3/knowledge-bases"), ("GET", "/v3/conversations"),
             ("GET", "/v3/organizations/freemium-usage")]


@given(st.sampled_from(READ_ONLY), st.sampled_from([None, "", "sk_contract_not_a_key"]) | st.just("own"))
def _read_only(target: Target, call: tuple[str, str], key: str | None) -> None:
    # Target.request validates status, content type and body of every reply against the contract.
    target.request(call[0], call[1], **({} if key == "own" else {"api_key": key}))


def test_read_only_replies_conform(equos_target: Target) -> None:
    _read_only(equos_target)


def test_user_usage_conforms(equos_target: Target) -> None:
    reply = equos_target.get("/v3/organizations/user-usage", params={"client": equos_target.run_tag})
    equos_target.expect("getUserUsage", reply.status == 200 and float(reply.content) == 0,
                        f"usage of an unused client tag: {reply.status} {reply.content[:40]!r}")
    missing = equos_target.get("/v3/organizations/user-usage")
    equos_target.expect("getUserUsage", missing.status == 400, f"user-usage without client: {missing.status}")
