"""Schemathesis against the served OpenAPI document, in-process: all checks, every phase.

A bounded run (a few examples per operation); ``python scripts/fuzz.py`` is the long one.
"""

from __future__ import annotations

import warnings

import pytest

from .conftest import load_script

pytestmark = pytest.mark.slow  # Schemathesis fuzzing, every phase

fuzz = load_script("fuzz")


@pytest.mark.parametrize("profile", sorted(fuzz.PROFILES))
def test_fuzz_finds_no_failure(profile: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the default LiveKit secret is short, on purpose
        result = fuzz.run(profile, max_examples=4, seed=7)
        if not result.phases and not result.failures and not result.errors:
            # Seen once under a fully loaded CI machine: the engine ended without running any phase
            # (no failure, no error). Run once more rather than pass; a second empty run fails below.
            result = fuzz.run(profile, max_examples=4, seed=7)
    assert not result.errors, "\n".join(result.errors)
    assert not result.failures, "\n".join(result.failures)
    # Every phase that applies to this document ran (examples: the document has none).
    for phase in ("coverage", "fuzzing", "stateful"):
        assert result.phases.get(phase) == "success", (result.phases, result.events)
    assert result.requests > 500
