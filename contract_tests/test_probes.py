"""Check 5: one probe per assumption of the mock, reporting which alternative the target shows.

Against a target with the mock's control plane, a probe must see the value the target says is in
force (so the mock honours its own switches); against any other target it reports, and the other
checks expect what it saw (see probes.py).
"""

from __future__ import annotations

import pytest

from mock_server.assumptions import REGISTRY

from .probes import PROBES, run_probe
from .target import Target


def test_every_assumption_has_a_probe() -> None:
    assert set(PROBES) == {a.name for a in REGISTRY}


@pytest.mark.parametrize("name", [a.name for a in REGISTRY])
def test_probe(equos_target: Target, name: str) -> None:
    target = equos_target
    observed, evidence = run_probe(target, name)
    if observed is None:
        pytest.skip(evidence)
    if target.control:  # a mock says which value is in force: it must behave that way
        in_force = target.assumptions_in_force[name]
        target.expect(f"assumption:{name}", observed == in_force,
                      f"the target says {name}={in_force} but shows {observed} ({evidence})")
    else:  # any known alternative is a report row; none of them is a finding
        choices = next(a.choices for a in REGISTRY if a.name == name)
        target.expect(f"assumption:{name}", observed in choices,
                      f"{name}: the target shows {observed}, none of {', '.join(choices)} ({evidence})")
